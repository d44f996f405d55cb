#include "publisher/target.h"

#include <fmt/format.h>

#include <system_error>

#include "dns/atomic_file.h"

namespace rdnsprov::publisher {

void ZoneDirectoryTarget::publish(const ZoneRelease& zone) {
  try {
    std::filesystem::create_directories(directory_);
    dns::write_file_atomically(zone_file(zone.apex), zone.master_file);
  } catch (const std::exception& e) {
    throw TargetError(fmt::format("target {}: zone {}: {}", name(), zone.apex.to_text(), e.what()));
  }
}

}  // namespace rdnsprov::publisher
