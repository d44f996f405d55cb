// Test zones and checks shared by the signer tests: small reverse zones with every shape the signer must handle
// (delegations with and without DS, glue, RFC 2317 ranges, deep ip6.arpa nibble delegations full of empty
// non-terminals), a generated registry-sized zone, keys per policy, and the three external zone verifiers.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/zone.h"
#include "signer/signer.h"
#include "tests/support/support.h"

namespace rdnsprov::signer::testing {

inline dns::Name name(std::string_view text) { return *dns::Name::from_text(text); }

// Parses master-file text (relative names are relative to `apex`) into a canonical zone; fails the test on any
// bad line.
inline dns::Zone zone_from_text(std::string_view apex_text, std::string_view text) {
  dns::Zone zone(name(apex_text));
  dns::MasterFile parsed = dns::read_master_file(text, zone.apex());
  for (const auto& e : parsed.errors) ADD_FAILURE() << "line " << e.line << ": " << e.reason;
  for (auto& r : parsed.records) zone.add(std::move(r));
  zone.canonicalise();
  return zone;
}

// A DS digest that looks real: SHA-256 of the child name.
inline std::string fake_ds(std::string_view child, int tag = 12345) {
  return fmt::format("{} 13 2 {}", tag, dns::to_hex(dns::sha256(child)));
}

// 193.in-addr.arpa: signed and unsigned delegations, glue, an empty non-terminal leading only to an unsigned
// delegation, an RFC 2317 range with its CNAMEs, occluded data below a cut.
inline dns::Zone reverse_v4_zone() {
  std::string text = R"($TTL 86400
@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 2024010101 3600 900 1209600 600
@ NS ns1.example.net.
@ NS ns2.example.net.
1 NS ns1.1
1 NS ns.example.com.
ns1.1 A 192.0.2.53
ns1.1 AAAA 2001:db8::53
2 NS ns.example.com.
5.4 NS ns.example.com.
6.4 NS ns.6.4
ns.6.4 A 192.0.2.54
7.8 NS ns.example.com.
0-63.20.10 NS ns.example.com.
1.20.10 CNAME 1.0-63.20.10
2.20.10 CNAME 2.0-63.20.10
3.20.10 CNAME 3.0-63.20.10
9 NS ns.9
ns.9 A 192.0.2.9
deep.ns.9 A 192.0.2.10
)";
  text += "1 DS " + fake_ds("1") + "\n";
  text += "5.4 DS " + fake_ds("5.4") + "\n";
  text += "5.4 DS " + fake_ds("5.4b", 4242) + "\n";
  text += "0-63.20.10 DS " + fake_ds("0-63.20.10") + "\n";
  return zone_from_text("193.in-addr.arpa", text);
}

// 8.b.d.0.1.0.0.2.ip6.arpa (a /32): /48 delegations twelve nibbles deep, so every one of them hangs below a
// chain of empty non-terminals; some share their ENTs with signed delegations, some are alone.
inline dns::Zone reverse_v6_zone() {
  std::string text = R"($TTL 3600
@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 7 3600 900 1209600 3600
@ NS ns1.example.net.
@ NS ns2.example.net.
)";
  const char* delegations[] = {"0.0.0.0", "1.0.0.0", "f.0.0.0", "0.1.0.0", "a.b.c.d", "b.b.c.d", "f.f.f.f", "0.0.0.e"};
  int i = 0;
  for (const char* d : delegations) {
    text += fmt::format("{} NS ns.example.com.\n", d);
    if (i % 2 == 0) text += fmt::format("{} DS {}\n", d, fake_ds(d));
    ++i;
  }
  // A delegation with in-zone glue, and a nameserver address record that is authoritative data.
  text += "1.1.1.1 NS ns.1.1.1.1\nns.1.1.1.1 AAAA 2001:db8:1111::53\n";
  text += "5.5.5.5.5.5.5.5 AAAA 2001:db8::55\n";
  return zone_from_text("8.b.d.0.1.0.0.2.ip6.arpa", text);
}

// A registry-shaped zone: `count` /24-style delegations under a /8 (A.B.<apex>), 15% with DS, two NS each.
inline dns::Zone generated_zone(std::size_t count, std::uint32_t serial = 1) {
  dns::Zone zone(name("10.in-addr.arpa"));
  std::string soa_text = fmt::format("ns1.example.net. hostmaster.example.net. {} 3600 900 1209600 3600", serial);
  std::vector<std::string_view> soa_fields;
  for (std::size_t pos = 0; pos < soa_text.size();) {
    std::size_t end = soa_text.find(' ', pos);
    if (end == std::string::npos) end = soa_text.size();
    soa_fields.push_back(std::string_view(soa_text).substr(pos, end - pos));
    pos = end + 1;
  }
  zone.add({zone.apex(), dns::RRType::kSoa, 3600, *dns::rdata::from_text(dns::RRType::kSoa, soa_fields, zone.apex())});
  zone.add({zone.apex(), dns::RRType::kNs, 86400, dns::rdata::ns(name("ns1.example.net"))});
  zone.add({zone.apex(), dns::RRType::kNs, 86400, dns::rdata::ns(name("ns2.example.net"))});
  dns::Name ns_a = name("a.ns.example.org");
  dns::Name ns_b = name("b.ns.example.org");
  for (std::size_t i = 0; i < count; ++i) {
    dns::Name child = *zone.apex().prepend(std::to_string(i / 256))->prepend(std::to_string(i % 256));
    zone.add({child, dns::RRType::kNs, 86400, dns::rdata::ns(ns_a)});
    zone.add({child, dns::RRType::kNs, 86400, dns::rdata::ns(ns_b)});
    if (i % 20 < 3) {
      zone.add({child, dns::RRType::kDs, 86400, dns::rdata::ds(static_cast<std::uint16_t>(i), 13, 2,
                                                               dns::sha256(child.wire()))});
    }
  }
  zone.canonicalise();
  return zone;
}

// Fresh keys for a policy: KSK + ZSK or a CSK.
inline std::vector<SigningKey> make_keys(const dns::Name& apex, const SigningPolicy& policy) {
  std::vector<SigningKey> keys;
  if (policy.key_layout == KeyLayout::kCsk) {
    keys.push_back({DnssecKey::generate(apex, policy.algorithm, KeyRole::kCsk, policy.rsa_bits), KeyRole::kCsk, true});
  } else {
    keys.push_back({DnssecKey::generate(apex, policy.algorithm, KeyRole::kKsk, policy.rsa_bits), KeyRole::kKsk, true});
    keys.push_back({DnssecKey::generate(apex, policy.algorithm, KeyRole::kZsk, policy.rsa_bits), KeyRole::kZsk, true});
  }
  return keys;
}

// Runs dnssec-verify, ldns-verify-zone and kzonecheck on `file`; returns one line per verifier that rejected it.
// `csk`: the zone is signed by a combined key (SEP flag set) only, which dnssec-verify must be told with -z or it
// reports a missing ZSK.
inline std::vector<std::string> external_verifier_failures(const dns::Name& apex, const std::filesystem::path& file,
                                                           bool csk = false) {
  std::string zone = apex.to_text_no_dot();
  std::vector<std::string> dnssec_verify = {"dnssec-verify", "-q", "-o", zone, file.string()};
  if (csk) dnssec_verify.insert(dnssec_verify.begin() + 1, "-z");
  std::vector<std::vector<std::string>> commands = {
      dnssec_verify,
      {"ldns-verify-zone", file.string()},
      {"kzonecheck", "-d", "on", "-o", zone, file.string()},
  };
  std::vector<std::string> failures;
  for (const auto& argv : commands) {
    rdnsprov::testing::CommandResult r = rdnsprov::testing::run_command(argv);
    if (r.exit_code != 0) failures.push_back(fmt::format("{} exited {}: {}", argv[0], r.exit_code, r.all()));
  }
  return failures;
}

}  // namespace rdnsprov::signer::testing
