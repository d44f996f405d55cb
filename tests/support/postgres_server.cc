#include "tests/support/postgres_server.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rdnsprov::testing {
namespace {

constexpr const char* kServerUser = "postgres";

// The newest /usr/lib/postgresql/<major>/bin that has initdb, or $RDNSPROV_PG_BINDIR.
std::filesystem::path find_bin_dir() {
  if (const char* forced = std::getenv("RDNSPROV_PG_BINDIR"); forced && *forced) return forced;
  const std::filesystem::path root = "/usr/lib/postgresql";
  std::filesystem::path best;
  long best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    long version = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    if (!std::filesystem::exists(entry.path() / "bin" / "initdb")) continue;
    if (version > best_version) {
      best_version = version;
      best = entry.path() / "bin";
    }
  }
  if (best.empty()) {
    throw std::runtime_error("PostgresServer: no PostgreSQL server under " + root.string() +
                             " (install the postgresql package, or set RDNSPROV_PG_BINDIR)");
  }
  return best;
}

std::filesystem::path find_runuser() {
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  throw std::runtime_error("PostgresServer: running as root but runuser is missing (util-linux)");
}

// A libpq conninfo value: quoted when it holds a space, a quote or a backslash.
std::string conninfo_value(const std::string& value) {
  if (!value.empty() && value.find_first_of(" '\\") == std::string::npos) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string describe(const std::vector<std::string>& argv, const CommandResult& result) {
  std::string command;
  for (const std::string& arg : argv) command += (command.empty() ? "" : " ") + arg;
  return command + " (exit " + std::to_string(result.exit_code) + "):\n" + result.all();
}

CommandOptions server_options(const std::filesystem::path& cwd) {
  CommandOptions options;
  options.cwd = cwd;  // a directory the server user can enter (not /root)
  options.env["LC_ALL"] = "C";
  options.timeout = std::chrono::seconds(120);
  return options;
}

}  // namespace

PostgresServer::PostgresServer() : bin_dir_(find_bin_dir()), port_(free_port()) {
  std::filesystem::create_directory(socket_dir());
  if (geteuid() == 0) {
    const passwd* user = getpwnam(kServerUser);
    if (!user) throw std::runtime_error("PostgresServer: running as root but there is no `postgres` user");
    if (chown(socket_dir().c_str(), user->pw_uid, user->pw_gid) != 0) {
      throw std::runtime_error("PostgresServer: cannot chown " + socket_dir().string() + " to postgres");
    }
  }
  std::vector<std::string> initdb =
      as_server_user({(bin_dir_ / "initdb").string(), "-D", data_dir().string(), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--locale=C", "--no-sync"});
  CommandResult result = run_command(initdb, server_options(socket_dir()));
  if (result.exit_code != 0) throw std::runtime_error("PostgresServer: initdb failed: " + describe(initdb, result));

  // Settings in postgresql.conf rather than on the command line, so that start() after a stop reuses them.
  std::ofstream conf(data_dir() / "postgresql.conf", std::ios::app);
  conf << "\n# rdnsprov test server\n"
       << "port = " << port_ << "\n"
       << "listen_addresses = ''\n"
       << "unix_socket_directories = '" << socket_dir().string() << "'\n"
       << "fsync = off\n"
       << "full_page_writes = off\n";
  conf.close();
  if (!conf) throw std::runtime_error("PostgresServer: cannot write " + (data_dir() / "postgresql.conf").string());
  start();
}

PostgresServer::~PostgresServer() {
  if (!running_) return;
  try {
    stop();
  } catch (const std::exception&) {
    try {
      stop_immediately();
    } catch (const std::exception&) {
      // Nothing more a destructor can do; the server's lock-file check ends it once the directory is gone.
    }
  }
}

std::vector<std::string> PostgresServer::as_server_user(std::vector<std::string> argv) const {
  if (geteuid() != 0) return argv;
  std::vector<std::string> out{find_runuser().string(), "-u", kServerUser, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

CommandResult PostgresServer::pg_ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{(bin_dir_ / "pg_ctl").string(), "-D", data_dir().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(as_server_user(argv), server_options(socket_dir()));
}

void PostgresServer::start() {
  if (running_) return;
  CommandResult result = pg_ctl({"-l", log_file().string(), "-w", "-t", "60", "start"});
  if (result.exit_code != 0) {
    throw std::runtime_error("PostgresServer: pg_ctl start failed (exit " + std::to_string(result.exit_code) +
                             "):\n" + result.all() + "\nserver log " + log_file().string() + ":\n" + log());
  }
  running_ = true;
  try {
    psql("SELECT 1");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + "\nserver log:\n" + log());
  }
}

void PostgresServer::stop() {
  if (!running_) return;
  CommandResult result = pg_ctl({"-m", "fast", "-w", "-t", "60", "stop"});
  if (result.exit_code != 0) {
    throw std::runtime_error("PostgresServer: pg_ctl stop failed (exit " + std::to_string(result.exit_code) +
                             "):\n" + result.all() + "\nserver log:\n" + log());
  }
  running_ = false;
}

void PostgresServer::stop_immediately() {
  if (!running_) return;
  CommandResult result = pg_ctl({"-m", "immediate", "-w", "-t", "60", "stop"});
  if (result.exit_code != 0) {
    throw std::runtime_error("PostgresServer: pg_ctl -m immediate stop failed (exit " +
                             std::to_string(result.exit_code) + "):\n" + result.all() + "\nserver log:\n" + log());
  }
  running_ = false;
}

void PostgresServer::restart() {
  stop();
  start();
}

std::string PostgresServer::conninfo(const std::string& dbname) const {
  return "host=" + conninfo_value(socket_dir().string()) + " port=" + std::to_string(port_) +
         " user=postgres dbname=" + conninfo_value(dbname);
}

std::string PostgresServer::psql(const std::string& sql, const std::string& dbname) const {
  std::vector<std::string> argv{(bin_dir_ / "psql").string(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                "-h", socket_dir().string(), "-p", std::to_string(port_), "-U", "postgres",
                                "-d", dbname, "-f", "-"};
  CommandOptions options;
  options.input = sql;
  options.env["PGCLIENTENCODING"] = "UTF8";
  options.env["PGCONNECT_TIMEOUT"] = "10";
  options.env["LC_ALL"] = "C";
  options.timeout = std::chrono::seconds(120);
  CommandResult result = run_command(argv, options);
  if (result.exit_code != 0) {
    std::string shown = sql.size() > 2000 ? sql.substr(0, 2000) + "…" : sql;
    throw std::runtime_error("PostgresServer: psql failed on database " + dbname + " (exit " +
                             std::to_string(result.exit_code) + "): " + result.errors + "\nSQL:\n" + shown);
  }
  return result.output;
}

void PostgresServer::create_database(const std::string& name) const {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  psql("CREATE DATABASE " + quoted + "\"");
}

int PostgresServer::kill_backends() const {
  std::string out = psql(
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
  return std::stoi(out);
}

std::string PostgresServer::log() const { return read_file(log_file()); }

}  // namespace rdnsprov::testing
