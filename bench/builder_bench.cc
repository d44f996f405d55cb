// Registry-scale input, generated: everything places, counts add up, and (in the disabled benchmark) how long a
// million delegations take. No timing is asserted: run the benchmark by hand with
//   build/bench/rdnsprov-builder-bench
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "builder/builder.h"
#include "builder/placement.h"
#include "builder/served_zones.h"
#include "tests/builder/builder_fixtures.h"

namespace rdnsprov::builder {
namespace {

using fixtures::n;

constexpr std::size_t kIn4Zones = 250;  // 1 … 250.in-addr.arpa
constexpr std::size_t kIp6Zones = 50;   // /32s: x.y.0.a.2.ip6.arpa

struct Input {
  std::vector<ZoneSpec> specs;
  std::vector<dns::Delegation> delegations;
  std::vector<dns::ClasslessDelegation> classless;
};

std::string ip6_zone(std::size_t z) {
  const char* hex = "0123456789abcdef";
  return fmt::format("{}.{}.0.0.0.a.2.ip6.arpa", hex[z % 16], hex[z / 16]);
}

// `count` delegations, one in five in ip6.arpa (/48s), one in ten with DS, one in fifty with in-child glue;
// plus `ranges` classless ranges in /24s of their own.
Input generate(std::size_t count, std::size_t ranges) {
  Input input;
  for (std::size_t z = 1; z <= kIn4Zones; ++z) input.specs.push_back(fixtures::spec(std::to_string(z) + ".in-addr.arpa"));
  for (std::size_t z = 0; z < kIp6Zones; ++z) input.specs.push_back(fixtures::spec(ip6_zone(z)));
  auto source = std::make_shared<const std::string>("dump");
  auto file = std::make_shared<const std::string>("db.domain");
  dns::Name ns1 = n("ns1.example.net");
  dns::Name ns2 = n("ns2.example.org");
  const char* hex = "0123456789abcdef";
  input.delegations.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    dns::Delegation d;
    std::string child;
    if (i % 5 == 4) {
      std::size_t k = i / 5;
      child = fmt::format("{}.{}.{}.{}.{}", hex[k % 16], hex[(k / 16) % 16], hex[(k / 256) % 16],
                          hex[(k / 4096) % 16], ip6_zone((k / 65536) % kIp6Zones));
    } else {
      std::size_t k = i - i / 5;  // dense over the in-addr.arpa delegations
      child = fmt::format("{}.{}.{}.in-addr.arpa", k % 200, (k / 200) % 256, 1 + (k / 51200) % kIn4Zones);
    }
    d.child = n(child);
    if (i % 50 == 7) {
      dns::Name inside = n("ns." + child);
      d.nameservers = {inside, ns1};
      d.glue = {fixtures::glue("ns." + child, "192.0.2.1")};
    } else {
      d.nameservers = {ns1, ns2};
    }
    if (i % 10 == 3) d.ds = {fixtures::ds_rdata(static_cast<std::uint16_t>(i))};
    d.origin = dns::Origin::in_file(source, file, i + 1);
    input.delegations.push_back(std::move(d));
  }
  for (std::size_t r = 0; r < ranges; ++r) {
    // Third octets 200 … 255 hold no plain delegation above.
    std::string block = fmt::format("{}.{}.{}.in-addr.arpa", 200 + r % 56, (r / 56) % 256, 1 + r / (56 * 256));
    input.classless.push_back(fixtures::range(0, 63, block, {"ns1.example.net"}, dns::Origin::in_file(source, file, count + r + 1)));
  }
  return input;
}

TEST(BuilderBench, HundredThousandDelegationsAllPlace) {
  Input input = generate(100'000, 500);
  BuildResult result = build_zones(input.specs, input.delegations, input.classless, dns::Serial(1));
  ASSERT_TRUE(result.placement_errors.empty()) << fixtures::all_errors(result).substr(0, 2000);
  ASSERT_EQ(result.zones.size(), kIn4Zones + kIp6Zones);
  std::uint64_t delegations = 0, classless = 0, cnames = 0, ds = 0, glue = 0;
  for (const BuiltZone& z : result.zones) {
    delegations += z.counts.delegations;
    classless += z.counts.classless;
    cnames += z.counts.cnames;
    ds += z.counts.ds;
    glue += z.counts.glue;
  }
  EXPECT_EQ(delegations, 100'000u + 500u);
  EXPECT_EQ(classless, 500u);
  EXPECT_EQ(cnames, 500u * 64u);
  EXPECT_EQ(ds, 10'000u);
  EXPECT_EQ(glue, 2'000u);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(BuilderBench, MillionDelegations) {
  Input input = generate(1'000'000, 5'000);
  std::vector<dns::Name> apexes;
  for (const ZoneSpec& s : input.specs) apexes.push_back(s.apex);

  auto start = std::chrono::steady_clock::now();
  ServedZones served(apexes);
  Placement placement = place_delegations(served, input.delegations, input.classless);
  double place = seconds_since(start);
  EXPECT_TRUE(placement.errors.empty());

  start = std::chrono::steady_clock::now();
  BuildResult result = build_zones(input.specs, input.delegations, input.classless, dns::Serial(1));
  double build = seconds_since(start);
  std::uint64_t records = 0;
  for (const BuiltZone& z : result.zones) records += z.counts.records;
  EXPECT_TRUE(result.placement_errors.empty());
  std::printf("placement of %zu delegations + %zu ranges in %zu zones: %.3f s\n", input.delegations.size(),
              input.classless.size(), input.specs.size(), place);
  std::printf("build_zones (placement + records + canonical sort), %llu records: %.3f s\n",
              static_cast<unsigned long long>(records), build);
}

}  // namespace
}  // namespace rdnsprov::builder
