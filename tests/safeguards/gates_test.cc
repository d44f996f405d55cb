#include "safeguards/gates.h"

#include <gtest/gtest.h>

#include "dns/rdata.h"
#include "safeguards/serial_policy.h"

namespace rdnsprov::safeguards {
namespace {

TEST(SizeDropGate, HoldsOnlyWhenBothPercentAndAbsoluteAreExceeded) {
  DropLimit limit{10.0, 20};
  EXPECT_EQ(size_drop_gate("size-drop", "delegations", 1000, 600, limit).verdict, Verdict::kHold);   // −40%, −400
  EXPECT_EQ(size_drop_gate("size-drop", "delegations", 1000, 910, limit).verdict, Verdict::kPass);   // −9%
  EXPECT_EQ(size_drop_gate("size-drop", "delegations", 30, 15, limit).verdict, Verdict::kPass);      // −50%, only 15
  EXPECT_EQ(size_drop_gate("size-drop", "delegations", 100, 1000, limit).verdict, Verdict::kPass);   // growth
  GateResult r = size_drop_gate("size-drop", "delegations", 1000, 600, limit);
  EXPECT_NE(r.reason.find("1000 → 600"), std::string::npos) << r.reason;
  EXPECT_EQ(r.figures["before"], 1000);
  EXPECT_EQ(r.figures["after"], 600);
}

TEST(EmptyZoneGate, HoldsAnEmptyCandidateUnlessItWasAlwaysEmptyOrAllowed) {
  EXPECT_EQ(empty_zone_gate(Counts{500, 1600}, Counts{0, 3}, false).verdict, Verdict::kHold);
  EXPECT_EQ(empty_zone_gate(Counts{500, 1600}, Counts{0, 3}, true).verdict, Verdict::kHold);  // allow-empty: first only
  EXPECT_EQ(empty_zone_gate(std::nullopt, Counts{0, 3}, false).verdict, Verdict::kHold);
  EXPECT_EQ(empty_zone_gate(std::nullopt, Counts{0, 3}, true).verdict, Verdict::kPass);
  EXPECT_EQ(empty_zone_gate(Counts{0, 3}, Counts{0, 3}, false).verdict, Verdict::kPass);
  EXPECT_EQ(empty_zone_gate(Counts{5, 20}, Counts{1, 6}, false).verdict, Verdict::kPass);
}

TEST(SerialGate, RequiresMovingForwardOfPublishedAndLive) {
  EXPECT_EQ(serial_gate(dns::Serial(10), dns::Serial(9), {}).verdict, Verdict::kPass);
  EXPECT_EQ(serial_gate(dns::Serial(9), dns::Serial(9), {}).verdict, Verdict::kHold);
  GateResult r = serial_gate(dns::Serial(10), dns::Serial(9), {{"ns1 127.0.0.1", dns::Serial(11)}});
  EXPECT_EQ(r.verdict, Verdict::kHold);
  EXPECT_NE(r.reason.find("ns1 127.0.0.1 serving 11"), std::string::npos) << r.reason;
  // RFC 1982: 5 is after 4294967290.
  EXPECT_EQ(serial_gate(dns::Serial(5), dns::Serial(4294967290u), {}).verdict, Verdict::kPass);
}

TEST(SerialPolicy, MovesForwardOfEverySerialItMustPass) {
  std::time_t now = 1800000000;  // 2027-01-15 08:00:00 UTC
  EXPECT_EQ(next_serial(SerialPolicy::kUnixtime, now, std::nullopt, {})->value(), 1800000000u);
  EXPECT_EQ(next_serial(SerialPolicy::kDate, now, std::nullopt, {})->value(), 2027011500u);
  // Same day, already published 2027011500: next is 2027011501.
  dns::Serial published(2027011500u);
  EXPECT_EQ(next_serial(SerialPolicy::kDate, now, published, {})->value(), 2027011501u);
  EXPECT_EQ(next_serial(SerialPolicy::kCounter, now, dns::Serial(41), {})->value(), 42u);
  // A live server far ahead: one step past it.
  std::vector<dns::Serial> live{dns::Serial(1900000000u)};
  EXPECT_EQ(next_serial(SerialPolicy::kUnixtime, now, dns::Serial(1799990000u), live)->value(), 1900000001u);
  // Wrap-around (RFC 1982 §3.1): counter at the top of the space goes to 0, which is after 4294967295.
  EXPECT_EQ(next_serial(SerialPolicy::kCounter, now, dns::Serial(4294967295u), {})->value(), 0u);
  // Serials that span exactly half the space cannot all be passed by one value.
  std::vector<dns::Serial> split{dns::Serial(0), dns::Serial(0x80000000u)};
  EXPECT_FALSE(next_serial(SerialPolicy::kCounter, now, std::nullopt, split).has_value());
}

TEST(CompletenessGate, NamesEveryMissingDelegationAndCname) {
  dns::Name apex = *dns::Name::from_text("193.in-addr.arpa");
  dns::Delegation d;
  d.child = *dns::Name::from_text("2.0.193.in-addr.arpa");
  d.nameservers = {*dns::Name::from_text("ns1.example.net")};
  dns::ClasslessDelegation c;
  c.delegation.child = *dns::Name::from_text("0-1.3.0.193.in-addr.arpa");
  c.delegation.nameservers = d.nameservers;
  c.block = *dns::Name::from_text("3.0.193.in-addr.arpa");
  c.first = 0;
  c.last = 1;
  dns::Zone zone(apex);
  zone.add({d.child, dns::RRType::kNs, 60, dns::rdata::ns(d.nameservers[0])});
  zone.add({c.delegation.child, dns::RRType::kNs, 60, dns::rdata::ns(d.nameservers[0])});
  zone.add({*dns::Name::from_text("0.3.0.193.in-addr.arpa"), dns::RRType::kCname, 60,
            dns::rdata::cname(*dns::Name::from_text("0.0-1.3.0.193.in-addr.arpa"))});
  zone.canonicalise();
  std::vector<dns::Delegation> expected{d};
  std::vector<dns::ClasslessDelegation> expected_classless{c};
  GateResult r = completeness_gate(zone_facts(zone), expected, expected_classless);
  EXPECT_EQ(r.verdict, Verdict::kHold);  // the CNAME of address 1 is missing (I-6)
  EXPECT_NE(r.reason.find("1.3.0.193.in-addr.arpa."), std::string::npos) << r.reason;
  zone.add({*dns::Name::from_text("1.3.0.193.in-addr.arpa"), dns::RRType::kCname, 60,
            dns::rdata::cname(*dns::Name::from_text("1.0-1.3.0.193.in-addr.arpa"))});
  zone.canonicalise();
  EXPECT_EQ(completeness_gate(zone_facts(zone), expected, expected_classless).verdict, Verdict::kPass);
  // A DS in the source that is not in the zone is a difference.
  expected[0].ds.push_back(dns::rdata::ds(1, 13, 2, std::string(32, '\x01')));
  EXPECT_EQ(completeness_gate(zone_facts(zone), expected, expected_classless).verdict, Verdict::kHold);
}

}  // namespace
}  // namespace rdnsprov::safeguards
