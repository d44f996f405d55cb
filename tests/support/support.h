// Test support: temporary directories, free loopback ports, and running programs (the rdnsprov executable, the
// zone checkers, real servers) the way an operator would.
//
//   TempDir dir;                                              // removed at the end of the test
//   CommandResult r = run_command({"named-checkzone", "-k", "fail", zone, file});
//   EXPECT_EQ(r.exit_code, 0) << r.output;
//   ChildProcess server({"nsd", "-d", "-c", conf});           // background; stopped by its destructor
//   int port = free_port();
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rdnsprov::testing {

// Paths fixed at build time.
std::filesystem::path source_dir();       // the repository root
std::filesystem::path rdnsprov_binary();  // the built rdnsprov executable
std::filesystem::path test_data(const std::string& relative);  // tests/data/<relative>

class TempDir {
 public:
  TempDir();  // mode 0755 so that a server running as another user (postgres) can traverse it
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;     // the process's exit status; 128 + signal when killed by a signal
  std::string output;     // stdout
  std::string errors;     // stderr
  std::string all() const { return output + errors; }
};

struct CommandOptions {
  std::optional<std::filesystem::path> cwd;
  std::map<std::string, std::string> env;       // added to (or replacing in) the inherited environment
  std::string input;                             // written to stdin
  std::chrono::seconds timeout{300};             // killed after this (exit_code = 128 + SIGKILL)
};

// Runs a program to completion (argv[0] is looked up in PATH).
CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});
// Runs the built rdnsprov with the given arguments.
CommandResult run_rdnsprov(const std::vector<std::string>& args, const CommandOptions& options = {});

// A program running in the background until stop() or destruction (SIGTERM, then SIGKILL after 10 s).
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv, const CommandOptions& options = {},
                        const std::filesystem::path& log = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int pid() const { return pid_; }
  bool running();
  // Stops the process and returns its exit status (as in CommandResult).
  int stop(int signal = 15);

 private:
  int pid_ = -1;
  std::optional<int> status_;
};

// A TCP and UDP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Waits until something accepts TCP connections on 127.0.0.1:port; false on timeout.
bool wait_for_tcp(int port, std::chrono::milliseconds timeout = std::chrono::seconds(30));
// True when `program` is found in PATH (or is an existing absolute path).
bool have_program(const std::string& program);

}  // namespace rdnsprov::testing
