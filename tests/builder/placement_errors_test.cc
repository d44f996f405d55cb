// Every placement error of builder.h, each naming the origins involved, and what still gets placed beside it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "builder/builder.h"
#include "tests/builder/builder_fixtures.h"

namespace rdnsprov::builder {
namespace {

using fixtures::delegation;
using fixtures::errors_for;
using fixtures::find_zone;
using fixtures::glue;
using fixtures::n;
using fixtures::origin;
using fixtures::range;
using fixtures::spec;
using Lines = std::vector<std::string>;

const dns::Serial kSerial(1);

BuildResult build(std::vector<ZoneSpec> specs, std::vector<dns::Delegation> delegations,
                  std::vector<dns::ClasslessDelegation> classless = {}) {
  return build_zones(specs, delegations, classless, kSerial);
}

std::vector<std::string> children(const BuiltZone& zone) {
  std::vector<std::string> out;
  for (const dns::Delegation& d : zone.delegations) out.push_back(d.child.to_text_no_dot());
  for (const dns::ClasslessDelegation& c : zone.classless) out.push_back(c.delegation.child.to_text_no_dot());
  return out;
}

TEST(PlacementErrors, OutsideEveryServedZone) {
  BuildResult result = build({spec("193.in-addr.arpa")},
                             {delegation("5.194.in-addr.arpa", {"ns.example.net"}, origin("dump", 3))});
  EXPECT_EQ(errors_for(result, "5.194.in-addr.arpa"), (Lines{"[dump] db.domain:3 | not inside any served zone"}));
  EXPECT_EQ(result.placement_errors.size(), 1u);
  EXPECT_EQ(result.zones[0].counts.delegations, 0u);
}

TEST(PlacementErrors, AtTheApexOfAServedZone) {
  // 0.193 is served: 2.0.193 goes into it, and the delegation of 0.193 itself is not a delegation.
  BuildResult result = build({spec("193.in-addr.arpa"), spec("0.193.in-addr.arpa")},
                             {delegation("0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1)),
                              delegation("2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 2))});
  EXPECT_EQ(errors_for(result, "0.193.in-addr.arpa"),
            (Lines{"[dump] db.domain:1 | is the apex of served zone 0.193.in-addr.arpa: not a delegation"}));
  EXPECT_EQ(result.placement_errors.size(), 1u);
  EXPECT_EQ(children(*find_zone(result, "0.193.in-addr.arpa")), (Lines{"2.0.193.in-addr.arpa"}));
  EXPECT_TRUE(children(*find_zone(result, "193.in-addr.arpa")).empty());
}

TEST(PlacementErrors, BelowAnotherDelegationTheCoveredOneIsDropped) {
  BuildResult result = build({spec("193.in-addr.arpa")},
                             {delegation("2.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 7)),
                              delegation("0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1)),
                              delegation("9.2.0.193.in-addr.arpa", {"ns.example.org"}, origin("dump", 2))});
  EXPECT_EQ(errors_for(result, "2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:7 | below the delegation 0.193.in-addr.arpa from [dump] db.domain:1: the "
                   "DNS would never reach it"}));
  // Below a chain of delegations, the report names the one that is placed: the topmost.
  EXPECT_EQ(errors_for(result, "9.2.0.193.in-addr.arpa"),
            (Lines{"[dump] db.domain:2 | below the delegation 0.193.in-addr.arpa from [dump] db.domain:1: the DNS "
                   "would never reach it"}));
  EXPECT_EQ(children(result.zones[0]), (Lines{"0.193.in-addr.arpa"}));
}

TEST(PlacementErrors, ClasslessRangeBelowADelegatedBlockIsDropped) {
  BuildResult result = build({spec("193.in-addr.arpa")},
                             {delegation("2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1))},
                             {range(0, 63, "2.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 4))});
  EXPECT_EQ(errors_for(result, "0-63.2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:4 | below the delegation 2.0.193.in-addr.arpa from [dump] db.domain:1: "
                   "the DNS would never reach it"}));
  EXPECT_EQ(result.zones[0].counts.cnames, 0u);
  EXPECT_EQ(children(result.zones[0]), (Lines{"2.0.193.in-addr.arpa"}));
}

TEST(PlacementErrors, SameChildFromTwoSourcesDropsBoth) {
  BuildResult result = build({spec("193.in-addr.arpa")},
                             {delegation("2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1)),
                              delegation("2.0.193.IN-ADDR.ARPA", {"ns.example.com"}, origin("peer ARIN", 2)),
                              delegation("3.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 3))});
  EXPECT_EQ(errors_for(result, "2.0.193.in-addr.arpa"),
            (Lines{"[dump] db.domain:1 | collides with the delegation 2.0.193.in-addr.arpa from [peer ARIN] "
                   "db.domain:2 (same name): both dropped",
                   "[peer ARIN] db.domain:2 | collides with the delegation 2.0.193.in-addr.arpa from [dump] "
                   "db.domain:1 (same name): both dropped"}));
  EXPECT_EQ(children(result.zones[0]), (Lines{"3.0.193.in-addr.arpa"}));
}

TEST(PlacementErrors, OverlappingRangesDropBoth) {
  BuildResult result = build({spec("193.in-addr.arpa")}, {},
                             {range(0, 63, "2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1)),
                              range(32, 95, "2.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 2)),
                              range(96, 127, "2.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 3))});
  EXPECT_EQ(errors_for(result, "0-63.2.0.193.in-addr.arpa"),
            (Lines{"[dump] db.domain:1 | its RFC 2317 CNAMEs for addresses 32-63 collide with those of the classless "
                   "range 32-95.2.0.193.in-addr.arpa from [peer ARIN] db.domain:2: both dropped"}));
  EXPECT_EQ(errors_for(result, "32-95.2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:2 | its RFC 2317 CNAMEs for addresses 32-63 collide with those of the "
                   "classless range 0-63.2.0.193.in-addr.arpa from [dump] db.domain:1: both dropped"}));
  EXPECT_EQ(children(result.zones[0]), (Lines{"96-127.2.0.193.in-addr.arpa"}));
  EXPECT_EQ(result.zones[0].counts.cnames, 32u);
}

TEST(PlacementErrors, DelegationAtOrBelowARangeCnameOwnerDropsBoth) {
  BuildResult result = build({spec("193.in-addr.arpa")},
                             {delegation("5.2.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 1)),
                              delegation("x.70.2.0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 2))},
                             {range(0, 63, "2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1)),
                              range(64, 127, "2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 2))});
  EXPECT_EQ(errors_for(result, "5.2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:1 | is at or below the RFC 2317 CNAME 5.2.0.193.in-addr.arpa of the "
                   "classless range 0-63.2.0.193.in-addr.arpa from [dump] db.domain:1: both dropped"}));
  EXPECT_EQ(errors_for(result, "0-63.2.0.193.in-addr.arpa"),
            (Lines{"[dump] db.domain:1 | its RFC 2317 CNAME 5.2.0.193.in-addr.arpa collides with the delegation "
                   "5.2.0.193.in-addr.arpa from [peer ARIN] db.domain:1: both dropped"}));
  EXPECT_EQ(errors_for(result, "x.70.2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:2 | is at or below the RFC 2317 CNAME 70.2.0.193.in-addr.arpa of the "
                   "classless range 64-127.2.0.193.in-addr.arpa from [dump] db.domain:2: both dropped"}));
  EXPECT_EQ(errors_for(result, "64-127.2.0.193.in-addr.arpa").size(), 1u);
  EXPECT_TRUE(children(result.zones[0]).empty());
  EXPECT_EQ(result.zones[0].counts.records, 3u);
}

TEST(PlacementErrors, GlueOutsideTheDelegatedNameDropsTheDelegation) {
  BuildResult result = build(
      {spec("193.in-addr.arpa")},
      {delegation("2.0.193.in-addr.arpa", {"ns.example.net", "ns.3.0.193.in-addr.arpa"}, origin("peer ARIN", 5),
                  {glue("ns.3.0.193.in-addr.arpa", "193.0.3.1")})},
      {range(0, 63, "4.0.193.in-addr.arpa", {"ns.100.4.0.193.in-addr.arpa"}, origin("peer ARIN", 6),
             {glue("ns.100.4.0.193.in-addr.arpa", "193.0.4.100")})});
  EXPECT_EQ(errors_for(result, "2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:5 | glue address for ns.3.0.193.in-addr.arpa is outside the delegated "
                   "name: not glue"}));
  // 100 is not an address of the range 0-63.
  EXPECT_EQ(errors_for(result, "0-63.4.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:6 | glue address for ns.100.4.0.193.in-addr.arpa is outside the "
                   "delegated name: not glue"}));
  EXPECT_TRUE(children(result.zones[0]).empty());
  EXPECT_EQ(result.zones[0].counts.records, 3u);
}

TEST(PlacementErrors, NameserverInsideTheDelegationWithoutGlue) {
  BuildResult result = build({spec("193.in-addr.arpa")},
                             {delegation("2.0.193.in-addr.arpa", {"ns1.2.0.193.in-addr.arpa"}, origin("peer ARIN", 5))});
  EXPECT_EQ(errors_for(result, "2.0.193.in-addr.arpa"),
            (Lines{"[peer ARIN] db.domain:5 | nameserver ns1.2.0.193.in-addr.arpa is inside the delegated name and "
                   "has no glue address"}));
}

TEST(PlacementErrors, DelegationWithoutNameserver) {
  BuildResult result = build({spec("193.in-addr.arpa")}, {delegation("2.0.193.in-addr.arpa", {}, origin("dump", 8))});
  EXPECT_EQ(errors_for(result, "2.0.193.in-addr.arpa"), (Lines{"[dump] db.domain:8 | has no nameserver"}));
}

TEST(PlacementErrors, RangeWhoseNameDoesNotMatchItsBlock) {
  dns::ClasslessDelegation bad = range(0, 63, "2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1));
  bad.last = 127;
  BuildResult result = build({spec("193.in-addr.arpa")}, {}, {bad});
  EXPECT_EQ(errors_for(result, "0-63.2.0.193.in-addr.arpa"),
            (Lines{"[dump] db.domain:1 | the classless range name does not match its block 2.0.193.in-addr.arpa and "
                   "range 0-127"}));
}

TEST(PlacementErrors, Ip6DelegationBelowAnotherIsDropped) {
  std::string zone = "8.b.d.0.1.0.0.2.ip6.arpa";
  BuildResult result = build({spec(zone)},
                             {delegation("0.0." + zone, {"ns.example.net"}, origin("dump", 1)),
                              delegation("f.f.f.f.f.f.f.f.0.0." + zone, {"ns.example.com"}, origin("peer APNIC", 2))});
  EXPECT_EQ(errors_for(result, "f.f.f.f.f.f.f.f.0.0." + zone),
            (Lines{"[peer APNIC] db.domain:2 | below the delegation 0.0." + zone +
                   " from [dump] db.domain:1: the DNS would never reach it"}));
  EXPECT_EQ(children(result.zones[0]), (Lines{"0.0." + zone}));
}

TEST(PlacementErrors, ApexNameserverInsideTheZoneWithoutAddress) {
  ZoneSpec s = spec("193.in-addr.arpa");
  s.nameservers = {n("ns1.193.in-addr.arpa"), n("ns2.example.net")};
  BuildResult result = build({s}, {});
  EXPECT_EQ(errors_for(result, "193.in-addr.arpa"),
            (Lines{"[config] zone 193.in-addr.arpa | apex nameserver ns1.193.in-addr.arpa is inside the zone and has "
                   "no address"}));
  ASSERT_EQ(result.zones.size(), 1u);  // still built: the gates decide whether it is published
}

TEST(PlacementErrors, ZoneConfiguredTwiceIsBuiltOnce) {
  ZoneSpec second = spec("193.in-addr.arpa");
  second.soa_ttl = 1;
  BuildResult result = build({spec("193.in-addr.arpa"), second}, {});
  ASSERT_EQ(result.zones.size(), 1u);
  EXPECT_EQ(result.zones[0].zone.soa()->ttl, 3600u);  // the first
  EXPECT_EQ(errors_for(result, "193.in-addr.arpa"),
            (Lines{"[config] zone 193.in-addr.arpa | the zone is configured more than once: only the first "
                   "configuration is built"}));
}

}  // namespace
}  // namespace rdnsprov::builder
