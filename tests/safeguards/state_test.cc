#include <fstream>

#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "safeguards/freeze.h"
#include "safeguards/lock.h"
#include "safeguards/snapshot.h"
#include "safeguards/state_dir.h"
#include "tests/support/support.h"

namespace rdnsprov::safeguards {
namespace {

namespace fs = std::filesystem;
using rdnsprov::testing::TempDir;

PublishedMeta meta_for(const std::string& text, std::uint32_t serial) {
  PublishedMeta m;
  m.serial = serial;
  m.file_sha256 = dns::to_hex(dns::sha256(text), false);
  m.content_sha256 = "x";
  return m;
}

TEST(StateDir, CreatesTheLayoutAndRefusesANewerFormat) {
  TempDir dir;
  StateDir state = StateDir::open(dir / "state");
  for (const char* sub : {"published", "keys", "zonelets/in", "zonelets/out", "snapshots", "staging"}) {
    EXPECT_TRUE(fs::is_directory(dir / "state" / sub)) << sub;
  }
  EXPECT_EQ(dns::read_file(dir / "state" / "FORMAT"), "1\n");
  dns::write_file_atomically(dir / "state" / "FORMAT", "2\n");
  try {
    StateDir::open(dir / "state");
    FAIL() << "a newer layout was accepted";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("layout version 2"), std::string::npos) << e.what();
  }
}

TEST(StateDir, RefusesWritableByOthersAndForeignDirectories) {
  TempDir dir;
  fs::create_directories(dir / "open");
  fs::permissions(dir / "open", fs::perms(0777));
  EXPECT_THROW(StateDir::open(dir / "open"), StateError);
  fs::create_directories(dir / "etc");
  std::ofstream(dir / "etc" / "passwd") << "root:x:0:0\n";
  EXPECT_THROW(StateDir::open(dir / "etc"), StateError);
}

TEST(StateDir, ReportsAMissingOrDamagedPublishedCopy) {
  TempDir dir;
  StateDir state = StateDir::open(dir / "state");
  dns::Name apex = *dns::Name::from_text("193.in-addr.arpa");
  EXPECT_FALSE(state.published(apex).has_value());
  std::string text = "193.in-addr.arpa.\t60\tIN\tNS\tns.example.\n";
  state.write_published(apex, text, meta_for(text, 7));
  auto z = state.published(apex);
  ASSERT_TRUE(z.has_value());
  EXPECT_TRUE(z->intact());
  EXPECT_EQ(z->meta->serial, 7u);
  std::ofstream(state.published_dir() / "193.in-addr.arpa.zone", std::ios::app) << "tampered\n";
  z = state.published(apex);
  EXPECT_FALSE(z->intact());
  EXPECT_NE(z->problem.find("SHA-256"), std::string::npos) << z->problem;
  fs::remove(state.published_dir() / "193.in-addr.arpa.zone");
  z = state.published(apex);
  EXPECT_FALSE(z->intact());
  EXPECT_NE(z->problem.find("is missing"), std::string::npos) << z->problem;
  EXPECT_EQ(z->meta->serial, 7u);  // the serial is still known, so the next one moves forward of it
}

TEST(RunLock, OnlyOneHolderAtATime) {
  TempDir dir;
  auto first = RunLock::try_acquire(dir / "lock", 1800000000);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(RunLock::try_acquire(dir / "lock", 1800000000).has_value());
  EXPECT_NE(RunLock::holder(dir / "lock").find("pid"), std::string::npos);
  first.reset();
  EXPECT_TRUE(RunLock::try_acquire(dir / "lock", 1800000000).has_value());
}

TEST(Freeze, FreezeAndThawAreJournaled) {
  TempDir dir;
  StateDir state = StateDir::open(dir / "state");
  EXPECT_FALSE(frozen(state).has_value());
  freeze(state, "incident 42", "alice", 1800000000);
  auto f = frozen(state);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->reason, "incident 42");
  EXPECT_EQ(f->who, "alice");
  EXPECT_TRUE(thaw(state, "bob"));
  EXPECT_FALSE(frozen(state).has_value());
  EXPECT_FALSE(thaw(state, "bob"));
  auto entries = state.journal().read_all();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["event"], "freeze");
  EXPECT_EQ(entries[1]["event"], "thaw");
  EXPECT_EQ(entries[1]["who"], "bob");
}

TEST(Snapshots, WrittenVerifiedRestoredAndRetained) {
  TempDir dir;
  StateDir state = StateDir::open(dir / "state");
  dns::Name apex = *dns::Name::from_text("193.in-addr.arpa");
  std::string text = "193.in-addr.arpa.\t60\tIN\tNS\tns.example.\n";
  state.write_published(apex, text, meta_for(text, 7));
  fs::create_directories(state.keys_dir() / "193.in-addr.arpa");
  std::ofstream(state.keys_dir() / "193.in-addr.arpa" / "K193.in-addr.arpa.+013+00001.private") << "secret";
  std::ofstream(state.keys_dir() / "193.in-addr.arpa" / "K193.in-addr.arpa.+013+00001.key") << "public";
  Snapshot s = create_snapshot(state, 1800000000, "test");
  EXPECT_TRUE(verify_snapshot(state, s.id).ok);
  EXPECT_EQ(s.serials.at("193.in-addr.arpa"), 7u);
  // Private keys never go into a snapshot.
  for (const SnapshotFile& f : s.files) EXPECT_EQ(f.path.find(".private"), std::string::npos) << f.path;
  EXPECT_EQ(s.files.size(), 3u);  // zone, metadata, public key

  Snapshot restored = restore_snapshot(state, s.id, dir / "restore");
  EXPECT_EQ(dns::read_file(dir / "restore" / "published" / "193.in-addr.arpa.zone"), text);

  std::ofstream(state.snapshots_dir() / s.id / "published" / "193.in-addr.arpa.zone", std::ios::app) << "x";
  SnapshotCheck check = verify_snapshot(state, s.id);
  EXPECT_FALSE(check.ok);
  EXPECT_THROW(restore_snapshot(state, s.id, dir / "restore2"), StateError);
  EXPECT_FALSE(verify_snapshot(state, "../published").ok);

  // Retention: keep 1, max age 1 day. The corrupted one is old; the newest verified is never removed.
  Snapshot s2 = create_snapshot(state, 1800000000 + 10 * 86400, "newer");
  Snapshot s3 = create_snapshot(state, 1800000000 + 20 * 86400, "newest");
  std::ofstream(state.snapshots_dir() / s3.id / "published" / "193.in-addr.arpa.json", std::ios::app) << "x";
  auto removed = apply_retention(state, Retention{1, 86400}, 1800000000 + 30 * 86400);
  // s3 is kept by count (it is the newest), s2 because it is the newest that verifies, s is removed.
  EXPECT_EQ(removed, std::vector<std::string>{s.id});
  EXPECT_TRUE(fs::exists(state.snapshots_dir() / s2.id));
  EXPECT_TRUE(fs::exists(state.snapshots_dir() / s3.id));
}

}  // namespace
}  // namespace rdnsprov::safeguards
