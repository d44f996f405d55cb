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

// The only GTEST_SKIP under tests/. It waits for what its caller names, one of:
//   - programs of Debian packages ops/setup installs: knotd, knotc (knot); named, tsig-keygen (bind9); rndc,
//     dnssec-verify, dnssec-dsfromkey (bind9-utils); dig (bind9-dnsutils); nsd, nsd-control, nsd-control-setup
//     (nsd); pdns_server, pdns_control (pdns-server); unbound (unbound); psql (postgresql-client);
//     /usr/bin/prometheus-node-exporter (prometheus-node-exporter);
//   - files of such packages: the PowerDNS bind backend libbindbackend.so (pdns-backend-bind), the gpgsql backend
//     libgpgsqlbackend.so and its schema.pgsql.sql (pdns-backend-pgsql);
//   - root, to mount the size-limited tmpfs the disk-full tests put the state directory on.
// The skip message says "waits for" and the missing program, file or privilege with its package. Under
// RDNSPROV_TESTS_REQUIRE_ALL=1 (set by .ci/run) the test fails instead of skipping.
#define RDNSPROV_SKIP_UNLESS_PRESENT(waits_for)                                                         \
  do {                                                                                                  \
    if (std::string rdnsprov_waits_for = (waits_for); !rdnsprov_waits_for.empty()) {                    \
      if (::rdnsprov::testing::everything_required()) {                                                 \
        FAIL() << "RDNSPROV_TESTS_REQUIRE_ALL is set, and this test waits for " << rdnsprov_waits_for; \
      }                                                                                                 \
      GTEST_SKIP() << "waits for " << rdnsprov_waits_for                                                \
                   << " (a program, file or privilege the test needs; ops/setup installs the packages)"; \
    }                                                                                                   \
  } while (false)
