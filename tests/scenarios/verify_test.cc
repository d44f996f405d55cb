// I-7 and I-4 against real Knot DNS servers: after every publication rdnsprov asks every configured nameserver for
// every zone; a server that lags makes run exit 6 and is journaled; `rdnsprov verify` prints the table; a server
// serving a higher serial than the state knows pushes the new serial above it; read-back catches a server that
// serves the right serial with other content.
#include <atomic>
#include <thread>

#include "tests/scenarios/scenario.h"
#include "tests/support/knot_zone_server.h"

namespace rdnsprov::scenarios {
namespace {

using testing::KnotZoneServer;

constexpr const char* kZone = "193.in-addr.arpa";

// Waits until `server` answers `serial` for the zone (kdig, independent of rdnsprov's own client).
bool serves_serial(const KnotZoneServer& server, std::uint32_t serial, int seconds = 60) {
  for (int i = 0; i < seconds * 5; ++i) {
    CommandResult r = testing::run_command({"kdig", "-p", std::to_string(server.port()), "@127.0.0.1", "+short",
                                            "+time=1", "+retry=0", "SOA", kZone});
    std::istringstream in(r.output);
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    if (f.size() >= 3 && f[2] == std::to_string(serial)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::string verify_section(const std::vector<std::string>& servers, int deadline, bool read_back = true) {
  std::string list;
  for (const auto& s : servers) list += (list.empty() ? "" : " ") + s;
  return fmt::format("[verify]\nservers = {}\ntimeout = 1\nretries = 1\ndeadline = {}\nread-back = {}\n\n", list,
                     deadline, read_back ? "yes" : "no");
}

// The line of the verify table about `server`.
std::string table_line(const std::string& output, const std::string& server) {
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(std::string(kZone) + ".") && line.find(server) != std::string::npos) return line;
  }
  return "(no line for " + server + ")";
}

TEST(VerifyScenario, I7_LaggingServerMakesRunExit6AndVerifyShowsIt) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  Scenario s({kZone});
  s.write_dump(slash24_delegations(193, 300));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  std::uint32_t s1 = s.published_serial(kZone);

  // Server A serves the directory target's file; server B a copy that nobody updates.
  fs::create_directories(s.dir / "old");
  fs::copy_file(s.target_file(kZone), s.dir / "old" / (std::string(kZone) + ".zone"));
  KnotZoneServer a(s.dir / "knot-a");
  a.serve(kZone, s.target_file(kZone));
  KnotZoneServer b(s.dir / "knot-b");
  b.serve(kZone, s.dir / "old" / (std::string(kZone) + ".zone"));
  ASSERT_TRUE(a.start()) << a.log();
  ASSERT_TRUE(b.start()) << b.log();
  ASSERT_TRUE(serves_serial(a, s1)) << a.log();
  ASSERT_TRUE(serves_serial(b, s1)) << b.log();

  s.extra_sections = verify_section({a.address(), b.address()}, 10);
  s.write_config();
  CommandResult all_current = s.rdnsprov({"verify"}, kT0 + 60);
  EXPECT_EQ(all_current.exit_code, 0) << all_current.all();
  EXPECT_NE(table_line(all_current.output, a.address()).find("current"), std::string::npos) << all_current.output;
  EXPECT_NE(table_line(all_current.output, b.address()).find("equal"), std::string::npos) << all_current.output;

  // Changed data: run publishes a new serial; A is reloaded when the file changes (as a reload target would do),
  // B is not. Run waits for A within the deadline, and reports B.
  s.write_dump(slash24_delegations(193, 320));
  std::atomic<bool> done{false};
  std::thread reloader([&] {
    while (!done) {
      auto serial = soa_serial(read_text(s.target_file(kZone)));
      if (serial && *serial != s1) {
        a.reload(kZone);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::size_t mark = s.journal_size();
  CommandResult second = s.rdnsprov({"run"}, kT0 + kHour);
  done = true;
  reloader.join();
  EXPECT_EQ(second.exit_code, 6) << second.all();
  std::uint32_t s2 = s.published_serial(kZone);
  ASSERT_TRUE(serial_after(s2, s1));
  std::vector<json> verify_events = events_of(s.journal_since(mark), "verify");
  ASSERT_EQ(verify_events.size(), 1u) << second.all();
  EXPECT_EQ(verify_events[0].value("server", ""), b.address());
  EXPECT_EQ(verify_events[0].value("state", ""), "lagging");
  EXPECT_EQ(verify_events[0].value("published_serial", 0u), s2);
  EXPECT_EQ(verify_events[0].value("served_serial", 0u), s1);
  EXPECT_NE(second.output.find(b.address()), std::string::npos) << "the table names the lagging server:\n" << second.output;

  // `verify` now: A current (and read back equal), B lagging; exit 6.
  CommandResult lag = s.rdnsprov({"verify", "--deadline", "2"}, kT0 + kHour + 60);
  EXPECT_EQ(lag.exit_code, 6) << lag.all();
  std::string line_a = table_line(lag.output, a.address());
  std::string line_b = table_line(lag.output, b.address());
  EXPECT_NE(line_a.find("current"), std::string::npos) << lag.output;
  EXPECT_NE(line_a.find("equal"), std::string::npos) << lag.output;
  EXPECT_NE(line_b.find(fmt::format("lagging {}", s2 - s1)), std::string::npos) << lag.output;
  EXPECT_NE(line_b.find(std::to_string(s1)), std::string::npos) << lag.output;

  // B catches up: verify exits 0.
  fs::copy_file(s.target_file(kZone), s.dir / "old" / (std::string(kZone) + ".zone"), fs::copy_options::overwrite_existing);
  ASSERT_TRUE(b.reload(kZone));
  ASSERT_TRUE(serves_serial(b, s2)) << b.log();
  CommandResult caught_up = s.rdnsprov({"verify"}, kT0 + kHour + 120);
  EXPECT_EQ(caught_up.exit_code, 0) << caught_up.all();

  // B down: unreachable, named, exit 6.
  b.stop();
  CommandResult down = s.rdnsprov({"verify", "--deadline", "1"}, kT0 + kHour + 180);
  EXPECT_EQ(down.exit_code, 6) << down.all();
  EXPECT_NE(table_line(down.output, b.address()).find("unreachable"), std::string::npos) << down.output;
  EXPECT_NE(down.all().find("timed out"), std::string::npos) << down.all();
}

TEST(VerifyScenario, I4_LiveSerialAboveTheStateMovesTheNewSerialAboveIt) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  Scenario s({kZone});
  s.write_dump(slash24_delegations(193, 100));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  std::uint32_t s1 = s.published_serial(kZone);

  // A server serves the zone with a serial far above the state's (a restore from an older backup, I-4).
  std::uint32_t live = s1 + 500000;
  std::string text = read_text(s.target_file(kZone));
  std::size_t at = text.find(" " + std::to_string(s1) + " ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at + 1, std::to_string(s1).size(), std::to_string(live));
  write_text(s.dir / "ahead.zone", text);
  KnotZoneServer knot(s.dir / "knot");
  knot.serve(kZone, s.dir / "ahead.zone");
  ASSERT_TRUE(knot.start()) << knot.log();
  ASSERT_TRUE(serves_serial(knot, live)) << knot.log();
  // A second server that is down: a warning, not a stop.
  std::string down = fmt::format("127.0.0.1:{}", testing::free_port());
  s.extra_sections = verify_section({knot.address(), down}, 2, false);
  s.write_config();

  // diff shows the serial run will use.
  s.write_dump(slash24_delegations(193, 110));
  CommandResult diff = s.rdnsprov({"diff", "--format", "json"}, kT0 + 60);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  std::size_t mark = s.journal_size();
  CommandResult run = s.rdnsprov({"run"}, kT0 + 60);
  // Published; the servers do not serve it (nobody reloads them here): exit 6.
  EXPECT_EQ(run.exit_code, 6) << run.all();
  std::uint32_t s2 = s.published_serial(kZone);
  EXPECT_TRUE(serial_after(s2, live)) << "published " << s2 << ", live " << live;
  EXPECT_NE(diff.output.find(std::to_string(s2)), std::string::npos) << "diff showed another serial:\n" << diff.output;
  std::vector<json> entries = s.journal_since(mark);
  auto warnings = events_of(entries, "live-serial");
  ASSERT_FALSE(warnings.empty()) << run.all();
  EXPECT_EQ(warnings[0].value("server", ""), down);
  ASSERT_EQ(events_of(entries, "publish").size(), 1u);
}

TEST(VerifyScenario, ReadBackFindsOtherContentUnderThePublishedSerial) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  Scenario s({kZone});
  s.write_dump(slash24_delegations(193, 50));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  std::uint32_t s1 = s.published_serial(kZone);
  // The published file without one delegation's NS records, same serial.
  std::string text = read_text(s.target_file(kZone));
  std::string edited;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("7.0.193.in-addr.arpa.") && line.find("\tNS\t") != std::string::npos) continue;
    edited += line + "\n";
  }
  ASSERT_NE(edited, text);
  write_text(s.dir / "edited.zone", edited);
  KnotZoneServer wrong(s.dir / "knot-wrong");
  wrong.serve(kZone, s.dir / "edited.zone");
  KnotZoneServer closed(s.dir / "knot-closed");
  closed.serve(kZone, s.target_file(kZone), /*allow_transfer=*/false);
  ASSERT_TRUE(wrong.start()) << wrong.log();
  ASSERT_TRUE(closed.start()) << closed.log();
  ASSERT_TRUE(serves_serial(wrong, s1)) << wrong.log();
  ASSERT_TRUE(serves_serial(closed, s1)) << closed.log();
  s.extra_sections = verify_section({wrong.address(), closed.address()}, 2);
  s.write_config();
  CommandResult r = s.rdnsprov({"verify"}, kT0 + 60);
  EXPECT_EQ(r.exit_code, 6) << r.all();
  EXPECT_NE(table_line(r.output, wrong.address()).find("content-mismatch"), std::string::npos) << r.output;
  EXPECT_NE(r.all().find("- 7.0.193.in-addr.arpa."), std::string::npos) << "names the first differing record:\n"
                                                                        << r.all();
  // The server that refuses transfers is current, its read-back noted as refused.
  std::string closed_line = table_line(r.output, closed.address());
  EXPECT_NE(closed_line.find("current"), std::string::npos) << r.output;
  EXPECT_NE(closed_line.find("refused"), std::string::npos) << r.output;
  std::vector<json> events = events_of(s.journal(), "verify");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].value("state", ""), "content-mismatch");
  EXPECT_EQ(events[0].value("server", ""), wrong.address());
}

}  // namespace
}  // namespace rdnsprov::scenarios

namespace rdnsprov::scenarios {
namespace {

TEST(VerifyScenario, SignedZoneServedWithAnotherDnskeySetIsReported) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = nsec";
  s.extra_sections = "[policy.nsec]\ndenial = nsec\n\n";
  s.write_config();
  s.write_dump(slash24_delegations(193, 40));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  std::uint32_t s1 = s.published_serial(kZone);
  // The same file without the ZSK's DNSKEY record (the KSK stays), same serial.
  std::string text = read_text(s.target_file(kZone));
  std::string edited;
  std::size_t removed = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\tDNSKEY\t256 ") != std::string::npos) {
      ++removed;
      continue;
    }
    edited += line + "\n";
  }
  ASSERT_EQ(removed, 1u) << "expected one ZSK in\n" << text.substr(0, 2000);
  write_text(s.dir / "edited.zone", edited);
  KnotZoneServer right(s.dir / "knot-right");
  right.serve(kZone, s.target_file(kZone));
  KnotZoneServer wrong(s.dir / "knot-wrong");
  wrong.serve(kZone, s.dir / "edited.zone");
  ASSERT_TRUE(right.start()) << right.log();
  ASSERT_TRUE(wrong.start()) << wrong.log();
  ASSERT_TRUE(serves_serial(right, s1)) << right.log();
  ASSERT_TRUE(serves_serial(wrong, s1)) << wrong.log();
  s.extra_sections += verify_section({right.address(), wrong.address()}, 2, false);
  s.write_config();
  CommandResult r = s.rdnsprov({"verify"}, kT0 + 60);
  EXPECT_EQ(r.exit_code, 6) << r.all();
  EXPECT_NE(table_line(r.output, right.address()).find("current"), std::string::npos) << r.output;
  EXPECT_NE(table_line(r.output, wrong.address()).find("dnskey-mismatch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("DNSKEY key tags"), std::string::npos) << r.output;
}

TEST(NotifyTargetScenario, NotifyAcknowledgedOrReportedAsLagging) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  Scenario s({kZone});
  KnotZoneServer secondary(s.dir / "knot");
  secondary.accept_notify(kZone);
  ASSERT_TRUE(secondary.start()) << secondary.log();
  s.extra_sections = fmt::format("[target.secondaries]\ntype = notify\naddresses = {}\nnotify-timeout = 1\nnotify-retries = 1\n\n",
                                 secondary.address());
  s.write_config();
  s.write_dump(slash24_delegations(193, 30));
  CommandResult ok = s.rdnsprov({"run"}, kT0);
  EXPECT_EQ(ok.exit_code, 0) << ok.all();
  EXPECT_TRUE(events_of(s.journal(), "target-error").empty()) << ok.all();

  // A second address where nothing answers: the zone is out, but a server was not told (exit 6, journaled).
  std::string silent = fmt::format("127.0.0.1:{}", testing::free_port());
  s.extra_sections = fmt::format("[target.secondaries]\ntype = notify\naddresses = {}, {}\nnotify-timeout = 1\nnotify-retries = 1\n\n",
                                 secondary.address(), silent);
  s.write_config();
  s.write_dump(slash24_delegations(193, 31));
  std::size_t mark = s.journal_size();
  CommandResult lag = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(lag.exit_code, 6) << lag.all();
  std::vector<json> errors = events_of(s.journal_since(mark), "target-error");
  ASSERT_EQ(errors.size(), 1u) << lag.all();
  EXPECT_EQ(errors[0].value("target", ""), "secondaries");
  EXPECT_NE(errors[0].value("reason", "").find(silent), std::string::npos) << errors[0].dump();
  EXPECT_NE(errors[0].value("reason", "").find(kZone), std::string::npos) << errors[0].dump();
}

}  // namespace
}  // namespace rdnsprov::scenarios

namespace rdnsprov::scenarios {
namespace {

// Publishes a signed 193.in-addr.arpa with `policy` and serves it from Knot as published; verify with read-back
// checks the served NXDOMAIN proofs (and the transfer) and finds them right.
void expect_served_proofs_right(const std::string& policy) {
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = p";
  s.extra_sections = "[policy.p]\n" + policy + "\n\n";
  s.write_config();
  s.write_dump(slash24_delegations(193, 600));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  KnotZoneServer knot(s.dir / "knot");
  knot.serve(kZone, s.target_file(kZone));
  ASSERT_TRUE(knot.start()) << knot.log();
  ASSERT_TRUE(serves_serial(knot, s.published_serial(kZone))) << knot.log();
  s.extra_sections += verify_section({knot.address()}, 2, true);
  s.write_config();
  CommandResult r = s.rdnsprov({"verify"}, kT0 + 60);
  EXPECT_EQ(r.exit_code, 0) << policy << "\n" << r.all();
  EXPECT_NE(table_line(r.output, knot.address()).find("equal"), std::string::npos) << r.output;
}

TEST(VerifyScenario, ServedNsecAndNsec3ProofsOfPublishedZonesCheckOut) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  expect_served_proofs_right("denial = nsec");
  expect_served_proofs_right("denial = nsec3\nnsec3-salt = -\nnsec3-opt-out = yes");
  expect_served_proofs_right("denial = nsec3\nnsec3-salt = ABCDEF\nnsec3-iterations = 5");
}

TEST(VerifyScenario, MissingProofIsADenialMismatch) {
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
  Scenario s({kZone});
  s.zone_settings[kZone] = "dnssec-policy = p";
  s.extra_sections = "[policy.p]\ndenial = nsec\n\n";
  s.write_config();
  s.write_dump(slash24_delegations(193, 200));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  // Without the NSEC of the first delegation, 0-nx.0.193.in-addr.arpa (the first name of the sample) has no
  // covering proof.
  std::string text = read_text(s.target_file(kZone));
  std::string edited;
  std::size_t removed = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("0.0.193.in-addr.arpa.\t") && line.find("\tNSEC\t") != std::string::npos) {
      ++removed;
      continue;
    }
    edited += line + "\n";
  }
  ASSERT_EQ(removed, 1u);
  write_text(s.dir / "edited.zone", edited);
  KnotZoneServer knot(s.dir / "knot");
  knot.serve(kZone, s.dir / "edited.zone");
  ASSERT_TRUE(knot.start()) << knot.log();
  ASSERT_TRUE(serves_serial(knot, s.published_serial(kZone))) << knot.log();
  s.extra_sections += verify_section({knot.address()}, 2, true);
  s.write_config();
  CommandResult r = s.rdnsprov({"verify"}, kT0 + 60);
  EXPECT_EQ(r.exit_code, 6) << r.all();
  EXPECT_NE(table_line(r.output, knot.address()).find("denial-mismatch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0-nx.0.193.in-addr.arpa."), std::string::npos) << r.output;
}

}  // namespace
}  // namespace rdnsprov::scenarios
