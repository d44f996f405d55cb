// Placement: which served zone each delegation belongs to, and which delegations cannot be placed.
//
//   ServedZones served(apexes);
//   Placement placed = place_delegations(served, delegations, classless);
//   placed.delegations[zone];    // the plain delegations of that zone, in canonical order of child name
//   placed.classless[zone];      // its classless ranges (RFC 2317), likewise
//   placed.errors;               // one Reject per problem, naming every origin involved
//
// A delegation belongs to the served zone whose apex is its closest strict ancestor. It is not placed, and a
// placement error says why, when (checked in this order, each step on what survived the previous one):
//   1. on its own: it is outside every served zone, at the apex of a served zone, has no nameserver, has a glue
//      address for a host outside the delegated name, or a nameserver inside the delegated name without glue;
//      a classless range also when its name does not match its block and range, or one of its CNAME owners is
//      the apex of a served zone;
//   2. another delegation has the same child name (from another source): all of them are dropped;
//   3. it lies below another delegation of the same zone: the DNS would never reach it, so the covered one is
//      dropped and the covering one (the topmost) is kept;
//   4. RFC 2317: two classless ranges of the same /24 overlap (their CNAME owners would collide), or a
//      delegation lies at or below a CNAME owner a.Z.Y.X of a range: both sides are dropped.
// The pointers in the result point into the input spans, which must outlive it.
#pragma once

#include <span>
#include <vector>

#include "builder/served_zones.h"
#include "dns/delegation.h"

namespace rdnsprov::builder {

struct Placement {
  // Indexed like ServedZones.
  std::vector<std::vector<const dns::Delegation*>> delegations;
  std::vector<std::vector<const dns::ClasslessDelegation*>> classless;
  std::vector<dns::Reject> errors;  // in no particular order
};

Placement place_delegations(const ServedZones& served, std::span<const dns::Delegation> delegations,
                            std::span<const dns::ClasslessDelegation> classless);

}  // namespace rdnsprov::builder
