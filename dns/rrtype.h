// RRType: a record type code. The registry's zones, zonelets, published zones and transfers hold only the types of
// kAllRRTypes (DESIGN.md "Core value types"); PTR is among them for the reverse zones operators sign with
// `rdnsprov sign` and check with `verify-zone`, and zonelets refuse it.
//
// Those two commands also take operators' own zones, which may hold any type (rrtype_from_text_any): MX, TXT, SRV,
// DNAME and the types rdata.cc has a shape for (HINFO, RP, AFSDB, NAPTR, KX, SSHFP, DHCID, TLSA, SMIMEA, OPENPGPKEY,
// SPF, URI, CAA) in their presentation form, any type in RFC 3597's generic form (TYPE65534 \# 2 abcd).
//
//   auto type = rrtype_from_text("DS");   // std::optional<RRType>
//   rrtype_to_text(RRType::kNs);          // "NS"
//   rrtype_to_text(RRType{65534});        // "TYPE65534"
//
// Reading a zonelet or a published zone accepts exactly the types of kAllRRTypes; any other is an error naming the
// line.
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
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
  kSrv = 33,
  kDname = 39,
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

// Read only in operators' own zones (`sign`, `verify-zone`), with these presentation forms.
inline constexpr RRType kOperatorZoneRRTypes[] = {RRType::kMx, RRType::kTxt, RRType::kSrv, RRType::kDname};

// The class every record of ours has (IN).
inline constexpr std::uint16_t kClassIn = 1;

// The mnemonic, or "TYPEnnn" for a code without one here (RFC 3597 §5).
std::string_view rrtype_to_text(RRType type);
// Accepts the mnemonic of a type of kAllRRTypes in any case; returns nothing for any other type.
std::optional<RRType> rrtype_from_text(std::string_view text);
// Accepts a code of kAllRRTypes; nothing otherwise.
std::optional<RRType> rrtype_from_code(std::uint16_t code);
// An operator's zone: the mnemonics of kAllRRTypes and kOperatorZoneRRTypes, and "TYPEnnn" for any code. Which
// types a zone may hold is the reader's business (zone.h), not this one's.
std::optional<RRType> rrtype_from_text_any(std::string_view text);
inline std::uint16_t rrtype_code(RRType type) { return static_cast<std::uint16_t>(type); }

}  // namespace rdnsprov::dns
