// `rdnsprov diff`, the dry run before publication, checked against known changes in text and JSON.
// I-6: RFC 2317 CNAMEs of a classless range are shown, so a missing one cannot go unnoticed.
// I-3: a change that would be held says so (exit 4); diff itself writes nothing, not even a state directory.
#include "tests/scenarios/scenario.h"

namespace rdnsprov::scenarios {
namespace {

std::set<std::string> children(const json& list) {
  std::set<std::string> out;
  for (const json& c : list) out.insert(c.at("child").get<std::string>());
  return out;
}

std::size_t lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(prefix)) ++n;
  }
  return n;
}

const json& zone_plan(const json& plan, const std::string& zone) {
  for (const json& z : plan.at("zones")) {
    if (z.at("zone") == zone + ".") return z;
  }
  throw std::runtime_error("no zone " + zone + " in the plan");
}

class ScenarioDiff : public ::testing::Test {
 protected:
  Scenario s{{"193.in-addr.arpa", "194.in-addr.arpa"}};
  std::vector<DomainObject> z193 = slash24_delegations(193, 60);
  std::vector<DomainObject> z194 = slash24_delegations(194, 60);
  std::map<std::string, int> lines;

  void SetUp() override {
    s.write_dump(concat({z193, z194}));
    ASSERT_EQ(s.rdnsprov({"run"}, kT0).exit_code, 0);
    // Add 2, remove 1, change the DS of 1 and the nameservers of another, add an RFC 2317 range.
    auto added = slash24_delegations(193, 2, 60);
    z193.insert(z193.end(), added.begin(), added.end());
    remove_object(z194, "5.0.194.in-addr.arpa");
    find_object(z193, "7.0.193.in-addr.arpa")->ds = {"4242 13 2 " + dns::to_hex(dns::sha256("new key"), false)};
    find_object(z194, "10.0.194.in-addr.arpa")->nservers = {"ns1.new-isp.example", "ns2.isp10.example"};
    z193.push_back({"0-63.7.1.193.in-addr.arpa", {"ns1.customer.example", "ns2.customer.example"}, {}});
    s.write_dump(concat({z193, z194}), &lines);
  }

  std::string origin(const std::string& domain) { return fmt::format("[dump] {}:{}", s.dump.string(), lines.at(domain)); }
};

TEST_F(ScenarioDiff, JsonListsExactlyTheKnownChangesWithOrigins) {
  CommandResult r = s.rdnsprov({"diff", "--format", "json"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 3) << "changes that would all publish" << r.all();
  json plan = json::parse(r.output);

  const json& a = zone_plan(plan, "193.in-addr.arpa");
  EXPECT_EQ(a.at("action"), "publish");
  EXPECT_EQ(a.at("serial"), kT0 + kHour);
  EXPECT_EQ(a.at("published_serial"), kT0);
  const json& da = a.at("diff");
  EXPECT_EQ(children(da.at("added")), (std::set<std::string>{"60.0.193.in-addr.arpa.", "61.0.193.in-addr.arpa.",
                                                             "0-63.7.1.193.in-addr.arpa."}));
  for (const json& c : da.at("added")) {
    std::string child = c.at("child").get<std::string>();
    EXPECT_EQ(c.at("origin"), origin(child.substr(0, child.size() - 1))) << c.dump();
  }
  EXPECT_TRUE(da.at("removed").empty()) << da.at("removed").dump();
  ASSERT_EQ(da.at("changed").size(), 1u) << da.at("changed").dump();
  const json& ds_change = da.at("changed")[0];
  EXPECT_EQ(ds_change.at("child"), "7.0.193.in-addr.arpa.");
  EXPECT_EQ(ds_change.at("origin"), origin("7.0.193.in-addr.arpa"));
  EXPECT_EQ(ds_change.at("before").at("nameservers"), ds_change.at("after").at("nameservers"));
  ASSERT_EQ(ds_change.at("after").at("ds").size(), 1u);
  EXPECT_TRUE(ds_change.at("after").at("ds")[0].get<std::string>().starts_with("4242 13 2 ")) << ds_change.dump();
  ASSERT_EQ(ds_change.at("before").at("ds").size(), 1u);
  EXPECT_TRUE(ds_change.at("before").at("ds")[0].get<std::string>().starts_with("1007 13 2 ")) << ds_change.dump();
  // I-6: every CNAME of the new range, and nothing else.
  ASSERT_EQ(da.at("cnames_added").size(), 64u);
  std::set<std::string> owners;
  for (const json& c : da.at("cnames_added")) {
    std::string owner = c.at("owner").get<std::string>();
    owners.insert(owner);
    std::string address = owner.substr(0, owner.find('.'));
    EXPECT_EQ(c.at("target"), address + ".0-63.7.1.193.in-addr.arpa.") << c.dump();
  }
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(owners.count(fmt::format("{}.7.1.193.in-addr.arpa.", i))) << i;
  EXPECT_TRUE(da.at("cnames_removed").empty());
  EXPECT_EQ(da.at("delegations_before"), 60);
  EXPECT_EQ(da.at("delegations_after"), 63);

  const json& b = zone_plan(plan, "194.in-addr.arpa");
  EXPECT_EQ(b.at("action"), "publish");
  const json& db = b.at("diff");
  EXPECT_TRUE(db.at("added").empty());
  EXPECT_EQ(children(db.at("removed")), std::set<std::string>{"5.0.194.in-addr.arpa."});
  ASSERT_EQ(db.at("changed").size(), 1u);
  const json& ns_change = db.at("changed")[0];
  EXPECT_EQ(ns_change.at("child"), "10.0.194.in-addr.arpa.");
  EXPECT_EQ(ns_change.at("origin"), origin("10.0.194.in-addr.arpa"));
  EXPECT_EQ(ns_change.at("before").at("nameservers"), json::array({"ns1.isp10.example.", "ns2.isp10.example."}));
  EXPECT_EQ(ns_change.at("after").at("nameservers"), json::array({"ns1.new-isp.example.", "ns2.isp10.example."}));
  EXPECT_TRUE(db.at("cnames_added").empty());

  for (const json& z : plan.at("zones")) {
    for (const json& g : z.at("gates")) EXPECT_EQ(g.at("verdict"), "pass") << g.dump();
  }
}

TEST_F(ScenarioDiff, TextShowsEachChangeOnItsLine) {
  CommandResult r = s.rdnsprov({"diff", "--max-lines", "0"}, kT0 + kHour);
  EXPECT_EQ(r.exit_code, 3) << r.all();
  const std::string& text = r.output;
  EXPECT_NE(text.find("zone 193.in-addr.arpa.  WOULD PUBLISH  serial 1800000000 → 1800003600"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  + 60.0.193.in-addr.arpa.  NS ns1.isp8.example., ns2.isp8.example.  [" +
                      origin("60.0.193.in-addr.arpa") + "]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  + 61.0.193.in-addr.arpa."), std::string::npos) << text;
  EXPECT_NE(text.find("  + 0-63.7.1.193.in-addr.arpa.  NS ns1.customer.example., ns2.customer.example."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  - 5.0.194.in-addr.arpa."), std::string::npos) << text;
  EXPECT_NE(text.find("  ~ 7.0.193.in-addr.arpa.  +DS 4242 13 2 "), std::string::npos) << text;
  EXPECT_NE(text.find("-DS 1007 13 2 "), std::string::npos) << text;
  EXPECT_NE(text.find("  ~ 10.0.194.in-addr.arpa.  +NS ns1.new-isp.example. -NS ns1.isp10.example.  [" +
                      origin("10.0.194.in-addr.arpa") + "]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  + CNAME 17.7.1.193.in-addr.arpa. → 17.0-63.7.1.193.in-addr.arpa."), std::string::npos) << text;
  EXPECT_EQ(lines_starting(text, "  + CNAME "), 64u);
  EXPECT_EQ(lines_starting(text, "  + ") - 64, 3u) << text;
  EXPECT_EQ(lines_starting(text, "  - "), 1u) << text;
  EXPECT_EQ(lines_starting(text, "  ~ "), 2u) << text;
}

TEST_F(ScenarioDiff, HeldChangeExitsFourAndSaysHeld) {
  z194.resize(30);  // 194 loses half its delegations
  s.write_dump(concat({z193, z194}));
  CommandResult text = s.rdnsprov({"diff"}, kT0 + kHour);
  EXPECT_EQ(text.exit_code, 4) << text.all();
  EXPECT_NE(text.output.find("zone 194.in-addr.arpa.  HELD"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("gate size-drop"), std::string::npos) << text.output;
  CommandResult j = s.rdnsprov({"diff", "--format", "json"}, kT0 + kHour);
  EXPECT_EQ(j.exit_code, 4);
  json plan = json::parse(j.output);
  EXPECT_EQ(zone_plan(plan, "194.in-addr.arpa").at("action"), "hold");
  EXPECT_EQ(zone_plan(plan, "193.in-addr.arpa").at("action"), "publish");
}

TEST_F(ScenarioDiff, DiffWritesNothing) {
  auto state = tree_listing(s.state);
  auto target = tree_listing(s.target);
  std::string journal = read_text(s.journal_file());
  EXPECT_EQ(s.rdnsprov({"diff"}, kT0 + kHour).exit_code, 3);
  EXPECT_EQ(s.rdnsprov({"diff", "--format", "json"}, kT0 + kHour).exit_code, 3);
  EXPECT_EQ(tree_listing(s.state), state) << "no file or directory created, changed or touched";
  EXPECT_EQ(tree_listing(s.target), target);
  EXPECT_EQ(read_text(s.journal_file()), journal);
}

// A state directory that does not exist yet: diff shows a first publication and does not create it.
TEST(ScenarioDiffFresh, DiffDoesNotCreateTheStateDirectory) {
  Scenario s({"193.in-addr.arpa"});
  s.write_dump(slash24_delegations(193, 20));
  ASSERT_FALSE(fs::exists(s.state));
  CommandResult r = s.rdnsprov({"diff", "--format", "json"}, kT0);
  EXPECT_EQ(r.exit_code, 3) << r.all();
  json plan = json::parse(r.output);
  EXPECT_EQ(zone_plan(plan, "193.in-addr.arpa").at("first_publication"), true);
  EXPECT_EQ(zone_plan(plan, "193.in-addr.arpa").at("diff").at("added").size(), 20u);
  EXPECT_FALSE(fs::exists(s.state));
  EXPECT_TRUE(fs::is_empty(s.target));
}

// I-6: every RFC 2317 CNAME of every accepted range is checked and published; a delegation that cannot be placed
// in any served zone is reported by name and origin, never dropped silently.
TEST(ScenarioI6, ClasslessCnamesCheckedAndUnplaceableDelegationReported) {
  Scenario s({"193.in-addr.arpa"});
  auto objects = slash24_delegations(193, 10);
  objects.push_back({"0-63.7.1.193.in-addr.arpa", {"ns1.customer-a.example"}, {}});
  objects.push_back({"130-140.7.1.193.in-addr.arpa", {"ns1.customer-c.example"}, {}});
  objects.push_back({"5.5.10.in-addr.arpa", {"ns1.elsewhere.example"}, {}});  // no served zone holds it
  std::map<std::string, int> lines;
  s.write_dump(objects, &lines);

  CommandResult diff = s.rdnsprov({"diff", "--format", "json"}, kT0);
  EXPECT_EQ(diff.exit_code, 3) << diff.all();
  EXPECT_EQ(json::parse(diff.output).at("placement_errors"), 1);

  CommandResult r = s.rdnsprov({"run"}, kT0);
  EXPECT_EQ(r.exit_code, 0) << r.all();
  auto entries = s.journal();
  auto zone = zone_events(entries, "zone", "193.in-addr.arpa");
  ASSERT_EQ(zone.size(), 1u);
  auto completeness = gate_of(zone[0], "completeness");
  ASSERT_TRUE(completeness);
  EXPECT_EQ(completeness->at("verdict"), "pass");
  EXPECT_EQ(completeness->at("figures").at("cnames_checked"), 64 + 11);
  EXPECT_EQ(completeness->at("figures").at("delegations_checked"), 12);
  std::string text = read_text(s.target_file("193.in-addr.arpa"));
  for (int a = 0; a < 64; ++a) {
    EXPECT_NE(text.find(fmt::format("\n{0}.7.1.193.in-addr.arpa.\t86400\tIN\tCNAME\t{0}.0-63.7.1.193.in-addr.arpa.\n", a)),
              std::string::npos)
        << a;
  }
  EXPECT_NE(text.find("\n140.7.1.193.in-addr.arpa.\t86400\tIN\tCNAME\t140.130-140.7.1.193.in-addr.arpa.\n"),
            std::string::npos);
  auto errors = events_of(entries, "placement-error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].at("key"), "5.5.10.in-addr.arpa") << errors[0].dump();
  EXPECT_EQ(errors[0].at("origin"), fmt::format("[dump] {}:{}", s.dump.string(), lines.at("5.5.10.in-addr.arpa")));
  EXPECT_NE(r.errors.find("5.5.10.in-addr.arpa"), std::string::npos) << r.errors;
  auto end = events_of(entries, "run-end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_NE(end[0].at("message").get<std::string>().find("1 placement errors"), std::string::npos) << end[0].dump();
}

}  // namespace
}  // namespace rdnsprov::scenarios
