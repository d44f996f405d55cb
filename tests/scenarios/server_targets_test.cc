// Publication to real authoritative servers (I-7, I-9): BIND 9, Knot DNS, NSD and PowerDNS's bind backend, each
// started on 127.0.0.1 and free ports with a configuration written here, fed by `rdnsprov run` through a server
// target (zone directory, generated zone list, reload command). Checked the way an operator checks: what the server
// answers (SOA serial, delegation NS, DS, RFC 2317 CNAME), the exit code, the journal, the zone list file.
#include <memory>
#include <regex>
#include <thread>

#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

using testing::ChildProcess;
using testing::free_port;
using testing::have_program;
using testing::run_command;

void wait_for_file(const fs::path& path, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!fs::exists(path) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// One authoritative server under test: its files in `dir`, answering on 127.0.0.1:port.
class Server {
 public:
  Server(fs::path dir, fs::path zone_list) : dir_(std::move(dir)), zone_list_(std::move(zone_list)) {
    fs::create_directories(dir_);
  }
  virtual ~Server() = default;
  virtual std::string type() const = 0;
  virtual std::vector<std::string> programs() const = 0;
  // Writes the server's configuration (including zone_list_).
  virtual void configure() = 0;
  virtual std::vector<std::string> command() const = 0;
  virtual bool wait_ready() = 0;
  // The [target.NAME] keys that reach its control channel; `broken`: keys that reach nothing (a refused reload).
  virtual std::string control_keys(bool broken) const = 0;

  void start() {
    process_ = std::make_unique<ChildProcess>(command(), testing::CommandOptions{}, dir_ / "server.log");
    ASSERT_TRUE(wait_ready()) << type() << " did not start: " << read_text(dir_ / "server.log");
  }
  void stop() { process_.reset(); }
  int port() const { return port_; }
  const fs::path& dir() const { return dir_; }

  // dig against this server, without recursion; the lines of +short output.
  std::string dig(const std::vector<std::string>& query) const {
    std::vector<std::string> argv{"dig", "+norec", "+time=2", "+tries=2", "@127.0.0.1", "-p", std::to_string(port_)};
    argv.insert(argv.end(), query.begin(), query.end());
    return run_command(argv).output;
  }
  std::optional<std::uint32_t> serial(const std::string& zone) const {
    std::istringstream in(dig({"+short", "SOA", zone}));
    std::vector<std::string> fields;
    for (std::string f; in >> f;) fields.push_back(f);
    if (fields.size() != 7 || fields[2].find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(fields[2]));
  }
  // Waits until the server serves `expected` (nullopt: no longer serves the zone at all).
  bool wait_for_serial(const std::string& zone, std::optional<std::uint32_t> expected,
                       std::chrono::seconds timeout = std::chrono::seconds(60)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (serial(zone) == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  }

 protected:
  fs::path dir_;
  fs::path zone_list_;
  int port_ = free_port();
  int control_port_ = free_port();
  std::unique_ptr<ChildProcess> process_;
};

class BindServer : public Server {
 public:
  using Server::Server;
  std::string type() const override { return "bind"; }
  std::vector<std::string> programs() const override { return {"named", "rndc", "tsig-keygen"}; }
  void configure() override {
    auto key = run_command({"tsig-keygen", "-a", "hmac-sha256", "rdnsprov-test"});
    ASSERT_EQ(key.exit_code, 0) << key.all();
    write_text(dir_ / "rndc.key", key.output);
    write_text(dir_ / "named.conf",
               fmt::format("options {{ directory \"{0}\"; listen-on port {1} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n"
                           "  pid-file \"{0}/named.pid\"; recursion no; dnssec-validation no; notify no; }};\n"
                           "include \"{0}/rndc.key\";\n"
                           "controls {{ inet 127.0.0.1 port {2} allow {{ 127.0.0.1; }} keys {{ \"rdnsprov-test\"; }}; }};\n"
                           "include \"{3}\";\n",
                           dir_.string(), port_, control_port_, zone_list_.string()));
  }
  std::vector<std::string> command() const override { return {"named", "-g", "-c", (dir_ / "named.conf").string()}; }
  bool wait_ready() override { return testing::wait_for_tcp(port_) && testing::wait_for_tcp(control_port_); }
  std::string control_keys(bool broken) const override {
    return fmt::format("rndc-server = 127.0.0.1\nrndc-port = {}\nrndc-key-file = {}\n",
                       broken ? unused_port_ : control_port_, (dir_ / "rndc.key").string());
  }

 private:
  int unused_port_ = free_port();
};

class KnotServer : public Server {
 public:
  using Server::Server;
  std::string type() const override { return "knot"; }
  std::vector<std::string> programs() const override { return {"knotd", "knotc"}; }
  void configure() override {
    write_text(dir_ / "knot.conf", fmt::format("server:\n  listen: 127.0.0.1@{}\n  rundir: {}\n  user: root:root\n"
                                               "database:\n  storage: {}/db\ninclude: {}\n",
                                               port_, dir_.string(), dir_.string(), zone_list_.string()));
  }
  std::vector<std::string> command() const override { return {"knotd", "-c", (dir_ / "knot.conf").string()}; }
  bool wait_ready() override {
    wait_for_file(dir_ / "knot.sock");
    return testing::wait_for_tcp(port_) && fs::exists(dir_ / "knot.sock");
  }
  std::string control_keys(bool broken) const override {
    return fmt::format("knotc-socket = {}\n", (dir_ / (broken ? "elsewhere.sock" : "knot.sock")).string());
  }
};

class NsdServer : public Server {
 public:
  using Server::Server;
  std::string type() const override { return "nsd"; }
  std::vector<std::string> programs() const override { return {"nsd", "nsd-control", "nsd-control-setup"}; }
  void configure() override {
    auto setup = run_command({"nsd-control-setup", "-d", dir_.string()});
    ASSERT_EQ(setup.exit_code, 0) << setup.all();
    for (bool broken : {false, true}) {
      std::string d = dir_.string();
      write_text(dir_ / (broken ? "nsd-broken.conf" : "nsd.conf"),
                 fmt::format("server:\n  ip-address: 127.0.0.1@{1}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n"
                             "  database: \"\"\n  zonesdir: \"{0}\"\n  pidfile: \"{0}/nsd.pid\"\n"
                             "  xfrdfile: \"{0}/xfrd.state\"\n  zonelistfile: \"{0}/zone.list\"\n"
                             "  logfile: \"{0}/nsd.log\"\n"
                             "remote-control:\n  control-enable: yes\n  control-interface: 127.0.0.1\n"
                             "  control-port: {2}\n  server-key-file: \"{0}/nsd_server.key\"\n"
                             "  server-cert-file: \"{0}/nsd_server.pem\"\n  control-key-file: \"{0}/nsd_control.key\"\n"
                             "  control-cert-file: \"{0}/nsd_control.pem\"\ninclude: \"{3}\"\n",
                             d, port_, broken ? unused_port_ : control_port_, zone_list_.string()));
    }
  }
  std::vector<std::string> command() const override { return {"nsd", "-d", "-c", (dir_ / "nsd.conf").string()}; }
  bool wait_ready() override { return testing::wait_for_tcp(port_) && testing::wait_for_tcp(control_port_); }
  std::string control_keys(bool broken) const override {
    return fmt::format("nsd-control-config = {}\n", (dir_ / (broken ? "nsd-broken.conf" : "nsd.conf")).string());
  }

 private:
  int unused_port_ = free_port();
};

class PdnsBindServer : public Server {
 public:
  using Server::Server;
  std::string type() const override { return "pdns-bind"; }
  std::vector<std::string> programs() const override { return {"pdns_server", "pdns_control"}; }
  void configure() override {
    if (!fs::exists("/usr/lib/aarch64-linux-gnu/pdns/libbindbackend.so")) {
      RDNSPROV_SKIP_UNLESS_PRESENT(
          testing::missing_file("/usr/lib/x86_64-linux-gnu/pdns/libbindbackend.so", "pdns-backend-bind"));
    }
    fs::create_directories(dir_ / "nowhere");
    write_text(dir_ / "pdns.conf",
               fmt::format("launch=bind\nbind-config={}\nlocal-address=127.0.0.1\nlocal-port={}\nsocket-dir={}\n"
                           "guardian=no\ndaemon=no\nwrite-pid=no\n",
                           zone_list_.string(), port_, dir_.string()));
  }
  std::vector<std::string> command() const override { return {"pdns_server", "--config-dir=" + dir_.string()}; }
  bool wait_ready() override {
    wait_for_file(dir_ / "pdns.controlsocket");
    return testing::wait_for_tcp(port_) && fs::exists(dir_ / "pdns.controlsocket");
  }
  std::string control_keys(bool broken) const override {
    return fmt::format("pdns-socket-dir = {}\n", (broken ? dir_ / "nowhere" : dir_).string());
  }
};

std::unique_ptr<Server> make_server(const std::string& type, const fs::path& dir, const fs::path& list) {
  if (type == "bind") return std::make_unique<BindServer>(dir, list);
  if (type == "knot") return std::make_unique<KnotServer>(dir, list);
  if (type == "nsd") return std::make_unique<NsdServer>(dir, list);
  return std::make_unique<PdnsBindServer>(dir, list);
}

const std::vector<std::string> kZones = {"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa",
                                         "196.in-addr.arpa", "197.in-addr.arpa"};

class ServerTarget : public ::testing::TestWithParam<std::string> {
 protected:
  Scenario s{kZones};
  fs::path zones_dir = s.dir / "served";
  fs::path zone_list = s.dir / "served-list" / "zones.conf";
  std::unique_ptr<Server> server = make_server(GetParam(), s.dir / "server", zone_list);
  std::vector<DomainObject> objects;

  void SetUp() override {
    RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs(server->programs()));
    server->configure();
    if (::testing::Test::IsSkipped() || ::testing::Test::HasFatalFailure()) return;
    // The operator's starting point: the server's configuration includes a zone list that lists nothing yet.
    fs::create_directories(zone_list.parent_path());
    write_text(zone_list, GetParam() == "bind" || GetParam() == "pdns-bind" ? "// no zones yet\n" : "# no zones yet\n");
    server->start();
    objects = concat({slash24_delegations(193, 40), slash24_delegations(194, 3), slash24_delegations(195, 3),
                      slash24_delegations(196, 3), slash24_delegations(197, 3)});
    objects.push_back({"0-63.7.1.193.in-addr.arpa", {"ns1.customer.example", "ns2.customer.example"}, {}});
    s.write_dump(objects);
    configure_target(false);
  }

  void configure_target(bool broken_control, const std::string& extra = "") {
    s.extra_sections = fmt::format("[target.{}-1]\ntype = {}\npath = {}\nzone-list = {}\nreload-timeout = 30\n{}{}\n",
                                   GetParam(), GetParam(), zones_dir.string(), zone_list.string(),
                                   server->control_keys(broken_control), extra);
    s.write_config();
  }
  std::string target_name() const { return GetParam() + "-1"; }

  std::vector<json> target_errors(std::size_t mark) const {
    std::vector<json> out;
    for (const json& e : events_of(s.journal_since(mark), "target-error")) {
      if (e.value("target", "") == target_name()) out.push_back(e);
    }
    return out;
  }
};

TEST_P(ServerTarget, PublishesReloadsAndCatchesUpAfterAFailedReload) {
  // 1. The first run writes the zones and the list, and the server loads them.
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  for (const std::string& zone : kZones) {
    EXPECT_TRUE(server->wait_for_serial(zone, kT0)) << zone << " serves " << server->serial(zone).value_or(0);
  }
  std::string list = read_text(zone_list);
  for (const std::string& zone : kZones) EXPECT_NE(list.find(zone), std::string::npos) << list;
  // Delegations as the server answers them: a referral with the NS, the DS from the parent, an RFC 2317 CNAME.
  std::string referral = server->dig({"+noall", "+authority", "NS", "5.0.193.in-addr.arpa"});
  EXPECT_NE(referral.find("ns1.isp5.example."), std::string::npos) << referral;
  EXPECT_NE(referral.find("ns2.isp5.example."), std::string::npos) << referral;
  std::string ds = server->dig({"+short", "DS", "7.0.193.in-addr.arpa"});
  EXPECT_TRUE(ds.starts_with("1007 13 2 ")) << ds;
  std::string cname = server->dig({"+short", "CNAME", "17.7.1.193.in-addr.arpa"});
  EXPECT_EQ(cname, "17.0-63.7.1.193.in-addr.arpa.\n");
  std::string classless = server->dig({"+noall", "+authority", "NS", "0-63.7.1.193.in-addr.arpa"});
  EXPECT_NE(classless.find("ns1.customer.example."), std::string::npos) << classless;

  // 2. Changed data: served after the reload.
  objects.push_back({"77.0.193.in-addr.arpa", {"ns1.new.example", "ns2.new.example"}, {}});
  s.write_dump(objects);
  CommandResult second = s.rdnsprov({"run"}, kT0 + kHour);
  ASSERT_EQ(second.exit_code, 0) << second.all();
  EXPECT_TRUE(server->wait_for_serial("193.in-addr.arpa", kT0 + kHour));
  EXPECT_NE(server->dig({"+noall", "+authority", "NS", "77.0.193.in-addr.arpa"}).find("ns1.new.example."),
            std::string::npos);
  EXPECT_EQ(server->serial("194.in-addr.arpa"), kT0);  // unchanged zones keep their serial

  // 3. The reload is refused (the control channel is not reachable): exit 6, a journal line naming the target,
  //    the server keeps the previous serial.
  configure_target(true);
  objects.push_back({"78.0.193.in-addr.arpa", {"ns1.new.example", "ns2.new.example"}, {}});
  s.write_dump(objects);
  std::size_t mark = s.journal_size();
  CommandResult refused = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(refused.exit_code, 6) << refused.all();
  EXPECT_FALSE(target_errors(mark).empty()) << refused.all();
  EXPECT_NE(refused.errors.find("target " + target_name()), std::string::npos) << refused.errors;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(server->serial("193.in-addr.arpa"), kT0 + kHour);
  // 4. The next run, with nothing changed and the control channel back, catches the reload up.
  configure_target(false);
  mark = s.journal_size();
  CommandResult caught_up = s.rdnsprov({"run"}, kT0 + 3 * kHour);
  EXPECT_EQ(caught_up.exit_code, 0) << caught_up.all();
  EXPECT_TRUE(target_errors(mark).empty());
  EXPECT_TRUE(server->wait_for_serial("193.in-addr.arpa", kT0 + 2 * kHour));
  EXPECT_NE(server->dig({"+noall", "+authority", "NS", "78.0.193.in-addr.arpa"}).find("ns1.new.example."),
            std::string::npos);

  // 5. The server is down during a run: exit 6 and a journal line; once it is back, the next run exits 0 and the
  //    new serial is served.
  server->stop();
  objects.push_back({"79.0.193.in-addr.arpa", {"ns1.new.example", "ns2.new.example"}, {}});
  s.write_dump(objects);
  mark = s.journal_size();
  CommandResult down = s.rdnsprov({"run"}, kT0 + 4 * kHour);
  EXPECT_EQ(down.exit_code, 6) << down.all();
  EXPECT_FALSE(target_errors(mark).empty()) << down.all();
  server->start();
  CommandResult back = s.rdnsprov({"run"}, kT0 + 5 * kHour);
  EXPECT_EQ(back.exit_code, 0) << back.all();
  EXPECT_TRUE(server->wait_for_serial("193.in-addr.arpa", kT0 + 4 * kHour));

  // 6. A zone file vanishes from the target (I-1): the next run writes it back from the published copy.
  fs::remove(zones_dir / "195.in-addr.arpa.zone");
  mark = s.journal_size();
  CommandResult restored = s.rdnsprov({"run"}, kT0 + 6 * kHour);
  EXPECT_EQ(restored.exit_code, 0) << restored.all();
  EXPECT_EQ(read_text(zones_dir / "195.in-addr.arpa.zone"), read_text(s.published_file("195.in-addr.arpa")));
  EXPECT_EQ(events_of(s.journal_since(mark), "target-zone-restored").size(), 1u);
  EXPECT_EQ(server->serial("195.in-addr.arpa"), kT0);
}

TEST_P(ServerTarget, ZoneListDoesNotShrinkWithoutAnOverride) {
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  ASSERT_TRUE(server->wait_for_serial("197.in-addr.arpa", kT0));
  std::string list = read_text(zone_list);

  // Most zones removed from the configuration (a bad edit): the list would drop from 5 zones to 1.
  s.zones = {"193.in-addr.arpa"};
  s.write_config();
  std::size_t mark = s.journal_size();
  CommandResult held = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(held.exit_code, 4) << held.all();
  EXPECT_EQ(read_text(zone_list), list);  // the server keeps its list
  bool journaled = false;
  for (const json& g : events_of(s.journal_since(mark), "gate")) {
    if (g.value("gate", "") == "zone-list" && g.value("target", "") == target_name()) {
      journaled = g.value("verdict", "") == "hold" && g.at("figures").value("before", 0) == 5 &&
                  g.at("figures").value("after", 0) == 1;
    }
  }
  EXPECT_TRUE(journaled) << held.all();
  EXPECT_NE(held.errors.find("--allow-list-drop " + target_name()), std::string::npos) << held.errors;
  EXPECT_EQ(server->serial("195.in-addr.arpa"), kT0);

  // An override needs a reason and names a server target.
  EXPECT_EQ(s.rdnsprov({"run", "--allow-list-drop", target_name()}, kT0 + kHour).exit_code, 2);
  EXPECT_EQ(s.rdnsprov({"run", "--allow-list-drop", "primary", "--reason", "x"}, kT0 + kHour).exit_code, 2);
  // With the override the list shrinks, and the server stops serving the removed zones.
  CommandResult allowed =
      s.rdnsprov({"run", "--allow-list-drop", target_name(), "--reason", "zones moved to another provider"}, kT0 + kHour);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.all();
  std::string shrunk = read_text(zone_list);
  EXPECT_NE(shrunk.find("193.in-addr.arpa"), std::string::npos) << shrunk;
  EXPECT_EQ(shrunk.find("195.in-addr.arpa"), std::string::npos) << shrunk;
  EXPECT_TRUE(server->wait_for_serial("195.in-addr.arpa", std::nullopt)) << server->dig({"SOA", "195.in-addr.arpa"});
  EXPECT_EQ(server->serial("193.in-addr.arpa"), kT0);
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerTarget, ::testing::Values("bind", "knot", "nsd", "pdns-bind"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

}  // namespace
}  // namespace rdnsprov::scenarios
