// I-1: zone files vanish from the provisioning system, unnoticed. Every configured zone is built on every run; a
// zone whose published copy is missing is reported loudly and rebuilt, never skipped or silently treated as new;
// the set of zones published is compared with the set configured.
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

TEST(ScenarioI1, DeletedPublishedCopyIsReportedAndRebuilt) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
  s.write_dump(concat({slash24_delegations(193, 120), slash24_delegations(194, 80)}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  std::string old_text = read_text(s.published_file("193.in-addr.arpa"));
  std::uint32_t old_serial = s.published_serial("193.in-addr.arpa");
  std::string untouched = read_text(s.published_file("194.in-addr.arpa"));

  fs::remove(s.published_file("193.in-addr.arpa"));  // by hand; its .json stays
  ASSERT_TRUE(fs::exists(s.published_meta("193.in-addr.arpa")));

  CommandResult diff = s.rdnsprov({"diff", "--format", "json"}, kT0 + kHour);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  json plan = json::parse(diff.output);
  ASSERT_EQ(plan.at("zones").size(), 2u);
  EXPECT_EQ(plan.at("zones")[0].at("zone"), "193.in-addr.arpa.");
  EXPECT_EQ(plan.at("zones")[0].at("action"), "publish");
  EXPECT_EQ(plan.at("zones")[0].at("first_publication"), false) << "not silently treated as new";
  EXPECT_NE(plan.at("zones")[0].at("published_problem").get<std::string>().find("missing"), std::string::npos);

  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.errors.find("193.in-addr.arpa"), std::string::npos) << r.errors;
  EXPECT_NE(r.errors.find("missing"), std::string::npos) << "reported loudly: " << r.errors;
  auto entries = s.journal_since(mark);
  auto problems = zone_events(entries, "published-copy-problem", "193.in-addr.arpa");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].at("problem").get<std::string>().find("193.in-addr.arpa.zone"), std::string::npos);
  auto published = zone_events(entries, "publish", "193.in-addr.arpa");
  ASSERT_EQ(published.size(), 1u);
  std::uint32_t serial = s.published_serial("193.in-addr.arpa");
  EXPECT_TRUE(serial_after(serial, old_serial)) << serial << " after " << old_serial;
  EXPECT_EQ(without_serial(read_text(s.published_file("193.in-addr.arpa"))), without_serial(old_text));
  EXPECT_EQ(read_text(s.target_file("193.in-addr.arpa")), read_text(s.published_file("193.in-addr.arpa")));
  EXPECT_TRUE(zone_events(entries, "publish", "194.in-addr.arpa").empty());
  EXPECT_EQ(read_text(s.published_file("194.in-addr.arpa")), untouched);
  EXPECT_EQ(s.rdnsprov({"diff"}, kT0 + kHour).exit_code, 0) << "consistent again";
}

// I-1: a published copy whose bytes no longer match its recorded digest is rebuilt the same way.
TEST(ScenarioI1, DamagedPublishedCopyIsReportedAndRebuilt) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 60));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  std::string text = read_text(s.published_file("193.in-addr.arpa"));
  write_text(s.published_file("193.in-addr.arpa"), text.substr(0, text.size() / 2));  // truncated by hand
  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  auto entries = s.journal_since(mark);
  EXPECT_EQ(zone_events(entries, "published-copy-problem", "193.in-addr.arpa").size(), 1u);
  EXPECT_EQ(zone_events(entries, "publish", "193.in-addr.arpa").size(), 1u);
  EXPECT_EQ(without_serial(read_text(s.published_file("193.in-addr.arpa"))), without_serial(text));
  EXPECT_TRUE(serial_after(s.published_serial("193.in-addr.arpa"), kT0));
}

TEST(ScenarioI1, ZoneAddedToConfigIsPublishedZoneRemovedIsReportedAndLeft) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
  s.write_dump(concat({slash24_delegations(193, 50), slash24_delegations(194, 50), slash24_delegations(195, 50)}));
  ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
  EXPECT_FALSE(fs::exists(s.published_file("195.in-addr.arpa")));

  // A zone added to the configuration: published on the next run, as a first publication.
  s.zones.push_back("195.in-addr.arpa");
  s.write_config();
  std::size_t mark = s.journal_size();
  CommandResult added = s.rdnsprov({"run"}, kT0 + kHour);
  EXPECT_EQ(added.exit_code, 0) << added.all();
  auto entries = s.journal_since(mark);
  auto zone = zone_events(entries, "zone", "195.in-addr.arpa");
  ASSERT_EQ(zone.size(), 1u);
  EXPECT_EQ(zone[0].at("action"), "publish");
  EXPECT_TRUE(zone[0].at("published_serial").is_null()) << "first publication";
  EXPECT_EQ(zone_events(entries, "publish", "195.in-addr.arpa").size(), 1u);
  EXPECT_EQ(events_of(entries, "publish").size(), 1u);
  EXPECT_EQ(delegation_count(read_text(s.target_file("195.in-addr.arpa")), "195.in-addr.arpa"), 50u);
  EXPECT_EQ(read_text(s.target_file("195.in-addr.arpa")), read_text(s.published_file("195.in-addr.arpa")));

  // A zone removed from the configuration: reported, left in place (never deleted by accident).
  auto before = s.published_state();
  s.zones = {"193.in-addr.arpa", "195.in-addr.arpa"};
  s.write_config();
  CommandResult diff = s.rdnsprov({"diff", "--format", "json"}, kT0 + 2 * kHour);
  EXPECT_EQ(diff.exit_code, 0) << diff.all();
  EXPECT_EQ(json::parse(diff.output).at("unconfigured"), json::array({"194.in-addr.arpa."}));
  mark = s.journal_size();
  CommandResult removed = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  EXPECT_EQ(removed.exit_code, 0) << removed.all();
  EXPECT_NE(removed.errors.find("194.in-addr.arpa"), std::string::npos) << removed.errors;
  EXPECT_NE(removed.errors.find("no longer configured"), std::string::npos) << removed.errors;
  EXPECT_EQ(s.published_state(), before) << "published/ and the target keep 194.in-addr.arpa";
  entries = s.journal_since(mark);
  EXPECT_TRUE(events_of(entries, "publish").empty());
  auto unconfigured = zone_events(entries, "zone-not-configured", "194.in-addr.arpa");
  EXPECT_EQ(unconfigured.size(), 1u) << "the journal records the decision to leave it";
}

}  // namespace
}  // namespace rdnsprov::scenarios
