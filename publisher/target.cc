#include "publisher/target.h"

#include "dns/atomic_file.h"

namespace rdnsprov::publisher {

void ZoneDirectoryTarget::publish(const dns::Name& apex, const std::string& master_file) const {
  std::filesystem::create_directories(directory_);
  dns::write_file_atomically(zone_file(apex), master_file);
}

}  // namespace rdnsprov::publisher
