// The rdnsprov subcommands. Each takes the global options and its own arguments and returns an exit code
// (exit_codes.h). They wire stages together; the rules live in the stages.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

namespace rdnsprov::cli {

struct GlobalOptions {
  std::filesystem::path config_file = "/etc/rdnsprov/rdnsprov.conf";
  std::string log_level;   // empty: from the configuration ([general] log-level), else info
  std::time_t now = 0;     // the clock: --now SECONDS, or the system clock
};

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const GlobalOptions& global, const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

int run_check(const GlobalOptions& global, const std::vector<std::string>& args);
int run_build(const GlobalOptions& global, const std::vector<std::string>& args);
int run_run(const GlobalOptions& global, const std::vector<std::string>& args);
int run_diff(const GlobalOptions& global, const std::vector<std::string>& args);
int run_rebuild(const GlobalOptions& global, const std::vector<std::string>& args);
int run_snapshots(const GlobalOptions& global, const std::vector<std::string>& args);
int run_freeze(const GlobalOptions& global, const std::vector<std::string>& args);
int run_thaw(const GlobalOptions& global, const std::vector<std::string>& args);
int run_sign(const GlobalOptions& global, const std::vector<std::string>& args);
int run_verify_zone(const GlobalOptions& global, const std::vector<std::string>& args);
int run_verify(const GlobalOptions& global, const std::vector<std::string>& args);
int run_keys(const GlobalOptions& global, const std::vector<std::string>& args);
int run_zonelets(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace rdnsprov::cli
