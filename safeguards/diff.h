// ZoneDiff: what publishing a candidate would change, delegation by delegation, with origins.
//
//   ZoneDiff d = diff_zone(published_facts_or_null, candidate_facts, placed_delegations, placed_classless);
//   for (const DelegationChange& c : d.changes) …   // added / removed / changed (nameservers, DS, glue)
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/delegation.h"
#include "safeguards/zone_facts.h"

namespace rdnsprov::safeguards {

struct DelegationChange {
  enum class Kind { kAdded, kRemoved, kChanged };
  Kind kind = Kind::kAdded;
  dns::Name child;
  DelegationFacts before;   // empty for kAdded
  DelegationFacts after;    // empty for kRemoved
  std::string origin;       // where the candidate's delegation came from (empty for kRemoved)
};

struct CnameChange {
  bool added = true;        // false: removed
  dns::Name owner;
  dns::Name target;
};

struct ZoneDiff {
  std::vector<DelegationChange> changes;   // canonical order of child
  std::vector<CnameChange> cnames;         // canonical order of owner
  std::uint64_t delegations_before = 0;
  std::uint64_t delegations_after = 0;
  std::uint64_t records_before = 0;
  std::uint64_t records_after = 0;
  bool content_changed = false;            // any record other than the SOA serial differs
  std::uint64_t added() const;
  std::uint64_t removed() const;
  std::uint64_t changed() const;
};

// `published` may be null (never published, or its copy is unusable: everything is "added").
ZoneDiff diff_zone(const ZoneFacts* published, const ZoneFacts& candidate, std::span<const dns::Delegation> placed,
                   std::span<const dns::ClasslessDelegation> placed_classless);

// Human lines ("  + child  NS a, b  DS …  [origin]") and the JSON form of a diff.
std::string diff_text(const ZoneDiff& diff, std::size_t max_lines = 0);
nlohmann::json diff_json(const ZoneDiff& diff);

}  // namespace rdnsprov::safeguards
