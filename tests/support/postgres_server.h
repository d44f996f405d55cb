// PostgresServer: a throwaway PostgreSQL cluster for one test (or one test suite), reachable only through a Unix
// socket in its temporary directory (listen_addresses = '': nothing listens on TCP).
//
//   PostgresServer server;                                  // initdb + pg_ctl start; throws with the log on failure
//   server.create_database("registry");
//   server.psql("CREATE TABLE t (id bigint, object text)", "registry");
//   std::string conninfo = server.conninfo("registry");     // "host=DIR/pg port=PORT user=postgres dbname=registry"
//   server.stop_immediately();                              // a crash, for fault tests; start() runs recovery
//   // the destructor stops the server (pg_ctl -m fast) and removes the directory
//
// Layout: DIR/pg (owned by the `postgres` user when the tests run as root, because PostgreSQL refuses to run as
// root) holds the socket .s.PGSQL.PORT, the server log `log`, and the cluster in `data` (UTF8, locale C, trust
// authentication, superuser `postgres`, fsync off: test data need not survive a power cut).
// The binaries are the newest /usr/lib/postgresql/<version>/bin, or $RDNSPROV_PG_BINDIR when set.
//
// Failures throw std::runtime_error with a message that says which step failed, the command's output and (for
// start) the server log; GoogleTest reports it as the test's failure.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace rdnsprov::testing {

class PostgresServer {
 public:
  PostgresServer();   // initdb and start
  ~PostgresServer();  // stop (fast, then immediate if that fails)
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // libpq connection string for `dbname` as the superuser, over the Unix socket.
  std::string conninfo(const std::string& dbname = "postgres") const;
  // Runs SQL with psql -X -q -A -t -v ON_ERROR_STOP=1 (unaligned, tuples only: "1|a\n2|b\n") and returns its
  // standard output. Throws when psql fails, with its error output.
  std::string psql(const std::string& sql, const std::string& dbname = "postgres") const;
  void create_database(const std::string& name) const;

  void start();             // after stop(): the same cluster, port and socket
  void stop();              // pg_ctl -m fast stop; does nothing when stopped
  void stop_immediately();  // pg_ctl -m immediate stop: every backend dies at once, as in a crash
  void restart();           // stop(), start()
  // Ends every client connection (pg_terminate_backend) except psql's own; returns how many it ended.
  int kill_backends() const;

  bool running() const { return running_; }
  int port() const { return port_; }
  std::filesystem::path socket_dir() const { return dir_ / "pg"; }
  std::filesystem::path data_dir() const { return dir_ / "pg" / "data"; }
  std::filesystem::path log_file() const { return dir_ / "pg" / "log"; }
  std::string log() const;  // the server log so far

 private:
  // argv run as the `postgres` user when we are root, as ourselves otherwise.
  std::vector<std::string> as_server_user(std::vector<std::string> argv) const;
  CommandResult pg_ctl(const std::vector<std::string>& args) const;

  TempDir dir_;
  std::filesystem::path bin_dir_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace rdnsprov::testing
