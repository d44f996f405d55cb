#include "cli/targets.h"

#include <fmt/format.h>

#include <stdexcept>

#include "publisher/notify_target.h"

namespace rdnsprov::cli {

std::vector<std::unique_ptr<publisher::Target>> make_targets(const Config& config) {
  std::vector<std::unique_ptr<publisher::Target>> targets;
  for (const TargetConfig& t : config.targets) {
    if (t.type == "directory") {
      targets.push_back(std::make_unique<publisher::ZoneDirectoryTarget>(t.name, t.path));
    } else if (t.type == "notify") {
      publisher::QueryOptions options;
      options.timeout = std::chrono::seconds(t.timeout);
      options.retries = t.retries;
      targets.push_back(std::make_unique<publisher::NotifyTarget>(t.name, t.addresses, options));
    } else {
      throw std::runtime_error(fmt::format("{}: [target.{}] type {} is not known", t.location, t.name, t.type));
    }
  }
  return targets;
}

}  // namespace rdnsprov::cli
