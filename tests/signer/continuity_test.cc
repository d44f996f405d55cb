// Key continuity between published versions: the steps of a rollover keep it, a key swapped or dropped outside one
// breaks it, each break named with an RRset and the keys.

#include "signer/continuity.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dns/dnssec.h"
#include "dns/rrtype.h"

namespace rdnsprov::signer {
namespace {

const dns::Name kApex = *dns::Name::from_text("193.in-addr.arpa");

// DNSKEY rdata with a distinct public key per `seed`; its tag is what signatures name.
std::string dnskey(int seed, bool ksk = false, bool revoked = false) {
  std::uint16_t flags = 256 | (ksk ? 1 : 0) | (revoked ? 0x80 : 0);
  std::string rdata{static_cast<char>(flags >> 8), static_cast<char>(flags & 0xff), 3, 13};
  rdata += std::string(64, static_cast<char>(seed));
  return rdata;
}

std::uint16_t tag(int seed, bool ksk = false) { return dns::key_tag(dnskey(seed, ksk)); }

// An RRSIG over `covered` by the key of `seed`; only the fields continuity reads are meaningful.
std::string rrsig(dns::RRType covered, std::uint16_t key_tag) {
  std::uint16_t code = dns::rrtype_code(covered);
  std::string rdata{static_cast<char>(code >> 8), static_cast<char>(code & 0xff), 13, 3};
  rdata += std::string(12, '\0');  // original TTL, expiration, inception
  rdata += static_cast<char>(key_tag >> 8);
  rdata += static_cast<char>(key_tag & 0xff);
  rdata += std::string("\x03" "193\x07in-addr\x04" "arpa\x00", 18);
  rdata += std::string(64, 'S');
  return rdata;
}

// A signed zone: the KSK (seed 1) signs the DNSKEY RRset of `zsks` and itself; `signers` sign the SOA and a DS.
dns::Zone version(const std::vector<int>& zsks, const std::vector<int>& signers, bool revoke_first = false) {
  dns::Zone zone(kApex);
  const dns::Name child = *dns::Name::from_text("5.193.in-addr.arpa");
  zone.add({kApex, dns::RRType::kSoa, 3600, std::string(22, '\0')});
  zone.add({kApex, dns::RRType::kDnskey, 3600, dnskey(1, true)});
  for (std::size_t i = 0; i < zsks.size(); ++i) {
    zone.add({kApex, dns::RRType::kDnskey, 3600, dnskey(zsks[i], false, revoke_first && i == 0)});
  }
  zone.add({kApex, dns::RRType::kRrsig, 3600, rrsig(dns::RRType::kDnskey, tag(1, true))});
  zone.add({child, dns::RRType::kDs, 3600, std::string("\x00\x01\x0d\x02", 4) + std::string(32, 'd')});
  for (int s : signers) {
    zone.add({kApex, dns::RRType::kRrsig, 3600, rrsig(dns::RRType::kSoa, tag(s))});
    zone.add({child, dns::RRType::kRrsig, 3600, rrsig(dns::RRType::kDs, tag(s))});
  }
  zone.canonicalise();
  return zone;
}

std::vector<std::string> breaks(const dns::Zone& before, const dns::Zone& after) {
  return continuity_breaks(key_continuity(before), key_continuity(after));
}

std::string all(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) out += t + "\n";
  return out;
}

TEST(KeyContinuity, TheStepsOfAZskPrePublicationRolloverKeepIt) {
  const dns::Zone start = version({2}, {2});
  const dns::Zone prepublished = version({2, 3}, {2});
  const dns::Zone swapped = version({2, 3}, {3});
  const dns::Zone removed = version({3}, {3});
  EXPECT_TRUE(breaks(start, prepublished).empty()) << all(breaks(start, prepublished));
  EXPECT_TRUE(breaks(prepublished, swapped).empty()) << all(breaks(prepublished, swapped));
  EXPECT_TRUE(breaks(swapped, removed).empty()) << all(breaks(swapped, removed));
  // Double signatures (the new key signing before the old one stops) keep it too.
  EXPECT_TRUE(breaks(start, version({2}, {2, 3})).empty());
  EXPECT_TRUE(breaks(version({2}, {2, 3}), version({3}, {2, 3})).empty());
  EXPECT_EQ(key_continuity(start).signer_sets.size(), 1u);  // the DNSKEY RRset's own signature is left out
}

// A new ZSK that signs at once (a key lost and made again, or imported with a schedule): both breaks.
TEST(KeyContinuity, AZskSwappedAtOnceBreaksItBothWays) {
  std::vector<std::string> found = breaks(version({2}, {2}), version({3}, {3}));
  ASSERT_EQ(found.size(), 2u) << all(found);
  EXPECT_NE(found[0].find(fmt::format("would be signed only by key {}, which the published DNSKEY RRset", tag(3))),
            std::string::npos)
      << found[0];
  EXPECT_NE(found[0].find("193.in-addr.arpa./SOA"), std::string::npos) << found[0];
  EXPECT_NE(found[1].find(fmt::format("signed only by key {}, would lose it from the DNSKEY RRset", tag(2))),
            std::string::npos)
      << found[1];
  // Pre-published but swapped in the same version as the old key leaves: the cached signatures break.
  found = breaks(version({2, 3}, {2}), version({3}, {3}));
  ASSERT_EQ(found.size(), 1u) << all(found);
  EXPECT_NE(found[0].find("the published 193.in-addr.arpa./SOA"), std::string::npos) << found[0];
}

// Keys restored from an older backup: the old ZSK signs again and the one signing now leaves the DNSKEY RRset.
TEST(KeyContinuity, KeysRestoredFromAnOlderBackupBreakTheCachedSignatures) {
  std::vector<std::string> found = breaks(version({2, 3}, {3}), version({2}, {2}));
  ASSERT_EQ(found.size(), 1u) << all(found);
  EXPECT_NE(found[0].find(fmt::format("signed only by key {}, would lose it", tag(3))), std::string::npos) << found[0];
}

// A revoked key validates no data: a version whose only ZSK in the cached DNSKEY RRset is revoked gives resolvers
// nothing for the next version's signatures by it.
TEST(KeyContinuity, RevokedKeysAndUnsignedVersionsCountForNothing) {
  EXPECT_EQ(breaks(version({2}, {2}, true), version({2}, {2})).size(), 1u);
  dns::Zone unsigned_zone(kApex);
  unsigned_zone.add({kApex, dns::RRType::kSoa, 3600, std::string(22, '\0')});
  EXPECT_TRUE(breaks(unsigned_zone, version({3}, {3})).empty());
  EXPECT_TRUE(breaks(version({3}, {3}), unsigned_zone).empty());
}

}  // namespace
}  // namespace rdnsprov::signer
