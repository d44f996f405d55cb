// Canonical order (RFC 4034 §6.1, §6.3) by byte keys, for sorting a million names or records quickly.
//
//   std::string key = canonical_key(name);   // memcmp order of keys == canonical order of names
//   sort_canonically(records);               // same order as std::sort(records) with Record's operator<=>
//   records = merge_canonically(std::move(delegation_records), std::move(cnames));
//
// This is not a second ordering: it is dns::Name's own canonical order, computed once per name into a key so that
// each comparison is one memcmp instead of a label-by-label walk. Zone::canonicalise still has the last word
// (merging duplicates and TTLs); records handed to it in order only need to be checked, not moved.
#pragma once

#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"

namespace rdnsprov::builder {

// The labels from the right, each followed by a 0 octet. A label never contains a 0 octet (Name refuses it), so
// a shorter label sorts before every longer one it is a prefix of (RFC 4034 §6.1: "as if left-justified"), and
// an ancestor's key is a prefix of its descendants' keys.
std::string canonical_key(const dns::Name& name);
// The same, appended to `out`.
void append_canonical_key(std::string& out, const dns::Name& name);

// Sorts records by owner (canonical), type code, rdata octets: the order of dns::Record's operator<=> except
// for TTL, which Zone::canonicalise makes equal within an RRset anyway. Input already in order is only checked.
void sort_canonically(std::vector<dns::Record>& records);

// The records of both lists in canonical order. `mostly_in_order` is expected in order already (it is only
// checked, and sorted when it is not); `others` is sorted; then the two are merged in linear time.
std::vector<dns::Record> merge_canonically(std::vector<dns::Record> mostly_in_order, std::vector<dns::Record> others);

}  // namespace rdnsprov::builder
