#include "builder/served_zones.h"

#include <cassert>

namespace rdnsprov::builder {

ServedZones::ServedZones(std::span<const dns::Name> apexes) : apexes_(apexes) {
  by_wire_.reserve(apexes.size() * 2);
  for (std::size_t i = 0; i < apexes.size(); ++i) {
    [[maybe_unused]] bool inserted = by_wire_.emplace(apexes[i].wire(), i).second;
    assert(inserted && "ServedZones: apexes must be distinct");
  }
}

std::optional<std::size_t> ServedZones::zone_at_wire(std::string_view wire) const {
  auto it = by_wire_.find(wire);
  if (it == by_wire_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> ServedZones::closest_enclosing(const dns::Name& name) const {
  std::string_view wire = name.wire();
  // Walk up from the parent: every suffix of the wire form that starts at a label boundary is an ancestor.
  std::size_t pos = 0;
  while (wire[pos] != 0) {
    pos += 1 + static_cast<unsigned char>(wire[pos]);
    if (auto zone = zone_at_wire(wire.substr(pos))) return zone;
  }
  return std::nullopt;
}

}  // namespace rdnsprov::builder
