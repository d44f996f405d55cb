// Integration: the built zones, written as master files, pass BIND's and Knot's own zone checkers, and read back
// through dns::read_master_file to the same records.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "builder/builder.h"
#include "dns/zone.h"
#include "tests/builder/builder_fixtures.h"
#include "tests/support/support.h"

namespace rdnsprov::builder {
namespace {

using fixtures::delegation;
using fixtures::ds_rdata;
using fixtures::glue;
using fixtures::n;
using fixtures::origin;
using fixtures::range;
using fixtures::spec;

constexpr std::string_view kIp6Zone = "8.b.d.0.1.0.0.2.ip6.arpa";

BuildResult build_sample() {
  ZoneSpec registry = spec("193.in-addr.arpa");
  registry.nameservers = {n("ns1.193.in-addr.arpa"), n("ns2.example.net")};
  registry.nameserver_addresses = {glue("ns1.193.in-addr.arpa", "193.0.0.53"),
                                   glue("ns1.193.in-addr.arpa", "2001:db8::53"), glue("ns2.example.net", "192.0.2.1")};
  std::vector<ZoneSpec> specs = {registry, spec("0.193.in-addr.arpa"), spec(kIp6Zone)};

  std::string deep = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0." + std::string(kIp6Zone);
  std::vector<dns::Delegation> delegations = {
      delegation("2.0.193.in-addr.arpa", {"ns1.2.0.193.in-addr.arpa", "ns.example.net"}, origin("dump", 1),
                 {glue("ns1.2.0.193.in-addr.arpa", "193.0.2.1"), glue("ns1.2.0.193.in-addr.arpa", "2001:db8::1")},
                 {ds_rdata(12345)}),
      delegation("3.0.193.in-addr.arpa", {"ns.example.net", "ns.example.org"}, origin("dump", 2)),
      delegation("1.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 3), {}, {ds_rdata(1), ds_rdata(2)}),
      delegation("5.193.in-addr.arpa", {"a.ns.5.193.in-addr.arpa"}, origin("peer ARIN", 1),
                 {glue("a.ns.5.193.in-addr.arpa", "193.5.0.1")}),
      delegation("1.0.0.0." + std::string(kIp6Zone), {"ns.example.net"}, origin("dump", 4), {}, {ds_rdata(3)}),
      delegation(deep, {"ns1." + deep}, origin("dump", 5), {glue("ns1." + deep, "2001:db8::1")}),
  };
  std::vector<dns::ClasslessDelegation> classless = {
      range(0, 63, "7.0.193.in-addr.arpa", {"ns.example.net", "ns1.0-63.7.0.193.in-addr.arpa"}, origin("dump", 6),
            {glue("ns1.0-63.7.0.193.in-addr.arpa", "193.0.7.10")}, {ds_rdata(4711)}),
      // Glue below one of the range's own addresses (RPSL.md "nserver"): an address record under a CNAME owner.
      range(64, 127, "7.0.193.in-addr.arpa", {"ns.example.net", "ns.70.7.0.193.in-addr.arpa"}, origin("dump", 7),
            {glue("ns.70.7.0.193.in-addr.arpa", "193.0.7.70")}),
      range(128, 255, "9.9.193.in-addr.arpa", {"ns.example.net"}, origin("dump", 8)),
  };
  return build_zones(specs, delegations, classless, dns::Serial(2026112401));
}

std::filesystem::path write_zone(const testing::TempDir& dir, const BuiltZone& built) {
  std::filesystem::path file = dir / (built.zone.apex().to_text_no_dot() + ".zone");
  std::ofstream out(file, std::ios::binary);
  out << dns::to_master_file(built.zone);
  out.close();
  EXPECT_TRUE(out.good()) << file;
  return file;
}

TEST(ZoneCheckers, NamedCheckzoneAndKzonecheckAcceptEveryBuiltZone) {
  ASSERT_TRUE(testing::have_program("named-checkzone")) << "ops/setup installs bind9-utils";
  ASSERT_TRUE(testing::have_program("kzonecheck")) << "ops/setup installs knot";
  BuildResult result = build_sample();
  ASSERT_TRUE(result.placement_errors.empty()) << fixtures::all_errors(result);
  ASSERT_EQ(result.zones.size(), 3u);
  testing::TempDir dir;
  for (const BuiltZone& built : result.zones) {
    std::string zone = built.zone.apex().to_text_no_dot();
    SCOPED_TRACE(zone);
    EXPECT_GT(built.counts.delegations, 0u);
    std::string file = write_zone(dir, built).string();
    testing::CommandResult bind = testing::run_command({"named-checkzone", "-i", "local", "-k", "fail", zone, file});
    EXPECT_EQ(bind.exit_code, 0) << bind.all();
    testing::CommandResult knot = testing::run_command({"kzonecheck", "-o", zone, file});
    EXPECT_EQ(knot.exit_code, 0) << knot.all();
  }
}

TEST(ZoneCheckers, MasterFileRoundTripsThroughTheReader) {
  BuildResult result = build_sample();
  for (const BuiltZone& built : result.zones) {
    SCOPED_TRACE(built.zone.apex().to_text());
    std::string text = dns::to_master_file(built.zone);
    dns::MasterFile parsed = dns::read_master_file(text, built.zone.apex());
    ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front().line << ": " << parsed.errors.front().reason;
    dns::Zone reread(built.zone.apex());
    for (dns::Record& r : parsed.records) reread.add(std::move(r));
    reread.canonicalise();
    EXPECT_EQ(reread.records(), built.zone.records());
    EXPECT_EQ(dns::to_master_file(reread), text);
  }
}

}  // namespace
}  // namespace rdnsprov::builder
