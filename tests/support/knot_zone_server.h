// A real Knot DNS server on 127.0.0.1 and a free port, serving master files the test names, for the tests of
// queries, transfers, NOTIFY and verification.
//
//   KnotZoneServer knot(dir / "knot-a");
//   knot.serve("193.in-addr.arpa", scenario.target_file("193.in-addr.arpa"));   // primary, AXFR allowed
//   knot.accept_notify("194.in-addr.arpa");                                     // secondary of nobody
//   ASSERT_TRUE(knot.start()) << knot.log();
//   knot.reload("193.in-addr.arpa");                                            // knotc zone-reload
//
// Header-only (the support library globs only .cc files; this keeps it usable from every suite).
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/support/support.h"

namespace rdnsprov::testing {

class KnotZoneServer {
 public:
  explicit KnotZoneServer(std::filesystem::path dir) : dir_(std::move(dir)), port_(free_port()) {
    std::filesystem::create_directories(dir_ / "db");
  }
  ~KnotZoneServer() { stop(); }

  int port() const { return port_; }
  std::string address() const { return fmt::format("127.0.0.1:{}", port_); }
  std::filesystem::path config() const { return dir_ / "knot.conf"; }

  // A primary zone loaded from `file`; `allow_transfer` lets 127.0.0.1 transfer it.
  void serve(const std::string& zone, const std::filesystem::path& file, bool allow_transfer = true) {
    zones_ += fmt::format("  - domain: {}\n    file: {}\n    zonefile-sync: -1\n    zonefile-load: whole\n"
                          "    journal-content: none\n    semantic-checks: off\n{}",
                          zone, file.string(), allow_transfer ? "    acl: [local_transfer]\n" : "");
  }
  // A secondary zone that accepts NOTIFY from 127.0.0.1 (its primary is a port nobody listens on).
  void accept_notify(const std::string& zone) {
    if (primary_port_ == 0) primary_port_ = free_port();
    zones_ += fmt::format("  - domain: {}\n    master: nowhere\n    acl: [local_notify]\n    journal-content: none\n",
                          zone);
  }

  bool start() {
    std::string text = fmt::format(
        "server:\n  listen: 127.0.0.1@{}\n  rundir: {}\n  user: root:root\n"
        "database:\n  storage: {}\n"
        "log:\n  - target: stderr\n    any: info\n"
        "acl:\n  - id: local_transfer\n    address: 127.0.0.1\n    action: transfer\n"
        "  - id: local_notify\n    address: 127.0.0.1\n    action: notify\n"
        "remote:\n  - id: nowhere\n    address: 127.0.0.1@{}\n"
        "zone:\n{}",
        port_, dir_.string(), (dir_ / "db").string(), primary_port_ ? primary_port_ : free_port(), zones_);
    {
      std::ofstream out(config());
      out << text;
    }
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{"knotd", "-c", config().string()},
                                              CommandOptions{}, dir_ / "knotd.log");
    return wait_for_tcp(port_, std::chrono::seconds(60));
  }

  void stop() {
    if (process_) process_->stop();
    process_.reset();
  }

  // knotc zone-reload ZONE; true when Knot answered OK.
  bool reload(const std::string& zone) {
    CommandResult r = run_command({"knotc", "-c", config().string(), "zone-reload", zone});
    return r.exit_code == 0;
  }

  // What knotd wrote (its log goes to stderr, kept in DIR/knotd.log).
  std::string log() const {
    std::ifstream in(dir_ / "knotd.log");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::filesystem::path dir_;
  int port_;
  int primary_port_ = 0;
  std::string zones_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace rdnsprov::testing
