// Server control commands (rndc, knotc, nsd-control, pdns_control or an operator's own), run without a shell and
// under a timeout.
//
//   auto command = CommandTemplate::parse("rndc -s 127.0.0.1 reload {zone}");   // error text on bad quoting
//   std::vector<std::string> argv = command->expand({{"zone", "193.in-addr.arpa"}});
//   CommandOutcome outcome = run_program(argv, std::chrono::seconds(30));
//   if (!outcome.ok()) … outcome.describe() …   // "exit 1: rndc: connect failed: 127.0.0.1#953: connection refused"
//
// Quoting rule of a command line: words are separated by spaces or tabs; a word, or part of one, enclosed in double
// quotes keeps its spaces; there are no escapes, so a double quote cannot be part of a word. `{zone}` (the zone
// name without the trailing dot) and `{file}` (the zone file's path as the server sees it) are replaced inside any
// word. No shell is involved: `;`, `|`, `$` and the like are ordinary characters.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rdnsprov::publisher {

class CommandTemplate {
 public:
  // The words of `line`, or an error naming what is wrong (an unclosed quote, no program).
  static std::optional<CommandTemplate> parse(const std::string& line, std::string* error = nullptr);
  static CommandTemplate of(std::vector<std::string> words);

  // True when some word holds `{name}`.
  bool uses(const std::string& name) const;
  std::vector<std::string> expand(const std::map<std::string, std::string>& values = {}) const;
  const std::vector<std::string>& words() const { return words_; }

 private:
  std::vector<std::string> words_;
};

// The printed form of a command: its words separated by spaces, a word with white space in double quotes.
std::string command_text(const std::vector<std::string>& argv);

struct CommandOutcome {
  bool started = false;     // false: the program could not be started (`error` says why)
  bool timed_out = false;   // killed (with its process group) when the timeout passed
  int exit_code = -1;       // the exit status; 128 + signal when it was killed by a signal
  std::string output;       // stdout and stderr, in the order they came, at most 64 KiB
  std::string error;
  bool ok() const { return started && !timed_out && exit_code == 0; }
  // "exit 1: <last lines of output>", "timed out after 30 s", "cannot start rndc: No such file or directory".
  std::string describe() const;
};

// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, in its own process group.
CommandOutcome run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace rdnsprov::publisher
