#include "dns/rrtype.h"

#include <strings.h>

namespace rdnsprov::dns {

std::string_view rrtype_to_text(RRType type) {
  switch (type) {
    case RRType::kA: return "A";
    case RRType::kNs: return "NS";
    case RRType::kCname: return "CNAME";
    case RRType::kSoa: return "SOA";
    case RRType::kPtr: return "PTR";
    case RRType::kAaaa: return "AAAA";
    case RRType::kDs: return "DS";
    case RRType::kRrsig: return "RRSIG";
    case RRType::kNsec: return "NSEC";
    case RRType::kDnskey: return "DNSKEY";
    case RRType::kNsec3: return "NSEC3";
    case RRType::kNsec3param: return "NSEC3PARAM";
    case RRType::kCds: return "CDS";
    case RRType::kCdnskey: return "CDNSKEY";
    case RRType::kZonemd: return "ZONEMD";
  }
  return "?";
}

std::optional<RRType> rrtype_from_text(std::string_view text) {
  for (RRType type : kAllRRTypes) {
    std::string_view name = rrtype_to_text(type);
    if (name.size() == text.size() && strncasecmp(name.data(), text.data(), text.size()) == 0) return type;
  }
  return std::nullopt;
}

std::optional<RRType> rrtype_from_code(std::uint16_t code) {
  for (RRType type : kAllRRTypes) {
    if (rrtype_code(type) == code) return type;
  }
  return std::nullopt;
}

}  // namespace rdnsprov::dns
