#include "cli/targets.h"

#include <fmt/format.h>

#include <stdexcept>

#include "publisher/pdns_gpgsql.h"
#include "publisher/server_target.h"
#include "publisher/notify_target.h"

namespace rdnsprov::cli {

std::vector<std::unique_ptr<publisher::Target>> make_targets(const Config& config,
                                                             const std::map<std::string, std::string>& list_drop_overrides) {
  std::vector<std::unique_ptr<publisher::Target>> targets;
  for (const TargetConfig& t : config.targets) {
    if (t.type == "directory") {
      targets.push_back(std::make_unique<publisher::ZoneDirectoryTarget>(t.name, t.path));
      continue;
    }
    if (t.type == "notify") {
      publisher::QueryOptions options;
      options.timeout = std::chrono::seconds(t.timeout);
      options.retries = t.retries;
      targets.push_back(std::make_unique<publisher::NotifyTarget>(t.name, t.addresses, options));
      continue;
    }
    if (t.type == "pdns-gpgsql") {
      targets.push_back(std::make_unique<publisher::PdnsGpgsqlTarget>(
          t.name, publisher::PdnsGpgsqlSettings{t.conninfo, t.domain_type, t.pdns_control}));
      continue;
    }
    publisher::ServerTargetSettings settings = t.server;
    settings.directory = t.path;
    settings.state_file = config.state / "targets" / (t.name + ".json");
    settings.published_directory = config.state / "published";
    settings.list_drop = config.gates.list_entries;
    if (auto o = list_drop_overrides.find(t.name); o != list_drop_overrides.end()) settings.list_drop_override = o->second;
    if (t.type == "bind") {
      targets.push_back(std::make_unique<publisher::BindTarget>(t.name, std::move(settings)));
    } else if (t.type == "knot") {
      targets.push_back(std::make_unique<publisher::KnotTarget>(t.name, std::move(settings)));
    } else if (t.type == "nsd") {
      targets.push_back(std::make_unique<publisher::NsdTarget>(t.name, std::move(settings)));
    } else if (t.type == "pdns-bind") {
      targets.push_back(std::make_unique<publisher::PdnsBindTarget>(t.name, std::move(settings)));
    } else {
      throw std::runtime_error(fmt::format("{}: [target.{}] type {} is not known", t.location, t.name, t.type));
    }
  }
  return targets;
}

}  // namespace rdnsprov::cli
