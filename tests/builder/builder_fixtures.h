// Small constructors for builder tests: names, origins, delegations, ranges and zone specs in one line each.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "builder/builder.h"
#include "dns/delegation.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/zone.h"

namespace rdnsprov::builder::fixtures {

inline dns::Name n(std::string_view text) {
  auto name = dns::Name::from_text(text);
  EXPECT_TRUE(name.ok()) << text;
  return name.ok() ? *name : dns::Name();
}

// "[SOURCE] db.domain:LINE"
inline dns::Origin origin(const std::string& source, std::uint64_t line) {
  return dns::Origin::in_file(std::make_shared<const std::string>(source),
                              std::make_shared<const std::string>("db.domain"), line);
}

inline dns::GlueAddress glue(std::string_view host, std::string_view address) {
  dns::RRType type = dns::RRType::kA;
  auto rdata = dns::rdata::address_from_text(address, type);
  EXPECT_TRUE(rdata.ok()) << address;
  return dns::GlueAddress{n(host), type, rdata.ok() ? *rdata : std::string()};
}

inline std::string ds_rdata(std::uint16_t key_tag) {
  return dns::rdata::ds(key_tag, 13, 2, std::string(32, '\xab'));
}

inline dns::Delegation delegation(std::string_view child, std::vector<std::string_view> nameservers,
                                  dns::Origin from, std::vector<dns::GlueAddress> glue_addresses = {},
                                  std::vector<std::string> ds = {}) {
  dns::Delegation d;
  d.child = n(child);
  for (std::string_view ns : nameservers) d.nameservers.push_back(n(ns));
  d.glue = std::move(glue_addresses);
  d.ds = std::move(ds);
  d.origin = std::move(from);
  return d;
}

// A classless range FIRST-LAST of BLOCK (a /24 such as "2.0.193.in-addr.arpa").
inline dns::ClasslessDelegation range(unsigned first, unsigned last, std::string_view block,
                                      std::vector<std::string_view> nameservers, dns::Origin from,
                                      std::vector<dns::GlueAddress> glue_addresses = {},
                                      std::vector<std::string> ds = {}) {
  dns::ClasslessDelegation c;
  std::string child = std::to_string(first) + "-" + std::to_string(last) + "." + std::string(block);
  c.delegation = delegation(child, std::move(nameservers), std::move(from), std::move(glue_addresses), std::move(ds));
  c.block = n(block);
  c.first = static_cast<std::uint8_t>(first);
  c.last = static_cast<std::uint8_t>(last);
  return c;
}

inline ZoneSpec spec(std::string_view apex) {
  ZoneSpec s;
  s.apex = n(apex);
  s.soa_mname = n("ns1.example.net");
  s.soa_rname = n("hostmaster.example.net");
  s.nameservers = {n("ns1.example.net"), n("ns2.example.net")};
  return s;
}

// Master-file lines of `zone` whose owner is `owner` (absolute text with the dot), in zone order.
inline std::vector<std::string> lines_at(const dns::Zone& zone, std::string_view owner) {
  std::vector<std::string> out;
  for (const dns::Record& r : zone.records()) {
    if (r.owner.to_text() == owner) out.push_back(dns::master_line(r));
  }
  return out;
}

inline const BuiltZone* find_zone(const BuildResult& result, std::string_view apex) {
  for (const BuiltZone& z : result.zones) {
    if (z.zone.apex() == n(apex)) return &z;
  }
  return nullptr;
}

// The placement errors about `key`, as "ORIGIN | reason" lines (easy to read in a failure message).
inline std::vector<std::string> errors_for(const BuildResult& result, std::string_view key) {
  std::vector<std::string> out;
  for (const dns::Reject& e : result.placement_errors) {
    if (e.key == key) out.push_back(e.origin.to_string() + " | " + e.reason);
  }
  return out;
}

inline std::string all_errors(const BuildResult& result) {
  std::string out;
  for (const dns::Reject& e : result.placement_errors) out += e.key + " | " + e.origin.to_string() + " | " + e.reason + "\n";
  return out;
}

}  // namespace rdnsprov::builder::fixtures
