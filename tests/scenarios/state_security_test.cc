// Security of the state (docs/RELIABILITY.md "Security of the state"): whoever can write the state directory can
// publish zones, and a name from the configuration or the command line must never become a path outside the
// directory it belongs in. Checked through the real executable, the way an operator would meet each refusal.
#include <sys/stat.h>

#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

// The whole tree below `dir` (names only), to show that a refused command created nothing.
std::set<std::string> names_below(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(fs::relative(e.path(), dir).generic_string());
  return out;
}

TEST(StateSecurity, GroupOrWorldWritableStateDirectoryIsRefusedBeforeAnythingIsWritten) {
  for (fs::perms mode : {fs::perms(0770), fs::perms(0702), fs::perms(0777), fs::perms(0720)}) {
    Scenario s({"193.in-addr.arpa"});
    s.write_dump(slash24_delegations(193, 10));
    fs::create_directories(s.state);
    fs::permissions(s.state, mode);
    auto before = names_below(s.dir.path());
    CommandResult r = s.rdnsprov({"run"}, kT0);
    EXPECT_EQ(r.exit_code, 1) << r.all();
    EXPECT_NE(r.errors.find(s.state.string()), std::string::npos) << "names the directory: " << r.errors;
    EXPECT_NE(r.errors.find("group- or world-writable"), std::string::npos) << r.errors;
    EXPECT_NE(r.errors.find("chmod go-w"), std::string::npos) << "says how to fix it: " << r.errors;
    EXPECT_EQ(names_below(s.dir.path()), before) << "nothing was written";
    // Once fixed, the run goes ahead.
    fs::permissions(s.state, fs::perms(0750));
    CommandResult ok = s.rdnsprov({"run"}, kT0);
    EXPECT_EQ(ok.exit_code, 0) << ok.all();
  }
}

// A key that may have been exposed is never used: its zone is held by the dnssec gate with its published version,
// the key file named; the other zones go on (DESIGN: gates run per zone).
TEST(StateSecurity, PrivateKeyReadableByGroupOrOthersHoldsItsZoneNamingTheFile) {
  for (fs::perms mode : {fs::perms(0640), fs::perms(0604), fs::perms(0660)}) {
    Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
    s.zone_settings["193.in-addr.arpa"] = "dnssec-policy = test";
    s.extra_sections = "[policy.test]\nalgorithm = ed25519\nkeys = csk\nsignature-validity = 21d\nrefresh = 15d\n";
    s.write_config();
    auto dump = [&](std::size_t count) {
      std::vector<DomainObject> objects = slash24_delegations(193, count);
      for (DomainObject& o : slash24_delegations(194, count)) objects.push_back(std::move(o));
      s.write_dump(objects);
    };
    dump(10);
    CommandResult first = s.rdnsprov({"run"}, kT0);
    ASSERT_EQ(first.exit_code, 0) << first.all();
    std::vector<fs::path> privates;
    for (const auto& e : fs::recursive_directory_iterator(s.state / "keys")) {
      if (e.path().extension() == ".private") privates.push_back(e.path());
    }
    ASSERT_EQ(privates.size(), 1u);
    struct stat st{};
    ASSERT_EQ(::stat(privates[0].c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "rdnsprov writes private keys 0600";

    fs::permissions(privates[0], mode);
    std::string signed_zone = read_text(s.target_file("193.in-addr.arpa"));
    dump(12);
    CommandResult r = s.rdnsprov({"run"}, kT0 + kHour);
    EXPECT_EQ(r.exit_code, 4) << r.all();
    EXPECT_NE(r.all().find(privates[0].string()), std::string::npos) << "names the key file: " << r.all();
    EXPECT_NE(r.all().find("readable by group or others"), std::string::npos) << r.all();
    EXPECT_EQ(read_text(s.target_file("193.in-addr.arpa")), signed_zone) << "the signed zone was not published";
    EXPECT_EQ(delegation_count(read_text(s.target_file("194.in-addr.arpa")), "194.in-addr.arpa"), 12u)
        << "the other zone was published";
    // An unchanged zone stays held while its key is exposed: its signatures will need the key.
    CommandResult again = s.rdnsprov({"run"}, kT0 + 2 * kHour);
    EXPECT_EQ(again.exit_code, 4) << again.all();
    EXPECT_NE(again.all().find(privates[0].string()), std::string::npos) << again.all();
    // Once fixed, the zone is signed and published again.
    fs::permissions(privates[0], fs::perms(0600));
    CommandResult fixed = s.rdnsprov({"run"}, kT0 + 3 * kHour);
    EXPECT_EQ(fixed.exit_code, 0) << fixed.all();
    EXPECT_EQ(delegation_count(read_text(s.target_file("193.in-addr.arpa")), "193.in-addr.arpa"), 12u);
  }
}

// Zone names become file names (STATE/published/<zone>.zone, STATE/keys/<zone>/, <target>/<zone>.zone): a name
// with '/', '..' or NUL is a configuration error naming file, line and section, before any file is touched.
TEST(StateSecurity, ZoneNamesThatCouldEscapeTheirDirectoryAreConfigurationErrors) {
  const std::vector<std::string> bad{"../../etc/cron.d/x",  "193.in-addr.arpa/../../../tmp", "..",
                                     "a..in-addr.arpa",     std::string("193\0.in-addr.arpa", 17),
                                     "193.in-addr.arpa\\/x", "/etc"};
  for (const std::string& zone : bad) {
    Scenario s({"193.in-addr.arpa"});
    s.extra_sections = "[zone." + zone + "]\n";
    s.write_config();
    s.write_dump(slash24_delegations(193, 10));
    auto before = names_below(s.dir.path());
    std::string printable = ::testing::PrintToString(zone);
    for (const char* command : {"run", "check", "diff"}) {
      CommandResult r = s.rdnsprov({command}, kT0);
      EXPECT_EQ(r.exit_code, 2) << command << " with [zone." << printable << "]: " << r.all();
      EXPECT_NE(r.errors.find(s.config.string() + ":"), std::string::npos)
          << "names the file and line for " << printable << ": " << r.errors;
    }
    EXPECT_EQ(names_below(s.dir.path()), before) << "nothing was created for [zone." << printable << "]";
  }
}

TEST(StateSecurity, SnapshotIdsThatCouldEscapeTheSnapshotDirectoryAreRefused) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 10));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  s.write_dump(slash24_delegations(193, 11));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  ASSERT_FALSE(s.snapshot_ids().empty());
  const std::string newest = s.snapshot_ids().back();
  // A manifest-shaped file where "snapshots/.." or an absolute id would lead.
  write_text(s.state / "manifest.json", "{\"secret\": \"outside the snapshots\"}\n");
  fs::create_directories(s.dir / "elsewhere");
  fs::copy(s.state / "snapshots" / newest, s.dir / "elsewhere" / "copy", fs::copy_options::recursive);
  for (const std::string& id : {std::string(".."), std::string("../snapshots/") + newest,
                                (s.dir / "elsewhere" / "copy").string(), std::string(".")}) {
    CommandResult show = s.rdnsprov({"snapshots", "show", id}, kT0 + kHour);
    EXPECT_EQ(show.exit_code, 1) << id << ": " << show.all();
    EXPECT_EQ(show.output.find("secret"), std::string::npos) << id << " shows a file outside the snapshots";
    EXPECT_EQ(show.output.find("\"files\""), std::string::npos) << id << " shows a manifest outside the snapshots";
    CommandResult verify = s.rdnsprov({"snapshots", "verify", id}, kT0 + kHour);
    EXPECT_EQ(verify.exit_code, 1) << id << ": " << verify.all();
    EXPECT_NE(verify.output.find("is not a snapshot id"), std::string::npos) << verify.output;
    auto published = s.published_state();
    CommandResult rebuild = s.rdnsprov({"rebuild", "--from-snapshot", id}, kT0 + kHour);
    EXPECT_EQ(rebuild.exit_code, 1) << id << ": " << rebuild.all();
    EXPECT_EQ(s.published_state(), published);
  }
}

// A manifest edited to name a file outside its snapshot is refused by verify and rebuild; nothing outside is read
// or written.
TEST(StateSecurity, ManifestNamingAFileOutsideItsSnapshotIsRefused) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 10));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  s.write_dump(slash24_delegations(193, 11));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  std::string id = s.snapshot_ids().back();
  fs::path manifest_file = s.state / "snapshots" / id / "manifest.json";
  const json original = json::parse(read_text(manifest_file));
  for (const std::string& path : {std::string("../../journal.jsonl"), std::string("/etc/passwd"),
                                  std::string("published/../../../FORMAT"), std::string("published/\0x", 11)}) {
    json manifest = original;
    manifest["files"][0]["path"] = path;
    write_text(manifest_file, manifest.dump(2));
    CommandResult verify = s.rdnsprov({"snapshots", "verify", id}, kT0 + kHour);
    EXPECT_EQ(verify.exit_code, 1) << ::testing::PrintToString(path) << ": " << verify.all();
    EXPECT_NE(verify.output.find("outside the snapshot"), std::string::npos) << verify.output;
    CommandResult rebuild = s.rdnsprov({"rebuild", "--from-snapshot", id}, kT0 + kHour);
    EXPECT_EQ(rebuild.exit_code, 1) << rebuild.all();
  }
}

}  // namespace
}  // namespace rdnsprov::scenarios
