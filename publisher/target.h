// Publication targets: where zones that passed every gate go.
//
// A run hands each target every zone it publishes, then calls finish() once with every zone the target serves:
//
//   std::unique_ptr<Target> target = ...;                 // cli/targets.cc builds them from [target.NAME]
//   target->publish(release);                             // one zone, wholly or not at all
//   TargetReport report = target->finish(served_zones);   // zone list, reload, NOTIFY ...
//
// publish() writes one zone so that the server sees it wholly old or wholly new (an atomically renamed file, one
// database transaction). It throws TargetError, naming the target and the zone, when it cannot. finish() brings
// the server up to date with what was written (zone list files, reload commands, NOTIFY); its problems are
// collected in the report rather than thrown, because the zones are already out and the run goes on to
// verification: a target whose finish() failed is one whose servers may lag.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/name.h"
#include "dns/zone.h"

namespace rdnsprov::publisher {

// One zone as it goes out.
struct ZoneRelease {
  const dns::Name& apex;
  const std::string& master_file;  // the master file published (signed when the zone is signed), SOA first
  const dns::Zone& zone;           // the same content, records in canonical order
  std::uint32_t serial = 0;
  bool signed_zone = false;
};

// What finish() found, one line per problem; each names the target and the zone, file, command or server.
struct TargetReport {
  std::string target;
  std::vector<std::string> problems;
  bool held = false;  // a gate held the server's zone list: the server keeps the previous one (one of the problems)
  std::vector<std::pair<std::string, nlohmann::json>> events;  // journal entries: event name and fields
  bool ok() const { return problems.empty(); }
};

class TargetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Target {
 public:
  explicit Target(std::string name) : name_(std::move(name)) {}
  virtual ~Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const std::string& name() const { return name_; }
  // Writes one zone, wholly or not at all. Throws TargetError.
  virtual void publish(const ZoneRelease& zone) = 0;
  // After the zones of a run (also when none changed): `served` is every zone this target serves now.
  virtual TargetReport finish(const std::vector<dns::Name>& served) = 0;

 private:
  std::string name_;
};

// type = directory: DIR/<zone>.zone, each written atomically; nothing to reload.
class ZoneDirectoryTarget : public Target {
 public:
  ZoneDirectoryTarget(std::string name, std::filesystem::path directory)
      : Target(std::move(name)), directory_(std::move(directory)) {}
  const std::filesystem::path& directory() const { return directory_; }
  std::filesystem::path zone_file(const dns::Name& apex) const { return directory_ / (apex.to_text_no_dot() + ".zone"); }
  void publish(const ZoneRelease& zone) override;
  TargetReport finish(const std::vector<dns::Name>&) override { return TargetReport{name(), {}}; }

 private:
  std::filesystem::path directory_;
};

}  // namespace rdnsprov::publisher
