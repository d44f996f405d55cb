// Tests that need something the machine may lack (a server's package, root for a tmpfs mount) say what they wait
// for when it is missing:
//
//   RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"knotd", "knotc"}));
//
// skips the test with "waits for knotd (Debian package knot, installed by ops/setup)". Under
// RDNSPROV_TESTS_REQUIRE_ALL=1, which .ci/run sets, the same test fails instead: in CI a missing install step must
// not hide behind a skip.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rdnsprov::testing {

// The programs of `programs` that are missing (not on PATH, or not at the absolute path given), each with the
// Debian package that provides it; empty when all are there.
std::string missing_programs(const std::vector<std::string>& programs);

// `path` with the Debian package that provides it when the file is missing; empty when it exists.
std::string missing_file(const std::string& path, const std::string& package);

// True under RDNSPROV_TESTS_REQUIRE_ALL=1.
bool everything_required();

}  // namespace rdnsprov::testing

#define RDNSPROV_SKIP_UNLESS_PRESENT(waits_for)                                                         \
  do {                                                                                                  \
    if (std::string rdnsprov_waits_for = (waits_for); !rdnsprov_waits_for.empty()) {                    \
      if (::rdnsprov::testing::everything_required()) {                                                 \
        FAIL() << "RDNSPROV_TESTS_REQUIRE_ALL is set, and this test waits for " << rdnsprov_waits_for; \
      }                                                                                                 \
      GTEST_SKIP() << "waits for " << rdnsprov_waits_for;                                               \
    }                                                                                                   \
  } while (false)
