// A real authoritative server (Knot DNS) and a real validating resolver (Unbound) on 127.0.0.1 and free ports,
// configured in a temporary directory, for end-to-end DNSSEC checks (INCIDENTS.md I-8; recipes in SERVERS.md).
//
//   KnotPrimary knot(dir / "knot", "193.in-addr.arpa", signed_zone_file);     // serves a copy of the file
//   ValidatingResolver unbound(dir / "unbound", "193.in-addr.arpa", ds_line, knot.port());
//   DigAnswer a = dig(unbound.port(), "0.0.193.in-addr.arpa", "DS");          // a.status, a.ad(), a.answer
//   knot.replace_zone(tampered_text);                                          // zone-reload
//
// Header-only: the CMake glob builds every *_test.cc of this folder into scenarios_tests, nothing else.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/scenarios/scenario.h"
#include "tests/support/support.h"

namespace rdnsprov::scenarios {

// What dig printed for one query.
struct DigAnswer {
  int exit_code = -1;
  std::string status;  // NOERROR, NXDOMAIN, SERVFAIL, … (empty when dig got no answer)
  std::string flags;   // the header flags, e.g. "qr rd ra ad"
  std::string text;    // dig's whole output
  bool ad() const { return (" " + flags + " ").find(" ad ") != std::string::npos; }
  bool aa() const { return (" " + flags + " ").find(" aa ") != std::string::npos; }
};

// One query with DNSSEC OK; `recursive` false for questions to the authoritative server.
inline DigAnswer dig(int port, const std::string& name, const std::string& type, bool recursive = true) {
  CommandOptions options;
  options.timeout = std::chrono::seconds(60);
  std::vector<std::string> argv{"dig", "@127.0.0.1", "-p", std::to_string(port), "+dnssec", "+time=10", "+tries=3",
                                name, type};
  if (!recursive) argv.push_back("+norecurse");
  CommandResult r = testing::run_command(argv, options);
  DigAnswer a;
  a.exit_code = r.exit_code;
  a.text = r.all();
  std::smatch m;
  static const std::regex status(R"(status: ([A-Z]+))");
  static const std::regex flags(R"(;; flags: ([a-z ]*);)");
  if (std::regex_search(a.text, m, status)) a.status = m[1];
  if (std::regex_search(a.text, m, flags)) a.flags = m[1];
  return a;
}

// Waits until the server answers `name` `type` with `status` (a server that listens may not have loaded yet).
inline bool wait_for_answer(int port, const std::string& name, const std::string& type, const std::string& status,
                            bool recursive, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (dig(port, name, type, recursive).status == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// Knot DNS serving one presigned zone from a file of its own (it never signs: no dnssec-signing).
class KnotPrimary {
 public:
  KnotPrimary(fs::path directory, std::string zone, const std::string& zone_text)
      : dir_(std::move(directory)), zone_(std::move(zone)), port_(testing::free_port()) {
    fs::create_directories(dir_ / "db");
    write_text(zone_file(), zone_text);
    write_text(config(), fmt::format("server:\n  listen: 127.0.0.1@{}\n  rundir: {}\n  user: root:root\n"
                                     "database:\n  storage: {}\n"
                                     "log:\n  - target: stderr\n    any: info\n"
                                     "zone:\n  - domain: {}\n    file: {}\n    zonefile-sync: -1\n"
                                     "    journal-content: none\n",
                                     port_, dir_.string(), (dir_ / "db").string(), zone_, zone_file().string()));
    process_ = std::make_unique<testing::ChildProcess>(std::vector<std::string>{"knotd", "-c", config().string()},
                                                       CommandOptions{}, dir_ / "knotd.log");
    ready_ = testing::wait_for_tcp(port_) && wait_for_answer(port_, zone_, "SOA", "NOERROR", false);
  }

  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string log() const { return read_text(dir_ / "knotd.log"); }
  fs::path zone_file() const { return dir_ / (zone_ + ".zone"); }

  // Replaces the served zone by `zone_text` (as an operator editing the file would) and reloads it.
  CommandResult replace_zone(const std::string& zone_text) {
    write_text(zone_file(), zone_text);
    CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    return testing::run_command({"knotc", "-c", config().string(), "-b", "zone-reload", zone_}, options);
  }

 private:
  fs::path config() const { return dir_ / "knot.conf"; }
  fs::path dir_;
  std::string zone_;
  int port_;
  std::unique_ptr<testing::ChildProcess> process_;
  bool ready_ = false;
};

// Unbound validating with `trust_anchor` (a DS or DNSKEY line of the zone's KSK) and a stub zone to the primary.
// `override_date` (YYYYMMDDHHMMSS, empty = the wall clock) is the time Unbound validates signatures at.
class ValidatingResolver {
 public:
  ValidatingResolver(fs::path directory, const std::string& zone, const std::string& trust_anchor, int primary_port,
                     const std::string& override_date = "")
      : dir_(std::move(directory)), port_(testing::free_port()) {
    fs::create_directories(dir_);
    write_text(dir_ / "anchor", trust_anchor + "\n");
    // `local-zone … nodefault`: Unbound answers RFC 6303 reverse zones itself otherwise (SERVERS.md).
    std::string conf = fmt::format(
        "server:\n  interface: 127.0.0.1\n  port: {}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n"
        "  directory: \"{}\"\n  pidfile: \"{}/unbound.pid\"\n  use-syslog: no\n  logfile: \"\"\n"
        "  verbosity: 1\n  val-log-level: 2\n  do-not-query-localhost: no\n"
        "  module-config: \"validator iterator\"\n  trust-anchor-file: \"{}/anchor\"\n"
        "  local-zone: \"{}.\" nodefault\n",
        port_, dir_.string(), dir_.string(), dir_.string(), zone);
    if (!override_date.empty()) conf += fmt::format("  val-override-date: \"{}\"\n", override_date);
    conf += fmt::format("stub-zone:\n  name: \"{}\"\n  stub-addr: 127.0.0.1@{}\n", zone, primary_port);
    write_text(dir_ / "unbound.conf", conf);
    process_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{"unbound", "-d", "-c", (dir_ / "unbound.conf").string()}, CommandOptions{},
        dir_ / "unbound.log");
    ready_ = testing::wait_for_tcp(port_);
  }

  bool ready() const { return ready_; }
  int port() const { return port_; }
  std::string log() const { return read_text(dir_ / "unbound.log"); }

 private:
  fs::path dir_;
  int port_;
  std::unique_ptr<testing::ChildProcess> process_;
  bool ready_ = false;
};

}  // namespace rdnsprov::scenarios
