// Publication targets: where zones that passed every gate go.
//
//   ZoneDirectoryTarget target("hidden-primary", "/var/lib/bind/rdnsprov");
//   target.publish(apex, master_file_text);          // DIR/<zone>.zone, written atomically
//
// A server reading the directory sees each zone file wholly old or wholly new (dns::write_file_atomically).
#pragma once

#include <filesystem>
#include <string>

#include "dns/name.h"

namespace rdnsprov::publisher {

class ZoneDirectoryTarget {
 public:
  ZoneDirectoryTarget(std::string name, std::filesystem::path directory)
      : name_(std::move(name)), directory_(std::move(directory)) {}
  const std::string& name() const { return name_; }
  const std::filesystem::path& directory() const { return directory_; }
  std::filesystem::path zone_file(const dns::Name& apex) const { return directory_ / (apex.to_text_no_dot() + ".zone"); }
  // Throws std::system_error naming the file.
  void publish(const dns::Name& apex, const std::string& master_file) const;

 private:
  std::string name_;
  std::filesystem::path directory_;
};

}  // namespace rdnsprov::publisher
