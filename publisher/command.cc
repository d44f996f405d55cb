#include "publisher/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "dns/file_descriptor.h"

extern char** environ;

namespace rdnsprov::publisher {
namespace {

constexpr std::size_t kMaxOutput = 64 * 1024;


int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::optional<CommandTemplate> CommandTemplate::parse(const std::string& line, std::string* error) {
  CommandTemplate out;
  std::string word;
  bool in_word = false;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (in_word) out.words_.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quoted) {
    if (error) *error = "a double quote is not closed";
    return std::nullopt;
  }
  if (in_word) out.words_.push_back(std::move(word));
  if (out.words_.empty() || out.words_.front().empty()) {
    if (error) *error = "no program to run";
    return std::nullopt;
  }
  return out;
}

CommandTemplate CommandTemplate::of(std::vector<std::string> words) {
  CommandTemplate out;
  out.words_ = std::move(words);
  return out;
}

bool CommandTemplate::uses(const std::string& name) const {
  std::string placeholder = "{" + name + "}";
  for (const std::string& w : words_) {
    if (w.find(placeholder) != std::string::npos) return true;
  }
  return false;
}

std::vector<std::string> CommandTemplate::expand(const std::map<std::string, std::string>& values) const {
  std::vector<std::string> out;
  out.reserve(words_.size());
  for (std::string w : words_) {
    for (const auto& [name, value] : values) {
      std::string placeholder = "{" + name + "}";
      for (std::size_t at = w.find(placeholder); at != std::string::npos; at = w.find(placeholder, at + value.size())) {
        w.replace(at, placeholder.size(), value);
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& w : argv) {
    if (!out.empty()) out += ' ';
    out += w.empty() || w.find_first_of(" \t") != std::string::npos ? "\"" + w + "\"" : w;
  }
  return out;
}

std::string CommandOutcome::describe() const {
  if (!started) return error;
  // The last lines say what went wrong (rndc, knotc and nsd-control print one line).
  std::string tail = output;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.pop_back();
  if (tail.size() > 400) tail = "…" + tail.substr(tail.size() - 400);
  for (char& c : tail) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string head = timed_out ? "timed out" + error : fmt::format("exit {}", exit_code);
  return tail.empty() ? head : head + ": " + tail;
}

CommandOutcome run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandOutcome outcome;
  if (argv.empty()) {
    outcome.error = "no program to run";
    return outcome;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    outcome.error = fmt::format("cannot run {}: pipe: {}", argv[0], std::strerror(errno));
    return outcome;
  }
  dns::FileDescriptor read_end(pipe_fds[0]);
  dns::FileDescriptor write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so that a timeout kills whatever it started too; default signal handling.
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int spawned = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  write_end.reset();
  if (spawned != 0) {
    outcome.error = fmt::format("cannot start {}: {}", argv[0], std::strerror(spawned));
    return outcome;
  }
  outcome.started = true;

  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
  };
  bool open = true;
  while (open && remaining_ms() > 0) {
    pollfd p{read_end.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, std::min(remaining_ms(), 1000));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
      break;
    }
    if (outcome.output.size() < kMaxOutput) outcome.output.append(buffer, static_cast<std::size_t>(n));
  }
  // The output is closed (or the time is up): wait for the exit until the deadline.
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      outcome.exit_code = exit_code_of(status);
      break;
    }
    if (done < 0 && errno != EINTR) {
      outcome.exit_code = -1;
      break;
    }
    if (remaining_ms() == 0) {
      outcome.timed_out = true;
      outcome.error = timeout >= std::chrono::seconds(1)
                          ? fmt::format(" after {} s", std::chrono::duration_cast<std::chrono::seconds>(timeout).count())
                          : fmt::format(" after {} ms", timeout.count());
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      outcome.exit_code = exit_code_of(status);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(remaining_ms(), 10)));
  }
  return outcome;
}

}  // namespace rdnsprov::publisher
