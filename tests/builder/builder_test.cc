#include "builder/builder.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns/zone.h"
#include "tests/builder/builder_fixtures.h"

namespace rdnsprov::builder {
namespace {

using fixtures::delegation;
using fixtures::ds_rdata;
using fixtures::errors_for;
using fixtures::find_zone;
using fixtures::glue;
using fixtures::lines_at;
using fixtures::n;
using fixtures::origin;
using fixtures::range;
using fixtures::spec;
using Lines = std::vector<std::string>;

const dns::Serial kSerial(2026112401);
constexpr std::string_view kIp6Zone = "8.b.d.0.1.0.0.2.ip6.arpa";

std::vector<std::string> apexes_of(const BuildResult& result) {
  std::vector<std::string> out;
  for (const BuiltZone& z : result.zones) out.push_back(z.zone.apex().to_text_no_dot());
  return out;
}

TEST(BuildZones, ZonesComeInCanonicalOrderOfApexWhateverTheSpecOrder) {
  std::vector<ZoneSpec> specs = {spec(kIp6Zone), spec("0.193.in-addr.arpa"), spec("193.in-addr.arpa"),
                                 spec("2.in-addr.arpa")};
  BuildResult result = build_zones(specs, {}, {}, kSerial);
  EXPECT_EQ(apexes_of(result), (Lines{"193.in-addr.arpa", "0.193.in-addr.arpa", "2.in-addr.arpa",
                                              "8.b.d.0.1.0.0.2.ip6.arpa"}));
  EXPECT_TRUE((result.placement_errors).empty());
}

TEST(BuildZones, SoaAndApexNsComeFromTheSpec) {
  ZoneSpec s = spec("193.in-addr.arpa");
  s.soa_refresh = 7200;
  s.soa_retry = 900;
  s.soa_expire = 2419200;
  s.soa_minimum = 300;
  s.soa_ttl = 1800;
  s.ns_ttl = 172800;
  std::vector<ZoneSpec> specs = {s};
  BuildResult result = build_zones(specs, {}, {}, kSerial);
  ASSERT_EQ(result.zones.size(), 1u);
  const dns::Zone& zone = result.zones[0].zone;
  EXPECT_EQ(zone.serial(), kSerial);
  EXPECT_EQ(lines_at(zone, "193.in-addr.arpa."),
              (Lines{"193.in-addr.arpa.\t172800\tIN\tNS\tns1.example.net.\n",
                          "193.in-addr.arpa.\t172800\tIN\tNS\tns2.example.net.\n",
                          "193.in-addr.arpa.\t1800\tIN\tSOA\tns1.example.net. hostmaster.example.net. 2026112401 "
                          "7200 900 2419200 300\n"}));
  EXPECT_TRUE(dns::to_master_file(zone).starts_with("193.in-addr.arpa.\t1800\tIN\tSOA\t"));
  EXPECT_EQ(result.zones[0].counts.records, 3u);
  EXPECT_EQ(result.zones[0].counts.delegations, 0u);
}

TEST(BuildZones, ApexNameserverAddressesInsideTheZoneAreServedOthersNot) {
  ZoneSpec s = spec("193.in-addr.arpa");
  s.nameservers = {n("ns1.193.in-addr.arpa"), n("ns2.example.net")};
  s.nameserver_addresses = {glue("ns1.193.in-addr.arpa", "193.0.0.53"), glue("ns1.193.in-addr.arpa", "2001:db8::53"),
                            glue("ns2.example.net", "192.0.2.53")};
  std::vector<ZoneSpec> specs = {s};
  BuildResult result = build_zones(specs, {}, {}, kSerial);
  ASSERT_EQ(result.zones.size(), 1u);
  EXPECT_EQ(lines_at(result.zones[0].zone, "ns1.193.in-addr.arpa."),
              (Lines{"ns1.193.in-addr.arpa.\t86400\tIN\tA\t193.0.0.53\n",
                          "ns1.193.in-addr.arpa.\t86400\tIN\tAAAA\t2001:db8::53\n"}));
  EXPECT_TRUE((lines_at(result.zones[0].zone, "ns2.example.net.")).empty());
  EXPECT_TRUE((result.placement_errors).empty());
}

TEST(BuildZones, EachDelegationGoesToTheClosestEnclosingServedZone) {
  std::vector<ZoneSpec> specs = {spec("193.in-addr.arpa"), spec("0.193.in-addr.arpa"), spec(kIp6Zone)};
  std::vector<dns::Delegation> delegations = {
      delegation("2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1)),
      delegation("1.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 2)),
      delegation("3.2.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 3)),
  };
  BuildResult result = build_zones(specs, delegations, {}, kSerial);
  EXPECT_TRUE((result.placement_errors).empty()) << fixtures::all_errors(result);
  const BuiltZone* z193 = find_zone(result, "193.in-addr.arpa");
  const BuiltZone* z0 = find_zone(result, "0.193.in-addr.arpa");
  ASSERT_TRUE(z193 && z0);
  ASSERT_EQ(z193->delegations.size(), 2u);
  EXPECT_EQ(z193->delegations[0].child, n("1.193.in-addr.arpa"));  // canonical order
  EXPECT_EQ(z193->delegations[1].child, n("3.2.193.in-addr.arpa"));
  ASSERT_EQ(z0->delegations.size(), 1u);
  EXPECT_EQ(z0->delegations[0].child, n("2.0.193.in-addr.arpa"));
  EXPECT_EQ(lines_at(z0->zone, "2.0.193.in-addr.arpa."),
              (Lines{"2.0.193.in-addr.arpa.\t86400\tIN\tNS\tns.example.net.\n"}));
  EXPECT_TRUE((lines_at(z193->zone, "2.0.193.in-addr.arpa.")).empty());
  EXPECT_EQ(z193->counts.delegations, 2u);
  EXPECT_EQ(z0->counts.delegations, 1u);
}

TEST(BuildZones, DelegationGetsNsDsAndGlue) {
  ZoneSpec s = spec("193.in-addr.arpa");
  s.delegation_ttl = 172800;
  s.ds_ttl = 7200;
  s.glue_ttl = 43200;
  std::vector<ZoneSpec> specs = {s};
  std::vector<dns::Delegation> delegations = {delegation(
      "2.0.193.in-addr.arpa", {"ns2.example.net", "ns1.2.0.193.in-addr.arpa"}, origin("dump", 1),
      {glue("ns1.2.0.193.in-addr.arpa", "193.0.2.1"), glue("ns1.2.0.193.in-addr.arpa", "2001:db8::1")},
      {ds_rdata(12345), ds_rdata(54321)})};
  BuildResult result = build_zones(specs, delegations, {}, kSerial);
  EXPECT_TRUE((result.placement_errors).empty()) << fixtures::all_errors(result);
  ASSERT_EQ(result.zones.size(), 1u);
  const BuiltZone& built = result.zones[0];
  std::string digest(64, 'A');
  for (std::size_t i = 0; i < digest.size(); i += 2) digest[i] = 'A', digest[i + 1] = 'B';
  EXPECT_EQ(lines_at(built.zone, "2.0.193.in-addr.arpa."),
              (Lines{"2.0.193.in-addr.arpa.\t172800\tIN\tNS\tns1.2.0.193.in-addr.arpa.\n",
                          "2.0.193.in-addr.arpa.\t172800\tIN\tNS\tns2.example.net.\n",
                          "2.0.193.in-addr.arpa.\t7200\tIN\tDS\t12345 13 2 " + digest + "\n",
                          "2.0.193.in-addr.arpa.\t7200\tIN\tDS\t54321 13 2 " + digest + "\n"}));
  EXPECT_EQ(lines_at(built.zone, "ns1.2.0.193.in-addr.arpa."),
              (Lines{"ns1.2.0.193.in-addr.arpa.\t43200\tIN\tA\t193.0.2.1\n",
                          "ns1.2.0.193.in-addr.arpa.\t43200\tIN\tAAAA\t2001:db8::1\n"}));
  EXPECT_EQ(built.counts.delegations, 1u);
  EXPECT_EQ(built.counts.ds, 2u);
  EXPECT_EQ(built.counts.glue, 2u);
  EXPECT_EQ(built.counts.records, 3u + 2u + 2u + 2u);  // SOA + apex NS, NS, DS, glue
  EXPECT_EQ(built.zone.delegation_points().size(), 1u);
}

TEST(BuildZones, ClasslessRangeGetsItsDelegationAndACnamePerAddress) {
  ZoneSpec s = spec("193.in-addr.arpa");
  s.cname_ttl = 3600;
  std::vector<ZoneSpec> specs = {s};
  std::vector<dns::ClasslessDelegation> classless = {
      range(0, 63, "2.0.193.in-addr.arpa", {"ns.example.net", "ns1.0-63.2.0.193.in-addr.arpa"}, origin("dump", 9),
            {glue("ns1.0-63.2.0.193.in-addr.arpa", "193.0.2.10")}, {ds_rdata(4711)})};
  BuildResult result = build_zones(specs, {}, classless, kSerial);
  EXPECT_TRUE((result.placement_errors).empty()) << fixtures::all_errors(result);
  ASSERT_EQ(result.zones.size(), 1u);
  const BuiltZone& built = result.zones[0];
  const dns::Zone& zone = built.zone;
  auto cut = lines_at(zone, "0-63.2.0.193.in-addr.arpa.");
  ASSERT_EQ(cut.size(), 3u);
  EXPECT_EQ(cut[0], "0-63.2.0.193.in-addr.arpa.\t86400\tIN\tNS\tns.example.net.\n");
  EXPECT_EQ(cut[1], "0-63.2.0.193.in-addr.arpa.\t86400\tIN\tNS\tns1.0-63.2.0.193.in-addr.arpa.\n");
  EXPECT_TRUE(cut[2].starts_with("0-63.2.0.193.in-addr.arpa.\t3600\tIN\tDS\t4711 13 2 "));
  EXPECT_EQ(lines_at(zone, "ns1.0-63.2.0.193.in-addr.arpa."),
              (Lines{"ns1.0-63.2.0.193.in-addr.arpa.\t86400\tIN\tA\t193.0.2.10\n"}));
  // RFC 2317 §4, first and last address of the range, and one past it.
  EXPECT_EQ(lines_at(zone, "0.2.0.193.in-addr.arpa."),
              (Lines{"0.2.0.193.in-addr.arpa.\t3600\tIN\tCNAME\t0.0-63.2.0.193.in-addr.arpa.\n"}));
  EXPECT_EQ(lines_at(zone, "63.2.0.193.in-addr.arpa."),
              (Lines{"63.2.0.193.in-addr.arpa.\t3600\tIN\tCNAME\t63.0-63.2.0.193.in-addr.arpa.\n"}));
  EXPECT_TRUE((lines_at(zone, "64.2.0.193.in-addr.arpa.")).empty());
  // Every address in between.
  for (unsigned a = 0; a <= 63; ++a) {
    std::string owner = std::to_string(a) + ".2.0.193.in-addr.arpa.";
    EXPECT_EQ(lines_at(zone, owner),
                (Lines{owner + "\t3600\tIN\tCNAME\t" + std::to_string(a) + ".0-63.2.0.193.in-addr.arpa.\n"}));
  }
  EXPECT_EQ(built.counts.delegations, 1u);
  EXPECT_EQ(built.counts.classless, 1u);
  EXPECT_EQ(built.counts.cnames, 64u);
  EXPECT_EQ(built.counts.ds, 1u);
  EXPECT_EQ(built.counts.glue, 1u);
  EXPECT_EQ(built.counts.records, 3u + 2u + 1u + 1u + 64u);
  ASSERT_EQ(built.classless.size(), 1u);
  EXPECT_EQ(built.classless[0].delegation.child, n("0-63.2.0.193.in-addr.arpa"));
  EXPECT_TRUE((built.delegations).empty());
}

TEST(BuildZones, RangeWhoseBlockIsTheServedZoneHasItsCnamesThere) {
  std::vector<ZoneSpec> specs = {spec("193.in-addr.arpa"), spec("2.0.193.in-addr.arpa")};
  std::vector<dns::ClasslessDelegation> classless = {
      range(128, 255, "2.0.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 1))};
  BuildResult result = build_zones(specs, {}, classless, kSerial);
  EXPECT_TRUE((result.placement_errors).empty()) << fixtures::all_errors(result);
  const BuiltZone* block = find_zone(result, "2.0.193.in-addr.arpa");
  ASSERT_TRUE(block);
  EXPECT_EQ(block->counts.cnames, 128u);
  EXPECT_EQ(lines_at(block->zone, "255.2.0.193.in-addr.arpa."),
              (Lines{"255.2.0.193.in-addr.arpa.\t86400\tIN\tCNAME\t255.128-255.2.0.193.in-addr.arpa.\n"}));
  EXPECT_EQ(find_zone(result, "193.in-addr.arpa")->counts.records, 3u);
}

TEST(BuildZones, GlueOfARangeMayLieBelowOneOfItsAddresses) {
  // RPSL.md "nserver": for A-B.Z.Y.X, "inside" also covers names below N.Z.Y.X, A <= N <= B.
  std::vector<ZoneSpec> specs = {spec("193.in-addr.arpa")};
  std::vector<dns::ClasslessDelegation> classless = {
      range(0, 63, "2.0.193.in-addr.arpa", {"ns.5.2.0.193.in-addr.arpa", "ns.example.net"}, origin("dump", 1),
            {glue("ns.5.2.0.193.in-addr.arpa", "193.0.2.5")})};
  BuildResult result = build_zones(specs, {}, classless, kSerial);
  EXPECT_TRUE((result.placement_errors).empty()) << fixtures::all_errors(result);
  ASSERT_EQ(result.zones.size(), 1u);
  EXPECT_EQ(lines_at(result.zones[0].zone, "ns.5.2.0.193.in-addr.arpa."),
              (Lines{"ns.5.2.0.193.in-addr.arpa.\t86400\tIN\tA\t193.0.2.5\n"}));
}

TEST(BuildZones, Ip6ArpaNibbleZonesPlaceLikeInAddrArpa) {
  std::string deep = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0." + std::string(kIp6Zone);  // 32 nibbles
  std::string nested = "0.0.0.0." + std::string(kIp6Zone);
  std::vector<ZoneSpec> specs = {spec(kIp6Zone), spec(nested)};
  std::vector<dns::Delegation> delegations = {
      delegation("1.0.0.0." + std::string(kIp6Zone), {"ns.example.net"}, origin("dump", 1), {}, {ds_rdata(1)}),
      delegation(deep, {"ns1." + deep}, origin("dump", 2), {glue("ns1." + deep, "2001:db8::1")}),
  };
  BuildResult result = build_zones(specs, delegations, {}, kSerial);
  EXPECT_TRUE((result.placement_errors).empty()) << fixtures::all_errors(result);
  const BuiltZone* outer = find_zone(result, kIp6Zone);
  const BuiltZone* inner = find_zone(result, nested);
  ASSERT_TRUE(outer && inner);
  ASSERT_EQ(outer->delegations.size(), 1u);
  EXPECT_EQ(outer->delegations[0].child, n("1.0.0.0." + std::string(kIp6Zone)));
  EXPECT_EQ(outer->counts.ds, 1u);
  ASSERT_EQ(inner->delegations.size(), 1u);
  EXPECT_EQ(inner->delegations[0].child, n(deep));
  EXPECT_EQ(lines_at(inner->zone, deep + "."), (Lines{deep + ".\t86400\tIN\tNS\tns1." + deep + ".\n"}));
  EXPECT_EQ(lines_at(inner->zone, "ns1." + deep + "."),
              (Lines{"ns1." + deep + ".\t86400\tIN\tAAAA\t2001:db8::1\n"}));
}

TEST(BuildZones, DuplicateNameserversAndDsInOneDelegationAreMergedAndCountedOnce) {
  std::vector<ZoneSpec> specs = {spec("193.in-addr.arpa")};
  std::vector<dns::Delegation> delegations = {delegation("2.0.193.in-addr.arpa",
                                                         {"ns.example.net", "NS.example.net"}, origin("peer", 1), {},
                                                         {ds_rdata(7), ds_rdata(7)})};
  BuildResult result = build_zones(specs, delegations, {}, kSerial);
  ASSERT_EQ(result.zones.size(), 1u);
  EXPECT_EQ(result.zones[0].counts.ds, 1u);
  EXPECT_EQ(result.zones[0].counts.records, 3u + 1u + 1u);
  EXPECT_EQ(result.zones[0].delegations[0].nameservers.size(), 1u);
}

// A registry-like mix: several zones, plain delegations with and without glue and DS, ranges, and conflicts.
struct Mix {
  std::vector<ZoneSpec> specs;
  std::vector<dns::Delegation> delegations;
  std::vector<dns::ClasslessDelegation> classless;
};

Mix registry_mix() {
  Mix mix;
  mix.specs = {spec("193.in-addr.arpa"), spec("0.193.in-addr.arpa"), spec("194.in-addr.arpa"), spec(kIp6Zone)};
  std::uint64_t line = 1;
  for (unsigned b = 0; b < 40; ++b) {
    for (unsigned c = 0; c < 10; ++c) {
      std::string child = std::to_string(c) + "." + std::to_string(b) + (b % 2 ? ".193" : ".194") + ".in-addr.arpa";
      if (c == 3) {
        mix.delegations.push_back(delegation(child, {"ns1." + child, "ns.example.net"}, origin("dump", line++),
                                              {glue("ns1." + child, "193.0.2.1")}, {ds_rdata(static_cast<std::uint16_t>(b))}));
      } else {
        mix.delegations.push_back(delegation(child, {"ns.example.net", "ns2.example.org"}, origin("dump", line++)));
      }
    }
    std::string block = "200." + std::to_string(b) + ".193.in-addr.arpa";
    mix.classless.push_back(range(0, 127, block, {"ns.example.net"}, origin("dump", line++)));
    mix.classless.push_back(range(192, 223, block, {"ns.example.net"}, origin("dump", line++)));
    std::string nibble = std::string(1, "0123456789abcdef"[b % 16]) + "." + std::to_string(b / 16) + "." +
                         std::string(kIp6Zone);
    mix.delegations.push_back(delegation(nibble, {"ns.example.net"}, origin("dump", line++), {}, {ds_rdata(3)}));
  }
  // Conflicts of every kind, so the error report is part of what must not depend on the order.
  mix.delegations.push_back(delegation("3.1.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 1)));
  mix.delegations.push_back(delegation("9.9.1.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 2)));
  mix.delegations.push_back(delegation("0.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 3)));
  mix.delegations.push_back(delegation("1.195.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 4)));
  mix.classless.push_back(range(100, 150, "200.1.193.in-addr.arpa", {"ns.example.com"}, origin("peer ARIN", 5)));
  return mix;
}

std::string everything(const BuildResult& result) {
  std::string out;
  for (const BuiltZone& z : result.zones) out += dns::to_master_file(z.zone);
  out += fixtures::all_errors(result);
  return out;
}

TEST(BuildZones, ShuffledInputGivesByteIdenticalOutput) {
  Mix mix = registry_mix();
  BuildResult first = build_zones(mix.specs, mix.delegations, mix.classless, kSerial);
  EXPECT_EQ(errors_for(first, "3.1.193.in-addr.arpa").size(), 2u);
  EXPECT_FALSE(errors_for(first, "9.9.1.193.in-addr.arpa").empty());
  EXPECT_FALSE(errors_for(first, "0.193.in-addr.arpa").empty());
  EXPECT_FALSE(errors_for(first, "1.195.in-addr.arpa").empty());
  EXPECT_EQ(errors_for(first, "100-150.200.1.193.in-addr.arpa").size(), 1u);
  std::string expected = everything(first);
  std::mt19937 random(42);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(mix.specs.begin(), mix.specs.end(), random);
    std::shuffle(mix.delegations.begin(), mix.delegations.end(), random);
    std::shuffle(mix.classless.begin(), mix.classless.end(), random);
    for (dns::Delegation& d : mix.delegations) std::shuffle(d.nameservers.begin(), d.nameservers.end(), random);
    BuildResult again = build_zones(mix.specs, mix.delegations, mix.classless, kSerial);
    ASSERT_EQ(everything(again), expected) << "round " << round;
  }
}

TEST(BuildZones, CountsAddUpToTheZone) {
  Mix mix = registry_mix();
  BuildResult result = build_zones(mix.specs, mix.delegations, mix.classless, kSerial);
  for (const BuiltZone& built : result.zones) {
    SCOPED_TRACE(built.zone.apex().to_text());
    const ZoneCounts& c = built.counts;
    EXPECT_EQ(c.records, built.zone.records().size());
    EXPECT_EQ(c.delegations, built.delegations.size() + built.classless.size());
    EXPECT_EQ(c.classless, built.classless.size());
    EXPECT_EQ(c.delegations, built.zone.delegation_points().size());
    std::uint64_t cnames = 0, ds = 0, glue_records = 0;
    for (const dns::Record& r : built.zone.records()) {
      if (r.type == dns::RRType::kCname) ++cnames;
      if (r.type == dns::RRType::kDs) ++ds;
      if ((r.type == dns::RRType::kA || r.type == dns::RRType::kAaaa)) ++glue_records;
    }
    EXPECT_EQ(c.cnames, cnames);
    EXPECT_EQ(c.ds, ds);
    EXPECT_EQ(c.glue, glue_records);
    EXPECT_TRUE(std::is_sorted(built.delegations.begin(), built.delegations.end(),
                               [](const auto& a, const auto& b) { return a.child < b.child; }));
  }
  const BuiltZone* z193 = find_zone(result, "193.in-addr.arpa");
  ASSERT_TRUE(z193);
  // Blocks 200.1.193 … 200.39.193 (200.0.193 is in the zone 0.193), two ranges each; the peer's 100-150 overlaps
  // 0-127.200.1.193, and both are dropped.
  EXPECT_EQ(z193->counts.classless, 2u * 39u - 1u);
  EXPECT_EQ(z193->counts.cnames, 39u * (128u + 32u) - 128u);
  // 20 odd second octets x 10 /24s, less 3.1.193 (collision) and the ranges; 9.9.1.193 is below 9.1.193.
  EXPECT_EQ(z193->delegations.size(), 200u - 1u);
  EXPECT_EQ(find_zone(result, "0.193.in-addr.arpa")->counts.classless, 2u);
}

TEST(BuildZones, MasterFileReadsBackToTheSameRecords) {
  Mix mix = registry_mix();
  BuildResult result = build_zones(mix.specs, mix.delegations, mix.classless, kSerial);
  for (const BuiltZone& built : result.zones) {
    SCOPED_TRACE(built.zone.apex().to_text());
    dns::MasterFile parsed = dns::read_master_file(dns::to_master_file(built.zone), built.zone.apex());
    EXPECT_TRUE(parsed.errors.empty()) << parsed.errors.front().line << ": " << parsed.errors.front().reason;
    dns::Zone reread(built.zone.apex());
    for (dns::Record& r : parsed.records) reread.add(std::move(r));
    reread.canonicalise();
    EXPECT_EQ(reread.records(), built.zone.records());
  }
}

}  // namespace
}  // namespace rdnsprov::builder
