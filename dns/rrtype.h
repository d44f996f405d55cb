// RRType: the record types rdnsprov handles (DESIGN.md "Core value types"), and nothing else. PTR is among them
// for the reverse zones operators sign with `rdnsprov sign` and check with `verify-zone`; zonelets refuse it.
//
//   auto type = rrtype_from_text("DS");   // std::optional<RRType>
//   rrtype_to_text(RRType::kNs);          // "NS"
//
// Reading a zonelet or a published zone accepts exactly these types; any other is an error naming the line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rdnsprov::dns {

enum class RRType : std::uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kAaaa = 28,
  kDs = 43,
  kRrsig = 46,
  kNsec = 47,
  kDnskey = 48,
  kNsec3 = 50,
  kNsec3param = 51,
  kCds = 59,
  kCdnskey = 60,
  kZonemd = 63,
};

inline constexpr RRType kAllRRTypes[] = {
    RRType::kA,    RRType::kNs,     RRType::kCname,  RRType::kSoa,        RRType::kPtr,  RRType::kAaaa,
    RRType::kDs,   RRType::kRrsig,  RRType::kNsec,   RRType::kDnskey,     RRType::kNsec3,
    RRType::kNsec3param, RRType::kCds, RRType::kCdnskey, RRType::kZonemd,
};

// The class every record of ours has (IN).
inline constexpr std::uint16_t kClassIn = 1;

std::string_view rrtype_to_text(RRType type);
// Accepts the mnemonic in any case; returns nothing for a type rdnsprov does not handle.
std::optional<RRType> rrtype_from_text(std::string_view text);
// Accepts a known type code; nothing otherwise.
std::optional<RRType> rrtype_from_code(std::uint16_t code);
inline std::uint16_t rrtype_code(RRType type) { return static_cast<std::uint16_t>(type); }

}  // namespace rdnsprov::dns
