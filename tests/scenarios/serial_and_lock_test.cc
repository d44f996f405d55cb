// I-4: a serial race propagates incomplete zones. One run at a time (a second one exits 5 at once and does
// nothing); the serial always moves forward (RFC 1982) of the last published one and of what live servers serve,
// across the wrap-around of the 32-bit serial space.
#include <signal.h>

#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `lock` is held by someone else (flock -n fails on it).
bool lock_is_held(const fs::path& lock) {
  for (int i = 0; i < 300; ++i) {
    if (testing::run_command({"flock", "-n", lock.string(), "true"}).exit_code != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// I-4: another run holds the lock (here `flock STATE/lock sleep 60`, as a run in progress would).
TEST(ScenarioI4, RunWhileLockedExitsAtOnceAndDoesNothing) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 40));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  s.write_dump(slash24_delegations(193, 45));
  auto before = s.published_state();
  std::size_t mark = s.journal_size();
  {
    // -o: the lock belongs to flock itself, not to sleep, so that stopping flock releases it.
    testing::ChildProcess holder({"flock", "-o", (s.state / "lock").string(), "sleep", "60"});
    ASSERT_TRUE(lock_is_held(s.state / "lock"));
    auto started = Clock::now();
    CommandResult locked = s.rdnsprov({"run"}, kT0 + kHour);
    auto waited = Clock::now() - started;
    EXPECT_EQ(locked.exit_code, 5) << locked.all();
    EXPECT_LT(waited, std::chrono::seconds(30)) << "it does not wait for the lock";
    EXPECT_TRUE(holder.running()) << "the holder was still there";
    EXPECT_NE(locked.errors.find("lock"), std::string::npos) << locked.errors;
    // rebuild --publish takes the same lock.
    auto ids = s.snapshot_ids();
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(s.rdnsprov({"rebuild", "--from-snapshot", ids.back(), "--publish"}, kT0 + kHour).exit_code, 5);
    ::kill(-holder.pid(), SIGKILL);  // its process group: flock and its sleep
    holder.stop(SIGKILL);
  }
  EXPECT_EQ(s.published_state(), before);
  EXPECT_EQ(s.journal_size(), mark) << "a locked-out run ends before it does anything, journal included";
  CommandResult after = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(after.exit_code, 0) << after.all();
  EXPECT_EQ(zone_events(s.journal_since(mark), "publish", "193.in-addr.arpa").size(), 1u);
}

// I-4: two real runs started at the same moment on a large data set: exactly one runs, the other exits 5.
TEST(ScenarioI4, TwoRunsStartedTogetherExactlyOneRuns) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa"});
  s.write_dump(concat({slash24_delegations(193, 4000), slash24_delegations(194, 4000), slash24_delegations(195, 4000)}));
  testing::ChildProcess a(s.argv({"run"}, kT0));
  testing::ChildProcess b(s.argv({"run"}, kT0));
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while ((a.running() || b.running()) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<int> codes{a.stop(), b.stop()};
  std::sort(codes.begin(), codes.end());
  EXPECT_EQ(codes, (std::vector<int>{0, 5}));
  auto entries = s.journal();
  EXPECT_EQ(events_of(entries, "run-start").size(), 1u);
  EXPECT_EQ(events_of(entries, "publish").size(), 3u) << "each zone published once";
  EXPECT_EQ(s.rdnsprov({"diff"}, kT0).exit_code, 0);
}

// I-4: a live server serves a serial ahead of ours (observed-serial until the publisher reads real servers).
TEST(ScenarioI4, NewSerialPassesLiveSerialAhead) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
  s.zone_settings["193.in-addr.arpa"] = "observed-serial = 1900000000";
  s.write_config();
  s.write_dump(concat({slash24_delegations(193, 20), slash24_delegations(194, 20)}));
  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run"}, kT0);  // unixtime would give 1800000000
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::uint32_t serial = s.published_serial("193.in-addr.arpa");
  EXPECT_TRUE(serial_after(serial, 1900000000u)) << serial;
  EXPECT_EQ(serial, 1900000001u);
  EXPECT_EQ(s.published_serial("194.in-addr.arpa"), kT0) << "the other zone follows its policy";
  EXPECT_EQ(read_text(s.target_file("193.in-addr.arpa")), read_text(s.published_file("193.in-addr.arpa")));
  auto zone = zone_events(s.journal_since(mark), "zone", "193.in-addr.arpa");
  ASSERT_EQ(zone.size(), 1u);
  auto gate = gate_of(zone[0], "serial");
  ASSERT_TRUE(gate);
  EXPECT_EQ(gate->at("verdict"), "pass");
  EXPECT_EQ(gate->at("figures").at("live").at("observed-serial"), 1900000000u) << gate->dump();

  // Next change an hour later: still ahead of the published serial, never back to the clock.
  s.write_dump(concat({slash24_delegations(193, 21), slash24_delegations(194, 20)}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 1900000002u);
  // A live serial behind ours changes nothing; the clock catches up only when it is ahead.
  s.zone_settings.erase("193.in-addr.arpa");
  s.write_config();
  s.write_dump(concat({slash24_delegations(193, 22), slash24_delegations(194, 20)}));
  ASSERT_EQ(s.rdnsprov({"run"}, 1900000100).exit_code, 0);
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 1900000100u);
}

// I-4: a version that reached one target but not the other is not recorded as published, yet the first target's
// secondaries may have taken its serial: every later version, to every target, gets a serial forward of it, so that
// no serial is served with two contents.
TEST(ScenarioI4, ASerialThatReachedSomeTargetsIsNeverReusedForOtherContent) {
  Scenario s({"193.in-addr.arpa"});
  const fs::path second = s.dir / "second";
  s.zone_settings["193.in-addr.arpa"] = "serial-policy = counter";
  s.extra_sections = fmt::format("[target.second]\ntype = directory\npath = {}\n", second.string());
  s.write_config();
  std::map<std::uint32_t, std::string> served;  // serial → content the first target served with it
  auto run = [&](std::size_t delegations, std::time_t at) {
    s.write_dump(slash24_delegations(193, delegations));
    CommandResult r = s.rdnsprov({"run"}, at);
    std::string text = read_text(s.target_file("193.in-addr.arpa"));
    std::optional<std::uint32_t> serial = soa_serial(text);
    EXPECT_TRUE(serial.has_value());
    if (serial) {
      auto [it, added] = served.emplace(*serial, text);
      EXPECT_TRUE(added || it->second == text) << "serial " << *serial << " served with two contents";
    }
    return r;
  };
  ASSERT_EQ(run(20, kT0).exit_code, 0);
  fs::remove_all(second);
  write_text(second, "not a directory\n");  // the second target cannot take the zone
  EXPECT_NE(run(21, kT0 + kHour).exit_code, 0);
  EXPECT_NE(run(22, kT0 + 2 * kHour).exit_code, 0);
  EXPECT_EQ(s.meta("193.in-addr.arpa").value("partly_published_serial", 0u), 3u) << s.meta("193.in-addr.arpa").dump();
  fs::remove(second);
  CommandResult fixed = run(23, kT0 + 3 * kHour);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.all();
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 4u);
  EXPECT_EQ(read_text(second / "193.in-addr.arpa.zone"), read_text(s.target_file("193.in-addr.arpa")));
  EXPECT_FALSE(s.meta("193.in-addr.arpa").contains("partly_published_serial"));
  EXPECT_EQ(served.size(), 4u);
}

// I-4: serial arithmetic across the top of the 32-bit space (RFC 1982): the counter policy wraps to 0 and on.
TEST(ScenarioI4, CounterSerialWrapsForwardPerRfc1982) {
  Scenario s({"193.in-addr.arpa"});
  s.zone_settings["193.in-addr.arpa"] = "serial-policy = counter\nobserved-serial = 2147483649";
  s.write_config();
  std::size_t count = 10;
  s.write_dump(slash24_delegations(193, count));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  // The counter would start at 1, which is not after 2147483649 (exactly 2^31 away: unordered): one past it.
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 2147483650u);

  s.zone_settings["193.in-addr.arpa"] = "serial-policy = counter\nobserved-serial = 4294967289";
  s.write_config();
  s.write_dump(slash24_delegations(193, ++count));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + 60).exit_code, 0);
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 4294967290u);

  std::vector<std::uint32_t> expected{4294967291u, 4294967292u, 4294967293u, 4294967294u, 4294967295u, 0u, 1u};
  std::uint32_t previous = 4294967290u;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    s.write_dump(slash24_delegations(193, ++count));
    CommandResult r = s.rdnsprov({"run"}, kT0 + 120 + 60 * static_cast<std::time_t>(i));
    ASSERT_EQ(r.exit_code, 0) << r.all();
    std::uint32_t serial = s.published_serial("193.in-addr.arpa");
    EXPECT_EQ(serial, expected[i]);
    EXPECT_TRUE(serial_after(serial, previous)) << serial << " after " << previous;
    EXPECT_EQ(s.meta("193.in-addr.arpa").at("serial"), serial);
    previous = serial;
  }
}

// I-4: the unixtime policy after a published serial near the top of the space: the clock's serial is forward of it.
TEST(ScenarioI4, UnixtimeSerialWrapsForwardPerRfc1982) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 10));
  ASSERT_EQ(s.rdnsprov({"run"}, 4294967290).exit_code, 0);
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 4294967290u);
  s.write_dump(slash24_delegations(193, 11));
  ASSERT_EQ(s.rdnsprov({"run"}, 4294967300).exit_code, 0);  // 2^32 + 4 seconds: serial 4
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), 4u);
  EXPECT_TRUE(serial_after(4u, 4294967290u));
}

}  // namespace
}  // namespace rdnsprov::scenarios
