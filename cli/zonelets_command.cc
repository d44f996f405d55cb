// `rdnsprov zonelets import` and `rdnsprov zonelets export`: the zonelet steps of `run`, on their own.
#include <unistd.h>

#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/pipeline.h"
#include "cli/zonelets_step.h"
#include "safeguards/freeze.h"
#include "safeguards/lock.h"
#include "safeguards/snapshot.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: rdnsprov [--config FILE] zonelets import | export [--allow-drop PEER --reason TEXT] | show\n"
    "import: for each [peer.NAME], checks the newest zonelet of each parent zone in the peer's incoming directory\n"
    "  (header digest and record count, names inside the parent zone and the peer's space, record types, TTLs,\n"
    "  the size-drop gate against the last accepted one) and stores what passes in STATE/zonelets/in/<peer>/,\n"
    "  after a snapshot of what it replaces. The next run builds with it. Refused files keep the last accepted one.\n"
    "export: reads our sources and writes, per peer and export-zone, a zonelet of our delegations into the peer's\n"
    "  outgoing directory (atomically, gated: never empty or sharply shrunk by accident; --allow-drop PEER\n"
    "  --reason TEXT overrides, journaled). A source that cannot be read exports nothing (exit 1).\n"
    "show: what import and export would do, writing nothing.\n"
    "Format and rules: docs/ZONELETS.md. Exit: 0 ok, 1 error, 2 usage/config, 4 a zonelet refused or an export\n"
    "held, 5 locked, 7 frozen (export only).\n";

std::string run_id(std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ::getpid());
}

int zonelets_import(const GlobalOptions& global, const Config& config) {
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); nothing imported", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  state.journal().set_context(run_id(global.now), global.now);
  state.journal().append("run-start", {{"command", "zonelets import"}, {"pid", ::getpid()}});
  ingest::IngestResult none;
  ZoneletStep step = prepare_zonelets(config, state.root(), global.now, none);
  if (replaces_accepted_zonelet(step)) {
    // Accepted zonelets are state (I-5): what they replace goes into a verified snapshot first.
    safeguards::Snapshot snapshot = safeguards::create_snapshot(state, global.now, "before zonelet import");
    state.journal().append("gate", {{"gate", "backup"}, {"verdict", "pass"}, {"snapshot", snapshot.id}});
  }
  commit_zonelet_imports(step, state);
  std::cout << zonelets::import_text(step.imports, 200);
  int code = step.imports.any_refused() ? kExitHeld : kExitOk;
  state.journal().append("run-end", {{"exit", code}, {"message", "zonelets import"}});
  return code;
}

int zonelets_export(const GlobalOptions& global, const Config& config, const std::vector<std::string>& allow_drop,
                    const std::string& reason) {
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); nothing exported", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  if (auto frozen = safeguards::frozen(state)) {
    spdlog::error("publication is frozen by {}: {}; nothing exported", frozen->who, frozen->reason);
    return kExitFrozen;
  }
  state.journal().set_context(run_id(global.now), global.now);
  state.journal().append("run-start", {{"command", "zonelets export"}, {"pid", ::getpid()}});
  ZoneletStep step;
  try {
    ingest::IngestResult ingested = read_sources(config);
    step = prepare_zonelets(config, state.root(), global.now, ingested);
  } catch (const std::exception& e) {
    // I-5: a run whose own sources failed exports nothing; the peers keep what they have.
    spdlog::error("{}; nothing exported", e.what());
    state.journal().append("run-end", {{"exit", kExitError}, {"message", e.what()}});
    return kExitError;
  }
  bool held = export_zonelets(config, step, state, global.now, zonelets::ExportWhen::kNow, allow_drop, reason);
  int code = held ? kExitHeld : kExitOk;
  state.journal().append("run-end", {{"exit", code}, {"message", "zonelets export"}});
  return code;
}

int zonelets_show(const GlobalOptions& global, const Config& config) {
  safeguards::StateDir state = safeguards::StateDir::open_read_only(config.state);
  ingest::IngestResult ingested = read_sources(config);
  ZoneletStep step = prepare_zonelets(config, state.root(), global.now, ingested);
  zonelets::ExportPlan exports =
      plan_zonelet_exports(config, step, state.root(), global.now, zonelets::ExportWhen::kNow);
  std::cout << zonelets::import_text(step.imports, 200) << zonelets::export_text(exports);
  return step.imports.any_refused() || exports.any_held() ? kExitHeld : kExitOk;
}

}  // namespace

int run_zonelets(const GlobalOptions& global, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& verb = args[0];
  po::options_description options("rdnsprov zonelets export");
  std::vector<std::string> allow_drop;
  std::string reason;
  options.add_options()("help,h", "this help")(
      "allow-drop", po::value(&allow_drop)->composing(), "write PEER's exports even if a gate holds them (repeatable)")(
      "reason", po::value(&reason), "why (required with --allow-drop; journaled)");
  po::variables_map vm;
  po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 1, args.end())).options(options).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << options;
    return kExitOk;
  }
  if (!allow_drop.empty() && (verb != "export" || reason.empty())) {
    throw po::error("--allow-drop is for zonelets export, and needs --reason TEXT (it is journaled)");
  }
  if (verb != "import" && verb != "export" && verb != "show") {
    std::cerr << "rdnsprov zonelets: expected import, export or show\n";
    return kExitUsage;
  }
  Config config = load_config(global.config_file);
  if (global.log_level.empty()) spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (config.peers.empty()) {
    spdlog::warn("no [peer.NAME] section in {}: nothing to do", global.config_file.string());
    return kExitOk;
  }
  if (verb == "import") return zonelets_import(global, config);
  if (verb == "export") return zonelets_export(global, config, allow_drop, reason);
  return zonelets_show(global, config);
}

}  // namespace rdnsprov::cli
