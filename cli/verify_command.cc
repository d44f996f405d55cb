// `rdnsprov verify`: does every [verify] server serve every published zone, as published?
#include <unistd.h>

#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/verification.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::cli {

int run_verify(const GlobalOptions& global, const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("rdnsprov verify");
  std::uint32_t deadline = 0;
  options.add_options()("help,h", "this help")(
      "deadline", po::value(&deadline), "seconds servers get to serve the published serials (default: [verify] deadline)")(
      "no-read-back", "only SOA serials and DNSKEY sets; no zone transfers")(
      "no-journal", "do not journal the servers that are not current");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] verify [--deadline SECONDS] [--no-read-back] [--no-journal]\n"
                 "Asks every server of [verify] servers for the SOA of every published zone (UDP, TCP when truncated),\n"
                 "again until each serves the published serial or the deadline passes; for signed zones checks that\n"
                 "the served DNSKEY set is the published one; with read-back on, transfers each zone (AXFR) and\n"
                 "compares it record by record with STATE/published/ (a refused transfer is noted, not an error).\n"
                 "Prints a table zone × server → published and served serial, state, read-back; journals a \"verify\"\n"
                 "event for each pair that is not current.\n"
                 "Exit: 0 every server serves every zone as published, 6 at least one lags, cannot be asked or serves\n"
                 "other content, 1 error (state unreadable), 2 usage or configuration (no [verify] servers).\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  Config config = load_config(global.config_file);
  if (global.log_level.empty()) spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (config.verify.servers.empty()) {
    spdlog::error("{}: [verify] servers is not set: there is nothing to verify", config.file.string());
    return kExitUsage;
  }
  if (vm.count("deadline")) config.verify.deadline = deadline;
  if (vm.count("no-read-back")) config.verify.read_back = false;
  safeguards::StateDir state = safeguards::StateDir::open_read_only(config.state);
  safeguards::Journal journal(state.journal().file());
  journal.set_context(fmt::format("verify-{}-{}", global.now, ::getpid()), global.now);
  bool journaled = !vm.count("no-journal");
  VerifyOutcome outcome;
  try {
    outcome = verify_published(config, state, {}, true, journaled ? &journal : nullptr, std::cout, true);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitError;
  }
  if (outcome.zones == 0) {
    spdlog::error("no published zone in {} to verify", config.state.string());
    return kExitError;
  }
  return outcome.problems > 0 ? kExitLagging : kExitOk;
}

}  // namespace rdnsprov::cli
