// Faults of the machine under a real `rdnsprov run` (docs/RELIABILITY.md "Fault injection"): the state directory
// fills up in the middle of a run, the state directory turns read-only, the clock steps backwards between two runs,
// the PostgreSQL source dies in the middle of a streamed read, a peer's zonelet is replaced while it is being read.
// Each checks what an operator checks after an incident: a clear error naming the resource, the documented exit
// code, every published file wholly old or wholly new (I-4), the next run recovering, and the journal telling the
// story.
//
// The state directory lives on a small tmpfs mounted by the test (tests run as root here); where mounting is not
// permitted the test is skipped and says why.
#include <signal.h>
#include <sys/statvfs.h>

#include <chrono>
#include <functional>
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
  RDNSPROV_SKIP_UNLESS_PRESENT(t.tmpfs->mounted() ? std::string()
                                                  : "a size-limited tmpfs for the state directory, which needs root "
                                                    "(mount(8)): " + t.tmpfs->problem());
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
  RDNSPROV_SKIP_UNLESS_PRESENT(t.tmpfs->mounted() ? std::string()
                                                  : "a size-limited tmpfs for the state directory, which needs root "
                                                    "(mount(8)): " + t.tmpfs->problem());
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
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"psql"}));
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

// A zonelet of PEER-RIR for 193.in-addr.arpa: `count` /24 delegations 193.B.C.0/24, two nameservers each named
// after `version`, so that every line says which version it belongs to. With our header (digest and count), or
// as a plain fragment. 1,500 delegations make about 150 KB: more than the first part the reader takes before
// the fault pauses it.
std::string peer_zonelet(const std::string& version, bool header, std::time_t generated, std::size_t count = 1500) {
  std::string records;
  for (std::size_t i = 0; i < count; ++i) {
    for (int ns : {1, 2}) {
      records += fmt::format("{}.{}.193.in-addr.arpa.\t86400\tIN\tNS\tns{}.{}.peer.example.\n", i % 256, i / 256, ns,
                             version);
    }
  }
  if (!header) return "; delegations of PEER-RIR in 193.in-addr.arpa, plain fragment\n" + records;
  std::time_t t = generated;
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("; rdnsprov-zonelet: 1\n; sender: PEER-RIR\n; receiver: TEST-RIR\n; parent-zone: 193.in-addr.arpa.\n"
                     "; generated: {:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z\n; serial: {}\n; records: {}\n; sha256: {}\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, generated,
                     2 * count, dns::to_hex(dns::sha256(records), false)) +
         records;
}

// The peer's NS records a zone file holds, as "owner target" lines.
std::set<std::string> peer_ns_lines(const std::string& zone_text) {
  std::set<std::string> out;
  std::istringstream in(zone_text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string owner, ttl, cls, type, target;
    fields >> owner >> ttl >> cls >> type >> target;
    if (type == "NS" && target.ends_with(".peer.example.")) out.insert(owner + " " + target);
  }
  return out;
}

// Which versions' NS lines a text holds ("1046 arriving, 1969 replacing"): what a failure message shows instead
// of 150 KB.
std::string versions_in(const std::string& text) {
  std::map<std::string, std::size_t> lines;
  for (const std::string& ns : peer_ns_lines(text)) {
    std::size_t dot = ns.find('.', ns.rfind(" ns") + 1);
    lines[ns.substr(dot + 1, ns.find(".peer.example.") - dot - 1)]++;
  }
  std::string out;
  for (const auto& [version, n] : lines) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, version);
  return out.empty() ? "no delegation of the peer" : out;
}

// Waits until `child` is stopped (state T in /proc/PID/stat); false when it ended first or a minute passed.
bool wait_until_stopped(testing::ChildProcess& child) {
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       std::chrono::steady_clock::now() < deadline;) {
    if (!child.running()) return false;
    std::string stat = read_text(fmt::format("/proc/{}/stat", child.pid()));
    std::size_t close = stat.rfind(')');  // "PID (COMM) STATE …": the command name may hold anything
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// I-5: a peer's zonelet is replaced while `run` reads it. RDNSPROV_FAULT=zonelet-read-pause stops rdnsprov once it
// has read the first part of the file; the test replaces the file (by rename, as a peer should, or by writing it
// in place, as a plain copy does) and lets it go on. Whatever happens, the accepted zonelet in the state directory
// and the published zone are one whole version, never the first part of one and the rest of another; a file
// that changed under the reader is refused (exit 4) with a message naming the peer and the file; the journal
// says so; the next run accepts the new version and publishes it.
struct ReplacedZonelet {
  Scenario s{{"193.in-addr.arpa"}};
  fs::path incoming = s.dir / "incoming";
  fs::path stored = s.state / "zonelets/in/PEER-RIR/193.in-addr.arpa.zonelet";
  fs::path stored_meta = s.state / "zonelets/in/PEER-RIR/193.in-addr.arpa.json";

  ReplacedZonelet() {
    fs::create_directories(incoming);
    s.extra_sections =
        fmt::format("[peer.PEER-RIR]\nspace = 193.0.0.0/12\nincoming = {}\nstale-after = 10000d\n\n", incoming.string());
    s.write_config();
    s.write_dump(slash24_delegations(193, 20, 256 * 100));  // our own, in 193.100.x, outside the peer's space
  }

  // The state after a run: the stored zonelet is `text` whole, its metadata matches it, and the published zone
  // serves exactly its delegations.
  void expect_version(const std::string& text, const std::string& when) const {
    EXPECT_TRUE(read_text(stored) == text) << "STATE holds another zonelet " << when << ": "
                                           << versions_in(read_text(stored)) << " instead of " << versions_in(text);
    EXPECT_EQ(json::parse(read_text(stored_meta)).at("sha256"), dns::to_hex(dns::sha256(read_text(stored)), false))
        << when;
    std::set<std::string> expected = peer_ns_lines(text);
    for (const fs::path& zone : {s.published_file("193.in-addr.arpa"), s.target_file("193.in-addr.arpa")}) {
      std::set<std::string> served = peer_ns_lines(read_text(zone));
      EXPECT_TRUE(served == expected) << zone << " does not serve exactly one version's delegations " << when << ": "
                                      << versions_in(read_text(zone)) << " instead of " << versions_in(text);
    }
  }

  // Runs `run` with the fault, does `replace` while rdnsprov is stopped in the middle of reading `file`, and
  // returns the exit code and the output.
  std::pair<int, std::string> run_replacing(std::time_t now, const std::function<void()>& replace) const {
    fs::path log = s.dir / fmt::format("run-{}.log", now);
    testing::CommandOptions options;
    options.env = {{"RDNSPROV_FAULT", "zonelet-read-pause"}};
    testing::ChildProcess run(s.argv({"run"}, now), options, log);
    bool stopped = wait_until_stopped(run);
    EXPECT_TRUE(stopped) << "rdnsprov did not pause in the middle of reading the zonelet: " << read_text(log);
    if (stopped) {
      replace();
      kill(run.pid(), SIGCONT);
    }
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
         run.running() && std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_FALSE(run.running()) << "the run does not end";
    int code = run.stop();
    return {code, read_text(log)};
  }
};

// What a peer's plain copy (cp, scp, rsync --inplace) does: the same file truncated and written again.
void write_in_place(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

// What a peer should do: a temporary file beside it, renamed over it.
void write_by_rename(const fs::path& file, const std::string& text) {
  fs::path temporary = file.parent_path() / ("." + file.filename().string() + ".tmp");
  write_text(temporary, text);
  fs::rename(temporary, file);
}

void replaced_in_place(bool header) {
  ReplacedZonelet x;
  Scenario& s = x.s;
  const std::string file_name = header ? "193.in-addr.arpa.zonelet" : "193.in-addr.arpa.zone";
  const fs::path file = x.incoming / file_name;
  const std::string old_version = peer_zonelet("old", header, kT0 - 600);
  const std::string arriving = peer_zonelet("arriving", header, kT0 + kHour - 600);
  const std::string replacing = peer_zonelet("replacing", header, kT0 + kHour - 300);
  ASSERT_GT(arriving.size(), 2u * 65536u) << "the file must be larger than what the reader takes before the pause";

  write_text(file, old_version);
  fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(2));
  CommandResult first = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  x.expect_version(old_version, "after the first run");

  // The next version arrives; while rdnsprov reads it, the peer's copy of the one after it overwrites it in place.
  write_text(file, arriving);
  fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1));
  std::size_t mark = s.journal_size();
  auto before = s.published_state();
  auto [code, output] = x.run_replacing(kT0 + kHour, [&] { write_in_place(file, replacing); });
  EXPECT_EQ(code, 4) << "docs/EXIT-CODES.md: a peer's zonelet refused, the last accepted one kept\n" << output;
  bool named = false;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("peer PEER-RIR") != std::string::npos && line.find(file.string()) != std::string::npos &&
        line.find("refused") != std::string::npos && line.find("changed while it was being read") != std::string::npos) {
      named = true;
    }
  }
  EXPECT_TRUE(named) << "one line names the peer, the file and what happened:\n" << output;
  x.expect_version(old_version, "after the run that read a file being rewritten");
  EXPECT_EQ(s.published_state(), before) << "nothing changed, nothing published";
  auto entries = s.journal_since(mark);
  auto imports = events_of(entries, "zonelet-import");
  ASSERT_EQ(imports.size(), 1u) << output;
  EXPECT_EQ(imports[0].at("status"), "refused") << imports[0].dump();
  EXPECT_EQ(imports[0].at("peer"), "PEER-RIR");
  EXPECT_EQ(imports[0].at("file"), file.string());
  EXPECT_NE(imports[0].at("reason").get<std::string>().find("changed while it was being read"), std::string::npos)
      << imports[0].dump();
  EXPECT_TRUE(events_of(entries, "publish").empty());
  auto ends = events_of(entries, "run-end");
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].at("exit"), 4);

  // The copy has finished: the next run reads the new version whole and publishes it.
  mark = s.journal_size();
  CommandResult next = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(next.exit_code, 0) << next.all();
  x.expect_version(replacing, "after the next run");
  entries = s.journal_since(mark);
  imports = events_of(entries, "zonelet-import");
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].at("status"), "accepted") << imports[0].dump();
  EXPECT_EQ(zone_events(entries, "publish", "193.in-addr.arpa").size(), 1u);
}

TEST(FaultInjection, I5_ZoneletWithHeaderRewrittenInPlaceWhileReadIsRefusedWhole) { replaced_in_place(true); }

// A plain fragment has no digest: only the reader can tell that the bytes it read are half of one version and half
// of another.
TEST(FaultInjection, I5_PlainFragmentRewrittenInPlaceWhileReadIsRefusedWhole) { replaced_in_place(false); }

// A peer that writes a temporary file and renames it over the old one: the run reads the version it opened, whole,
// and accepts it; the next run accepts the one that replaced it.
TEST(FaultInjection, I5_ZoneletRenamedOverWhileReadGivesTheVersionOpenedWhole) {
  ReplacedZonelet x;
  Scenario& s = x.s;
  const fs::path file = x.incoming / "193.in-addr.arpa.zonelet";
  const std::string old_version = peer_zonelet("old", true, kT0 - 600);
  const std::string arriving = peer_zonelet("arriving", true, kT0 + kHour - 600);
  const std::string replacing = peer_zonelet("replacing", true, kT0 + kHour - 300);
  write_text(file, old_version);
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  x.expect_version(old_version, "after the first run");

  write_by_rename(file, arriving);
  std::size_t mark = s.journal_size();
  auto [code, output] = x.run_replacing(kT0 + kHour, [&] { write_by_rename(file, replacing); });
  EXPECT_EQ(code, 0) << output;
  x.expect_version(arriving, "after the run during which the file was renamed over");
  auto entries = s.journal_since(mark);
  auto imports = events_of(entries, "zonelet-import");
  ASSERT_EQ(imports.size(), 1u) << output;
  EXPECT_EQ(imports[0].at("status"), "accepted") << imports[0].dump();
  EXPECT_EQ(zone_events(entries, "publish", "193.in-addr.arpa").size(), 1u);

  mark = s.journal_size();
  CommandResult next = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(next.exit_code, 0) << next.all();
  x.expect_version(replacing, "after the next run");
  imports = events_of(s.journal_since(mark), "zonelet-import");
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].at("status"), "accepted") << imports[0].dump();
}

}  // namespace
}  // namespace rdnsprov::scenarios
