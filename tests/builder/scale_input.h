// Registry-scale builder input, generated: 250 in-addr.arpa /8 zones and 50 ip6.arpa /32s, delegations spread
// over them with DS, glue and RFC 2317 ranges. Shared by tests/builder/scale_test.cc and bench/builder_bench.cc.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>

#include "builder/builder.h"
#include "tests/builder/builder_fixtures.h"

namespace rdnsprov::builder::scale {

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
inline Input generate(std::size_t count, std::size_t ranges) {
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

}  // namespace rdnsprov::builder::scale
