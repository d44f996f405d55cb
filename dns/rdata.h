// Rdata codecs: every record's data is held in its uncompressed wire form (names lower-case), which is also its
// canonical form (RFC 4034 §6.2). These functions build it from values, from master-file text, and turn it back
// into master-file text.
//
//   std::string ns = rdata::ns(*Name::from_text("ns1.example.net"));
//   auto ds = rdata::from_text(RRType::kDs, {"12345", "13", "2", "ABCD..."}, origin);   // Result<std::string>
//   std::string text = rdata::to_text(RRType::kDs, *ds);                                // "12345 13 2 ABCD..."
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/result.h"
#include "dns/rrtype.h"

namespace rdnsprov::dns::rdata {

std::string a(const std::array<std::uint8_t, 4>& address);
std::string aaaa(const std::array<std::uint8_t, 16>& address);
std::string ns(const Name& host);
std::string cname(const Name& target);
struct Soa {
  Name mname;
  Name rname;
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;
};
std::string soa(const Soa& soa);
Result<Soa> parse_soa(std::string_view wire);
std::string ds(std::uint16_t key_tag, std::uint8_t algorithm, std::uint8_t digest_type, std::string_view digest);

// Parses an IPv4 or IPv6 address in presentation form into A or AAAA rdata; the type is returned in `type`.
Result<std::string> address_from_text(std::string_view text, RRType& type);

// NSEC/NSEC3 type bitmap (RFC 4034 §4.1.2) from a list of type codes (any order, duplicates allowed).
std::string type_bitmap(std::vector<std::uint16_t> types);
// The type codes a bitmap lists; an error for a malformed bitmap.
Result<std::vector<std::uint16_t>> parse_type_bitmap(std::string_view bitmap);

// Master-file text of one record's rdata, split into fields (parentheses and comments already removed).
// Relative names are completed with `origin`; with `slash`, a name may hold '/' (Name::from_text).
Result<std::string> from_text(RRType type, std::span<const std::string_view> fields, const Name& origin,
                              bool slash = false);
// Master-file text of valid rdata (as built by this file or accepted by from_text / check_wire).
std::string to_text(RRType type, std::string_view wire);
// The same, appended to `out` (the master-file writer's path: no allocation of its own).
void append_text(std::string& out, RRType type, std::string_view wire);
// Checks that wire-format rdata received from outside (AXFR) is well formed for its type.
Result<bool> check_wire(RRType type, std::string_view wire);

// Time in RRSIG presentation form, YYYYMMDDHHmmSS (RFC 4034 §3.2), and back.
std::string rrsig_time_to_text(std::uint32_t seconds);
Result<std::uint32_t> rrsig_time_from_text(std::string_view text);
// A TTL or SOA timer: plain seconds or BIND's units (1w2d3h4m5s).
Result<std::uint32_t> ttl_from_text(std::string_view text);

}  // namespace rdnsprov::dns::rdata
