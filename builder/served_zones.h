// ServedZones: the apexes of the zones rdnsprov serves, indexed for "which served zone encloses this name".
//
//   ServedZones served(apexes);                 // `apexes` (distinct) must outlive `served`
//   served.zone_at(name);                       // index of the zone whose apex is `name`, if any
//   served.closest_enclosing(name);             // index of the zone whose apex is the closest strict ancestor
//
// Each lookup hashes the name's ancestors (suffixes of its wire form) against a table of apexes: O(labels) per
// name whatever the number of zones, so a million delegations across hundreds of zones place in linear time.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include "dns/name.h"

namespace rdnsprov::builder {

class ServedZones {
 public:
  explicit ServedZones(std::span<const dns::Name> apexes);

  std::size_t size() const { return apexes_.size(); }
  const dns::Name& apex(std::size_t zone) const { return apexes_[zone]; }

  // The zone whose apex is exactly `name`.
  std::optional<std::size_t> zone_at(const dns::Name& name) const { return zone_at_wire(name.wire()); }
  // The same for a name given in wire form (lower case, uncompressed, as dns::Name holds it).
  std::optional<std::size_t> zone_at_wire(std::string_view wire) const;
  // The zone whose apex is the longest suffix of `name` strictly above it: where a delegation of `name` belongs.
  std::optional<std::size_t> closest_enclosing(const dns::Name& name) const;

 private:
  std::span<const dns::Name> apexes_;
  std::unordered_map<std::string_view, std::size_t> by_wire_;
};

}  // namespace rdnsprov::builder
