// Reviewed plan files: content address, refusal of edited or damaged files, and what counts as a difference.
#include "safeguards/reviewed_plan.h"

#include <cctype>

#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "tests/support/support.h"

namespace rdnsprov::safeguards {
namespace {

namespace fs = std::filesystem;

ReviewedZone zone(const std::string& apex, const std::string& policy = "unixtime") {
  ReviewedZone z;
  z.zone = apex;
  z.action = "publish";
  z.serial_policy = policy;
  z.published_serial = 1800000000;
  z.published_sha256 = std::string(64, 'a');
  z.serial = 1800003600;
  z.delegations_before = 60;
  z.delegations_after = 62;
  z.records_before = 200;
  z.records_after = 206;
  z.added = 2;
  z.content_sha256 = std::string(64, 'c');
  z.gates = {{"serial", "pass"}, {"empty-zone", "pass"}, {"size-drop[delegations]", "pass"}};
  return z;
}

ReviewedPlan plan() {
  ReviewedPlan p;
  p.created = 1800003600;
  p.state = "/var/lib/rdnsprov";
  p.config = "/etc/rdnsprov/rdnsprov.conf";
  p.zones = {zone("193.in-addr.arpa."), zone("194.in-addr.arpa.", "counter")};
  p.total_drop = "pass";
  p.overrides = {{*dns::Name::from_text("193.in-addr.arpa"), "ticket 42: registry cleanup"}};
  return p;
}

bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const std::string& l : lines) {
    if (l.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST(ReviewedPlan, FileRoundTripsUnderItsContentAddress) {
  testing::TempDir dir;
  std::string sha = write_plan_file(dir / "plan.json", plan());
  EXPECT_EQ(sha, plan_sha256(plan()));
  EXPECT_EQ(sha.size(), 64u);
  ReviewedPlanFile read = read_plan_file(dir / "plan.json");
  EXPECT_EQ(read.sha256, sha);
  EXPECT_TRUE(plan_differences(plan(), read.plan).empty());
  EXPECT_EQ(read.plan.to_json(), plan().to_json());
  ASSERT_EQ(read.plan.overrides.size(), 1u);
  EXPECT_EQ(read.plan.overrides[0].reason, "ticket 42: registry cleanup");
  EXPECT_EQ(read_plan_file(dir / "plan.json", sha).sha256, sha);
  // Upper-case hex as an operator may paste it.
  std::string upper = sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(read_plan_file(dir / "plan.json", upper).sha256, sha);
  // A different plan has a different address.
  ReviewedPlan other = plan();
  other.zones[0].serial += 1;
  EXPECT_NE(plan_sha256(other), sha);
}

TEST(ReviewedPlan, EditedOrDamagedFileIsRefusedNamingTheFile) {
  testing::TempDir dir;
  fs::path file = dir / "plan.json";
  write_plan_file(file, plan());
  std::string text = dns::read_file(file);
  auto refused = [&](const std::string& content, const std::string& expect, const std::string& sha = "") {
    dns::write_file_atomically(file, content);
    try {
      read_plan_file(file, sha);
      ADD_FAILURE() << "accepted: " << content.substr(0, 200);
    } catch (const PlanFileError& e) {
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(sha.empty() ? file.string() : ""), std::string::npos) << e.what();
    }
  };
  std::string edited = text;
  edited.replace(edited.find("1800003600"), 10, "1800007200");
  refused(edited, "does not match its SHA-256");
  refused(text.substr(0, text.size() / 2), "not a JSON object");
  refused("{\"format\": \"something else\"}", "not a plan this rdnsprov reads");
  refused(text, "is not the reviewed plan", std::string(64, '0'));
  refused(text, "expected 64 hexadecimal digits", "abc");
  // A consistent file whose plan lacks a field (made by hand, hash recomputed) is refused too.
  nlohmann::json doc = nlohmann::json::parse(text);
  doc["plan"].erase("zones");
  doc["sha256"] = dns::to_hex(dns::sha256(doc["plan"].dump(-1, ' ', true)), false);
  refused(doc.dump(), "missing or has the wrong type");
  EXPECT_THROW(read_plan_file(dir / "no-such-plan.json"), PlanFileError);
}

TEST(ReviewedPlan, SerialMayFollowTheClockOnlyUnderClockPolicies) {
  ReviewedPlan later = plan();
  later.zones[0].serial = 1800003660;  // unixtime, a minute later: the same publication
  EXPECT_TRUE(plan_differences(plan(), later).empty());
  later.zones[0].serial = 1800003000;  // backwards of the plan: not what was reviewed
  EXPECT_TRUE(mentions(plan_differences(plan(), later), "zone 193.in-addr.arpa.: serial 1800003600 in the plan, 1800003000 now"));
  ReviewedPlan counter = plan();
  counter.zones[1].serial += 1;  // counter policy: the serial is exactly the planned one
  EXPECT_TRUE(mentions(plan_differences(plan(), counter), "zone 194.in-addr.arpa.: serial"));
}

TEST(ReviewedPlan, EveryComparedFieldIsNamedWhenItDiffers) {
  auto differs = [](auto change, const std::string& expect) {
    ReviewedPlan now = plan();
    change(now);
    std::vector<std::string> d = plan_differences(plan(), now);
    EXPECT_TRUE(mentions(d, expect)) << expect << " not in:\n" << (d.empty() ? "(no difference)" : d.front());
  };
  differs([](ReviewedPlan& p) { p.zones[0].content_sha256 = std::string(64, 'd'); }, "193.in-addr.arpa.: content SHA-256 cccc");
  differs([](ReviewedPlan& p) { p.zones[0].action = "hold"; }, "193.in-addr.arpa.: action publish in the plan, hold now");
  differs([](ReviewedPlan& p) { p.zones[0].published_serial = 1800001800; }, "published serial 1800000000 in the plan, 1800001800 now");
  differs([](ReviewedPlan& p) { p.zones[0].published_sha256 = std::string(64, 'b'); }, "the published copy changed");
  differs([](ReviewedPlan& p) { p.zones[0].delegations_after = 61; }, "delegations 60 → 62 in the plan, 60 → 61 now");
  differs([](ReviewedPlan& p) { p.zones[0].records_after = 1; }, "records 200 → 206 in the plan, 200 → 1 now");
  differs([](ReviewedPlan& p) { p.zones[0].removed = 3; }, "delegations added/removed/changed");
  differs([](ReviewedPlan& p) { p.zones[0].dnssec_sha256 = "ab"; }, "DNSSEC keys and parameters");
  differs([](ReviewedPlan& p) { p.zones[0].gates[2].second = "hold"; }, "gate size-drop[delegations] pass in the plan, hold now");
  differs([](ReviewedPlan& p) { p.zones[0].gates.emplace_back("dnssec", "pass"); }, "gate dnssec (not evaluated) in the plan, pass now");
  differs([](ReviewedPlan& p) { p.zones[1].serial_policy = "date"; }, "serial policy counter in the plan, date now");
  differs([](ReviewedPlan& p) { p.zones.pop_back(); }, "zone 194.in-addr.arpa.: in the plan, no longer configured");
  differs([](ReviewedPlan& p) { p.zones.push_back(zone("195.in-addr.arpa.")); }, "zone 195.in-addr.arpa.: configured now, not in the plan");
  differs([](ReviewedPlan& p) { p.total_drop = "hold"; }, "gate size-drop-total: pass in the plan, hold now");
  differs([](ReviewedPlan& p) { p.state = "/elsewhere"; }, "state directory");
  differs([](ReviewedPlan& p) { p.zones[0].overrides = {"size-drop: x"}; }, "overrides");
  // Informative fields are not compared.
  ReviewedPlan now = plan();
  now.created += 600;
  now.config = "/other.conf";
  now.rejects = 5;
  EXPECT_TRUE(plan_differences(plan(), now).empty());
}

TEST(ReviewedPlan, AgeIsLimited) {
  EXPECT_EQ(plan_age_problem(plan(), plan().created + 3600, 3600), "");
  EXPECT_NE(plan_age_problem(plan(), plan().created + 3601, 3600).find("older than plan-max-age (3600 s)"),
            std::string::npos);
  EXPECT_NE(plan_age_problem(plan(), plan().created - 1, 3600).find("check the clock"), std::string::npos);
}

}  // namespace
}  // namespace rdnsprov::safeguards
