// The rules of RPSL.md for one `domain` object on its own, as RegistryCollector needs them.
//
//   DomainCheck check = check_domain_object(object, origin);
//   check.verdict;      // what validate_domain_object returns: delegation, range, skipped or rejected, and why
//   check.name;         // the key as a delegable reverse name, also when the object was rejected for its content
//   check.range_first;  // for a dash range: its addresses (check.name is the range's own name)
//
// The collector's cross-object checks (duplicate keys, overlapping ranges) look at every object whose key names
// something delegable, whatever its content: otherwise a conflict would be settled by whichever side happens to
// be broken this hour, and the published result would flip when it is repaired.
#pragma once

#include <cstdint>
#include <optional>

#include "dns/name.h"
#include "dns/origin.h"
#include "ingest/registry.h"
#include "ingest/rpsl_reader.h"

namespace rdnsprov::ingest {

struct DomainCheck {
  ObjectVerdict verdict;
  std::optional<dns::Name> name;   // set when the key is an in-addr.arpa or ip6.arpa name rdnsprov delegates
  bool is_range = false;           // the key is a dash range A-B.Z.Y.X.in-addr.arpa
  std::uint8_t range_first = 0;    // A, when is_range
  std::uint8_t range_last = 0;     // B, when is_range
};

DomainCheck check_domain_object(const RpslObject& object, const dns::Origin& origin);

}  // namespace rdnsprov::ingest
