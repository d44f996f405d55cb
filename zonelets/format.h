// The zonelet format (docs/ZONELETS.md): a master-file fragment for one parent zone, with a header.
//
//   ZoneletHeader header{"EXAMPLE-RIR", "ARIN", parent, now, serial};
//   std::string text = write_zonelet(header, records);      // header comments + one absolute record per line
//   ParsedZonelet z = parse_zonelet(text, parent_hint);      // header (when there is one), records, errors
//   if (!z.refusal.empty()) …                                 // digest or count wrong: the file is refused
//
// The header is a block of comment lines at the top:
//   ; rdnsprov-zonelet: 1
//   ; sender: EXAMPLE-RIR
//   ; receiver: ARIN
//   ; parent-zone: 193.in-addr.arpa.
//   ; generated: 2026-11-25T01:00:00Z
//   ; serial: 1795568400
//   ; records: 3
//   ; sha256: <hex SHA-256 of the record lines>
// "The record lines" are every line after the header that is neither blank nor only a comment, each with its
// newline, in file order. A file without the first header line is a plain fragment (the form peers publish
// today): it has no digest or count, and is read under the same record checks.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/zone.h"

namespace rdnsprov::zonelets {

inline constexpr int kZoneletVersion = 1;

struct ZoneletHeader {
  std::string sender;
  std::string receiver;
  dns::Name parent;
  std::time_t generated = 0;
  std::uint32_t serial = 0;
  std::uint64_t records = 0;   // filled in by write_zonelet
  std::string sha256;          // hex, lower case; filled in by write_zonelet
};

// The zonelet text: header, then the records one per line in the order given (callers pass canonical order).
std::string write_zonelet(ZoneletHeader header, const std::vector<dns::Record>& records);

struct ParsedZonelet {
  std::optional<ZoneletHeader> header;       // nothing for a plain fragment
  dns::Name parent;                          // from the header, else the hint given
  std::vector<dns::Record> records;          // in file order
  std::vector<std::uint64_t> lines;          // the line of each record
  std::vector<dns::MasterFileError> errors;  // lines that are not records rdnsprov reads
  std::string refusal;                       // non-empty: the whole file is refused (header, digest, count)
};

// Reads only the header; nothing for a plain fragment. Sets `problem` for a header that is there but malformed.
std::optional<ZoneletHeader> read_header(std::string_view text, std::string& problem);

// The header's sha256 of `text`: SHA-256 (hex, lower case) of its record lines. Header lines are comments, so
// the whole file and the part after its header give the same digest.
std::string record_lines_sha256(std::string_view text);

// Parses a zonelet. `parent_hint` is the parent zone of a plain fragment (relative names are completed with it);
// a header's parent-zone wins.
ParsedZonelet parse_zonelet(std::string_view text, const dns::Name& parent_hint);

// A value read from a header (or any text of a peer's file), for a message: bytes outside printable ASCII and a
// backslash written as \xNN, at most 100 bytes of it. A peer's file may hold a NUL or a carriage return inside a
// line, which must not reach a report line (log, journal, `zonelets import` output).
std::string shown_value(std::string_view value);

// "2026-11-25T01:00:00Z" and back.
std::string utc_text(std::time_t t);
std::optional<std::time_t> parse_utc(std::string_view text);

}  // namespace rdnsprov::zonelets
