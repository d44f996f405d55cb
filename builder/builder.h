// Builder: places every delegation in the closest enclosing served zone and builds each zone's records.
//
//   std::vector<ZoneSpec> specs = …;                                  // from the configuration
//   BuildResult built = build_zones(specs, delegations, classless, dns::Serial(2026112401));
//   for (const BuiltZone& z : built.zones) write(to_master_file(z.zone));
//   for (const dns::Reject& e : built.placement_errors) report(e);   // never a silent drop
//
// Per zone: SOA, apex NS (and in-zone addresses of apex nameservers), and for each delegation placed in it NS,
// DS and glue; for each classless range (RFC 2317) its own delegation A-B.Z.Y.X plus a CNAME
// a.Z.Y.X -> a.A-B.Z.Y.X for every address a of the range. Output is in canonical order and deterministic.
//
// Placement errors (each names the origins involved; the rules and their order are in builder/placement.h):
// outside every served zone; at the apex of a served zone; no nameserver; a glue address outside the delegated
// name, or an in-child nameserver without glue; below another delegation (the DNS would never reach it: the
// covered one is dropped); colliding with another delegation of the same name or with another range's CNAMEs
// (both dropped). Problems with a zone's own configuration are reported with origin "[config] zone APEX": an
// apex nameserver inside the zone without an address in `nameserver_addresses`, no apex nameserver, and a
// second spec for an apex already configured (only the first spec in input order is built: the configuration
// loader should have refused it). Placement errors come sorted by key, origin and reason.
//
// Addresses of apex nameservers (`nameserver_addresses`) that lie inside the zone are served with `ns_ttl`;
// those outside it are not this zone's data and are left out.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "builder/zone_spec.h"
#include "dns/delegation.h"
#include "dns/serial.h"
#include "dns/zone.h"

namespace rdnsprov::builder {

struct ZoneCounts {
  std::uint64_t delegations = 0;   // zone cuts (plain delegations + classless ranges)
  std::uint64_t classless = 0;     // classless ranges among them
  std::uint64_t cnames = 0;        // RFC 2317 CNAME records
  std::uint64_t ds = 0;            // DS records
  std::uint64_t glue = 0;          // A/AAAA glue records
  std::uint64_t records = 0;       // every record of the zone
};

struct BuiltZone {
  dns::Zone zone;
  ZoneCounts counts;
  // The delegations placed in this zone (for completeness checks and diffs), sorted by child name.
  std::vector<dns::Delegation> delegations;
  std::vector<dns::ClasslessDelegation> classless;
};

struct BuildResult {
  std::vector<BuiltZone> zones;            // one per distinct spec apex, in canonical order of apex
  std::vector<dns::Reject> placement_errors;
};

BuildResult build_zones(std::span<const ZoneSpec> specs, std::span<const dns::Delegation> delegations,
                        std::span<const dns::ClasslessDelegation> classless, dns::Serial serial);

}  // namespace rdnsprov::builder
