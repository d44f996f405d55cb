// Faults of the machine under a real `rdnsprov run` (docs/RELIABILITY.md "Fault injection"): the state directory
// fills up in the middle of a run, the state directory turns read-only, the clock steps backwards between two runs,
// the PostgreSQL source dies in the middle of a streamed read. Each checks what an operator checks after an
// incident: a clear error naming the resource, the documented exit code, every published file wholly old or wholly
// new (I-4), the next run recovering, and the journal telling the story.
//
// The state directory lives on a small tmpfs mounted by the test (tests run as root here); where mounting is not
// permitted the test is skipped and says why.
#include <sys/statvfs.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "tests/scenarios/scenario.h"
#include "tests/support/postgres_server.h"

namespace rdnsprov::scenarios {
namespace {

// A tmpfs of `bytes` mounted on `dir` for the life of the object.
class Tmpfs {
 public:
  Tmpfs(const fs::path& dir, std::size_t bytes) : dir_(dir) {
    fs::create_directories(dir_);
    CommandResult r = testing::run_command(
        {"mount", "-t", "tmpfs", "-o", fmt::format("size={},mode=0755", bytes), "rdnsprov-test", dir_.string()});
    mounted_ = r.exit_code == 0;
    if (!mounted_) problem_ = fmt::format("cannot mount a tmpfs on {} (exit {}): {}", dir_.string(), r.exit_code, r.all());
  }
  ~Tmpfs() {
    if (mounted_) testing::run_command({"umount", "-l", dir_.string()});
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& problem() const { return problem_; }
  // Remounts read-only or read-write; the output of mount when that fails.
  std::string remount(bool read_only) const {
    CommandResult r = testing::run_command({"mount", "-o", read_only ? "remount,ro" : "remount,rw", dir_.string()});
    return r.exit_code == 0 ? std::string() : r.all();
  }
  std::uint64_t available() const {
    struct statvfs st{};
    if (::statvfs(dir_.c_str(), &st) != 0) return 0;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string problem_;
};

// Fills the file system of `file` until `keep_free` bytes are left (or as near as its blocks allow).
void fill_until(const Tmpfs& tmpfs, const fs::path& file, std::uint64_t keep_free) {
  std::uint64_t available = tmpfs.available();
  std::uint64_t size = available > keep_free ? available - keep_free : 0;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::string block(1 << 16, 'x');
  while (size > 0 && out) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, block.size()));
    out.write(block.data(), static_cast<std::streamsize>(n));
    size -= n;
  }
}

const std::vector<std::string> kZones{"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa"};

// Two versions of the registry: B moves every tenth delegation to other nameservers and has more in 194.
std::vector<DomainObject> registry_version(int v, std::size_t per_zone) {
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

// A scenario whose state directory is on its own tmpfs.
struct StateOnTmpfs {
  Scenario s{kZones};
  std::unique_ptr<Tmpfs> tmpfs;
  explicit StateOnTmpfs(std::size_t bytes) {
    tmpfs = std::make_unique<Tmpfs>(s.dir / "statefs", bytes);
    // The root of a tmpfs is the mount point; the state directory is a directory on it, as on any volume.
    s.state = s.dir / "statefs" / "state";
    s.extra_sections = "[snapshots]\nkeep = 1\nmax-age = 1\n";
    s.write_config();
  }
};

// Every published copy (STATE/published and the target) is one of the complete versions, never a mix or a cut.
void expect_whole(const Scenario& s, const std::map<std::string, std::set<std::string>>& versions,
                  const std::string& when) {
  for (const std::string& zone : kZones) {
    for (const fs::path& file : {s.published_file(zone), s.target_file(zone)}) {
      std::string text = read_text(file);
      EXPECT_TRUE(versions.at(zone).count(without_serial(text)))
          << file << " is not a complete version " << when << " (" << text.size() << " bytes)";
    }
  }
  for (const fs::path& dir : {s.state / "published", s.target}) {
    for (const auto& [name, bytes] : file_contents(dir)) {
      EXPECT_FALSE(name.starts_with(".")) << dir / name << ": a temporary file is left " << when;
    }
  }
  if (fs::exists(s.state / "snapshots")) {
    for (const auto& e : fs::directory_iterator(s.state / "snapshots")) {
      EXPECT_FALSE(e.path().filename().string().ends_with(".partial")) << e.path() << " is left " << when;
    }
  }
  s.journal();  // every line is whole JSON (checked inside)
}

// The disk fills up at many points of a run: before it starts, while it journals, while it writes the snapshot,
// between the zones it publishes, between a zone and its metadata.
TEST(FaultInjection, DiskFullAtEveryPointOfARunLeavesWholeFilesAndTheNextRunRecovers) {
  StateOnTmpfs t(64 << 20);
  if (!t.tmpfs->mounted()) GTEST_SKIP() << t.tmpfs->problem();
  Scenario& s = t.s;
  constexpr std::size_t kPerZone = 1500;
  const std::string dumps[2] = {rpsl_dump(registry_version(0, kPerZone)), rpsl_dump(registry_version(1, kPerZone))};

  std::map<std::string, std::set<std::string>> versions;
  std::time_t now = kT0;
  for (int v : {1, 0}) {
    write_text(s.dump, dumps[v]);
    CommandResult r = s.rdnsprov({"run"}, now);
    ASSERT_EQ(r.exit_code, 0) << r.all();
    for (const std::string& zone : kZones) versions[zone].insert(without_serial(read_text(s.published_file(zone))));
    now += 60;
  }
  std::uint64_t published_bytes = 0;
  for (const auto& [name, bytes] : file_contents(s.state / "published")) published_bytes += bytes.size();

  const fs::path ballast = s.dir / "statefs" / "ballast";
  std::set<std::string> failure_points;
  int failures = 0;
  // From no room at all to more than a run needs, in steps smaller than one zone file.
  for (int step = 0; step <= 24; ++step) {
    std::uint64_t keep_free = published_bytes * static_cast<std::uint64_t>(step) / 8;
    int v = (step + 1) % 2;  // the other version than what is published: every run wants to publish
    write_text(s.dump, dumps[v]);
    fill_until(*t.tmpfs, ballast, keep_free);
    std::size_t mark = s.journal_size();
    auto before = s.published_state();
    CommandResult r = s.rdnsprov({"run"}, now);
    std::string when = fmt::format("after a run with {} bytes free (step {})", keep_free, step);
    expect_whole(s, versions, when);
    if (r.exit_code != 0) {
      ++failures;
      EXPECT_EQ(r.exit_code, 1) << when << ": " << r.all();
      EXPECT_NE(r.errors.find("No space left on device"), std::string::npos) << when << ": " << r.errors;
      EXPECT_NE(r.errors.find(s.state.string()), std::string::npos) << "the error names the path: " << r.errors;
      // Which write failed: the message names it.
      for (const char* point : {"journal", "snapshot", "backup gate", "cannot publish zone", "lock", "FORMAT"}) {
        if (r.errors.find(point) != std::string::npos) failure_points.insert(point);
      }
      // What the journal could still take tells the story: no publish event without its zone published, and a
      // run that started and could journal its end ends with exit 1.
      auto entries = s.journal_since(mark);
      for (const json& e : events_of(entries, "publish")) {
        std::string zone = e.at("zone").get<std::string>();
        zone.pop_back();
        EXPECT_EQ(s.published_serial(zone), e.at("serial").get<std::uint32_t>()) << when;
      }
      for (const json& e : events_of(entries, "run-end")) EXPECT_EQ(e.at("exit"), 1) << when << ": " << e.dump();
    } else {
      for (const std::string& zone : kZones) {
        EXPECT_EQ(s.published_serial(zone), static_cast<std::uint32_t>(now)) << when;
      }
    }
    // Room again: the next run publishes the version in the sources and leaves a consistent state.
    fs::remove(ballast);
    now += 60;
    std::size_t recovery_mark = s.journal_size();
    CommandResult next = s.rdnsprov({"run"}, now);
    EXPECT_TRUE(next.exit_code == 0) << "the run after " << when << ": " << next.all();
    for (const std::string& zone : kZones) {
      std::string text = read_text(s.published_file(zone));
      EXPECT_EQ(read_text(s.target_file(zone)), text) << zone << " after the recovery from " << when;
      auto meta = s.meta(zone);
      EXPECT_EQ(meta.at("file_sha256"), dns::to_hex(dns::sha256(text), false)) << zone;
    }
    auto ends = events_of(s.journal_since(recovery_mark), "run-end");
    ASSERT_EQ(ends.size(), 1u) << "the recovery run journals its end";
    EXPECT_EQ(ends[0].at("exit"), 0);
    now += 60;
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GE(failures, 5) << "most fill levels are to make the run fail";
  std::string points;
  for (const auto& p : failure_points) points += " [" + p + "]";
  EXPECT_GE(failure_points.size(), 3u) << "the run is to fail at several points; seen:" << points;
  std::cout << "[ scenario ] " << failures << " of 25 runs failed for a full disk, at:" << points << "\n";
  CommandResult verify = s.rdnsprov({"snapshots", "verify"}, now);
  EXPECT_EQ(verify.exit_code, 0) << verify.all();
}

// The state directory's volume turns read-only (a remount after disk errors): the run refuses with a message
// naming the state directory, publishes nothing and leaves everything as it was; `diff` still works; once the
// volume is writable again the next run publishes.
TEST(FaultInjection, ReadOnlyStateDirectoryPublishesNothingAndTheNextRunRecovers) {
  StateOnTmpfs t(64 << 20);
  if (!t.tmpfs->mounted()) GTEST_SKIP() << t.tmpfs->problem();
  Scenario& s = t.s;
  s.write_dump(concat({slash24_delegations(193, 100), slash24_delegations(194, 100), slash24_delegations(195, 100)}));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  auto published = s.published_state();
  auto journal_before = read_text(s.journal_file());
  s.write_dump(concat({slash24_delegations(193, 110), slash24_delegations(194, 100), slash24_delegations(195, 90)}));

  std::string problem = t.tmpfs->remount(true);
  ASSERT_TRUE(problem.empty()) << problem;
  CommandResult r = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.errors.find("Read-only file system"), std::string::npos) << r.errors;
  EXPECT_NE(r.errors.find(s.state.string()), std::string::npos) << "the error names the state directory: " << r.errors;
  EXPECT_EQ(s.published_state(), published);
  EXPECT_EQ(read_text(s.journal_file()), journal_before);
  // A dry run needs no write access: it shows what the next run will do.
  CommandResult diff = s.rdnsprov({"diff"}, kT0 + kHour);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  // `freeze` cannot take effect on a read-only state either, and says so.
  CommandResult freeze = s.rdnsprov({"freeze", "--reason", "disk errors"}, kT0 + kHour);
  EXPECT_EQ(freeze.exit_code, 1) << freeze.all();
  EXPECT_NE(freeze.errors.find("Read-only file system"), std::string::npos) << freeze.errors;

  problem = t.tmpfs->remount(false);
  ASSERT_TRUE(problem.empty()) << problem;
  std::size_t mark = s.journal_size();
  CommandResult next = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(next.exit_code, 0) << next.all();
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), kT0 + 2 * kHour);
  EXPECT_EQ(delegation_count(read_text(s.published_file("195.in-addr.arpa")), "195.in-addr.arpa"), 90u);
  auto entries = s.journal_since(mark);
  EXPECT_EQ(events_of(entries, "publish").size(), 2u) << "193 and 195 changed";
  ASSERT_EQ(events_of(entries, "run-end").size(), 1u);
  EXPECT_EQ(events_of(entries, "run-end")[0].at("exit"), 0);
}

// The clock steps backwards between two runs (a wrong NTP step, a VM restored from an image): serials still move
// forward (RFC 1982, I-4), snapshots are not overwritten, retention deletes nothing it should keep, and runs
// after the step behave as before it.
TEST(FaultInjection, ClockSteppedBackwardsKeepsSerialsMovingForward) {
  Scenario s(kZones);
  s.extra_sections = "[snapshots]\nkeep = 2\nmax-age = 1h\n";
  s.write_config();
  s.write_dump(registry_version(0, 50));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  s.write_dump(registry_version(1, 50));
  CommandResult second = s.rdnsprov({"run"}, kT0 + kHour);
  ASSERT_EQ(second.exit_code, 0) << second.all();
  std::map<std::string, std::uint32_t> serials;
  for (const std::string& zone : kZones) serials[zone] = s.published_serial(zone);
  auto snapshots = s.snapshot_ids();
  ASSERT_FALSE(snapshots.empty());
  std::map<std::string, std::string> manifests;
  for (const std::string& id : snapshots) manifests[id] = read_text(s.state / "snapshots" / id / "manifest.json");

  // A day back: nothing changed in the sources, nothing is published.
  const std::time_t back = kT0 - 86400;
  std::size_t mark = s.journal_size();
  CommandResult same = s.rdnsprov({"run"}, back);
  EXPECT_EQ(same.exit_code, 0) << same.all();
  EXPECT_TRUE(events_of(s.journal_since(mark), "publish").empty());
  for (const std::string& zone : kZones) EXPECT_EQ(s.published_serial(zone), serials[zone]) << zone;

  // Still back in time, with a change: the serial moves forward of the published one, not back to the clock.
  s.write_dump(registry_version(0, 50));
  mark = s.journal_size();
  CommandResult changed = s.rdnsprov({"run"}, back + 60);
  EXPECT_EQ(changed.exit_code, 0) << changed.all();
  for (const std::string& zone : kZones) {
    EXPECT_TRUE(serial_after(s.published_serial(zone), serials[zone]))
        << zone << ": " << s.published_serial(zone) << " after " << serials[zone];
    serials[zone] = s.published_serial(zone);
  }
  auto entries = s.journal_since(mark);
  EXPECT_EQ(events_of(entries, "publish").size(), kZones.size());
  for (const json& e : events_of(entries, "publish")) EXPECT_EQ(e.at("serial").get<std::uint32_t>(), kT0 + kHour + 1);
  // Snapshots taken before the step are all still there and unchanged; retention with a negative age kept them.
  for (const auto& [id, manifest] : manifests) {
    ASSERT_TRUE(fs::exists(s.state / "snapshots" / id / "manifest.json")) << id << " was removed";
    EXPECT_EQ(read_text(s.state / "snapshots" / id / "manifest.json"), manifest) << id << " was overwritten";
  }
  CommandResult verify = s.rdnsprov({"snapshots", "verify"}, back + 60);
  EXPECT_EQ(verify.exit_code, 0) << verify.all();

  // The clock comes right again: the next change gets the clock's serial, ahead of everything published.
  s.write_dump(registry_version(1, 50));
  CommandResult later = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(later.exit_code, 0) << later.all();
  for (const std::string& zone : kZones) {
    EXPECT_EQ(s.published_serial(zone), kT0 + 2 * kHour) << zone;
    EXPECT_TRUE(serial_after(s.published_serial(zone), serials[zone])) << zone;
  }
  CommandResult diff = s.rdnsprov({"diff"}, kT0 + 2 * kHour);
  EXPECT_EQ(diff.exit_code, 0) << diff.all();
}

// The registry database stops (an immediate shutdown: every backend dies) while `run` streams the domain objects
// through its cursor: the run fails naming the source, publishes nothing, and the run after the restart does.
TEST(FaultInjection, PostgresStoppedInTheMiddleOfAStreamedReadPublishesNothing) {
  if (!testing::have_program("psql")) GTEST_SKIP() << "psql (postgresql-client) is not installed";
  testing::PostgresServer server;
  server.create_database("registry");
  server.psql("CREATE TABLE domain_objects (id bigint PRIMARY KEY, object text NOT NULL)", "registry");
  auto load = [&](const std::vector<DomainObject>& objects) {
    std::string sql = "BEGIN; DELETE FROM domain_objects;\n";
    std::int64_t id = 0;
    for (const DomainObject& o : objects) {
      std::string text = rpsl_dump({o});
      text = text.substr(text.find("domain:"));
      sql += fmt::format("INSERT INTO domain_objects VALUES ({}, $rpsl${}$rpsl$);\n", ++id, text);
    }
    server.psql(sql + "COMMIT;", "registry");
  };

  Scenario s({"193.in-addr.arpa"});
  // pg_sleep makes every row cost a fraction of a millisecond on the server, so that the read takes seconds and
  // the stop lands in the middle of it (the source accepts extra columns after id and object).
  std::string config = read_text(s.config);
  std::string rpsl_source = fmt::format("[source.dump]\ntype = rpsl\npath = {}\n", s.dump.string());
  ASSERT_NE(config.find(rpsl_source), std::string::npos);
  config.replace(config.find(rpsl_source), rpsl_source.size(),
                 fmt::format("[source.registry]\ntype = postgres\nconninfo = {}\n"
                             "query = SELECT id, object, pg_sleep(0.0003) FROM domain_objects ORDER BY id\n",
                             server.conninfo("registry")));
  write_text(s.config, config);

  load(slash24_delegations(193, 2000));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  auto published = s.published_state();

  load(slash24_delegations(193, 25000));
  std::size_t mark = s.journal_size();
  testing::ChildProcess run(s.argv({"run"}, kT0 + kHour), {}, s.dir / "run.log");
  // Wait until the first batch has been delivered and the next FETCH is under way, then stop the server.
  std::string first_fetch_start;
  bool second_fetch = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       std::chrono::steady_clock::now() < deadline && run.running();) {
    std::string fetch = server.psql(
        "SELECT query_start FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'FETCH%' LIMIT 1", "registry");
    if (!fetch.empty()) {
      if (first_fetch_start.empty()) first_fetch_start = fetch;
      else if (fetch != first_fetch_start) {
        second_fetch = true;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(second_fetch) << "the run never reached its second FETCH: " << read_text(s.dir / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.stop_immediately();
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       run.running() && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(run.running()) << "the run does not end after its database stopped";
  int code = run.stop();
  std::string log = read_text(s.dir / "run.log");
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("registry"), std::string::npos) << "the error names the source: " << log;
  EXPECT_NE(log.find("nothing was published"), std::string::npos) << log;
  EXPECT_EQ(s.published_state(), published);
  auto entries = s.journal_since(mark);
  EXPECT_TRUE(events_of(entries, "publish").empty());
  auto ends = events_of(entries, "run-end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].at("exit"), 1);
  EXPECT_NE(ends[0].at("message").get<std::string>().find("registry"), std::string::npos) << ends[0].dump();

  server.start();
  CommandResult next = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(next.exit_code, 0) << next.all();
  EXPECT_EQ(delegation_count(read_text(s.published_file("193.in-addr.arpa")), "193.in-addr.arpa"), 25000u);
}

}  // namespace
}  // namespace rdnsprov::scenarios
