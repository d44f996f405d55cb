// I-2: the backup is not there when it is needed. Nothing is published unless a snapshot of what it replaces has
// been written, read back and verified (the backup gate); `snapshots verify` finds a damaged snapshot, and
// `rebuild --from-snapshot` refuses one.
// I-3: a cold start from a snapshot (`rebuild`) works in staging and publishes nothing unless asked to.
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

// A scenario after one good run, with a change waiting in the sources (so the next run wants to publish).
struct PendingChange {
  Scenario s{{"193.in-addr.arpa", "194.in-addr.arpa"}};
  std::map<std::string, std::string> published;
  PendingChange() {
    s.write_dump(concat({slash24_delegations(193, 100), slash24_delegations(194, 100)}));
    CommandResult first = s.rdnsprov({"run"}, kT0);
    EXPECT_EQ(first.exit_code, 0) << first.all();
    published = s.published_state();
    s.write_dump(concat({slash24_delegations(193, 105), slash24_delegations(194, 103)}));
  }
};

void expect_backup_error(const Scenario& s, std::size_t mark) {
  auto entries = s.journal_since(mark);
  EXPECT_TRUE(events_of(entries, "publish").empty());
  bool backup_error = false;
  for (const json& g : events_of(entries, "gate")) {
    if (g.value("gate", "") == "backup") {
      EXPECT_EQ(g.at("verdict"), "error") << g.dump();
      backup_error = true;
    }
  }
  EXPECT_TRUE(backup_error) << "the journal says the backup gate failed";
  auto end = events_of(entries, "run-end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].at("exit"), 1);
}

// I-2: the snapshot directory cannot take a new snapshot (here: it leads into /proc, where not even root can
// create a directory, as on a read-only or broken backup volume).
TEST(ScenarioI2, UnwritableSnapshotDirectoryPublishesNothing) {
  PendingChange p;
  fs::remove_all(p.s.state / "snapshots");
  fs::create_directory_symlink("/proc/self/fdinfo", p.s.state / "snapshots");
  std::size_t mark = p.s.journal_size();
  CommandResult r = p.s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.errors.find("backup gate"), std::string::npos) << r.errors;
  EXPECT_EQ(p.s.published_state(), p.published);
  expect_backup_error(p.s, mark);
}

// I-2: the snapshot directory replaced by a regular file: the state directory is unusable, nothing is published.
TEST(ScenarioI2, SnapshotDirectoryReplacedByAFilePublishesNothing) {
  PendingChange p;
  fs::remove_all(p.s.state / "snapshots");
  write_text(p.s.state / "snapshots", "not a directory\n");
  std::size_t mark = p.s.journal_size();
  CommandResult r = p.s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.errors.find("snapshots"), std::string::npos) << "the message names the path: " << r.errors;
  EXPECT_EQ(p.s.published_state(), p.published);
  EXPECT_TRUE(events_of(p.s.journal_since(mark), "publish").empty());
}

// I-2: the disk corrupts the snapshot while it is written; the read-back check catches it.
TEST(ScenarioI2, SnapshotCorruptedWhileWrittenPublishesNothing) {
  PendingChange p;
  auto snapshots = p.s.snapshot_ids();
  std::size_t mark = p.s.journal_size();
  CommandResult r = p.s.rdnsprov({"run"}, kT0 + kHour, {{"RDNSPROV_FAULT", "snapshot-corrupt"}});
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.errors.find("read-back"), std::string::npos) << r.errors;
  EXPECT_EQ(p.s.published_state(), p.published);
  expect_backup_error(p.s, mark);
  EXPECT_EQ(p.s.snapshot_ids(), snapshots) << "a snapshot that failed its check does not count as one";
  // Without the fault the same change publishes.
  CommandResult ok = p.s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(ok.exit_code, 0) << ok.all();
  EXPECT_EQ(p.s.published_serial("193.in-addr.arpa"), kT0 + 2 * kHour);
}

// I-2: a snapshot damaged on disk later is reported by `snapshots verify` and refused by `rebuild`.
TEST(ScenarioI2, CorruptedSnapshotFailsVerifyAndRebuildRefusesIt) {
  PendingChange p;
  ASSERT_EQ(p.s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  auto ids = p.s.snapshot_ids();
  ASSERT_EQ(ids.size(), 2u);  // before the first publication (empty) and before the second one
  const std::string id = ids.back();
  CommandResult verify = p.s.rdnsprov({"snapshots", "verify", id}, kT0 + kHour);
  ASSERT_EQ(verify.exit_code, 0) << verify.all();

  fs::path victim = p.s.state / "snapshots" / id / "published" / "193.in-addr.arpa.zone";
  std::string bytes = read_text(victim);
  ASSERT_FALSE(bytes.empty());
  bytes[bytes.size() / 2] ^= 0x01;
  write_text(victim, bytes);

  verify = p.s.rdnsprov({"snapshots", "verify", id}, kT0 + kHour);
  EXPECT_EQ(verify.exit_code, 1) << verify.all();
  EXPECT_NE(verify.output.find("FAILED"), std::string::npos) << verify.output;
  EXPECT_NE(verify.output.find("193.in-addr.arpa.zone"), std::string::npos) << "names the file: " << verify.output;
  CommandResult verify_all = p.s.rdnsprov({"snapshots", "verify"}, kT0 + kHour);
  EXPECT_EQ(verify_all.exit_code, 1) << verify_all.all();
  CommandResult show = p.s.rdnsprov({"snapshots", "show", id}, kT0 + kHour);
  EXPECT_EQ(show.exit_code, 1) << show.all();

  auto published = p.s.published_state();
  std::size_t mark = p.s.journal_size();
  CommandResult rebuild = p.s.rdnsprov({"rebuild", "--from-snapshot", id}, kT0 + 2 * kHour);
  EXPECT_EQ(rebuild.exit_code, 1) << rebuild.all();
  CommandResult rebuild_publish = p.s.rdnsprov({"rebuild", "--from-snapshot", id, "--publish"}, kT0 + 2 * kHour);
  EXPECT_EQ(rebuild_publish.exit_code, 1) << rebuild_publish.all();
  EXPECT_NE(rebuild_publish.errors.find("does not verify"), std::string::npos) << rebuild_publish.errors;
  EXPECT_EQ(p.s.published_state(), published);
  EXPECT_TRUE(events_of(p.s.journal_since(mark), "publish").empty());
  EXPECT_TRUE(fs::is_empty(p.s.state / "staging")) << "no staging area left behind";
}

// I-3: a cold start from a snapshot shows its diff and publishes nothing; with the state lost it restores and
// publishes, serials forward of the snapshot's, and the next hourly run finds nothing unexpected to do.
TEST(ScenarioI3, RebuildFromSnapshotShowsThenRestoresLostState) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa"});
  auto v0 = [] { return std::vector{slash24_delegations(193, 100), slash24_delegations(194, 100), slash24_delegations(195, 100)}; };
  auto v1 = v0();
  v1[0] = slash24_delegations(193, 105);
  auto v2 = v1;
  v2[1] = slash24_delegations(194, 107);
  s.write_dump(concat(v0()));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  s.write_dump(concat(v1));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  s.write_dump(concat(v2));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + 2 * kHour).exit_code, 0);
  // The newest snapshot was taken before the third run: 193 at kT0 + 1h, 194 and 195 at kT0.
  auto ids = s.snapshot_ids();
  ASSERT_EQ(ids.size(), 3u);
  const std::string id = ids.back();
  json manifest = json::parse(read_text(s.state / "snapshots" / id / "manifest.json"));
  EXPECT_EQ(manifest.at("serials").at("193.in-addr.arpa"), kT0 + kHour);
  EXPECT_EQ(manifest.at("serials").at("194.in-addr.arpa"), kT0);

  // Without --publish: the diff against the snapshot (194 changed since), nothing written outside the journal.
  auto listing_published = tree_listing(s.state / "published");
  auto listing_target = tree_listing(s.target);
  std::size_t mark = s.journal_size();
  CommandResult shown = s.rdnsprov({"rebuild", "--from-snapshot", id}, kT0 + 3 * kHour);
  EXPECT_EQ(shown.exit_code, 3) << "3: changes shown, not published (rebuild --help)" << shown.all();
  EXPECT_NE(shown.output.find("zone 194.in-addr.arpa.  WOULD PUBLISH"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("zone 193.in-addr.arpa.  unchanged"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("+ 100.0.194.in-addr.arpa."), std::string::npos) << shown.output;
  EXPECT_EQ(tree_listing(s.state / "published"), listing_published);
  EXPECT_EQ(tree_listing(s.target), listing_target);
  EXPECT_TRUE(events_of(s.journal_since(mark), "publish").empty());
  EXPECT_TRUE(fs::is_empty(s.state / "staging"));

  // The state is lost; the target still serves the zones.
  fs::remove_all(s.state / "published");
  mark = s.journal_size();
  CommandResult restored = s.rdnsprov({"rebuild", "--from-snapshot", id, "--publish"}, kT0 + 3 * kHour);
  EXPECT_EQ(restored.exit_code, 0) << restored.all();
  auto entries = s.journal_since(mark);
  EXPECT_EQ(events_of(entries, "rebuild").size(), 1u);
  for (const std::string zone : {"193.in-addr.arpa", "194.in-addr.arpa", "195.in-addr.arpa"}) {
    ASSERT_TRUE(fs::exists(s.published_file(zone))) << zone;
    EXPECT_EQ(read_text(s.published_file(zone)), read_text(s.target_file(zone))) << zone;
    std::uint32_t snapshot_serial = manifest.at("serials").at(zone).get<std::uint32_t>();
    std::uint32_t serial = s.published_serial(zone);
    EXPECT_TRUE(serial == snapshot_serial || serial_after(serial, snapshot_serial)) << zone << " " << serial;
  }
  EXPECT_TRUE(serial_after(s.published_serial("194.in-addr.arpa"), kT0 + 2 * kHour))
      << "the changed zone moves forward of everything ever published";
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), kT0 + kHour) << "same content, same serial";
  EXPECT_EQ(delegation_count(read_text(s.published_file("194.in-addr.arpa")), "194.in-addr.arpa"), 107u);
  EXPECT_EQ(delegation_count(read_text(s.published_file("193.in-addr.arpa")), "193.in-addr.arpa"), 105u);

  // The next hourly run: nothing unexpected.
  mark = s.journal_size();
  CommandResult next = s.rdnsprov({"run"}, kT0 + 4 * kHour);
  EXPECT_EQ(next.exit_code, 0) << next.all();
  entries = s.journal_since(mark);
  EXPECT_TRUE(events_of(entries, "publish").empty()) << next.all();
  EXPECT_TRUE(events_of(entries, "published-copy-problem").empty());
  EXPECT_EQ(s.rdnsprov({"diff"}, kT0 + 4 * kHour).exit_code, 0);
  EXPECT_EQ(s.rdnsprov({"snapshots", "verify"}, kT0 + 4 * kHour).exit_code, 0);
}

}  // namespace
}  // namespace rdnsprov::scenarios
