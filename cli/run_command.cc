// `rdnsprov run`, `rdnsprov diff` and `rdnsprov rebuild`: the pipeline against the state directory.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/pipeline.h"
#include "cli/report.h"
#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "publisher/target.h"
#include "safeguards/freeze.h"
#include "safeguards/lock.h"
#include "safeguards/plan.h"
#include "safeguards/snapshot.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using safeguards::Action;

std::string run_id(std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ::getpid());
}

std::vector<safeguards::DropOverride> parse_overrides(const std::vector<std::string>& zones, const std::string& reason) {
  std::vector<safeguards::DropOverride> out;
  if (!zones.empty() && reason.empty()) throw po::error("--allow-drop needs --reason TEXT (it is journaled)");
  for (const std::string& z : zones) {
    auto name = dns::Name::from_text(z);
    if (!name) throw po::error(fmt::format("--allow-drop {}: {}", z, name.error()));
    out.push_back({*name, reason});
  }
  return out;
}

// What every publishing command computes: sources read, zones built, a plan against `state`.
struct Prepared {
  ingest::IngestResult ingested;
  builder::BuildResult built;
  safeguards::Plan plan;
};

Prepared prepare(const Config& config, const safeguards::StateDir& state, std::time_t now,
                 const std::vector<safeguards::DropOverride>& overrides,
                 const std::vector<std::pair<std::string, std::uint32_t>>& extra_live = {}) {
  Prepared p;
  p.ingested = read_sources(config);
  p.built = build_configured_zones(config, p.ingested, now);
  std::vector<safeguards::ZoneCandidate> candidates;
  for (const builder::BuiltZone& z : p.built.zones) {
    safeguards::ZoneCandidate c;
    c.built = &z;
    for (const ZoneConfig& zc : config.zones) {
      if (zc.spec.apex != z.zone.apex()) continue;
      c.serial_policy = zc.serial_policy;
      if (zc.observed_serial) c.live_serials.emplace_back("observed-serial", dns::Serial(*zc.observed_serial));
    }
    for (const auto& [label, serial] : extra_live) {
      if (label == z.zone.apex().to_text()) c.live_serials.emplace_back("current state", dns::Serial(serial));
    }
    candidates.push_back(std::move(c));
  }
  p.plan = safeguards::make_plan(state, candidates, config.gates, overrides, now);
  return p;
}

void journal_plan(safeguards::Journal& journal, const safeguards::Plan& plan) {
  for (const safeguards::ZonePlan& z : plan.zones) {
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : z.gates) gates.push_back(g.to_json());
    journal.append("zone", {{"zone", z.apex.to_text()},
                            {"action", safeguards::action_name(z.action)},
                            {"serial", z.serial.value()},
                            {"published_serial", z.published_serial ? nlohmann::json(z.published_serial->value())
                                                                    : nlohmann::json()},
                            {"added", z.diff.added()},
                            {"removed", z.diff.removed()},
                            {"changed", z.diff.changed()},
                            {"delegations", z.diff.delegations_after},
                            {"gates", gates}});
    if (!z.published_problem.empty()) {
      journal.append("published-copy-problem", {{"zone", z.apex.to_text()}, {"problem", z.published_problem}});
    }
    for (const std::string& o : z.overrides) {
      journal.append("override", {{"zone", z.apex.to_text()},
                                  {"override", o},
                                  {"delegations_before", z.diff.delegations_before},
                                  {"delegations_after", z.diff.delegations_after},
                                  {"records_before", z.diff.records_before},
                                  {"records_after", z.diff.records_after}});
    }
  }
  journal.append("gate", plan.total_drop.to_json());
  // I-1: the set published is compared with the set configured on every run; leaving a zone alone is a decision.
  for (const std::string& z : plan.unconfigured) {
    journal.append("zone-not-configured", {{"zone", z}, {"action", "left as it is"}});
  }
}

void log_plan(const safeguards::Plan& plan) {
  for (const safeguards::ZonePlan& z : plan.zones) {
    if (!z.published_problem.empty()) {
      spdlog::error("zone {}: {}; rebuilding and republishing it", z.apex.to_text(), z.published_problem);
    }
    for (const auto& g : z.gates) {
      if (g.verdict != safeguards::Verdict::kPass) {
        spdlog::warn("zone {} held by gate {}: {}", z.apex.to_text(), g.gate, g.reason);
      }
    }
  }
  for (const std::string& z : plan.unconfigured) {
    spdlog::warn("zone {} was published earlier but is no longer configured: left as it is", z);
  }
}

// Writes a passing zone to the state and to every target; journals it.
void publish_zone(safeguards::StateDir& state, const Config& config, const safeguards::ZonePlan& z, std::time_t now) {
  std::string text = dns::to_master_file(z.candidate);
  safeguards::PublishedMeta meta;
  meta.serial = z.serial.value();
  safeguards::ZoneFacts facts = safeguards::zone_facts(z.candidate);
  meta.records = z.candidate.records().size();
  meta.delegations = facts.delegations.size();
  meta.file_sha256 = dns::to_hex(dns::sha256(text), false);
  meta.content_sha256 = facts.content_sha256;
  meta.published_at = now;
  // Targets first, then the state: the state records what is out there, never more.
  for (const TargetConfig& t : config.targets) {
    publisher::ZoneDirectoryTarget target(t.name, t.path);
    target.publish(z.apex, text);
  }
  state.write_published(z.apex, text, meta);
  state.journal().append("publish", {{"zone", z.apex.to_text()},
                                     {"serial", meta.serial},
                                     {"delegations", meta.delegations},
                                     {"records", meta.records},
                                     {"sha256", meta.file_sha256},
                                     {"targets", config.targets.size()}});
  spdlog::info("published {} serial {} ({} delegations)", z.apex.to_text(), meta.serial, meta.delegations);
}

// A run killed between writing a temporary file and renaming it over its target leaves the temporary file behind
// (dns::write_file_atomically names it ".<file>.tmp.XXXXXX"). Under the lock nobody else writes them: remove
// those of zone files and their metadata, so that crashes do not pile up copies of whole zones.
void remove_leftover_temporaries(const fs::path& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(".") || !entry.is_regular_file(ec)) continue;
    if (name.find(".zone.tmp.") == std::string::npos && name.find(".json.tmp.") == std::string::npos) continue;
    if (fs::remove(entry.path(), ec)) spdlog::warn("removed {}, left by an interrupted run", entry.path().string());
  }
}

std::string who() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v && *v) return v;
  }
  return fmt::format("uid {}", ::getuid());
}

Config load(const GlobalOptions& global) {
  Config config = load_config(global.config_file);
  if (global.log_level.empty()) spdlog::set_level(spdlog::level::from_str(config.log_level));
  return config;
}

}  // namespace

int run_run(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov run");
  std::vector<std::string> allow_drop;
  std::string reason;
  options.add_options()("help,h", "this help")(
      "allow-drop", po::value(&allow_drop)->composing(), "publish ZONE even if its empty-zone or size-drop gate holds (repeatable)")(
      "reason", po::value(&reason), "why (required with --allow-drop; journaled)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] run [--allow-drop ZONE --reason TEXT]\n"
                 "The hourly run: takes the lock, honours the freeze, reads every source, builds every zone, gates each\n"
                 "against its published copy, writes a verified snapshot of what it replaces, publishes the zones that\n"
                 "pass, and journals every decision in STATE/journal.jsonl. A held zone keeps its published version.\n"
                 "Exit: 0 ok, 1 error (nothing published), 2 usage/config, 4 held, 5 locked, 7 frozen.\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  Config config = load(global);
  auto overrides = parse_overrides(allow_drop, reason);
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock {} ({}); this one does nothing", state.lock_file().string(),
                  safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  if (auto frozen = safeguards::frozen(state)) {
    spdlog::error("publication is frozen since {} by {}: {} (rdnsprov thaw ends it); nothing was published",
                  frozen->since, frozen->who, frozen->reason);
    return kExitFrozen;
  }
  remove_leftover_temporaries(state.published_dir());
  for (const TargetConfig& t : config.targets) remove_leftover_temporaries(t.path);
  state.journal().set_context(run_id(global.now), global.now);
  state.journal().append("run-start", {{"command", "run"}, {"pid", ::getpid()}, {"config", global.config_file.string()}});
  auto finish = [&](int code, const std::string& message) {
    state.journal().append("run-end", {{"exit", code}, {"message", message}});
    return code;
  };
  Prepared p;
  try {
    p = prepare(config, state, global.now, overrides);
  } catch (const std::exception& e) {
    spdlog::error("{}; nothing was published", e.what());
    return finish(kExitError, e.what());
  }
  log_plan(p.plan);
  journal_plan(state.journal(), p.plan);
  // I-6: a delegation that cannot be placed is an error in the report, never a silent drop.
  for (const dns::Reject& e : p.built.placement_errors) {
    spdlog::error("{} {}: not placed in any zone: {}", e.origin.to_string(), e.key, e.reason);
    state.journal().append("placement-error", {{"key", e.key}, {"origin", e.origin.to_string()}, {"reason", e.reason}});
  }
  std::size_t published = 0;
  if (p.plan.any_publish()) {
    // The backup gate: nothing is published unless what it replaces is in a verified snapshot (I-2).
    try {
      safeguards::Snapshot snapshot = safeguards::create_snapshot(state, global.now, "before publication by run");
      state.journal().append("gate", {{"gate", "backup"}, {"verdict", "pass"}, {"snapshot", snapshot.id},
                                      {"files", snapshot.files.size()}});
    } catch (const std::exception& e) {
      spdlog::error("backup gate: cannot write a verified snapshot: {}; nothing was published", e.what());
      state.journal().append("gate", {{"gate", "backup"}, {"verdict", "error"}, {"reason", e.what()}});
      return finish(kExitError, std::string("backup gate: ") + e.what());
    }
    for (const safeguards::ZonePlan& z : p.plan.zones) {
      if (z.action != Action::kPublish) continue;
      publish_zone(state, config, z, global.now);
      ++published;
    }
  }
  try {
    for (const std::string& id : safeguards::apply_retention(state, config.retention, global.now)) {
      state.journal().append("snapshot-removed", {{"snapshot", id}});
    }
  } catch (const std::exception& e) {
    spdlog::warn("snapshot retention: {}", e.what());
  }
  std::size_t held = static_cast<std::size_t>(
      std::count_if(p.plan.zones.begin(), p.plan.zones.end(), [](const auto& z) { return z.held(); }));
  std::string summary = fmt::format("{} zones: {} published, {} held, {} unchanged; {} rejects, {} placement errors",
                                    p.plan.zones.size(), published, held, p.plan.zones.size() - published - held,
                                    p.ingested.rejects.size(), p.built.placement_errors.size());
  (held ? spdlog::warn(summary) : spdlog::info(summary));
  return finish(held ? kExitHeld : kExitOk, summary);
}

int run_diff(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov diff");
  std::string format = "text";
  std::size_t max_lines = 200;
  std::vector<std::string> allow_drop;
  std::string reason;
  options.add_options()("help,h", "this help")("format", po::value(&format), "text (default) or json")(
      "max-lines", po::value(&max_lines), "at most this many change lines per zone in text (0: all; default 200)")(
      "allow-drop", po::value(&allow_drop)->composing(), "as for run: show the plan with this override")(
      "reason", po::value(&reason), "as for run");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] diff [--format text|json] [--max-lines N]\n"
                 "Dry run: reads the sources, builds every zone and gates it against the published state; prints per\n"
                 "zone the delegations added (+), removed (-) and changed (~) with their origins, the RFC 2317 CNAMEs\n"
                 "added and removed, the new serial and every gate's verdict. Writes nothing at all.\n"
                 "Exit: 0 no change, 3 changes that would all publish, 4 something would be held, 1 error, 2 usage.\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  if (format != "text" && format != "json") throw po::error("--format must be text or json");
  Config config = load(global);
  auto overrides = parse_overrides(allow_drop, reason);
  safeguards::StateDir state = safeguards::StateDir::open_read_only(config.state);
  Prepared p = prepare(config, state, global.now, overrides);
  if (format == "json") {
    nlohmann::json j = safeguards::plan_json(p.plan);
    j["rejects"] = p.ingested.rejects.size();
    j["placement_errors"] = p.built.placement_errors.size();
    if (auto f = safeguards::frozen(state)) j["frozen"] = {{"reason", f->reason}, {"who", f->who}, {"since", f->since}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << safeguards::plan_text(p.plan, max_lines);
    if (auto f = safeguards::frozen(state)) {
      std::cout << fmt::format("! publication is frozen by {}: {} — run would publish nothing\n", f->who, f->reason);
    }
  }
  if (p.plan.any_hold()) return kExitHeld;
  return p.plan.any_publish() ? kExitChanges : kExitOk;
}

int run_rebuild(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov rebuild");
  std::string snapshot_id;
  std::vector<std::string> allow_drop;
  std::string reason;
  options.add_options()("help,h", "this help")("from-snapshot", po::value(&snapshot_id)->required(),
                                                "the snapshot to start from (rdnsprov snapshots list)")(
      "publish", "publish the result if every gate passes (default: show the diff only)")(
      "allow-drop", po::value(&allow_drop)->composing(), "as for run")("reason", po::value(&reason), "as for run");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] rebuild --from-snapshot ID [--publish]\n"
                 "Cold start: verifies the snapshot, restores its published zones, serials and imported zonelets into\n"
                 "STATE/staging/, rebuilds every zone from the sources, and shows the diff against the snapshot.\n"
                 "Publishes nothing unless --publish is given and every gate passes; serials continue forward of the\n"
                 "snapshot, the current state and the observed live serials.\n"
                 "Exit: 0 ok (or nothing to do), 1 error, 2 usage, 3 changes shown (without --publish), 4 held,\n"
                 "5 locked, 7 frozen.\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  Config config = load(global);
  auto overrides = parse_overrides(allow_drop, reason);
  bool publish = vm.count("publish") > 0;
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); nothing done", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  if (publish) {
    if (auto frozen = safeguards::frozen(state)) {
      spdlog::error("publication is frozen by {}: {}; nothing was published", frozen->who, frozen->reason);
      return kExitFrozen;
    }
  }
  state.journal().set_context(run_id(global.now), global.now);
  state.journal().append("run-start", {{"command", "rebuild"}, {"snapshot", snapshot_id}, {"publish", publish}});
  auto finish = [&](int code, const std::string& message) {
    state.journal().append("run-end", {{"exit", code}, {"message", message}});
    return code;
  };
  fs::path staging = state.staging_dir() / ("rebuild-" + run_id(global.now));
  safeguards::Snapshot snapshot;
  try {
    snapshot = safeguards::restore_snapshot(state, snapshot_id, staging);
    dns::write_file_atomically(staging / "FORMAT", fmt::format("{}\n", safeguards::kStateFormat));
  } catch (const std::exception& e) {
    spdlog::error("cannot restore snapshot {}: {}; nothing was published", snapshot_id, e.what());
    fs::remove_all(staging);
    return finish(kExitError, e.what());
  }
  state.journal().append("rebuild", {{"snapshot", snapshot.id}, {"files", snapshot.files.size()},
                                     {"staging", staging.string()}});
  safeguards::StateDir staged = safeguards::StateDir::open(staging);
  // Serials move forward of whatever the current state published too (it may be ahead of the snapshot).
  std::vector<std::pair<std::string, std::uint32_t>> current;
  for (const dns::Name& apex : state.published_zones()) {
    auto z = state.published(apex);
    if (z && z->meta) current.emplace_back(apex.to_text(), z->meta->serial);
  }
  Prepared p;
  try {
    p = prepare(config, staged, global.now, overrides, current);
  } catch (const std::exception& e) {
    spdlog::error("{}; nothing was published", e.what());
    fs::remove_all(staging);
    return finish(kExitError, e.what());
  }
  std::cout << fmt::format("rebuild from snapshot {} (taken {}; {})\n", snapshot.id, snapshot.created, snapshot.reason);
  std::cout << safeguards::plan_text(p.plan, 200);
  journal_plan(state.journal(), p.plan);
  if (p.plan.any_hold()) {
    spdlog::warn("at least one zone is held: nothing is published by rebuild");
    fs::remove_all(staging);
    return finish(kExitHeld, "held");
  }
  if (!publish) {
    fs::remove_all(staging);
    bool changes = p.plan.any_publish();
    std::cout << (changes ? "rebuild --publish would publish the zones marked WOULD PUBLISH\n"
                          : "the sources give exactly the snapshot's zones\n");
    return finish(changes ? kExitChanges : kExitOk, "shown, not published");
  }
  try {
    safeguards::Snapshot backup = safeguards::create_snapshot(state, global.now, "before rebuild --publish");
    state.journal().append("gate", {{"gate", "backup"}, {"verdict", "pass"}, {"snapshot", backup.id}});
  } catch (const std::exception& e) {
    spdlog::error("backup gate: {}; nothing was published", e.what());
    fs::remove_all(staging);
    return finish(kExitError, std::string("backup gate: ") + e.what());
  }
  // Imported zonelets come back with the snapshot: they are state (I-5).
  if (fs::exists(staged.zonelets_in_dir())) {
    for (const auto& entry : fs::recursive_directory_iterator(staged.zonelets_in_dir())) {
      if (!entry.is_regular_file()) continue;
      fs::path target = state.zonelets_in_dir() / fs::relative(entry.path(), staged.zonelets_in_dir());
      fs::create_directories(target.parent_path());
      dns::write_file_atomically(target, dns::read_file(entry.path()));
    }
  }
  std::size_t published = 0;
  for (const safeguards::ZonePlan& z : p.plan.zones) {
    // Unchanged against the snapshot still has to reach the current state if it differs there.
    auto current_copy = state.published(z.apex);
    std::string text = dns::to_master_file(z.candidate);
    if (z.action == Action::kUnchanged && current_copy && current_copy->intact() &&
        current_copy->text == text) {
      continue;
    }
    publish_zone(state, config, z, global.now);
    ++published;
  }
  fs::remove_all(staging);
  std::string summary = fmt::format("rebuild from {}: {} zones published", snapshot.id, published);
  spdlog::info(summary);
  return finish(kExitOk, summary);
}

int run_snapshots(const GlobalOptions& global, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << "Usage: rdnsprov [--config FILE] snapshots list | verify [ID] | show ID\n"
                 "list: every snapshot, newest first; verify: re-reads every file of one snapshot (or all) and checks\n"
                 "its SHA-256 against the manifest; show: the manifest.\nExit: 0 ok, 1 a snapshot does not verify, 2 usage.\n";
    return args.empty() ? kExitUsage : kExitOk;
  }
  Config config = load(global);
  safeguards::StateDir state = safeguards::StateDir::open_read_only(config.state);
  const std::string& verb = args[0];
  if (verb == "list") {
    for (const safeguards::Snapshot& s : safeguards::list_snapshots(state)) {
      std::cout << fmt::format("{}  {:>4} files  {} zones  {}\n", s.id, s.files.size(), s.serials.size(), s.reason);
    }
    return kExitOk;
  }
  if (verb == "verify") {
    std::vector<std::string> ids;
    if (args.size() > 1) ids.push_back(args[1]);
    else for (const auto& s : safeguards::list_snapshots(state)) ids.push_back(s.id);
    int code = kExitOk;
    for (const std::string& id : ids) {
      safeguards::SnapshotCheck check = safeguards::verify_snapshot(state, id);
      std::cout << fmt::format("{}  {}\n", id, check.ok ? "ok" : "FAILED");
      for (const std::string& problem : check.problems) std::cout << "  " << problem << "\n";
      if (!check.ok) code = kExitError;
    }
    return code;
  }
  if (verb == "show" && args.size() == 2) {
    safeguards::SnapshotCheck check = safeguards::verify_snapshot(state, args[1]);
    fs::path manifest = state.snapshots_dir() / args[1] / "manifest.json";
    if (args[1].find('/') != std::string::npos || !fs::exists(manifest)) {
      spdlog::error("no snapshot {}", args[1]);
      return kExitError;
    }
    std::cout << dns::read_file(manifest);
    std::cout << (check.ok ? "verified: ok\n" : "verified: FAILED\n");
    return check.ok ? kExitOk : kExitError;
  }
  std::cerr << "rdnsprov snapshots: expected list, verify [ID] or show ID\n";
  return kExitUsage;
}

int run_freeze(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov freeze");
  std::string reason;
  options.add_options()("help,h", "this help")("reason", po::value(&reason)->required(), "why (journaled)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] freeze --reason TEXT\n"
                 "Stops every publication (run exits 7) until rdnsprov thaw. Journaled with who and why.\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  Config config = load(global);
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  state.journal().set_context(run_id(global.now), global.now);
  safeguards::freeze(state, reason, who(), global.now);
  std::cout << "publication frozen: " << reason << "\n";
  return kExitOk;
}

int run_thaw(const GlobalOptions& global, const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cout << "Usage: rdnsprov [--config FILE] thaw\nEnds a freeze; the next run publishes again.\n";
    return args[0] == "--help" || args[0] == "-h" ? kExitOk : kExitUsage;
  }
  Config config = load(global);
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  state.journal().set_context(run_id(global.now), global.now);
  if (!safeguards::thaw(state, who())) {
    std::cout << "publication was not frozen\n";
    return kExitOk;
  }
  std::cout << "publication thawed\n";
  return kExitOk;
}

}  // namespace rdnsprov::cli
