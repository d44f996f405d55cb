#include "tests/support/support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace rdnsprov::testing {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Forks and execs; the child's stdin/stdout/stderr go to the given descriptors (-1: /dev/null).
int spawn(const std::vector<std::string>& argv, const CommandOptions& options, int in_fd, int out_fd, int err_fd) {
  std::vector<std::string> args = argv;
  std::vector<std::string> env = build_environment(options.env);
  std::vector<char*> c_args = c_strings(args);
  std::vector<char*> c_env = c_strings(env);
  std::string cwd = options.cwd ? options.cwd->string() : std::string();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDWR);
    dup2(in_fd >= 0 ? in_fd : devnull, 0);
    dup2(out_fd >= 0 ? out_fd : devnull, 1);
    dup2(err_fd >= 0 ? err_fd : devnull, 2);
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    environ = c_env.data();
    execvp(c_args[0], c_args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::filesystem::path source_dir() { return RDNSPROV_SOURCE_DIR; }
std::filesystem::path rdnsprov_binary() { return RDNSPROV_BINARY; }
std::filesystem::path test_data(const std::string& relative) { return source_dir() / "tests" / "data" / relative; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "rdnsprov-test.XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  std::filesystem::permissions(path_, std::filesystem::perms(0755));
}

TempDir::~TempDir() {
  if (getenv("RDNSPROV_KEEP_TEST_DIRS")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    throw std::runtime_error("pipe failed");
  }
  pid_t pid = spawn(argv, options, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result;
  std::size_t written = 0;
  if (options.input.empty()) {
    close(in_pipe[1]);
    in_pipe[1] = -1;
  } else {
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  }
  signal(SIGPIPE, SIG_IGN);
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool out_open = true, err_open = true;
  bool killed = false;
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out_pipe[0], POLLIN, 0});
    if (err_open) fds.push_back({err_pipe[0], POLLIN, 0});
    if (in_pipe[1] >= 0) fds.push_back({in_pipe[1], POLLOUT, 0});
    int ready = poll(fds.data(), fds.size(), 200);
    if (std::chrono::steady_clock::now() > deadline && !killed) {
      kill(-pid, SIGKILL);
      killed = true;
    }
    if (ready <= 0) continue;
    for (auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == in_pipe[1]) {
        ssize_t n = write(in_pipe[1], options.input.data() + written, options.input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 || written == options.input.size()) {
          close(in_pipe[1]);
          in_pipe[1] = -1;
        }
        continue;
      }
      char buffer[65536];
      ssize_t n = read(p.fd, buffer, sizeof buffer);
      std::string& sink = p.fd == out_pipe[0] ? result.output : result.errors;
      if (n > 0) {
        sink.append(buffer, static_cast<std::size_t>(n));
      } else {
        (p.fd == out_pipe[0] ? out_open : err_open) = false;
      }
    }
  }
  if (in_pipe[1] >= 0) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = decode_status(status);
  return result;
}

CommandResult run_rdnsprov(const std::vector<std::string>& args, const CommandOptions& options) {
  std::vector<std::string> argv{rdnsprov_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const CommandOptions& options,
                           const std::filesystem::path& log) {
  int log_fd = -1;
  if (!log.empty()) log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  pid_ = spawn(argv, options, -1, log_fd, log_fd);
  if (log_fd >= 0) close(log_fd);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) stop();
}

bool ChildProcess::running() {
  if (status_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(status);
    return false;
  }
  return true;
}

int ChildProcess::stop(int signal_number) {
  if (status_) return *status_;
  kill(pid_, signal_number);
  for (int i = 0; i < 100; ++i) {
    if (!running()) return *status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  status_ = decode_status(status);
  return *status_;
}

int free_port() {
  static std::mt19937 random(static_cast<unsigned>(getpid()) * 7919u +
                             static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Ask the kernel for a port, then check that UDP is free on it too (DNS servers need both).
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(20000 + random() % 30000));
    bool ok = bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    ok = ok && bind(udp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    int port = ntohs(address.sin_port);
    close(tcp);
    close(udp);
    if (ok) return port;
  }
  throw std::runtime_error("no free port on 127.0.0.1");
}

bool wait_for_tcp(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool have_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = getenv("PATH");
  std::string paths = path ? path : "/usr/bin:/bin";
  paths += ":/usr/sbin:/sbin";
  std::size_t start = 0;
  while (start <= paths.size()) {
    std::size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    std::string candidate = paths.substr(start, end - start) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace rdnsprov::testing
