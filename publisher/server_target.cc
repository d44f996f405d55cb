#include "publisher/server_target.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "dns/atomic_file.h"

namespace rdnsprov::publisher {
namespace fs = std::filesystem;

namespace {

// After this many reloads in a row fail, the server is evidently not taking any: the rest wait for the next run
// instead of each waiting out its own timeout.
constexpr int kMaxFailuresInARow = 3;

std::string zone_text(const dns::Name& apex) { return apex.to_text_no_dot(); }

}  // namespace

ServerTarget::ServerTarget(std::string name, ServerTargetSettings settings)
    : ZoneDirectoryTarget(std::move(name), settings.directory), settings_(std::move(settings)) {
  if (settings_.zone_list.empty()) settings_.zone_list = settings_.directory / "zones.conf";
  if (settings_.server_directory.empty()) settings_.server_directory = settings_.directory;
}

fs::path ServerTarget::server_zone_file(const dns::Name& apex) const {
  return settings_.server_directory / (apex.to_text_no_dot() + ".zone");
}

ServerTarget::Pending ServerTarget::load_pending() const {
  Pending pending;
  std::error_code ec;
  if (!fs::exists(settings_.state_file, ec)) return pending;
  try {
    nlohmann::json j = nlohmann::json::parse(dns::read_file(settings_.state_file));
    for (const auto& z : j.at("pending_reload")) pending.zones.insert(z.get<std::string>());
    pending.reconfigure = j.at("reconfigure_pending").get<bool>();
  } catch (const std::exception& e) {
    // Not knowing what is pending, assume everything is: reloading a zone that is up to date is harmless.
    spdlog::warn("target {}: {} cannot be read ({}): every zone is reloaded", name(), settings_.state_file.string(),
                 e.what());
    pending.zones.insert("*");
    pending.reconfigure = true;
  }
  return pending;
}

void ServerTarget::save_pending(const Pending& pending) const {
  nlohmann::json j = {{"target", name()},
                      {"zone_list", settings_.zone_list.string()},
                      {"reconfigure_pending", pending.reconfigure},
                      {"pending_reload", pending.zones}};
  fs::create_directories(settings_.state_file.parent_path());
  dns::write_file_atomically(settings_.state_file, j.dump(2) + "\n");
}

void ServerTarget::publish(const ZoneRelease& zone) {
  ZoneDirectoryTarget::publish(zone);
  try {
    if (!pending_) pending_ = load_pending();
    // Remembered before the run goes on: a run that dies before finish() leaves the reload to the next one.
    if (pending_->zones.insert(zone_text(zone.apex)).second) save_pending(*pending_);
  } catch (const std::exception& e) {
    throw TargetError(fmt::format("target {}: zone {}: cannot record that it needs a reload: {}", name(),
                                  zone.apex.to_text(), e.what()));
  }
}

std::string ServerTarget::run(const std::vector<std::string>& argv) const {
  CommandOutcome outcome = run_program(argv, settings_.reload_timeout);
  std::string problem;
  if (!outcome.ok()) problem = outcome.describe();
  else problem = refusal(outcome);
  if (problem.empty()) {
    spdlog::debug("target {}: {}: ok", name(), command_text(argv));
    return {};
  }
  return fmt::format("`{}` failed: {}", command_text(argv), problem);
}

std::string ServerTarget::reload_zone(const std::string& zone) const {
  CommandTemplate command = settings_.reload_command.value_or(default_reload_command());
  auto apex = dns::Name::from_text(zone);
  std::string file = apex ? server_zone_file(*apex).string() : std::string();
  return run(command.expand({{"zone", zone}, {"file", file}}));
}

TargetReport ServerTarget::finish(const std::vector<dns::Name>& served) {
  TargetReport report{name(), {}};
  Pending pending;
  try {
    pending = pending_ ? *pending_ : load_pending();
  } catch (const std::exception& e) {
    report.problems.push_back(fmt::format("target {}: {}", name(), e.what()));
    return report;
  }
  std::set<std::string> served_names;
  for (const dns::Name& apex : served) served_names.insert(zone_text(apex));
  if (pending.zones.erase("*") > 0) pending.zones.insert(served_names.begin(), served_names.end());
  // A zone no longer served needs no reload.
  for (auto it = pending.zones.begin(); it != pending.zones.end();) {
    it = served_names.count(*it) ? std::next(it) : pending.zones.erase(it);
  }

  // 1. The zone list: every served zone whose file is here. A file that vanished from here (I-1), or a target added
  //    after the zone was last published, gets the published copy.
  std::vector<dns::Name> listed;
  for (const dns::Name& apex : served) {
    std::error_code ec;
    fs::path published = settings_.published_directory / (apex.to_text_no_dot() + ".zone");
    if (!fs::is_regular_file(zone_file(apex), ec) && !settings_.published_directory.empty() &&
        fs::is_regular_file(published, ec)) {
      try {
        fs::create_directories(directory());
        dns::write_file_atomically(zone_file(apex), dns::read_file(published));
        pending.zones.insert(zone_text(apex));
        save_pending(pending);
        spdlog::warn("target {}: zone {} was missing from {}: written from {}", name(), apex.to_text(),
                     directory().string(), published.string());
        report.events.emplace_back("target-zone-restored", nlohmann::json{{"target", name()},
                                                                         {"zone", apex.to_text()},
                                                                         {"file", zone_file(apex).string()}});
      } catch (const std::exception& e) {
        report.problems.push_back(fmt::format("target {}: zone {}: {}", name(), apex.to_text(), e.what()));
      }
    }
    if (fs::is_regular_file(zone_file(apex), ec)) {
      listed.push_back(apex);
    } else {
      report.problems.push_back(fmt::format(
          "target {}: zone {} is published but {} is missing; it is left out of the zone list until a run writes it",
          name(), apex.to_text(), zone_file(apex).string()));
    }
  }
  std::string text = zone_list_text(listed);
  std::optional<std::string> old_text;
  std::error_code exists_ec;
  try {
    if (fs::exists(settings_.zone_list, exists_ec)) old_text = dns::read_file(settings_.zone_list);
  } catch (const std::exception& e) {
    report.problems.push_back(fmt::format("target {}: cannot read the zone list: {}", name(), e.what()));
    return report;
  }
  std::vector<std::string> on_server = old_text ? listed_zones(*old_text) : std::vector<std::string>{};
  if (!(old_text && *old_text == text) && !(listed.empty() && on_server.empty())) {
    std::uint64_t before = on_server.size();
    std::uint64_t after = listed.size();
    safeguards::GateResult gate;
    bool overridable = true;
    if (after == 0) {
      gate = safeguards::GateResult{"zone-list", safeguards::Verdict::kHold,
                                    fmt::format("zones {} → 0: a zone list is never written empty (I-7)", before),
                                    {{"what", "zones"}, {"before", before}, {"after", after}}};
      overridable = false;
    } else {
      gate = safeguards::size_drop_gate("zone-list", "zones", before, after, settings_.list_drop);
    }
    bool overridden = gate.verdict == safeguards::Verdict::kHold && overridable && settings_.list_drop_override;
    nlohmann::json gate_event = gate.to_json();
    gate_event["target"] = name();
    gate_event["file"] = settings_.zone_list.string();
    if (overridden) gate_event["override"] = *settings_.list_drop_override;
    report.events.emplace_back("gate", gate_event);
    if (gate.verdict == safeguards::Verdict::kHold && !overridden) {
      report.held = true;
      report.problems.push_back(fmt::format(
          "target {}: zone list {} held by gate zone-list: {}; the server keeps the previous list{}", name(),
          settings_.zone_list.string(), gate.reason,
          overridable ? fmt::format(" (to publish it: run --allow-list-drop {} --reason TEXT)", name()) : ""));
    } else {
      try {
        fs::create_directories(settings_.zone_list.parent_path());
        dns::write_file_atomically(settings_.zone_list, text);
        pending.reconfigure = true;
        save_pending(pending);
        on_server.clear();
        for (const dns::Name& apex : listed) on_server.push_back(zone_text(apex));
        nlohmann::json event = {{"target", name()}, {"file", settings_.zone_list.string()}, {"before", before},
                                {"after", after}};
        if (overridden) event["override"] = *settings_.list_drop_override;
        report.events.emplace_back("zone-list", event);
        spdlog::info("target {}: zone list {} written ({} zones, was {})", name(), settings_.zone_list.string(), after,
                     before);
      } catch (const std::exception& e) {
        report.problems.push_back(fmt::format("target {}: cannot write the zone list: {}", name(), e.what()));
      }
    }
  }

  // 2. The server loads a changed list; 3. then reloads every pending zone it lists.
  auto save = [&] {
    try {
      save_pending(pending);
    } catch (const std::exception& e) {
      report.problems.push_back(fmt::format("target {}: cannot record the pending reloads: {}", name(), e.what()));
    }
  };
  if (pending.reconfigure) {
    std::string problem = run(settings_.reconfig_command.value_or(default_reconfig_command()).expand());
    if (!problem.empty()) {
      report.problems.push_back(fmt::format("target {}: loading the zone list: {}; {} zone reloads wait for the "
                                            "next run", name(), problem, pending.zones.size()));
      save();
      pending_ = pending;
      return report;
    }
    pending.reconfigure = false;
    save();
  }
  std::set<std::string> listed_now(on_server.begin(), on_server.end());
  std::vector<std::string> due;
  for (const std::string& z : pending.zones) {
    if (listed_now.count(z)) due.push_back(z);
  }
  std::vector<std::string> reloaded;
  CommandTemplate reload = settings_.reload_command.value_or(default_reload_command());
  if (!due.empty() && !reload.uses("zone")) {
    // One command reloads every zone (e.g. `knotc reload`).
    std::string problem = run(reload.expand());
    if (problem.empty()) reloaded = due;
    else report.problems.push_back(fmt::format("target {}: reloading {} zones: {}", name(), due.size(), problem));
  } else {
    int failures_in_a_row = 0;
    for (std::size_t i = 0; i < due.size(); ++i) {
      if (failures_in_a_row >= kMaxFailuresInARow) {
        report.problems.push_back(fmt::format("target {}: {} more zones not reloaded after {} failures in a row; they "
                                              "are reloaded by the next run", name(), due.size() - i,
                                              kMaxFailuresInARow));
        break;
      }
      std::string problem = reload_zone(due[i]);
      if (problem.empty()) {
        reloaded.push_back(due[i]);
        failures_in_a_row = 0;
      } else {
        ++failures_in_a_row;
        report.problems.push_back(fmt::format("target {}: reload of zone {}: {}", name(), due[i], problem));
      }
    }
  }
  for (const std::string& z : reloaded) pending.zones.erase(z);
  save();
  pending_ = pending;
  if (!reloaded.empty() || !pending.zones.empty()) {
    report.events.emplace_back("reload", nlohmann::json{{"target", name()},
                                                        {"reloaded", reloaded},
                                                        {"pending", std::vector<std::string>(pending.zones.begin(),
                                                                                             pending.zones.end())}});
  }
  if (!reloaded.empty()) spdlog::info("target {}: {} zones reloaded", name(), reloaded.size());
  return report;
}

}  // namespace rdnsprov::publisher
