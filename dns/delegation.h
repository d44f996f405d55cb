// Delegation and ClasslessDelegation: what ingest (registry objects) and zonelets (peers) produce, and what the
// builder places into zones.
//
//   Delegation d;                     // 2.0.193.in-addr.arpa NS ns1.example.net, DS …
//   d.child = name; d.nameservers = {ns1, ns2}; d.ds = {rdata::ds(…)}; d.origin = origin;
//   d.normalise();                    // sorted, duplicates merged: equal content compares equal
//
//   ClasslessDelegation c;            // RFC 2317: 0-63.2.0.193.in-addr.arpa, addresses 0..63 of 2.0.193.in-addr.arpa
//   c.delegation.child = …; c.block = …; c.first = 0; c.last = 63;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/origin.h"
#include "dns/rrtype.h"

namespace rdnsprov::dns {

struct GlueAddress {
  Name host;               // a nameserver at or below the delegated name
  RRType type = RRType::kA;  // A or AAAA
  std::string address;     // 4 or 16 octets: the rdata
  friend bool operator==(const GlueAddress&, const GlueAddress&) = default;
  friend auto operator<=>(const GlueAddress& a, const GlueAddress& b) {
    if (auto c = a.host <=> b.host; c != 0) return c;
    if (auto c = rrtype_code(a.type) <=> rrtype_code(b.type); c != 0) return c;
    int c = a.address.compare(b.address);
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
  }
};

struct Delegation {
  Name child;                        // the delegated name (the child zone's apex)
  std::vector<Name> nameservers;     // at least one
  std::vector<GlueAddress> glue;     // only for nameservers at or below `child` (RPSL.md "nserver")
  std::vector<std::string> ds;       // DS rdata, wire form
  Origin origin;

  // Sorts and de-duplicates nameservers, glue and DS so that equal content compares equal.
  void normalise();
  // Same delegated name, nameservers, glue and DS (origins are not compared).
  bool same_content(const Delegation& other) const {
    return child == other.child && nameservers == other.nameservers && glue == other.glue && ds == other.ds;
  }
};

struct ClasslessDelegation {
  Delegation delegation;  // child = "first-last.Z.Y.X.in-addr.arpa"
  Name block;             // the /24: "Z.Y.X.in-addr.arpa"
  std::uint8_t first = 0;
  std::uint8_t last = 0;  // inclusive, first < last
};

// An object that did not become a delegation, or a delegation that could not be placed.
struct Reject {
  Origin origin;
  std::string key;     // the object key ("2.0.193.in-addr.arpa") or what stands for it
  std::string reason;  // what an operator reads
  std::string code;    // short stable category for counting ("too-many-octets", "glue-outside", …); may be empty
};

}  // namespace rdnsprov::dns
