// Zonelets between two registries, each a real `rdnsprov` with its own configuration and state: our export is
// imported by the peer and gives the same delegations; I-5: a run whose own source is lost exports nothing that
// would wipe the peers' copies.
#include <regex>

#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

// Lines "owner TYPE rdata" of the NS, DS, A, AAAA and CNAME records at or below `suffix` (TTL and class left out:
// each registry serves with its own TTLs).
std::set<std::string> delegation_lines(const std::string& text, const std::string& suffix) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == ';') continue;
    std::istringstream fields(line);
    std::string owner, ttl, cls, type, rest;
    fields >> owner >> ttl >> cls >> type;
    std::getline(fields, rest);
    if (type != "NS" && type != "DS" && type != "A" && type != "AAAA" && type != "CNAME") continue;
    if (owner.size() < suffix.size() || owner.compare(owner.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    out.insert(owner + " " + type + rest);
  }
  return out;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Registry TEST-RIR serves 194.in-addr.arpa; its data also holds space in 193.in-addr.arpa, which PEER-RIR serves.
struct Exchange {
  testing::TempDir exchange_dir;
  fs::path exchange = exchange_dir / "to-peer";
  Scenario ours{{"194.in-addr.arpa"}};
  Scenario peer{{"193.in-addr.arpa"}};

  Exchange() {
    fs::create_directories(exchange);
    ours.extra_sections = fmt::format(
        "[peer.PEER-RIR]\noutgoing = {}\nexport-zone = 193.in-addr.arpa\nexport-keep = 3\n\n", exchange.string());
    ours.write_config();
    peer.extra_sections = fmt::format(
        "[peer.TEST-RIR]\nspace = 193.0.0.0/16\nincoming = {}\nstale-after = 1d\n\n", exchange.string());
    peer.write_config();
    // The peer's own name in its headers.
    std::string text = read_text(peer.config);
    text = std::regex_replace(text, std::regex("registry = TEST-RIR"), "registry = PEER-RIR");
    write_text(peer.config, text);
  }

  // Our data: 30 delegations in 194, `in_193` in 193.0.x, a classless range with glue and a DS.
  static std::vector<DomainObject> our_objects(std::size_t in_193) {
    std::vector<DomainObject> objects = concat({slash24_delegations(194, 30), slash24_delegations(193, in_193)});
    objects.push_back({"0-63.250.0.193.in-addr.arpa", {"ns.5.250.0.193.in-addr.arpa 192.0.2.5", "ns2.isp1.example"}, {}});
    return objects;
  }
};

TEST(Zonelets, RoundTripOurExportImportedByThePeerGivesTheSameDelegations) {
  Exchange x;
  x.ours.write_dump(Exchange::our_objects(20));
  x.peer.write_dump(slash24_delegations(193, 20, 256 * 100));  // the peer's own, in 193.100.x

  CommandResult run = x.ours.rdnsprov({"run"}, kT0);
  ASSERT_EQ(run.exit_code, 0) << run.all();
  EXPECT_TRUE(events_of(x.ours.journal(), "placement-error").empty())
      << "delegations for a peer's zone are exported, not placement errors\n" << run.all();
  std::vector<fs::path> exported = files_in(x.exchange);
  ASSERT_EQ(exported.size(), 1u) << run.all();
  EXPECT_EQ(exported[0].filename().string(), fmt::format("193.in-addr.arpa.{}.zonelet", kT0));
  auto exports = events_of(x.ours.journal(), "zonelet-export");
  ASSERT_EQ(exports.size(), 1u);
  EXPECT_EQ(exports[0]["action"], "write");
  EXPECT_EQ(exports[0]["delegations"], 21);

  CommandResult imported = x.peer.rdnsprov({"run"}, kT0 + 60);
  ASSERT_EQ(imported.exit_code, 0) << imported.all();
  auto imports = events_of(x.peer.journal(), "zonelet-import");
  ASSERT_EQ(imports.size(), 1u) << imported.all();
  EXPECT_EQ(imports[0]["status"], "accepted") << imports[0].dump();
  EXPECT_EQ(imports[0]["delegations"], 21);
  EXPECT_TRUE(fs::exists(x.peer.state / "zonelets/in/TEST-RIR/193.in-addr.arpa.zonelet"));

  std::string zone = read_text(x.peer.published_file("193.in-addr.arpa"));
  std::set<std::string> sent = delegation_lines(read_text(exported[0]), ".0.193.in-addr.arpa.");
  std::set<std::string> served = delegation_lines(zone, ".0.193.in-addr.arpa.");
  EXPECT_EQ(sent.size(), 20 * 2 + 3 + 2 + 1 + 64) << "NS of 20 /24s, 3 DS, the range's 2 NS, 1 glue, 64 CNAMEs";
  EXPECT_EQ(served, sent);
  EXPECT_EQ(delegation_count(zone, "193.in-addr.arpa"), 20u + 21u);
  // The completeness gate covered the imported delegations.
  auto zones = zone_events(x.peer.journal(), "zone", "193.in-addr.arpa");
  ASSERT_FALSE(zones.empty());
  auto completeness = gate_of(zones.back(), "completeness");
  ASSERT_TRUE(completeness);
  EXPECT_EQ(completeness->at("figures").at("delegations_checked"), 41);
  EXPECT_EQ(completeness->at("figures").at("cnames_checked"), 64);

  // The snapshot taken before the next publication holds the accepted zonelet (I-5: imported zonelets are state).
  x.ours.write_dump(Exchange::our_objects(21));
  ASSERT_EQ(x.ours.rdnsprov({"run"}, kT0 + kHour).exit_code, 0);
  x.peer.write_dump(slash24_delegations(193, 21, 256 * 100));
  CommandResult diff = x.peer.rdnsprov({"diff"}, kT0 + kHour + 60);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  EXPECT_NE(diff.output.find("zonelets from peer TEST-RIR:"), std::string::npos) << diff.output;
  EXPECT_NE(diff.output.find("+ 20.0.193.in-addr.arpa. ([peer TEST-RIR] " + x.exchange.string()), std::string::npos)
      << diff.output;
  ASSERT_EQ(x.peer.rdnsprov({"run"}, kT0 + kHour + 60).exit_code, 0);
  std::vector<std::string> snapshots = x.peer.snapshot_ids();
  ASSERT_FALSE(snapshots.empty());
  EXPECT_TRUE(fs::exists(x.peer.state / "snapshots" / snapshots.back() / "zonelets/in/TEST-RIR/193.in-addr.arpa.zonelet"));

  // No new zonelet for three days: the last accepted one stays, with a staleness warning.
  for (const fs::path& f : files_in(x.exchange)) fs::remove(f);
  CommandResult late = x.peer.rdnsprov({"run"}, kT0 + 3 * 86400);
  EXPECT_EQ(late.exit_code, 0) << late.all();
  EXPECT_FALSE(events_of(x.peer.journal(), "zonelet-stale").empty()) << late.all();
  EXPECT_NE(late.all().find("longer ago than stale-after allows"), std::string::npos) << late.all();
  EXPECT_EQ(delegation_count(read_text(x.peer.published_file("193.in-addr.arpa")), "193.in-addr.arpa"), 21u + 22u);
}

TEST(Zonelets, I5_RunWhoseSourceIsLostExportsNothing) {
  Exchange x;
  x.ours.write_dump(Exchange::our_objects(40));
  ASSERT_EQ(x.ours.rdnsprov({"run"}, kT0).exit_code, 0);
  std::map<std::string, std::string> before = file_contents(x.exchange);
  ASSERT_EQ(before.size(), 1u);
  std::string out_state = read_text(x.ours.state / "zonelets/out/PEER-RIR.json");

  // The source is gone: the run fails before anything, and no export replaces the peer's copy.
  fs::remove(x.ours.dump);
  std::size_t mark = x.ours.journal_size();
  CommandResult lost = x.ours.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(lost.exit_code, 1) << lost.all();
  EXPECT_EQ(file_contents(x.exchange), before);
  EXPECT_TRUE(events_of(x.ours.journal_since(mark), "zonelet-export").empty());
  EXPECT_EQ(read_text(x.ours.state / "zonelets/out/PEER-RIR.json"), out_state);
  CommandResult exported = x.ours.rdnsprov({"zonelets", "export"}, kT0 + kHour);
  EXPECT_EQ(exported.exit_code, 1) << exported.all();
  EXPECT_EQ(file_contents(x.exchange), before);

  // The source comes back empty (a truncated dump): zones and the export are held; still nothing written.
  x.ours.write_dump({});
  CommandResult empty = x.ours.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(empty.exit_code, 4) << empty.all();
  EXPECT_EQ(file_contents(x.exchange), before);
  auto held = events_of(x.ours.journal(), "zonelet-export");
  ASSERT_FALSE(held.empty());
  EXPECT_EQ(held.back()["action"], "hold");
  EXPECT_NE(held.back()["reason"].get<std::string>().find("export-empty"), std::string::npos) << held.back().dump();

  // Half of the peer's part gone: the size-drop gate holds the export.
  x.ours.write_dump(Exchange::our_objects(20));
  CommandResult half = x.ours.rdnsprov({"zonelets", "export"}, kT0 + 3 * kHour);
  EXPECT_EQ(half.exit_code, 4) << half.all();
  EXPECT_EQ(file_contents(x.exchange), before);

  // Back to normal: the next run exports again.
  x.ours.write_dump(Exchange::our_objects(40));
  CommandResult back = x.ours.rdnsprov({"run"}, kT0 + 4 * kHour);
  EXPECT_EQ(back.exit_code, 0) << back.all();
  EXPECT_EQ(file_contents(x.exchange).size(), 2u);
}

TEST(Zonelets, RefusedZoneletKeepsTheLastAcceptedAndRunSaysHeld) {
  Exchange x;
  x.ours.write_dump(Exchange::our_objects(20));
  x.peer.write_dump(slash24_delegations(193, 5, 256 * 100));
  ASSERT_EQ(x.ours.rdnsprov({"run"}, kT0).exit_code, 0);
  CommandResult first = x.peer.rdnsprov({"zonelets", "import"}, kT0 + 60);
  ASSERT_EQ(first.exit_code, 0) << first.all();
  ASSERT_EQ(x.peer.rdnsprov({"run"}, kT0 + 120).exit_code, 0);
  // A truncated copy of the newest export arrives.
  fs::path newest = files_in(x.exchange).back();
  std::string text = read_text(newest);
  write_text(x.exchange / fmt::format("193.in-addr.arpa.{}.zonelet", kT0 + kHour), text.substr(0, text.size() * 2 / 3));
  // The truncated file keeps its header, whose generation time is the newest's; make it newer.
  std::string truncated = read_text(x.exchange / fmt::format("193.in-addr.arpa.{}.zonelet", kT0 + kHour));
  std::size_t g = truncated.find("; generated: ");
  truncated.replace(g + 13, 20, "2027-01-15T09:00:00Z");
  write_text(x.exchange / fmt::format("193.in-addr.arpa.{}.zonelet", kT0 + kHour), truncated);
  std::string before = read_text(x.peer.published_file("193.in-addr.arpa"));
  CommandResult run = x.peer.rdnsprov({"run"}, kT0 + kHour + 120);
  EXPECT_EQ(run.exit_code, 4) << run.all();
  EXPECT_NE(run.all().find("refused"), std::string::npos) << run.all();
  EXPECT_EQ(read_text(x.peer.published_file("193.in-addr.arpa")), before) << "the last accepted zonelet stays";
  auto imports = events_of(x.peer.journal(), "zonelet-import");
  ASSERT_FALSE(imports.empty());
  EXPECT_EQ(imports.back()["status"], "refused");
}

TEST(Zonelets, PeerDelegationCollidingWithOursNamesBothOrigins) {
  Exchange x;
  x.ours.write_dump(Exchange::our_objects(10));
  ASSERT_EQ(x.ours.rdnsprov({"run"}, kT0).exit_code, 0);
  // The peer's own registry data also delegates 193.0.5.0/24, which the configuration gives to TEST-RIR.
  std::vector<DomainObject> own = slash24_delegations(193, 3, 256 * 100);
  own.push_back({"5.0.193.in-addr.arpa", {"ns1.elsewhere.example"}, {}});
  x.peer.write_dump(own);
  CommandResult run = x.peer.rdnsprov({"run"}, kT0 + 60);
  EXPECT_EQ(run.exit_code, 0) << run.all();
  auto errors = events_of(x.peer.journal(), "placement-error");
  ASSERT_EQ(errors.size(), 2u) << run.all();
  // One error per side, each naming where it came from: the peer's dump line, the zonelet file and line.
  std::set<std::string> sources;
  for (const json& e : errors) {
    std::string origin = e["origin"].get<std::string>();
    EXPECT_EQ(e["key"], "5.0.193.in-addr.arpa") << e.dump();
    if (origin.starts_with("[dump] " + x.peer.dump.string() + ":")) sources.insert("dump");
    if (origin.starts_with("[peer TEST-RIR] " + x.exchange.string() + "/193.in-addr.arpa.")) sources.insert("zonelet");
  }
  EXPECT_EQ(sources, (std::set<std::string>{"dump", "zonelet"})) << errors[0].dump() << errors[1].dump();
  std::string zone = read_text(x.peer.published_file("193.in-addr.arpa"));
  EXPECT_EQ(zone.find("\n5.0.193.in-addr.arpa."), std::string::npos) << "both sides of a collision are dropped";
  EXPECT_NE(zone.find("\n4.0.193.in-addr.arpa."), std::string::npos);
}

TEST(Zonelets, PeerNamesThatWouldEscapeTheStateDirectoryAreConfigurationErrors) {
  Scenario s({"193.in-addr.arpa"});
  for (std::string bad : {"..", "a/b", ".x", "a b"}) {
    s.extra_sections = fmt::format("[peer.{}]\nspace = 193.0.0.0/16\nincoming = in\n", bad);
    s.write_config();
    CommandResult r = s.rdnsprov({"zonelets", "import"}, kT0);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.all();
    EXPECT_NE(r.all().find("a peer name is"), std::string::npos) << r.all();
    EXPECT_FALSE(fs::exists(s.state / "zonelets/in" / bad)) << bad;
  }
  s.extra_sections = "[peer.OK]\nspace = 10.0.0.0/8\nincoming = in\n";
  s.write_config();
  CommandResult outside = s.rdnsprov({"check"}, kT0);
  EXPECT_EQ(outside.exit_code, 2) << outside.all();
  EXPECT_NE(outside.all().find("space = 10.0.0.0/8 is not inside any zone we serve"), std::string::npos) << outside.all();
}

}  // namespace
}  // namespace rdnsprov::scenarios
