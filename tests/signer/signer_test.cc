#include "signer/signer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "signer/verify.h"
#include "signer/zonemd.h"
#include "tests/signer/signer_test_zones.h"
#include "tests/support/support.h"

namespace rdnsprov::signer {
namespace {

using rdnsprov::testing::TempDir;
using testing::external_verifier_failures;
using testing::make_keys;
using testing::name;

using dns::Record;
using dns::RRType;

std::uint32_t wall_clock() { return static_cast<std::uint32_t>(std::time(nullptr)); }

std::vector<const Record*> records_of(const dns::Zone& zone, std::string_view owner, RRType type) {
  std::vector<const Record*> out;
  dns::Name n = name(owner);
  for (const Record& r : zone.records()) {
    if (r.owner == n && r.type == type) out.push_back(&r);
  }
  return out;
}

std::uint16_t covered(const Record& rrsig) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(rrsig.rdata[0]) << 8) |
                                    static_cast<unsigned char>(rrsig.rdata[1]));
}

std::set<std::string> covered_types(const dns::Zone& zone, std::string_view owner) {
  std::set<std::string> out;
  for (const Record* r : records_of(zone, owner, RRType::kRrsig)) {
    out.insert(std::string(dns::rrtype_to_text(*dns::rrtype_from_code(covered(*r)))));
  }
  return out;
}

class SignerStructure : public ::testing::Test {
 protected:
  dns::ThreadPool pool{2};
  std::uint32_t now = 1700000000;
};

// RFC 4035 §2.2 and §2.3: what is signed and what the NSEC bitmaps say, at the apex, at delegations with and
// without DS, at glue and below a cut; RFC 9077 for the NSEC TTL.
TEST_F(SignerStructure, NsecChainAndSignaturesFollowRfc4035) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy;
  auto keys = make_keys(zone.apex(), policy);
  SignResult result = sign_zone(zone, keys, policy, now, nullptr, pool);
  const dns::Zone& z = result.zone;

  std::vector<std::string> nsec_owners;
  for (const Record& r : z.records()) {
    if (r.type == RRType::kNsec) {
      nsec_owners.push_back(r.owner.to_text());
      EXPECT_EQ(r.ttl, 600u) << "RFC 9077: min(SOA MINIMUM 600, SOA TTL 3600)";
    }
  }
  EXPECT_EQ(nsec_owners, (std::vector<std::string>{
                             // Canonical order: label "10" sorts between "1" and "2" (RFC 4034 §6.1).
                             "193.in-addr.arpa.", "1.193.in-addr.arpa.", "0-63.20.10.193.in-addr.arpa.",
                             "1.20.10.193.in-addr.arpa.", "2.20.10.193.in-addr.arpa.", "3.20.10.193.in-addr.arpa.",
                             "2.193.in-addr.arpa.", "5.4.193.in-addr.arpa.", "6.4.193.in-addr.arpa.",
                             "7.8.193.in-addr.arpa.", "9.193.in-addr.arpa."}));
  EXPECT_EQ(result.stats.denial_records, nsec_owners.size());
  auto nsec_text = [&](std::string_view owner) {
    return dns::rdata::to_text(RRType::kNsec, records_of(z, owner, RRType::kNsec).at(0)->rdata);
  };
  EXPECT_EQ(nsec_text("193.in-addr.arpa"), "1.193.in-addr.arpa. NS SOA RRSIG NSEC DNSKEY");
  EXPECT_EQ(nsec_text("1.193.in-addr.arpa"), "0-63.20.10.193.in-addr.arpa. NS DS RRSIG NSEC");
  EXPECT_EQ(nsec_text("2.193.in-addr.arpa"), "5.4.193.in-addr.arpa. NS RRSIG NSEC");
  EXPECT_EQ(nsec_text("9.193.in-addr.arpa"), "193.in-addr.arpa. NS RRSIG NSEC");
  EXPECT_EQ(nsec_text("3.20.10.193.in-addr.arpa"), "2.193.in-addr.arpa. CNAME RRSIG NSEC");

  EXPECT_EQ(covered_types(z, "193.in-addr.arpa"), (std::set<std::string>{"SOA", "NS", "DNSKEY", "NSEC"}));
  EXPECT_EQ(covered_types(z, "1.193.in-addr.arpa"), (std::set<std::string>{"DS", "NSEC"}));
  EXPECT_EQ(covered_types(z, "2.193.in-addr.arpa"), (std::set<std::string>{"NSEC"}));
  EXPECT_EQ(covered_types(z, "1.20.10.193.in-addr.arpa"), (std::set<std::string>{"CNAME", "NSEC"}));
  EXPECT_TRUE(covered_types(z, "ns1.1.193.in-addr.arpa").empty()) << "glue is never signed";
  EXPECT_TRUE(covered_types(z, "deep.ns.9.193.in-addr.arpa").empty()) << "occluded data is never signed";
  // DNSKEY by the KSK only; everything else by the ZSK only.
  for (const Record* r : records_of(z, "193.in-addr.arpa", RRType::kRrsig)) {
    std::uint16_t tag = static_cast<std::uint16_t>((static_cast<unsigned char>(r->rdata[16]) << 8) |
                                                   static_cast<unsigned char>(r->rdata[17]));
    EXPECT_EQ(tag, covered(*r) == 48 ? keys[0].key.key_tag() : keys[1].key.key_tag());
  }
  // Glue and delegation NS records are still in the zone.
  EXPECT_EQ(records_of(z, "ns1.1.193.in-addr.arpa", RRType::kA).size(), 1u);
  EXPECT_EQ(records_of(z, "2.193.in-addr.arpa", RRType::kNs).size(), 1u);
}

std::set<std::string> nsec3_owners_for(const std::vector<std::string>& names, const dns::Name& apex) {
  std::set<std::string> out;
  for (const auto& n : names) {
    dns::Name full = n.empty() ? apex : *dns::Name::from_text(n, apex);
    out.insert(apex.prepend(dns::to_base32hex(dns::nsec3_hash(full, "", 0)))->to_text());
  }
  return out;
}

std::set<std::string> nsec3_owners(const dns::Zone& zone) {
  std::set<std::string> out;
  for (const Record& r : zone.records()) {
    if (r.type == RRType::kNsec3) out.insert(r.owner.to_text());
  }
  return out;
}

// RFC 5155 §7.1: every empty non-terminal gets an NSEC3; glue and occluded names do not.
TEST_F(SignerStructure, Nsec3CoversEmptyNonTerminals) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy{.denial = Denial::kNsec3};
  SignResult result = sign_zone(zone, make_keys(zone.apex(), policy), policy, now, nullptr, pool);
  EXPECT_EQ(nsec3_owners(result.zone),
            nsec3_owners_for({"", "1", "2", "5.4", "6.4", "7.8", "9", "0-63.20.10", "1.20.10", "2.20.10", "3.20.10",
                              "4", "8", "10", "20.10"},
                             zone.apex()));
  auto param = records_of(result.zone, "193.in-addr.arpa", RRType::kNsec3param);
  ASSERT_EQ(param.size(), 1u);
  EXPECT_EQ(dns::rdata::to_text(RRType::kNsec3param, param[0]->rdata), "1 0 0 -");
  for (const Record& r : result.zone.records()) {
    if (r.type != RRType::kNsec3) continue;
    EXPECT_EQ(r.rdata[1], 0) << "no Opt-Out flag";
    EXPECT_EQ(r.ttl, 600u);
  }
  // An unsigned delegation's NSEC3 lists NS only (nothing at that name is signed); an ENT lists nothing.
  dns::Name two = *dns::Name::from_text("2", zone.apex());
  dns::Name hashed_two = *zone.apex().prepend(dns::to_base32hex(dns::nsec3_hash(two, "", 0)));
  auto nsec3 = records_of(result.zone, hashed_two.to_text(), RRType::kNsec3);
  ASSERT_EQ(nsec3.size(), 1u);
  std::string text = dns::rdata::to_text(RRType::kNsec3, nsec3[0]->rdata);
  EXPECT_TRUE(text.ends_with(" NS")) << text;
}

// RFC 5155 §6 and §7.1: with Opt-Out, unsigned delegations and the ENTs that lead only to them are left out;
// the flag is set on every NSEC3, not on NSEC3PARAM.
TEST_F(SignerStructure, Nsec3OptOutLeavesOutUnsignedDelegationsAndTheirEnts) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy{.denial = Denial::kNsec3, .nsec3_opt_out = true};
  SignResult result = sign_zone(zone, make_keys(zone.apex(), policy), policy, now, nullptr, pool);
  EXPECT_EQ(nsec3_owners(result.zone),
            nsec3_owners_for({"", "1", "5.4", "0-63.20.10", "1.20.10", "2.20.10", "3.20.10", "4", "10", "20.10"},
                             zone.apex()));
  for (const Record& r : result.zone.records()) {
    if (r.type == RRType::kNsec3) {
      EXPECT_EQ(r.rdata[1], 1) << "Opt-Out flag";
    }
  }
  EXPECT_EQ(records_of(result.zone, "193.in-addr.arpa", RRType::kNsec3param)[0]->rdata[1], 0);
}

// An NSEC3 owner name may also be a name of the zone's data (a label that happens to be a hash): both sets of
// records sit at that owner, in canonical type order, and the zone verifies.
TEST_F(SignerStructure, Nsec3OwnerThatIsAlsoADataNameHoldsBoth) {
  dns::Zone zone = testing::reverse_v4_zone();
  dns::Name hashed_apex = *zone.apex().prepend(dns::to_base32hex(dns::nsec3_hash(zone.apex(), "", 0)));
  RRType address_type = RRType::kA;
  zone.add(Record{hashed_apex, RRType::kA, 3600, *dns::rdata::address_from_text("192.0.2.1", address_type)});
  zone.canonicalise();
  SigningPolicy policy{.denial = Denial::kNsec3};
  SignResult result = sign_zone(zone, make_keys(zone.apex(), policy), policy, wall_clock(), nullptr, pool);
  EXPECT_EQ(records_of(result.zone, hashed_apex.to_text(), RRType::kA).size(), 1u);
  EXPECT_EQ(records_of(result.zone, hashed_apex.to_text(), RRType::kNsec3).size(), 1u);
  EXPECT_EQ(covered_types(result.zone, hashed_apex.to_text()), (std::set<std::string>{"A", "NSEC3"}));
  EXPECT_TRUE(std::is_sorted(result.zone.records().begin(), result.zone.records().end()));
  TempDir dir;
  dns::write_file_atomically(dir / "zone", dns::to_master_file(result.zone));
  for (const auto& failure : external_verifier_failures(zone.apex(), dir / "zone")) ADD_FAILURE() << failure;
}

// RFC 5155 §7.1 and §6 by brute force, on random trees of names sharing their ancestors: the chain holds the
// apex, every authoritative name, every delegation (with Opt-Out only those with DS), and every ancestor of
// those that is not itself a name of the zone; never glue or what lies below a cut. The independent verifier
// finds the chain complete, and misses no NSEC3 taken away.
TEST_F(SignerStructure, Nsec3ChainHoldsExactlyTheNamesAndEmptyNonTerminalsOfRandomTrees) {
  std::mt19937 random(20261203);
  // Twelve small trees, then two of thousands of names: the signer plans and merges chunks of 4,096 owners on
  // every thread, so these cross many chunk boundaries.
  for (int round = 0; round < 14; ++round) {
    const int count = round < 12 ? 60 : 16000;
    const unsigned fanout = round < 12 ? 3 : 16;
    std::string text = "$TTL 600\n@ 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 3600 900 1209600 600\n"
                       "@ NS ns1.example.net.\n";
    std::set<std::string> delegations;
    std::set<std::string> secure;
    std::set<std::string> names;  // relative, authoritative or delegation
    auto random_name = [&] {
      std::string n;
      int depth = 1 + static_cast<int>(random() % 5);
      for (int d = 0; d < depth; ++d) n = fmt::format("{:x}", random() % fanout) + (n.empty() ? "" : "." + n);
      return n;
    };
    for (int i = 0; i < count; ++i) {
      std::string n = random_name();
      // The large trees are mostly authoritative names, so that few of them lie below a cut.
      unsigned kind = static_cast<unsigned>(random() % (round < 12 ? 4 : 8));
      if (round >= 12 && std::count(n.begin(), n.end(), '.') < 3) kind = 0;  // cuts only deep down
      switch (kind < 4 ? kind : 0) {
        case 0:
          text += n + " A 192.0.2.7\n";
          break;
        case 1:
          text += n + " NS ns.example.com.\n";
          break;
        case 2:
          text += n + " NS ns.example.com.\n" + n + " DS " + testing::fake_ds(n) + "\n";
          break;
        default:
          text += "ns." + n + " NS ns.example.com.\nns." + n + " A 192.0.2.1\n";  // glue below the cut at ns.N
          break;
      }
    }
    dns::Zone zone = testing::zone_from_text("0.193.in-addr.arpa", text);
    if (count > 4096) {
      std::size_t owners = 0;
      for (std::size_t i = 0; i < zone.records().size(); ++i) {
        if (i == 0 || zone.records()[i].owner != zone.records()[i - 1].owner) ++owners;
      }
      ASSERT_GT(owners, 2u * 4096) << "round " << round << ": too few owners to cross chunk boundaries";
    }
    for (const Record& r : zone.records()) {
      if (r.type == RRType::kNs && r.owner != zone.apex()) delegations.insert(r.owner.to_text());
      if (r.type == RRType::kDs) secure.insert(r.owner.to_text());
    }
    auto below_cut = [&](const dns::Name& n) {
      for (dns::Name a = n.parent(); a.is_below(zone.apex()); a = a.parent()) {
        if (delegations.contains(a.to_text())) return true;
      }
      return false;
    };
    for (bool opt_out : {false, true}) {
      std::set<std::string> existing;
      std::set<std::string> chain;
      for (const Record& r : zone.records()) existing.insert(r.owner.to_text());
      for (const Record& r : zone.records()) {
        if (below_cut(r.owner)) continue;
        std::string t = r.owner.to_text();
        if (opt_out && delegations.contains(t) && !secure.contains(t)) continue;
        chain.insert(t);
        for (dns::Name a = r.owner.parent(); a.is_below(zone.apex()); a = a.parent()) {
          if (!existing.contains(a.to_text())) chain.insert(a.to_text());
        }
      }
      std::set<std::string> expected;
      for (const std::string& t : chain) {
        expected.insert(zone.apex().prepend(dns::to_base32hex(dns::nsec3_hash(testing::name(t), "", 0)))->to_text());
      }
      SigningPolicy policy{.denial = Denial::kNsec3, .nsec3_opt_out = opt_out};
      SignResult result = sign_zone(zone, make_keys(zone.apex(), policy), policy, now, nullptr, pool);
      ASSERT_EQ(nsec3_owners(result.zone), expected) << "round " << round << (opt_out ? ", opt-out" : "");
      EXPECT_TRUE(std::is_sorted(result.zone.records().begin(), result.zone.records().end())) << "round " << round;

      VerifyOptions options{.now = now + 3600};
      VerifyResult verified = verify_signed_zone(result.zone, options, pool);
      EXPECT_TRUE(verified.ok) << "round " << round << ": " << verified.summary();
      // Take away one NSEC3 (and its RRSIG): the verifier reports the name it was for.
      dns::Zone damaged(zone.apex());
      std::string victim = *std::next(expected.begin(), static_cast<std::ptrdiff_t>(random() % expected.size()));
      for (const Record& r : result.zone.records()) {
        if (r.owner.to_text() != victim) damaged.add(r);
      }
      damaged.canonicalise();
      VerifyResult broken = verify_signed_zone(damaged, options, pool);
      EXPECT_FALSE(broken.ok) << "round " << round << ": NSEC3 " << victim << " taken away unnoticed";
    }
  }
}

TEST_F(SignerStructure, Nsec3SaltAndIterationsFromThePolicy) {
  dns::Zone zone = testing::reverse_v6_zone();
  SigningPolicy policy{.denial = Denial::kNsec3, .nsec3_iterations = 5, .nsec3_salt = std::string("\xab\xcd", 2)};
  SignResult result = sign_zone(zone, make_keys(zone.apex(), policy), policy, now, nullptr, pool);
  auto param = records_of(result.zone, zone.apex().to_text(), RRType::kNsec3param);
  ASSERT_EQ(param.size(), 1u);
  EXPECT_EQ(dns::rdata::to_text(RRType::kNsec3param, param[0]->rdata), "1 0 5 ABCD");
  std::string apex_hash = dns::to_base32hex(dns::nsec3_hash(zone.apex(), "\xab\xcd", 5));
  EXPECT_EQ(records_of(result.zone, zone.apex().prepend(apex_hash)->to_text(), RRType::kNsec3).size(), 1u);
}

TEST_F(SignerStructure, SignatureTimesFollowThePolicy) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy;
  SignResult result = sign_zone(zone, make_keys(zone.apex(), policy), policy, now, nullptr, pool);
  std::set<std::uint32_t> expirations;
  for (const Record& r : result.zone.records()) {
    if (r.type != RRType::kRrsig) continue;
    std::string_view w = r.rdata;
    auto get32 = [&](std::size_t p) {
      return (static_cast<std::uint32_t>(static_cast<unsigned char>(w[p])) << 24) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(w[p + 1])) << 16) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(w[p + 2])) << 8) |
             static_cast<std::uint32_t>(static_cast<unsigned char>(w[p + 3]));
    };
    EXPECT_EQ(get32(12), now - 3600) << "inception one hour back";
    EXPECT_LE(get32(8), now + 30 * 86400);
    EXPECT_GE(get32(8), now + 29 * 86400);
    EXPECT_EQ(get32(4), r.ttl) << "original TTL";
    expirations.insert(get32(8));
  }
  EXPECT_GT(expirations.size(), 5u) << "jitter spreads expirations";
  // Jitter is a function of owner and type: a second run gives the same times.
  EXPECT_EQ(signature_expiration(policy, now, name("1.193.in-addr.arpa"), RRType::kDs),
            signature_expiration(policy, now, name("1.193.in-addr.arpa"), RRType::kDs));
}

TEST_F(SignerStructure, CdsCdnskeyAndZonemd) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy{.cds_cdnskey = true, .zonemd = true};
  auto keys = make_keys(zone.apex(), policy);
  SignResult result = sign_zone(zone, keys, policy, wall_clock(), nullptr, pool);
  auto cds = records_of(result.zone, "193.in-addr.arpa", RRType::kCds);
  ASSERT_EQ(cds.size(), 1u);
  EXPECT_EQ(cds[0]->rdata, *dns::ds_rdata(zone.apex(), keys[0].key.dnskey_rdata(), 2));
  auto cdnskey = records_of(result.zone, "193.in-addr.arpa", RRType::kCdnskey);
  ASSERT_EQ(cdnskey.size(), 1u);
  EXPECT_EQ(cdnskey[0]->rdata, keys[0].key.dnskey_rdata());
  auto zonemd = records_of(result.zone, "193.in-addr.arpa", RRType::kZonemd);
  ASSERT_EQ(zonemd.size(), 1u);
  auto digest = zonemd_digest(result.zone);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(zonemd[0]->rdata, zonemd_rdata(2024010101, 1, 1, *digest));
  EXPECT_EQ(covered_types(result.zone, "193.in-addr.arpa"),
            (std::set<std::string>{"SOA", "NS", "DNSKEY", "NSEC", "CDS", "CDNSKEY", "ZONEMD"}));
  EXPECT_TRUE(std::is_sorted(result.zone.records().begin(), result.zone.records().end()));
  // The KSK signs the DNSKEY RRset alone; CDS and CDNSKEY it signs (RFC 7344 §4.1) with the ZSK, so that a
  // resolver still caching a DNSKEY RRset from before a KSK swap (with the ZSK, without the new KSK) validates them.
  std::map<std::string, std::set<std::uint16_t>> signers;  // covered type → key tags of its RRSIGs at the apex
  for (const Record* r : records_of(result.zone, "193.in-addr.arpa", RRType::kRrsig)) {
    signers[std::string(dns::rrtype_to_text(*dns::rrtype_from_code(covered(*r))))].insert(
        static_cast<std::uint16_t>((static_cast<unsigned char>(r->rdata[16]) << 8) | static_cast<unsigned char>(r->rdata[17])));
  }
  const std::set<std::uint16_t> ksk = {keys[0].key.key_tag()};
  const std::set<std::uint16_t> ksk_and_zsk = {keys[0].key.key_tag(), keys[1].key.key_tag()};
  EXPECT_EQ(signers["DNSKEY"], ksk);
  EXPECT_EQ(signers["CDS"], ksk_and_zsk);
  EXPECT_EQ(signers["CDNSKEY"], ksk_and_zsk);

  TempDir dir;
  dns::write_file_atomically(dir / "zone", dns::to_master_file(result.zone));
  EXPECT_TRUE(external_verifier_failures(zone.apex(), dir / "zone").empty());
  auto ldns = rdnsprov::testing::run_command({"ldns-verify-zone", "-ZZ", (dir / "zone").string()});
  EXPECT_EQ(ldns.exit_code, 0) << "ZONEMD checked by ldns: " << ldns.all();
}

// The first phase of an algorithm rollover (RFC 6781 §4.1.4): a CSK of the new algorithm signs the zone's data
// while neither the DNSKEY RRset nor CDS/CDNSKEY name it. The gate checks its signatures against it; other verifiers
// pass over them, as validators do; without the key, the verifier reports them unless told to pass over them.
TEST_F(SignerStructure, KeySigningAheadOfItsDnskeySignsTheDataOnly) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy{.cds_cdnskey = true};
  auto keys = make_keys(zone.apex(), policy);
  SigningKey ahead{DnssecKey::generate(zone.apex(), dns::kAlgorithmEd25519, KeyRole::kCsk), KeyRole::kCsk, true};
  ahead.in_dnskey = false;
  keys.push_back(ahead);
  SignResult result = sign_zone(zone, keys, policy, wall_clock(), nullptr, pool);

  auto dnskeys = records_of(result.zone, "193.in-addr.arpa", RRType::kDnskey);
  ASSERT_EQ(dnskeys.size(), 2u);
  for (const Record* r : dnskeys) EXPECT_NE(r->rdata, ahead.key.dnskey_rdata());
  EXPECT_EQ(records_of(result.zone, "193.in-addr.arpa", RRType::kCds).size(), 1u);
  EXPECT_EQ(records_of(result.zone, "193.in-addr.arpa", RRType::kCdnskey).size(), 1u);
  std::map<std::string, std::set<std::uint8_t>> algorithms;  // covered type → algorithms of its RRSIGs at the apex
  for (const Record* r : records_of(result.zone, "193.in-addr.arpa", RRType::kRrsig)) {
    algorithms[std::string(dns::rrtype_to_text(*dns::rrtype_from_code(covered(*r))))].insert(
        static_cast<std::uint8_t>(r->rdata[2]));
  }
  const std::set<std::uint8_t> both = {dns::kAlgorithmEcdsaP256Sha256, dns::kAlgorithmEd25519};
  const std::set<std::uint8_t> ecdsa = {dns::kAlgorithmEcdsaP256Sha256};
  EXPECT_EQ(algorithms["SOA"], both);
  EXPECT_EQ(algorithms["NSEC"], both);
  EXPECT_EQ(algorithms["DNSKEY"], ecdsa);
  EXPECT_EQ(algorithms["CDS"], both);  // signed as the data is, and by the KSK

  VerifyOptions options{.now = wall_clock()};
  VerifyResult strict = verify_signed_zone(result.zone, options, pool);
  EXPECT_FALSE(strict.ok);
  EXPECT_NE(strict.summary().find("the DNSKEY RRset has no such key"), std::string::npos) << strict.summary();
  VerifyOptions passing_over = options;
  passing_over.allow_unknown_signers = true;
  VerifyResult passed = verify_signed_zone(result.zone, passing_over, pool);
  EXPECT_TRUE(passed.ok) << passed.summary();
  EXPECT_GT(passed.unchecked_signatures, 0u);
  EXPECT_EQ(passed.unknown_signers, std::vector<std::string>{fmt::format("{} (ED25519)", ahead.key.key_tag())});
  VerifyOptions with_key = options;
  with_key.unpublished_keys = {ahead.key.dnskey_rdata()};
  VerifyResult checked = verify_signed_zone(result.zone, with_key, pool);
  EXPECT_TRUE(checked.ok) << checked.summary();
  EXPECT_EQ(checked.signatures_checked, passed.signatures_checked + passed.unchecked_signatures);

  TempDir dir;
  dns::write_file_atomically(dir / "zone", dns::to_master_file(result.zone));
  EXPECT_TRUE(external_verifier_failures(zone.apex(), dir / "zone").empty());

  // A bad signature of the key signing ahead is caught when its key is known; its signature alone does not make up
  // for a missing one of the DNSKEY RRset's algorithm.
  dns::Zone tampered = result.zone;
  std::size_t ed25519_soa = 0, ecdsa_soa = 0;
  for (std::size_t i = 0; i < tampered.records().size(); ++i) {
    const Record& r = tampered.records()[i];
    if (r.owner != zone.apex() || r.type != RRType::kRrsig || covered(r) != dns::rrtype_code(RRType::kSoa)) continue;
    (static_cast<std::uint8_t>(r.rdata[2]) == dns::kAlgorithmEd25519 ? ed25519_soa : ecdsa_soa) = i;
  }
  tampered.mutable_records()[ed25519_soa].rdata.back() ^= 0x01;
  VerifyResult bad = verify_signed_zone(tampered, with_key, pool);
  EXPECT_NE(bad.summary().find("RRSIG by key " + std::to_string(ahead.key.key_tag()) +
                               " (ED25519) over 193.in-addr.arpa./SOA does not validate"),
            std::string::npos)
      << bad.summary();
  tampered = result.zone;
  tampered.mutable_records().erase(tampered.mutable_records().begin() + static_cast<std::ptrdiff_t>(ecdsa_soa));
  VerifyResult missing = verify_signed_zone(tampered, with_key, pool);
  EXPECT_NE(missing.summary().find("has no RRSIG of algorithm ECDSAP256SHA256"), std::string::npos)
      << missing.summary();
}

// RFC 7344 §4.1: a parent takes a CDS/CDNSKEY RRset only signed by a key its DS points to. Here the ZSK is handed
// to the signer as a CSK as well (left out of CDS), so that it signs them; without the KSK's signatures, the
// verifier reports both RRsets.
TEST_F(SignerStructure, CdsAndCdnskeySignedOnlyWithoutTheSepFlagAreReported) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy{.cds_cdnskey = true};
  auto keys = make_keys(zone.apex(), policy);
  keys[1].role = KeyRole::kCsk;
  keys[1].in_cds = false;
  SignResult result = sign_zone(zone, keys, policy, wall_clock(), nullptr, pool);
  VerifyOptions options{.now = wall_clock()};
  VerifyResult both = verify_signed_zone(result.zone, options, pool);
  EXPECT_TRUE(both.ok) << both.summary();
  std::erase_if(result.zone.mutable_records(), [&](const Record& r) {
    return r.type == RRType::kRrsig && r.owner == zone.apex() &&
           (covered(r) == dns::rrtype_code(RRType::kCds) || covered(r) == dns::rrtype_code(RRType::kCdnskey)) &&
           r.rdata.substr(16, 2) == std::string{static_cast<char>(keys[0].key.key_tag() >> 8),
                                                static_cast<char>(keys[0].key.key_tag() & 0xff)};
  });
  VerifyResult zsk_only = verify_signed_zone(result.zone, options, pool);
  EXPECT_EQ(zsk_only.problem_count, 2u) << zsk_only.summary();
  for (const char* type : {"CDS", "CDNSKEY"}) {
    EXPECT_TRUE(std::any_of(zsk_only.problems.begin(), zsk_only.problems.end(), [&](const VerifyProblem& p) {
      return p.type == type && p.reason.find("no valid RRSIG by a key with the SEP flag (KSK): a parent acting on it") !=
                                   std::string::npos;
    })) << type << ": " << zsk_only.summary();
  }
}

TEST_F(SignerStructure, RefusesZonesWithoutSoaAndKeysOfOtherZones) {
  dns::Zone zone = testing::reverse_v4_zone();
  SigningPolicy policy;
  auto other_keys = make_keys(name("example"), policy);
  EXPECT_THROW(sign_zone(zone, other_keys, policy, now, nullptr, pool), std::invalid_argument);
  auto keys = make_keys(zone.apex(), policy);
  std::vector<SigningKey> zsk_only = {keys[1]};
  EXPECT_THROW(sign_zone(zone, zsk_only, policy, now, nullptr, pool), std::invalid_argument);
  dns::Zone no_soa(zone.apex());
  no_soa.add({zone.apex(), RRType::kNs, 3600, dns::rdata::ns(name("ns.example"))});
  EXPECT_THROW(sign_zone(no_soa, keys, policy, now, nullptr, pool), std::invalid_argument);
}

// ---- cross-verification: dnssec-verify, ldns-verify-zone and kzonecheck --------------------------------------

enum class Mode { kNsec, kNsec3, kNsec3OptOut };
using CrossParam = std::tuple<int, Mode>;

class CrossVerification : public ::testing::TestWithParam<CrossParam> {};

TEST_P(CrossVerification, AcceptedByEveryVerifierAndTamperingCaught) {
  auto [algorithm, mode] = GetParam();
  SigningPolicy policy{.algorithm = static_cast<std::uint8_t>(algorithm),
                       .key_layout = algorithm == 15 ? KeyLayout::kCsk : KeyLayout::kKskZsk,
                       .denial = mode == Mode::kNsec ? Denial::kNsec : Denial::kNsec3,
                       .nsec3_opt_out = mode == Mode::kNsec3OptOut};
  dns::ThreadPool pool(2);
  TempDir dir;
  for (const dns::Zone& zone : {testing::reverse_v4_zone(), testing::reverse_v6_zone()}) {
    SCOPED_TRACE(zone.apex().to_text());
    auto keys = make_keys(zone.apex(), policy);
    SignResult result = sign_zone(zone, keys, policy, wall_clock(), nullptr, pool);
    auto file = dir / (zone.apex().to_text_no_dot() + ".zone");
    dns::write_file_atomically(file, dns::to_master_file(result.zone));
    bool csk = policy.key_layout == KeyLayout::kCsk;
    for (const auto& failure : external_verifier_failures(zone.apex(), file, csk)) ADD_FAILURE() << failure;

    // One DS digest altered: every verifier must now refuse the zone.
    dns::Zone tampered = result.zone;
    auto ds = std::find_if(tampered.mutable_records().begin(), tampered.mutable_records().end(),
                           [](const Record& r) { return r.type == RRType::kDs; });
    ASSERT_NE(ds, tampered.mutable_records().end());
    ds->rdata.back() ^= 0x01;
    auto tampered_file = dir / (zone.apex().to_text_no_dot() + ".tampered");
    dns::write_file_atomically(tampered_file, dns::to_master_file(tampered));
    EXPECT_EQ(external_verifier_failures(zone.apex(), tampered_file, csk).size(), 3u);
  }
}

INSTANTIATE_TEST_SUITE_P(AlgorithmsAndDenial, CrossVerification,
                         ::testing::Combine(::testing::Values(13, 15, 8),
                                            ::testing::Values(Mode::kNsec, Mode::kNsec3, Mode::kNsec3OptOut)),
                         [](const auto& param_info) {
                           Mode mode = std::get<1>(param_info.param);
                           return fmt::format("Algorithm{}_{}", std::get<0>(param_info.param),
                                              mode == Mode::kNsec    ? "Nsec"
                                              : mode == Mode::kNsec3 ? "Nsec3"
                                                                     : "Nsec3OptOut");
                         });

// ---- incremental re-signing --------------------------------------------------------------------------------

// Owner + type → the RRset's records (TTL and rdata), and owner + covered type + key tag → RRSIG rdata.
struct ZoneIndex {
  std::map<std::pair<std::string, RRType>, std::vector<std::pair<std::uint32_t, std::string>>> rrsets;
  std::map<std::tuple<std::string, std::uint16_t, std::string>, std::string> signatures;
  explicit ZoneIndex(const dns::Zone& zone) {
    for (const Record& r : zone.records()) {
      if (r.type == RRType::kRrsig) {
        signatures[{r.owner.to_text(), covered(r), r.rdata.substr(16, 2)}] = r.rdata;
      } else {
        rrsets[{r.owner.to_text(), r.type}].push_back({r.ttl, r.rdata});
      }
    }
  }
};

// Changes `count` delegations spread over the zone: half get a new DS digest or a DS where they had none, the
// other half new nameservers.
dns::Zone changed_copy(const dns::Zone& zone, std::size_t count, std::uint32_t serial) {
  dns::Zone out = zone;
  out.set_serial(dns::Serial(serial));
  std::vector<dns::Name> cuts = zone.delegation_points();
  std::set<std::string> chosen;
  for (std::size_t i = 0; i < count; ++i) chosen.insert(cuts[(i * 7919 + 13) % cuts.size()].to_text());
  std::vector<Record> extra;
  std::size_t n = 0;
  for (const std::string& cut : chosen) {
    dns::Name child = name(cut);
    if (n++ % 2 == 0) {
      bool had_ds = false;
      for (Record& r : out.mutable_records()) {
        if (r.owner == child && r.type == RRType::kDs) {
          r.rdata.back() ^= 0x5a;
          had_ds = true;
        }
      }
      if (!had_ds) extra.push_back({child, RRType::kDs, 86400, dns::rdata::ds(1, 13, 2, dns::sha256(cut))});
    } else {
      for (Record& r : out.mutable_records()) {
        if (r.owner == child && r.type == RRType::kNs) r.rdata = dns::rdata::ns(name("ns.changed.example"));
      }
    }
  }
  for (auto& r : extra) out.add(std::move(r));
  out.canonicalise();
  return out;
}

TEST(IncrementalSigning, UnchangedRrsetsKeepTheirSignatureBytes) {
  dns::ThreadPool pool(2);
  SigningPolicy policy;
  dns::Zone v1 = testing::generated_zone(6000);
  auto keys = make_keys(v1.apex(), policy);
  std::uint32_t now = wall_clock();
  SignResult first = sign_zone(v1, keys, policy, now, nullptr, pool);
  EXPECT_EQ(first.stats.signatures_reused, 0u);

  dns::Zone v2 = changed_copy(v1, 6, 2);  // 0.1% of the delegations
  SignResult second = sign_zone(v2, keys, policy, now + 3600, &first.zone, pool);
  ZoneIndex before(first.zone);
  ZoneIndex after(second.zone);
  std::size_t same = 0;
  std::size_t changed = 0;
  for (const auto& [key, rdata] : after.signatures) {
    auto [owner, type_code, tag] = key;
    auto type = *dns::rrtype_from_code(type_code);
    auto old_rrset = before.rrsets.find({owner, type});
    auto old_signature = before.signatures.find(key);
    if (old_rrset != before.rrsets.end() && old_rrset->second == after.rrsets.at({owner, type})) {
      ++same;
      ASSERT_NE(old_signature, before.signatures.end()) << owner;
      EXPECT_EQ(rdata, old_signature->second) << "unchanged RRset " << owner << " " << dns::rrtype_to_text(type);
    } else {
      ++changed;
      if (old_signature != before.signatures.end()) {
        EXPECT_NE(rdata, old_signature->second) << owner;
      }
    }
  }
  EXPECT_EQ(second.stats.signatures_created, changed);
  EXPECT_EQ(second.stats.signatures_reused, same);
  EXPECT_GT(changed, 3u);   // SOA, new or changed DS, the NSECs whose bitmap gained DS
  EXPECT_LT(changed, 20u);  // proportional to the change, not to the zone

  TempDir dir;
  dns::write_file_atomically(dir / "zone", dns::to_master_file(second.zone));
  for (const auto& failure : external_verifier_failures(v2.apex(), dir / "zone")) ADD_FAILURE() << failure;
}

// Handing the previous signed zone over (its memory then holds the new zone) signs exactly as pointing at it
// does: Ed25519 signatures are deterministic (RFC 8032), so the two zones must be equal record for record —
// with NSEC and NSEC3, with ZONEMD (whose signature is reused from the previous apex when nothing changed), for
// a changed zone and an unchanged one.
TEST(IncrementalSigning, TakingThePreviousZoneOverSignsAsPointingAtItDoes) {
  dns::ThreadPool pool(2);
  dns::Zone v1 = testing::generated_zone(6000);
  std::uint32_t now = wall_clock();
  for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
    SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = denial, .zonemd = true};
    auto keys = make_keys(v1.apex(), policy);
    SignResult first = sign_zone(v1, keys, policy, now, nullptr, pool);
    for (bool change : {true, false}) {
      dns::Zone v2 = change ? changed_copy(v1, 6, 2) : v1;
      SignResult pointed = sign_zone(v2, keys, policy, now + 3600, &first.zone, pool);
      std::optional<dns::Zone> handed(first.zone);
      SignResult taken = sign_zone(dns::Zone(v2), keys, policy, now + 3600, std::move(handed), pool);
      std::string what = fmt::format("{}, {}", denial == Denial::kNsec ? "NSEC" : "NSEC3", change ? "changed" : "unchanged");
      EXPECT_EQ(taken.zone.records(), pointed.zone.records()) << what;
      EXPECT_EQ(taken.stats.signatures_created, pointed.stats.signatures_created) << what;
      EXPECT_EQ(taken.stats.signatures_reused, pointed.stats.signatures_reused) << what;
      EXPECT_GT(taken.stats.signatures_reused, 1000u) << what;
      if (!change) {
        EXPECT_EQ(taken.stats.signatures_created, 0u) << what << ": even the ZONEMD signature is reused";
      }
      EXPECT_TRUE(handed->records().empty()) << what << ": the previous zone's records were taken over";
      VerifyOptions options{.now = now + 3600, .require_zonemd = true};
      VerifyResult verified = verify_signed_zone(taken.zone, options, pool);
      EXPECT_TRUE(verified.ok) << what << ": " << verified.summary();
    }
  }
}

TEST(IncrementalSigning, SignaturesNearExpiryOrByRetiredKeysAreReplaced) {
  dns::ThreadPool pool(2);
  SigningPolicy policy;
  dns::Zone zone = testing::reverse_v6_zone();
  auto keys = make_keys(zone.apex(), policy);
  std::uint32_t now = 1700000000;
  SignResult first = sign_zone(zone, keys, policy, now, nullptr, pool);

  // Same zone, same keys, a day later: everything reused.
  SignResult same = sign_zone(zone, keys, policy, now + 86400, &first.zone, pool);
  EXPECT_EQ(same.stats.signatures_created, 0u);
  EXPECT_EQ(dns::to_master_file(same.zone), dns::to_master_file(first.zone));

  // Within the refresh window of every expiration (the latest is now + validity): everything re-signed.
  std::uint32_t late = now + policy.signature_validity - policy.refresh + 60;
  SignResult refreshed = sign_zone(zone, keys, policy, late, &first.zone, pool);
  EXPECT_EQ(refreshed.stats.signatures_reused, 0u);

  // A new ZSK active and the old one published but inactive: no zone signature by the old one survives.
  auto rolled = keys;
  rolled[1].active = false;
  rolled.push_back({DnssecKey::generate(zone.apex(), 13, KeyRole::kZsk), KeyRole::kZsk, true});
  SignResult after_roll = sign_zone(zone, rolled, policy, now + 86400, &first.zone, pool);
  for (const Record& r : after_roll.zone.records()) {
    if (r.type != RRType::kRrsig) continue;
    std::uint16_t tag = static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[16]) << 8) |
                                                   static_cast<unsigned char>(r.rdata[17]));
    EXPECT_NE(tag, keys[1].key.key_tag());
  }
  EXPECT_EQ(records_of(after_roll.zone, zone.apex().to_text(), RRType::kDnskey).size(), 3u);
}

// ---- throughput (figures for docs/BENCHMARKS.md; the assertions are on counts, not on time) -------------------

TEST(SigningThroughput, SixtyFiveThousandDelegationsOnTwoThreads) {
  dns::ThreadPool pool(2);
  dns::Zone zone = testing::generated_zone(65536);
  for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
    SigningPolicy policy{.denial = denial, .nsec3_opt_out = denial == Denial::kNsec3};
    auto keys = make_keys(zone.apex(), policy);
    std::uint32_t now = wall_clock();
    auto start = std::chrono::steady_clock::now();
    SignResult full = sign_zone(zone, keys, policy, now, nullptr, pool);
    double full_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    dns::Zone changed = changed_copy(zone, 66, 2);
    start = std::chrono::steady_clock::now();
    SignResult incremental = sign_zone(changed, keys, policy, now + 60, &full.zone, pool);
    double incremental_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::size_t with_ds = 0;
    for (const Record& r : zone.records()) with_ds += r.type == RRType::kDs;
    std::size_t expected = denial == Denial::kNsec ? 3 + with_ds + (65536 + 1) : 4 + with_ds + full.stats.denial_records;
    EXPECT_EQ(full.stats.signatures_created, expected);
    EXPECT_LT(incremental.stats.signatures_created, 300u);
    // The raw rate of the same keys on the same pool, measured now, for the ratio (the machine may be busy).
    constexpr std::size_t kRaw = 20000;
    std::vector<std::string> raw(kRaw);
    start = std::chrono::steady_clock::now();
    pool.parallel_for(kRaw, 2048, [&](std::size_t b, std::size_t e) {
      KeySigningContext context(keys.back().key);
      for (std::size_t i = b; i < e; ++i) raw[i] = context.sign(std::string_view("0123456789abcdef0123456789abcdef"));
    });
    double raw_rate = kRaw / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(raw[kRaw - 1].size(), 64u);
    std::printf("[ figures  ] raw signing on the pool: %.0f/s; zone signing reaches %.0f%% of it\n", raw_rate,
                100.0 * full.stats.signatures_created / full_seconds / raw_rate);
    std::printf("[ figures  ] %s: %zu signatures in %.3f s (%.0f/s incl. chain and merge); "
                "incremental after 66 changes: %zu new, %zu reused in %.3f s\n",
                denial == Denial::kNsec ? "NSEC" : "NSEC3 opt-out", full.stats.signatures_created, full_seconds,
                full.stats.signatures_created / full_seconds, incremental.stats.signatures_created,
                incremental.stats.signatures_reused, incremental_seconds);
  }
}

}  // namespace
}  // namespace rdnsprov::signer
