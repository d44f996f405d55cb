// Reviewed plans (RUNBOOK "Reviewing and applying a plan"): what `diff --save-plan` recorded is exactly what
// `run --plan` publishes, or it publishes nothing, exits 4 and names every difference. An edited plan is refused.
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

// "plan saved to FILE: sha256 HEX" from diff's text output.
std::string printed_sha256(const std::string& output) {
  std::size_t at = output.find("plan saved to ");
  if (at == std::string::npos) return "";
  std::size_t sha = output.find("sha256 ", at);
  return sha == std::string::npos ? "" : output.substr(sha + 7, 64);
}

// Adds keys to [general] of the scenario's configuration.
void add_general(const Scenario& s, const std::string& lines) {
  std::string text = read_text(s.config);
  std::size_t at = text.find("registry = TEST-RIR\n");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + std::string("registry = TEST-RIR\n").size(), lines);
  write_text(s.config, text);
}

class ScenarioReviewedPlan : public ::testing::Test {
 protected:
  Scenario s{{"193.in-addr.arpa", "194.in-addr.arpa"}};
  std::vector<DomainObject> z193 = slash24_delegations(193, 60);
  std::vector<DomainObject> z194 = slash24_delegations(194, 60);
  fs::path plan_file = s.dir / "review" / "plan.json";
  static constexpr std::time_t kDiff = kT0 + kHour;

  void SetUp() override {
    fs::create_directories(plan_file.parent_path());
    s.write_dump(concat({z193, z194}));
    ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
    // The change under review: two delegations added to 193.
    auto added = slash24_delegations(193, 2, 60);
    z193.insert(z193.end(), added.begin(), added.end());
    s.write_dump(concat({z193, z194}));
  }

  std::string save_plan() {
    auto before = s.published_state();
    CommandResult r = s.rdnsprov({"diff", "--save-plan", plan_file.string()}, kDiff);
    EXPECT_EQ(r.exit_code, 3) << r.all();
    std::string sha = printed_sha256(r.output);
    EXPECT_EQ(sha.size(), 64u) << r.output;
    EXPECT_EQ(json::parse(read_text(plan_file)).at("sha256"), sha);
    EXPECT_EQ(s.published_state(), before) << "diff --save-plan publishes nothing";
    return sha;
  }
};

TEST_F(ScenarioReviewedPlan, RunPublishesTheReviewedPlanAndJournalsItsHash) {
  std::string sha = save_plan();
  std::size_t mark = s.journal_size();
  // Applied two minutes later: the unixtime serial follows the clock, everything else is as reviewed.
  CommandResult r = s.rdnsprov({"run", "--plan", plan_file.string(), "--plan-sha256", sha}, kDiff + 120);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), kDiff + 120);
  EXPECT_EQ(delegation_count(read_text(s.published_file("193.in-addr.arpa")), "193.in-addr.arpa"), 62u);
  EXPECT_EQ(read_text(s.target_file("193.in-addr.arpa")), read_text(s.published_file("193.in-addr.arpa")));
  EXPECT_EQ(s.published_serial("194.in-addr.arpa"), kT0) << "unchanged in the plan, unchanged now";

  auto entries = s.journal_since(mark);
  ASSERT_FALSE(entries.empty());
  for (const json& e : entries) EXPECT_EQ(e.value("plan", ""), sha) << "every line of the run names the plan: " << e.dump();
  auto checks = events_of(entries, "plan-check");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].at("verdict"), "pass");
  EXPECT_TRUE(checks[0].at("differences").empty());
  auto publishes = events_of(entries, "publish");
  ASSERT_EQ(publishes.size(), 1u);
  EXPECT_EQ(publishes[0].at("zone"), "193.in-addr.arpa.");
}

TEST_F(ScenarioReviewedPlan, JsonDiffSavesTheSamePlan) {
  std::string sha = save_plan();
  fs::path json_plan = s.dir / "review" / "plan-from-json.json";
  CommandResult r = s.rdnsprov({"diff", "--format", "json", "--save-plan", json_plan.string()}, kDiff);
  ASSERT_EQ(r.exit_code, 3) << r.all();
  json out = json::parse(r.output);  // still one JSON document
  EXPECT_EQ(out.at("saved_plan").at("sha256"), sha) << "same sources, same state, same clock: the same plan";
  EXPECT_EQ(out.at("saved_plan").at("file"), json_plan.string());
  EXPECT_EQ(read_text(json_plan), read_text(plan_file));
  // A plan that cannot be written is an error naming the file.
  CommandResult bad = s.rdnsprov({"diff", "--save-plan", (s.dir / "no-such-dir" / "plan.json").string()}, kDiff);
  EXPECT_EQ(bad.exit_code, 1) << bad.all();
  EXPECT_NE(bad.all().find("no-such-dir"), std::string::npos) << bad.all();
}

TEST_F(ScenarioReviewedPlan, SourceChangedAfterTheReviewIsHeldNamingEachDifference) {
  std::string sha = save_plan();
  // After the review, the registry data moves on: a delegation leaves 194 and one in 193 gets a new DS.
  remove_object(z194, "5.0.194.in-addr.arpa");
  find_object(z193, "14.0.193.in-addr.arpa")->ds = {"4242 13 2 " + dns::to_hex(dns::sha256("unreviewed"), false)};
  s.write_dump(concat({z193, z194}));
  auto before = s.published_state();
  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run", "--plan", plan_file.string()}, kDiff + 60);
  EXPECT_EQ(r.exit_code, 4) << r.all();
  EXPECT_EQ(s.published_state(), before) << "nothing published, not even the zone that matches in part";
  EXPECT_NE(r.all().find("zone 194.in-addr.arpa.: action unchanged in the plan, publish now"), std::string::npos)
      << r.all();
  EXPECT_NE(r.all().find("zone 194.in-addr.arpa.: delegations 60 → 60 in the plan, 60 → 59 now"), std::string::npos)
      << r.all();
  EXPECT_NE(r.all().find("zone 193.in-addr.arpa.: content SHA-256"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("zone 193.in-addr.arpa.: delegations added/removed/changed +2 −0 ~0 in the plan, +2 −0 ~1 now"),
            std::string::npos)
      << r.all();

  auto entries = s.journal_since(mark);
  auto checks = events_of(entries, "plan-check");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].at("verdict"), "hold");
  EXPECT_EQ(checks[0].at("sha256"), sha);
  EXPECT_GE(checks[0].at("differences").size(), 4u) << checks[0].dump();
  EXPECT_TRUE(events_of(entries, "publish").empty());
  auto zone193 = zone_events(entries, "zone", "193.in-addr.arpa");
  ASSERT_EQ(zone193.size(), 1u);
  auto gate = gate_of(zone193[0], "reviewed-plan");
  ASSERT_TRUE(gate) << zone193[0].dump();
  EXPECT_EQ(gate->at("verdict"), "hold");
  EXPECT_EQ(events_of(entries, "run-end").at(0).at("exit"), 4);

  // The ordinary run is not bound by the plan: it publishes what the sources say now.
  EXPECT_EQ(s.rdnsprov({"run"}, kDiff + 120).exit_code, 0);
  EXPECT_EQ(delegation_count(read_text(s.published_file("194.in-addr.arpa")), "194.in-addr.arpa"), 59u);
}

TEST_F(ScenarioReviewedPlan, PlanOvertakenByAnotherPublicationIsHeld) {
  save_plan();
  ASSERT_EQ(s.rdnsprov({"run"}, kDiff + 60).exit_code, 0);  // the hourly run publishes the same change first
  auto before = s.published_state();
  CommandResult r = s.rdnsprov({"run", "--plan", plan_file.string()}, kDiff + 120);
  EXPECT_EQ(r.exit_code, 4) << r.all();
  EXPECT_NE(r.all().find(fmt::format("zone 193.in-addr.arpa.: published serial {} in the plan, {} now", kT0, kDiff + 60)),
            std::string::npos)
      << r.all();
  EXPECT_EQ(s.published_state(), before);
}

TEST_F(ScenarioReviewedPlan, EditedPlanIsRefusedAndNothingIsPublished) {
  std::string sha = save_plan();
  std::string text = read_text(plan_file);
  // Someone "fixes" the reviewed plan by hand: the content no longer matches its address.
  std::size_t at = text.find("\"delegations_after\": 62");
  ASSERT_NE(at, std::string::npos) << text;
  std::string edited = text;
  edited.replace(at, std::string("\"delegations_after\": 62").size(), "\"delegations_after\": 63");
  write_text(plan_file, edited);
  auto before = s.published_state();
  std::size_t mark = s.journal_size();
  CommandResult r = s.rdnsprov({"run", "--plan", plan_file.string()}, kDiff + 60);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.all().find(plan_file.string() + ": the plan's content does not match its SHA-256"), std::string::npos)
      << r.all();
  EXPECT_EQ(s.published_state(), before);
  auto entries = s.journal_since(mark);
  ASSERT_EQ(events_of(entries, "plan-refused").size(), 1u);
  EXPECT_TRUE(events_of(entries, "publish").empty());
  EXPECT_EQ(events_of(entries, "run-end").at(0).at("exit"), 1);

  // The intact file, but not the plan that was reviewed (another diff made it): refused as well.
  write_text(plan_file, text);
  std::string other(64, '0');
  r = s.rdnsprov({"run", "--plan", plan_file.string(), "--plan-sha256", other}, kDiff + 60);
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.all().find(fmt::format("plan {} is not the reviewed plan {}", sha, other)), std::string::npos) << r.all();
  EXPECT_EQ(s.published_state(), before);

  // Options that cannot go together are a usage error.
  r = s.rdnsprov({"run", "--plan", plan_file.string(), "--allow-drop", "193.in-addr.arpa", "--reason", "x"}, kDiff + 60);
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.all().find("--plan applies the --allow-drop overrides recorded in the plan"), std::string::npos) << r.all();
}

TEST_F(ScenarioReviewedPlan, StalePlanIsHeldAfterPlanMaxAge) {
  add_general(s, "plan-max-age = 10m\n");
  save_plan();
  auto before = s.published_state();
  CommandResult r = s.rdnsprov({"run", "--plan", plan_file.string()}, kDiff + 601);
  EXPECT_EQ(r.exit_code, 4) << r.all();
  EXPECT_NE(r.all().find("the plan is 601 s old, older than plan-max-age (600 s)"), std::string::npos) << r.all();
  EXPECT_EQ(s.published_state(), before);
  // Within the age it applies.
  EXPECT_EQ(s.rdnsprov({"run", "--plan", plan_file.string()}, kDiff + 600).exit_code, 0);
  EXPECT_EQ(s.published_serial("193.in-addr.arpa"), kDiff + 600);
}

TEST_F(ScenarioReviewedPlan, OverridesGivenToDiffAreAppliedByRunPlan) {
  // A reviewed large removal: diff with --allow-drop records the override, run --plan applies it.
  z193.resize(20);
  s.write_dump(concat({z193, z194}));
  CommandResult d = s.rdnsprov({"diff", "--save-plan", plan_file.string(), "--allow-drop", "193.in-addr.arpa",
                                "--reason", "ticket 7: reclaimed space"},
                               kDiff);
  ASSERT_EQ(d.exit_code, 3) << d.all();
  CommandResult r = s.rdnsprov({"run", "--plan", plan_file.string()}, kDiff + 30);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(delegation_count(read_text(s.published_file("193.in-addr.arpa")), "193.in-addr.arpa"), 20u);
  auto overrides = events_of(s.journal(), "override");
  ASSERT_FALSE(overrides.empty());
  EXPECT_NE(overrides.back().at("override").get<std::string>().find("ticket 7: reclaimed space"), std::string::npos);
}

// I-8: a signed zone's signatures are randomised and dated at signing time, so they are not what is compared; the
// unsigned content and the key material are. The same sources give the same plan, signed or not.
TEST(ScenarioReviewedSignedPlan, SignedZonePlanIsStableAndApplies) {
  Scenario s({"193.in-addr.arpa", "194.in-addr.arpa"});
  s.zone_settings["193.in-addr.arpa"] = "dnssec-policy = signed";
  s.extra_sections = "[policy.signed]\nsignature-validity = 30d\nrefresh = 15d\njitter = 1d\nzonemd = yes\n";
  s.write_config();
  auto z193 = slash24_delegations(193, 30);
  auto z194 = slash24_delegations(194, 30);
  s.write_dump(concat({z193, z194}));
  CommandResult first_run = s.rdnsprov({"run"}, kT0);  // keys are made here
  ASSERT_EQ(first_run.exit_code, 0) << first_run.all();
  auto added = slash24_delegations(193, 1, 30);
  z193.insert(z193.end(), added.begin(), added.end());
  s.write_dump(concat({z193, z194}));

  fs::path first = s.dir / "first.json";
  fs::path second = s.dir / "second.json";
  CommandResult a = s.rdnsprov({"diff", "--save-plan", first.string()}, kT0 + kHour);
  CommandResult b = s.rdnsprov({"diff", "--save-plan", second.string()}, kT0 + kHour);
  ASSERT_EQ(a.exit_code, 3) << a.all();
  ASSERT_EQ(b.exit_code, 3) << b.all();
  EXPECT_EQ(printed_sha256(a.output), printed_sha256(b.output)) << "signing twice gives different signatures, same plan";
  EXPECT_EQ(read_text(first), read_text(second));
  json plan = json::parse(read_text(first)).at("plan");
  ASSERT_EQ(plan.at("zones").size(), 2u);
  EXPECT_EQ(plan.at("zones")[0].at("zone"), "193.in-addr.arpa.");
  EXPECT_EQ(plan.at("zones")[0].at("dnssec_sha256").get<std::string>().size(), 64u) << plan.dump(2);
  EXPECT_EQ(plan.at("zones")[1].at("dnssec_sha256"), "") << "194 is not signed";
  bool dnssec_gate = false;
  for (const json& g : plan.at("zones")[0].at("gates")) dnssec_gate |= g.at("gate") == "dnssec" && g.at("verdict") == "pass";
  EXPECT_TRUE(dnssec_gate) << plan.at("zones")[0].dump(2);

  CommandResult r = s.rdnsprov({"run", "--plan", first.string(), "--plan-sha256", printed_sha256(a.output)},
                               kT0 + kHour + 300);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::string text = read_text(s.published_file("193.in-addr.arpa"));
  EXPECT_EQ(soa_serial(text), kT0 + kHour + 300);
  EXPECT_NE(text.find("\tIN\tRRSIG\t"), std::string::npos);
  EXPECT_NE(text.find("\tIN\tZONEMD\t"), std::string::npos);
  EXPECT_EQ(delegation_count(text, "193.in-addr.arpa"), 31u);
}

}  // namespace
}  // namespace rdnsprov::scenarios
