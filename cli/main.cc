// rdnsprov: the reverse-DNS provisioning pipeline of a regional Internet registry.
#include <chrono>
#include <iostream>
#include <system_error>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/logging.h"
#include "ingest/postgres_source.h"

namespace po = boost::program_options;
using namespace rdnsprov::cli;

namespace {

void print_usage(const po::options_description& global) {
  std::cout << "Usage: rdnsprov [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS]\n\nCommands:\n";
  for (const Command& c : commands()) std::cout << fmt::format("  {:<12} {}\n", c.name, c.summary);
  std::cout << "\n" << global << "\n";
  std::cout << "Exit codes (every command):\n"
               "  0  success; for diff: no change\n"
               "  1  error: nothing was published\n"
               "  2  usage or configuration error\n"
               "  3  diff only: there are changes, and all of them would publish\n"
               "  4  held: at least one zone, zone list or export was held by a gate\n"
               "  5  locked: another run holds the lock; this one did nothing\n"
               "  6  published, but at least one server does not serve the new serial yet\n"
               "  7  frozen: publication is frozen; nothing was published\n"
               "\n`rdnsprov COMMAND --help` describes each command. docs/ holds the configuration reference.\n";
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description global("Global options");
  std::string config_file = "/etc/rdnsprov/rdnsprov.conf";
  std::string log_level;
  std::int64_t now = 0;
  global.add_options()("help,h", "this help")("version", "print the version")(
      "config,c", po::value(&config_file), "configuration file (default /etc/rdnsprov/rdnsprov.conf)")(
      "log-level", po::value(&log_level), "trace, debug, info, warn or error (default: [general] log-level, or info)")(
      "now", po::value(&now), "the current time as Unix seconds (for tests and reproducible rebuilds)");
  po::variables_map vm;
  std::vector<std::string> command_args;
  std::string command;
  try {
    // Global options come before the command, and --config, --log-level and --now are taken after it too (an
    // operator writes `rdnsprov run --config FILE` as often as `rdnsprov --config FILE run`); everything else
    // from the command name on belongs to the command, so `rdnsprov run --help` is the command's help.
    std::vector<std::string> global_args;
    auto takes_value = [](const std::string& arg) {
      return arg == "--config" || arg == "-c" || arg == "--log-level" || arg == "--now";
    };
    int i = 1;
    for (; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.empty() || arg[0] != '-') break;
      global_args.push_back(arg);
      if (takes_value(arg) && i + 1 < argc) global_args.push_back(argv[++i]);
    }
    if (i < argc) command = argv[i++];
    for (; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--") {  // the rest is the command's, whatever it looks like
        for (; i < argc; ++i) command_args.emplace_back(argv[i]);
        break;
      }
      bool global_with_value = takes_value(arg) && i + 1 < argc;
      bool global_joined = arg.starts_with("--config=") || arg.starts_with("--log-level=") || arg.starts_with("--now=");
      if (global_with_value) {
        global_args.push_back(arg);
        global_args.push_back(argv[++i]);
      } else if (global_joined) {
        global_args.push_back(arg);
      } else {
        command_args.push_back(arg);
      }
    }
    po::store(po::command_line_parser(global_args).options(global).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "rdnsprov: " << e.what() << "\n(rdnsprov --help lists the options)\n";
    return kExitUsage;
  }
  if (vm.count("version")) {
    std::cout << "rdnsprov 0.1.0\n";
    return kExitOk;
  }
  if (vm.count("help") || command.empty()) {
    print_usage(global);
    return command.empty() && !vm.count("help") ? kExitUsage : kExitOk;
  }

  GlobalOptions options;
  options.config_file = config_file;
  options.log_level = log_level;
  options.now = now ? static_cast<std::time_t>(now)
                    : std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  setup_logging(log_level.empty() ? "info" : log_level);

  for (const Command& c : commands()) {
    if (command != c.name) continue;
    try {
      return c.run(options, command_args);
    } catch (const po::error& e) {
      std::cerr << fmt::format("rdnsprov {}: {}\n(rdnsprov {} --help lists the options)\n", command, e.what(), command);
      return kExitUsage;
    } catch (const ConfigError& e) {
      spdlog::error("{}", e.what());
      return kExitUsage;
    } catch (const rdnsprov::ingest::SourceError& e) {
      spdlog::error("{}; nothing was published", e.what());
      return kExitError;
    } catch (const std::system_error& e) {
      spdlog::error("{}; nothing was published", e.what());
      return kExitError;
    } catch (const std::exception& e) {
      spdlog::error("{}; nothing was published", e.what());
      return kExitError;
    }
  }
  std::cerr << fmt::format("rdnsprov: unknown command \"{}\" (rdnsprov --help lists the commands)\n", command);
  return kExitUsage;
}
