// Record: one resource record of class IN, its rdata in canonical wire form (see rdata.h).
//
//   Record r{owner, RRType::kNs, 86400, rdata::ns(host)};
//   std::sort(records.begin(), records.end());   // canonical order: owner (RFC 4034 §6.1), type, rdata (§6.3)
//   std::string line = master_line(r);          // "owner.\t86400\tIN\tNS\thost.\n"
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "dns/name.h"
#include "dns/rrtype.h"

namespace rdnsprov::dns {

struct Record {
  Name owner;
  RRType type = RRType::kA;
  std::uint32_t ttl = 0;
  std::string rdata;  // uncompressed wire form, names lower-case

  friend bool operator==(const Record& a, const Record& b) = default;
  // Canonical order: owner name, then type code, then rdata as an unsigned octet string. TTL is not part of it.
  friend std::strong_ordering operator<=>(const Record& a, const Record& b) {
    if (auto c = a.owner <=> b.owner; c != 0) return c;
    if (auto c = rrtype_code(a.type) <=> rrtype_code(b.type); c != 0) return c;
    if (int c = a.rdata.compare(b.rdata); c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
    return a.ttl <=> b.ttl;
  }
};

// One master-file line: absolute owner, TTL, class, type, rdata, newline.
void append_master_line(std::string& out, const Record& record);
std::string master_line(const Record& record);

}  // namespace rdnsprov::dns
