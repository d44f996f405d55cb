// Registry-scale input, generated: everything places and the counts add up. The timing of a million
// delegations is a benchmark: bench/builder_bench.cc.
#include <gtest/gtest.h>

#include "builder/builder.h"
#include "tests/builder/builder_fixtures.h"
#include "tests/builder/scale_input.h"

namespace rdnsprov::builder {
namespace {

using scale::generate;
using scale::Input;
using scale::kIn4Zones;
using scale::kIp6Zones;

TEST(Scale, HundredThousandDelegationsAllPlace) {
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

}  // namespace
}  // namespace rdnsprov::builder
