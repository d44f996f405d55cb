// I-4: a run killed at any instant (SIGKILL: no cleanup at all) leaves every published file — STATE/published/
// and the zone directory target — a complete old or a complete new version, never a mix or a truncated file, and
// the next run succeeds and leaves a consistent state.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kZones{"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa"};

// Two versions of the registry: B moves every tenth delegation to other nameservers and has 10 more in 194.
std::vector<DomainObject> version(int v, std::size_t per_zone) {
  std::vector<DomainObject> out;
  for (int octet : {193, 194, 195}) {
    auto zone = slash24_delegations(octet, per_zone + (v == 1 && octet == 194 ? 10 : 0));
    if (v == 1) {
      for (std::size_t i = 0; i < zone.size(); i += 10) zone[i].nservers = {"ns1.moved.example", "ns2.moved.example"};
    }
    out.insert(out.end(), zone.begin(), zone.end());
  }
  return out;
}

TEST(ScenarioI4, SigkillAtRandomPointsNeverLeavesAPartialZone) {
  constexpr std::size_t kPerZone = 2000;
  constexpr int kKills = 50;
  Scenario s(kZones);
  s.extra_sections = "[snapshots]\nkeep = 3\nmax-age = 1\n";  // retention runs (and can be killed) every run
  s.write_config();
  const std::string dumps[2] = {rpsl_dump(version(0, kPerZone)), rpsl_dump(version(1, kPerZone))};

  // Complete runs of both versions: the content (serial aside) every published copy must have.
  std::map<std::string, std::set<std::string>> complete;  // zone → master files without serial
  std::map<std::string, std::string> version_a;           // zone → version A without serial
  std::set<std::uint32_t> serials;                        // every serial a run may have given
  std::time_t now = kT0;
  Clock::duration run_time{};
  for (int v : {0, 1}) {
    write_text(s.dump, dumps[v]);
    auto started = Clock::now();
    CommandResult r = s.rdnsprov({"run"}, now);
    run_time = std::max(run_time, Clock::now() - started);
    ASSERT_EQ(r.exit_code, 0) << r.all();
    serials.insert(static_cast<std::uint32_t>(now));
    for (const std::string& zone : kZones) {
      complete[zone].insert(without_serial(read_text(s.published_file(zone))));
      if (v == 0) version_a[zone] = without_serial(read_text(s.published_file(zone)));
    }
    now += 10;
  }
  ASSERT_EQ(complete["194.in-addr.arpa"].size(), 2u);
  auto run_ms = std::chrono::duration_cast<std::chrono::milliseconds>(run_time).count();

  auto check_whole = [&](const fs::path& file, const std::string& zone, int kill) {
    std::string text = read_text(file);
    ASSERT_FALSE(text.empty()) << file << " after kill " << kill;
    EXPECT_EQ(text.back(), '\n') << file << " ends in the middle of a line after kill " << kill;
    auto serial = soa_serial(text);
    ASSERT_TRUE(serial) << file << " has no SOA first after kill " << kill;
    EXPECT_TRUE(serials.count(*serial)) << file << " serial " << *serial << " after kill " << kill;
    EXPECT_TRUE(complete[zone].count(without_serial(text)))
        << file << " is neither complete version (a mix or truncated) after kill " << kill;
  };

  std::mt19937 random(20120613);  // fixed seed: the same kill points on every run of the test, machine speed aside
  std::uniform_int_distribution<long> delay_ms(0, std::max<long>(1, static_cast<long>(run_ms)));
  int killed = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    write_text(s.dump, dumps[kill % 2]);
    serials.insert(static_cast<std::uint32_t>(now));
    {
      testing::ChildProcess run(s.argv({"run"}, now));
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      if (run.stop(SIGKILL) == 128 + SIGKILL) ++killed;
    }
    now += 10;
    for (const std::string& zone : kZones) {
      check_whole(s.published_file(zone), zone, kill);
      check_whole(s.target_file(zone), zone, kill);
    }
    s.journal();  // every journal line is still a whole JSON object (checked inside)
    // I-2: every snapshot in sight is whole (`snapshots verify` would pass): none half-written or half-deleted.
    for (const std::string& id : s.snapshot_ids()) {
      fs::path dir = s.state / "snapshots" / id;
      json manifest = json::parse(read_text(dir / "manifest.json"), nullptr, false);
      ASSERT_TRUE(manifest.is_object()) << "snapshot " << id << " has no readable manifest after kill " << kill;
      for (const json& f : manifest.at("files")) {
        fs::path file = dir / f.at("path").get<std::string>();
        EXPECT_TRUE(fs::exists(file) && dns::to_hex(dns::sha256(read_text(file)), false) == f.at("sha256"))
            << file << " after kill " << kill;
      }
    }
    if (::testing::Test::HasFatalFailure()) return;
    // Every tenth kill, the next uninterrupted run succeeds.
    if (kill % 10 == 9) {
      serials.insert(static_cast<std::uint32_t>(now));
      CommandResult r = s.rdnsprov({"run"}, now);
      now += 10;
      ASSERT_EQ(r.exit_code, 0) << "after kill " << kill << ": " << r.all();
    }
  }
  EXPECT_GE(killed, kKills / 4) << "most runs are to be killed while working (run time " << run_ms << " ms)";

  // The next uninterrupted run succeeds and leaves a consistent state.
  write_text(s.dump, dumps[0]);
  serials.insert(static_cast<std::uint32_t>(now));
  CommandResult r = s.rdnsprov({"run"}, now);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  for (const std::string& zone : kZones) {
    EXPECT_EQ(read_text(s.published_file(zone)), read_text(s.target_file(zone))) << zone;
    check_whole(s.published_file(zone), zone, kKills);
    EXPECT_EQ(without_serial(read_text(s.published_file(zone))), version_a[zone]) << zone << " is version A";
  }
  for (const fs::path& dir : {s.state / "published", s.target}) {
    for (const auto& [name, bytes] : file_contents(dir)) {
      EXPECT_FALSE(name.starts_with(".")) << dir / name << ": a temporary file of a killed run is still there";
    }
  }
  CommandResult verify = s.rdnsprov({"snapshots", "verify"}, now);
  EXPECT_EQ(verify.exit_code, 0) << verify.all();
  CommandResult diff = s.rdnsprov({"diff"}, now);
  EXPECT_EQ(diff.exit_code, 0) << diff.all();
  std::cout << "[ scenario ] " << killed << " of " << kKills << " runs killed mid-run (complete run " << run_ms
            << " ms)\n";
}

}  // namespace
}  // namespace rdnsprov::scenarios
