// How long placing and building a million delegations takes (a benchmark, not a test: no timing is asserted).
//   build/bench/rdnsprov-builder-bench
#include <chrono>
#include <cstdio>

#include <gtest/gtest.h>

#include "builder/builder.h"
#include "builder/placement.h"
#include "builder/served_zones.h"
#include "tests/builder/scale_input.h"

namespace rdnsprov::builder {
namespace {

using scale::generate;
using scale::Input;

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
