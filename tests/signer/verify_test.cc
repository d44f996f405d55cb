// The independent verifier against zones signed by the real external signers (dnssec-signzone, ldns-signzone):
// signed zones verify, and each kind of tampering is caught with a message naming the owner and type.
#include "signer/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/thread_pool.h"
#include "signer/key.h"
#include "signer/signer.h"
#include "tests/support/support.h"

namespace rdnsprov::signer {
namespace {

using dns::Name;
using dns::Record;
using dns::RRType;
using testing::run_command;
using testing::TempDir;

Name n(std::string_view text) { return *Name::from_text(text); }

// A /8 reverse zone: an insecure delegation with in-child glue, secure delegations, an RFC 2317 delegation with
// its CNAMEs (which make 4.1 and 1 empty non-terminals), a delegation below another label, and an address at
// the delegation point 5.2 (occluded: the child's, so the NSEC bitmaps leave it out, RFC 4035 §2.3).
constexpr std::string_view kV4Apex = "10.in-addr.arpa";
constexpr std::string_view kV4Zone = R"($TTL 86400
$ORIGIN 10.in-addr.arpa.
@        SOA  ns1.example.net. hostmaster.example.net. 2024010101 7200 3600 1209600 3600
@        NS   ns1.example.net.
@        NS   ns2.example.net.
1.1      NS   ns1.1.1.10.in-addr.arpa.
1.1      NS   ns2.example.org.
ns1.1.1  A    192.0.2.1
ns1.1.1  AAAA 2001:db8::1
2.1      NS   ns.example.com.
2.1      DS   12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
3.1      NS   ns.example.com.
3.1      DS   23456 13 2 1123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
0-63.4.1 NS   ns.example.com.
0-63.4.1 DS   34567 13 2 2123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
1.4.1    CNAME 1.0-63.4.1
2.4.1    CNAME 2.0-63.4.1
5.2      NS   ns1.example.net.
5.2      A    192.0.2.52
7.9.9    NS   ns1.example.net.
)";

// An ip6.arpa zone with delegations deep in the nibble tree: many empty non-terminals, secure and insecure.
constexpr std::string_view kV6Apex = "8.b.d.0.1.0.0.2.ip6.arpa";
constexpr std::string_view kV6Zone = R"($TTL 3600
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
@  SOA ns1.example.net. hostmaster.example.net. 7 7200 3600 1209600 600
@  NS  ns1.example.net.
@  NS  ns2.example.net.
1.0.0.0          NS ns.example.com.
1.0.0.0          DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
2.0.0.0          NS ns.example.com.
f.e.d.c.b.a.0.0  NS ns.example.com.
f.e.d.c.b.a.0.0  DS 23456 13 2 1123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
e.e.d.c.b.a.0.0  NS ns.example.com.
3.3.3.3.3.3.3.3  NS ns1.3.3.3.3.3.3.3.3.8.b.d.0.1.0.0.2.ip6.arpa.
ns1.3.3.3.3.3.3.3.3 AAAA 2001:db8::53
4.4.4.4.4.4.4.4  NS ns.example.com.
)";

struct SignedZones {
  std::map<std::string, std::string> text;  // name of the variant → signed master file
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

// Keys with dnssec-keygen (KSK + ZSK) in `dir` for `apex`; returns the key base names (Kzone+alg+tag).
std::vector<std::string> make_keys(const std::filesystem::path& dir, std::string_view apex, std::string_view algorithm) {
  std::vector<std::string> names;
  for (bool ksk : {true, false}) {
    std::vector<std::string> argv = {"dnssec-keygen", "-q", "-a", std::string(algorithm), "-K", dir.string()};
    if (algorithm.starts_with("RSA")) argv.insert(argv.end(), {"-b", "2048"});
    if (ksk) argv.insert(argv.end(), {"-f", "KSK"});
    argv.push_back(std::string(apex));
    auto r = run_command(argv);
    if (r.exit_code != 0) throw std::runtime_error("dnssec-keygen failed: " + r.all());
    std::string name = r.output;
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    names.push_back(name);
  }
  return names;
}

std::string bind_sign(const TempDir& dir, std::string_view apex, std::string_view zone_text, std::string_view tag,
                      std::vector<std::string> extra) {
  auto input = dir / (std::string(tag) + ".zone");
  auto output = dir / (std::string(tag) + ".signed");
  write_file(input, zone_text);
  // -d: the dsset file goes to the temporary directory, not the working directory.
  std::vector<std::string> argv = {"dnssec-signzone", "-q", "-K", dir.path().string(), "-d", dir.path().string(),
                                   "-o", std::string(apex), "-S", "-N", "keep", "-f", output.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(input.string());
  auto r = run_command(argv);
  if (r.exit_code != 0) throw std::runtime_error("dnssec-signzone failed: " + r.all());
  return read_file(output);
}

std::string ldns_sign(const TempDir& dir, std::string_view apex, std::string_view zone_text, std::string_view tag,
                      const std::vector<std::string>& keys, std::vector<std::string> extra) {
  auto input = dir / (std::string(tag) + ".zone");
  auto output = dir / (std::string(tag) + ".signed");
  write_file(input, zone_text);
  std::vector<std::string> argv = {"ldns-signzone", "-o", std::string(apex), "-f", output.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(input.string());
  for (const auto& key : keys) argv.push_back((dir / key).string());
  auto r = run_command(argv);
  if (r.exit_code != 0) throw std::runtime_error("ldns-signzone failed: " + r.all());
  return read_file(output);
}

// Every variant is signed once for the whole suite: keys and signing are the slow part.
const SignedZones& signed_zones() {
  static const SignedZones zones = [] {
    SignedZones z;
    TempDir v4;
    make_keys(v4.path(), kV4Apex, "ECDSAP256SHA256");
    z.text["v4-nsec"] = bind_sign(v4, kV4Apex, kV4Zone, "v4-nsec", {});
    z.text["v4-nsec3"] = bind_sign(v4, kV4Apex, kV4Zone, "v4-nsec3", {"-3", "-", "-H", "0"});
    z.text["v4-nsec3-optout"] = bind_sign(v4, kV4Apex, kV4Zone, "v4-nsec3-optout", {"-3", "-", "-H", "0", "-A"});
    z.text["v4-nsec3-salted"] = bind_sign(v4, kV4Apex, kV4Zone, "v4-nsec3-salted", {"-3", "ab01", "-H", "0"});
    TempDir v6;
    make_keys(v6.path(), kV6Apex, "ECDSAP256SHA256");
    z.text["v6-nsec"] = bind_sign(v6, kV6Apex, kV6Zone, "v6-nsec", {});
    z.text["v6-nsec3"] = bind_sign(v6, kV6Apex, kV6Zone, "v6-nsec3", {"-3", "-", "-H", "0"});
    z.text["v6-nsec3-optout"] = bind_sign(v6, kV6Apex, kV6Zone, "v6-nsec3-optout", {"-3", "-", "-H", "0", "-A"});
    TempDir ed;
    auto ed_keys = make_keys(ed.path(), kV4Apex, "ED25519");
    z.text["v4-ed25519-ldns-zonemd"] = ldns_sign(ed, kV4Apex, kV4Zone, "ed", ed_keys, {"-z", "1:1"});
    TempDir rsa;
    auto rsa_keys = make_keys(rsa.path(), kV6Apex, "RSASHA256");
    z.text["v6-rsa-ldns-nsec3"] = ldns_sign(rsa, kV6Apex, kV6Zone, "rsa", rsa_keys, {"-n", "-t", "0"});
    // The algorithms rdnsprov verifies but does not sign with (RFC 8624 §3.1): ECDSAP384SHA384, ED448, RSASHA512.
    TempDir p384;
    make_keys(p384.path(), kV4Apex, "ECDSAP384SHA384");
    z.text["v4-p384-nsec3"] = bind_sign(p384, kV4Apex, kV4Zone, "v4-p384-nsec3", {"-3", "-", "-H", "0"});
    TempDir ed448;
    make_keys(ed448.path(), kV6Apex, "ED448");
    z.text["v6-ed448-nsec"] = bind_sign(ed448, kV6Apex, kV6Zone, "v6-ed448-nsec", {});
    TempDir rsa512;
    make_keys(rsa512.path(), kV4Apex, "RSASHA512");
    z.text["v4-rsasha512-nsec"] = bind_sign(rsa512, kV4Apex, kV4Zone, "v4-rsasha512-nsec", {});
    return z;
  }();
  return zones;
}

dns::Zone load(const std::string& variant) {
  const auto& text = signed_zones().text.at(variant);
  Name apex = n(variant.starts_with("v4") ? kV4Apex : kV6Apex);
  dns::MasterFile parsed = dns::read_master_file(text, apex);
  for (const auto& e : parsed.errors) ADD_FAILURE() << variant << " line " << e.line << ": " << e.reason;
  dns::Zone zone(apex);
  for (auto& r : parsed.records) zone.add(std::move(r));
  return zone;
}

std::uint16_t covered_type(const Record& r) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[0]) << 8) | static_cast<unsigned char>(r.rdata[1]));
}

// The record of `type` at `owner`; for RRSIG, the one covering `covered`.
Record& find(dns::Zone& zone, std::string_view owner, RRType type, std::optional<RRType> covered = {}) {
  Name name = owner.ends_with(".") ? n(owner) : *Name::from_text(owner, zone.apex());
  for (Record& r : zone.mutable_records()) {
    if (r.owner == name && r.type == type && (!covered || covered_type(r) == dns::rrtype_code(*covered))) return r;
  }
  throw std::runtime_error(fmt::format("no {} record at {}", dns::rrtype_to_text(type), name.to_text()));
}

void remove(dns::Zone& zone, const Record& victim) {
  auto& records = zone.mutable_records();
  Record copy = victim;
  records.erase(std::remove(records.begin(), records.end(), copy), records.end());
}

std::uint32_t wall_clock() { return static_cast<std::uint32_t>(std::time(nullptr)); }

VerifyResult verify(const dns::Zone& zone, VerifyOptions options = {}) {
  if (options.now == 0) options.now = wall_clock();
  dns::ThreadPool pool(2);
  return verify_signed_zone(zone, options, pool);
}

std::string listing(const VerifyResult& result) {
  std::string out = result.summary() + "\n";
  for (const auto& p : result.problems) out += fmt::format("  {} {}: {}\n", p.owner.to_text(), p.type, p.reason);
  return out;
}

// True when a problem names `owner` (absolute or relative to the apex) and `type` and says `words`.
::testing::AssertionResult has_problem(const VerifyResult& result, const dns::Zone& zone, std::string_view owner,
                                       std::string_view type, std::string_view words) {
  Name name = owner.ends_with(".") ? n(owner) : *Name::from_text(owner, zone.apex());
  for (const auto& p : result.problems) {
    if (p.owner == name && p.type == type && p.reason.find(words) != std::string::npos) {
      return ::testing::AssertionSuccess() << p.reason;
    }
  }
  return ::testing::AssertionFailure() << "no problem at " << name.to_text() << "/" << type << " saying \"" << words
                                       << "\"; got:\n"
                                       << listing(result);
}

std::uint32_t expiration_of(const Record& rrsig) {
  return static_cast<std::uint32_t>((static_cast<unsigned char>(rrsig.rdata[8]) << 24) |
                                    (static_cast<unsigned char>(rrsig.rdata[9]) << 16) |
                                    (static_cast<unsigned char>(rrsig.rdata[10]) << 8) |
                                    static_cast<unsigned char>(rrsig.rdata[11]));
}

// ---- correctly signed zones ------------------------------------------------------------------------------

class SignedZoneVerifies : public ::testing::TestWithParam<std::string> {};

TEST_P(SignedZoneVerifies, WithoutProblems) {
  dns::Zone zone = load(GetParam());
  VerifyResult result = verify(zone);
  EXPECT_TRUE(result.ok) << listing(result);
  EXPECT_EQ(result.problem_count, 0u);
  EXPECT_GT(result.signatures_checked, 10u);
  EXPECT_EQ(result.denial, GetParam().find("nsec3") != std::string::npos ? "nsec3" : "nsec");
  // Canonicalised (the gate may sort and merge first): still no problem.
  zone.canonicalise();
  VerifyResult again = verify(zone);
  EXPECT_TRUE(again.ok) << listing(again);
  EXPECT_EQ(again.signatures_checked, result.signatures_checked);
}

INSTANTIATE_TEST_SUITE_P(ExternalSigners, SignedZoneVerifies,
                         ::testing::Values("v4-nsec", "v4-nsec3", "v4-nsec3-optout", "v6-nsec", "v6-nsec3",
                                           "v6-nsec3-optout", "v4-ed25519-ldns-zonemd", "v6-rsa-ldns-nsec3",
                                           "v4-p384-nsec3", "v6-ed448-nsec", "v4-rsasha512-nsec"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Verify, OptOutZoneReallyLeavesInsecureDelegationsOut) {
  // Guards the opt-out tests below: dnssec-signzone -A omits the NSEC3 of unsigned delegations.
  dns::Zone optout = load("v4-nsec3-optout");
  dns::Zone full = load("v4-nsec3");
  auto count = [](const dns::Zone& z) {
    return std::count_if(z.records().begin(), z.records().end(), [](const Record& r) { return r.type == RRType::kNsec3; });
  };
  EXPECT_LT(count(optout), count(full));
}

// ---- tampering with signed data --------------------------------------------------------------------------

TEST(Verify, AlteredDsDigestDoesNotValidate) {
  dns::Zone zone = load("v4-nsec");
  Record& ds = find(zone, "2.1", RRType::kDs);
  ds.rdata.back() = static_cast<char>(ds.rdata.back() ^ 0x01);
  VerifyResult result = verify(zone);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.problem_count, 1u) << listing(result);
  EXPECT_TRUE(has_problem(result, zone, "2.1", "DS", "over 2.1.10.in-addr.arpa./DS does not validate"));
}

// Found by fuzz_master_file: a zone with two SOA records was signed, verified, and then written with one of them,
// which no longer matched its signature. RFC 1035 §5.2: one SOA at the top of the zone.
TEST(Verify, SecondSoaRecordIsReported) {
  dns::Zone zone = load("v4-nsec");
  Record second = find(zone, "@", RRType::kSoa);
  second.rdata[second.rdata.size() - 21] = static_cast<char>(second.rdata[second.rdata.size() - 21] ^ 0x01);
  zone.add(second);
  VerifyResult result = verify(zone);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA", "the zone has 2 SOA records at the apex; it must have one"));
}

TEST(Verify, RemovedRrsigIsMissing) {
  dns::Zone zone = load("v4-nsec3");
  remove(zone, find(zone, "1.4.1", RRType::kRrsig, RRType::kCname));
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "1.4.1", "CNAME", "1.4.1.10.in-addr.arpa./CNAME has no RRSIG"));
}

TEST(Verify, RrsigOnDelegationNsIsRefused) {
  dns::Zone zone = load("v4-nsec");
  Record copy = find(zone, "2.1", RRType::kRrsig, RRType::kDs);
  copy.rdata[0] = 0;
  copy.rdata[1] = static_cast<char>(dns::rrtype_code(RRType::kNs));
  zone.add(copy);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "2.1", "NS", "RRSIG over 2.1.10.in-addr.arpa./NS must not exist"));
}

TEST(Verify, RrsigOnGlueIsRefused) {
  dns::Zone zone = load("v4-nsec");
  Record copy = find(zone, "1.4.1", RRType::kRrsig, RRType::kCname);
  copy.owner = *Name::from_text("ns1.1.1", zone.apex());
  copy.rdata[0] = 0;
  copy.rdata[1] = static_cast<char>(dns::rrtype_code(RRType::kA));
  zone.add(copy);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "ns1.1.1", "A", "glue or occluded data below the cut 1.1.10.in-addr.arpa."));
}

TEST(Verify, UnknownKeyTagIsReported) {
  dns::Zone zone = load("v6-nsec");
  Record& sig = find(zone, "1.0.0.0", RRType::kRrsig, RRType::kDs);
  sig.rdata[16] = static_cast<char>(sig.rdata[16] ^ 0x55);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "1.0.0.0", "DS", "the DNSKEY RRset has no such key"));
  // Where signatures by keys it does not have are passed over (verify-zone), the RRset's want of a signature by the
  // DNSKEY RRset's algorithm names the key that signed it instead.
  VerifyOptions lenient;
  lenient.allow_unknown_signers = true;
  VerifyResult passed_over = verify(zone, lenient);
  EXPECT_TRUE(has_problem(passed_over, zone, "1.0.0.0", "DS",
                          fmt::format("has no RRSIG of algorithm ECDSAP256SHA256, which the DNSKEY RRset uses (its "
                                      "RRSIG by key {} is by no key of the DNSKEY RRset)",
                                      (static_cast<unsigned char>(sig.rdata[16]) << 8) |
                                          static_cast<unsigned char>(sig.rdata[17]))));
}

// A DNSKEY of an algorithm the verifier does not check is named with why; RSASHA1's (5, 7) are refused for SHA-1.
TEST(Verify, DnskeysOfUncheckedAlgorithmsAreNamed) {
  dns::Zone zone = load("v4-nsec");
  Record key = find(zone, "@", RRType::kDnskey);
  key.rdata[3] = 5;
  zone.add(key);
  key.rdata[3] = 12;  // ECC-GOST
  zone.add(key);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "DNSKEY", "unsupported algorithm RSASHA1 (SHA-1: validators treat"));
  EXPECT_TRUE(has_problem(result, zone, "@", "DNSKEY", "unsupported algorithm algorithm 12"));
}

TEST(Verify, ExpiredSignaturesAreReported) {
  dns::Zone zone = load("v4-nsec");
  VerifyResult result = verify(zone, {.now = wall_clock() + 400 * 86400u});
  EXPECT_FALSE(result.ok);
  EXPECT_GT(result.problem_count, 15u);
  EXPECT_EQ(result.problems.size(), std::min<std::size_t>(result.problem_count, 100));
  EXPECT_TRUE(has_problem(result, zone, "2.1", "DS", "signature over 2.1.10.in-addr.arpa./DS by key"));
  EXPECT_TRUE(has_problem(result, zone, "2.1", "DS", "expired"));
}

TEST(Verify, SignatureInsideTheMarginIsReported) {
  dns::Zone zone = load("v4-nsec");
  std::uint32_t expiration = expiration_of(find(zone, "@", RRType::kRrsig, RRType::kSoa));
  VerifyResult result = verify(zone, {.now = expiration - 86400});
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA", "within the 3-day margin"));
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA", dns::rdata::rrsig_time_to_text(expiration).substr(0, 4)));
}

TEST(Verify, SignatureExpiringBeforeSoaExpireIsReported) {
  dns::Zone zone = load("v4-nsec");
  std::uint32_t expiration = expiration_of(find(zone, "@", RRType::kRrsig, RRType::kSoa));
  // 10 days left: outside the 3-day margin, inside the SOA EXPIRE of 14 days (RFC 6781 §4.4.1).
  VerifyResult result = verify(zone, {.now = expiration - 10 * 86400});
  EXPECT_TRUE(has_problem(result, zone, "2.1", "DS", "before the SOA EXPIRE interval (14 days) has passed"));
  VerifyResult unchecked = verify(zone, {.now = expiration - 10 * 86400, .check_expire_interval = false});
  EXPECT_TRUE(unchecked.ok) << listing(unchecked);
}

TEST(Verify, SignatureNotYetValidIsReported) {
  dns::Zone zone = load("v6-nsec3");
  VerifyResult result = verify(zone, {.now = wall_clock() - 30 * 86400});
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA", "not valid before"));
}

// An RRSIG whose expiration comes before its inception is never valid, and is named so (a correct signature over
// such a window, made here with the zone's own ZSK).
TEST(Verify, SignatureExpiringBeforeItsInceptionIsNamed) {
  const Name apex = n(kV4Apex);
  dns::MasterFile text = dns::read_master_file("$TTL 3600\n@ SOA ns1.example. h.example. 1 2 3 4 5\n"
                                               "@ NS ns1.example.\n", apex);
  ASSERT_TRUE(text.errors.empty());
  dns::Zone plain(apex);
  for (Record& r : text.records) plain.add(std::move(r));
  SigningPolicy policy;
  std::vector<SigningKey> keys = {{DnssecKey::generate(apex, 13, KeyRole::kKsk), KeyRole::kKsk, true},
                                  {DnssecKey::generate(apex, 13, KeyRole::kZsk), KeyRole::kZsk, true}};
  dns::ThreadPool pool(2);
  const std::uint32_t now = wall_clock();
  dns::Zone zone = sign_zone(plain, keys, policy, now, nullptr, pool).zone;
  ASSERT_TRUE(verify(zone).ok);
  Record& sig = find(zone, "@", RRType::kRrsig, RRType::kSoa);
  std::vector<Record> soa = {find(zone, "@", RRType::kSoa)};
  sig = sign_rrset(soa, keys[1].key, now + 20 * 86400, now + 10 * 86400);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA", "before its inception"));
}

TEST(Verify, RrsigTtlMismatchIsReported) {
  dns::Zone zone = load("v4-nsec");
  find(zone, "3.1", RRType::kRrsig, RRType::kDs).ttl = 60;
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "3.1", "DS", "has TTL 60, but the RRset has TTL 86400"));
}

// ---- NSEC ------------------------------------------------------------------------------------------------

TEST(Verify, RemovedNsecIsReported) {
  dns::Zone zone = load("v4-nsec");
  remove(zone, find(zone, "3.1", RRType::kNsec));
  remove(zone, find(zone, "3.1", RRType::kRrsig, RRType::kNsec));
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "3.1", "NSEC", "3.1.10.in-addr.arpa. has no NSEC record"));
  // Its predecessor still points to it: the chain itself is intact, only the name's NSEC is gone.
}

TEST(Verify, NsecWithWrongNextNameBreaksTheChain) {
  dns::Zone zone = load("v4-nsec");
  Record& nsec = find(zone, "2.1", RRType::kNsec);
  std::size_t pos = 0;
  Name next = *Name::from_wire(nsec.rdata, pos);
  ASSERT_EQ(next, *Name::from_text("3.1", zone.apex()));
  nsec.rdata = std::string(Name::from_text("0-63.4.1", zone.apex())->wire()) + nsec.rdata.substr(pos);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "2.1", "NSEC",
                          "NSEC chain broken: 2.1.10.in-addr.arpa. points to 0-63.4.1.10.in-addr.arpa. but "
                          "3.1.10.in-addr.arpa. exists"));
  EXPECT_TRUE(has_problem(result, zone, "2.1", "NSEC", "does not validate"));
}

TEST(Verify, NsecChainMustBeClosed) {
  dns::Zone zone = load("v4-nsec");
  Record& last = find(zone, "7.9.9", RRType::kNsec);
  std::size_t pos = 0;
  ASSERT_EQ(*Name::from_wire(last.rdata, pos), zone.apex());
  last.rdata = std::string(Name::from_text("1.1", zone.apex())->wire()) + last.rdata.substr(pos);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "7.9.9", "NSEC", "NSEC chain not closed"));
}

TEST(Verify, NsecWithWrongBitmapIsReported) {
  dns::Zone zone = load("v4-nsec");
  Record& nsec = find(zone, "2.1", RRType::kNsec);
  std::size_t pos = 0;
  Name next = *Name::from_wire(nsec.rdata, pos);
  // DS left out of the bitmap: a resolver would accept a forged "no DS here", i.e. an insecure child.
  nsec.rdata = std::string(next.wire()) +
               dns::rdata::type_bitmap({dns::rrtype_code(RRType::kNs), dns::rrtype_code(RRType::kRrsig),
                                        dns::rrtype_code(RRType::kNsec)});
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "2.1", "NSEC", "NSEC bitmap at 2.1.10.in-addr.arpa."));
  EXPECT_TRUE(has_problem(result, zone, "2.1", "NSEC", "missing: DS"));
}

TEST(Verify, NsecAtGlueIsReported) {
  dns::Zone zone = load("v4-nsec");
  Record nsec = find(zone, "2.1", RRType::kNsec);
  nsec.owner = *Name::from_text("ns1.1.1", zone.apex());
  zone.add(nsec);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "ns1.1.1", "NSEC", "glue or occluded data below the cut"));
}

// ---- NSEC3 -----------------------------------------------------------------------------------------------

const Record& nsec3_for(dns::Zone& zone, std::string_view name) {
  Name original = *Name::from_text(name, zone.apex());
  std::string label = dns::to_base32hex(dns::nsec3_hash(original, "", 0));
  return find(zone, label, RRType::kNsec3);
}

TEST(Verify, Nsec3ChainBrokenIsReported) {
  dns::Zone zone = load("v4-nsec3");
  Record& nsec3 = const_cast<Record&>(nsec3_for(zone, "2.1"));
  // The next-hash field is the 20 octets before the bitmap; bump its last octet.
  std::size_t hash_end = 5 + 1 + 20;  // flags etc. (4) + salt length (1, salt empty) + hash length (1) + hash
  nsec3.rdata[hash_end - 1] = static_cast<char>(nsec3.rdata[hash_end - 1] ^ 0x01);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, nsec3.owner.to_text(), "NSEC3", "NSEC3 chain broken"));
  EXPECT_TRUE(has_problem(result, zone, nsec3.owner.to_text(), "NSEC3", "(for 2.1.10.in-addr.arpa.)"));
}

TEST(Verify, MissingEmptyNonTerminalNsec3IsReported) {
  dns::Zone zone = load("v6-nsec3");
  // a.0.0 has no records: an empty non-terminal above the secure delegation f.e.d.c.b.a.0.0.
  Record victim = nsec3_for(zone, "a.0.0");
  remove(zone, find(zone, victim.owner.to_text(), RRType::kRrsig, RRType::kNsec3));
  remove(zone, victim);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "a.0.0", "NSEC3", "empty non-terminal a.0.0.8.b.d.0.1.0.0.2.ip6.arpa. has no NSEC3"));
}

TEST(Verify, OptOutDoesNotExcuseAMissingEntAboveASecureDelegation) {
  // dnssec-signzone -A leaves out the ENTs that lead only to insecure delegations (4.4.4.4.4.4.4, 3.3.3, ...);
  // a.0.0 leads to the secure f.e.d.c.b.a.0.0 and must stay, even though an opt-out NSEC3 covers its hash.
  dns::Zone zone = load("v6-nsec3-optout");
  Record victim = nsec3_for(zone, "a.0.0");
  remove(zone, find(zone, victim.owner.to_text(), RRType::kRrsig, RRType::kNsec3));
  remove(zone, victim);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "a.0.0", "NSEC3", "empty non-terminal a.0.0.8.b.d.0.1.0.0.2.ip6.arpa. has no NSEC3"));
  EXPECT_THROW(nsec3_for(zone, "4.4.4.4.4.4.4"), std::runtime_error);  // left out, and rightly not reported
}

TEST(Verify, MissingNsec3OfInsecureDelegationWithoutOptOutIsReported) {
  dns::Zone zone = load("v4-nsec3");
  Record victim = nsec3_for(zone, "5.2");
  remove(zone, find(zone, victim.owner.to_text(), RRType::kRrsig, RRType::kNsec3));
  remove(zone, victim);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "5.2", "NSEC3", "has no opt-out flag"));
}

TEST(Verify, Nsec3MatchingNoNameIsReported) {
  dns::Zone zone = load("v4-nsec3");
  Record extra = nsec3_for(zone, "2.1");
  std::string label = dns::to_base32hex(dns::nsec3_hash(*Name::from_text("no-such-name", zone.apex()), "", 0));
  extra.owner = *Name::from_text(label, zone.apex());
  zone.add(extra);
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, extra.owner.to_text(), "NSEC3", "matches no name of the zone"));
}

// RFC 5155 §8.2: validators ignore an NSEC3 with a flag other than Opt-Out, so what it proves is unproven.
TEST(Verify, Nsec3WithAnUnknownFlagIsReported) {
  for (char flags : {'\x02', '\x03', '\x80'}) {
    dns::Zone zone = load("v4-nsec3-optout");
    Record& nsec3 = const_cast<Record&>(nsec3_for(zone, "2.1"));
    nsec3.rdata[1] = flags;
    VerifyResult result = verify(zone);
    EXPECT_TRUE(has_problem(result, zone, nsec3.owner.to_text(), "NSEC3",
                            fmt::format("has flags {}: validators ignore an NSEC3 with any flag but Opt-Out (1) set",
                                        static_cast<int>(static_cast<unsigned char>(flags)))));
  }
}

TEST(Verify, Nsec3WrongBitmapIsReported) {
  dns::Zone zone = load("v6-nsec3-optout");
  Record& nsec3 = const_cast<Record&>(nsec3_for(zone, "1.0.0.0"));
  std::size_t bitmap_at = 4 + 1 + 1 + 20;
  nsec3.rdata = nsec3.rdata.substr(0, bitmap_at) + dns::rdata::type_bitmap({dns::rrtype_code(RRType::kNs)});
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, nsec3.owner.to_text(), "NSEC3", "missing: DS RRSIG"));
}

// A zone whose NSEC3 parameters change (BIND builds the new chain beside the old one, then switches the
// NSEC3PARAM): two complete chains verify; a chain with a hole is reported, naming it; an NSEC3PARAM naming a chain
// the zone lacks is reported.
TEST(Verify, TwoCompleteNsec3ChainsVerifyAndEachMustBeComplete) {
  auto merged = [] {
    dns::Zone zone = load("v4-nsec3");
    dns::Zone salted = load("v4-nsec3-salted");
    for (const Record& r : salted.records()) {
      bool of_chain = r.type == RRType::kNsec3 || (r.type == RRType::kRrsig && covered_type(r) == dns::rrtype_code(RRType::kNsec3));
      if (of_chain) zone.add(r);
    }
    return zone;
  };
  dns::Zone zone = merged();
  VerifyResult both = verify(zone);
  EXPECT_TRUE(both.ok) << listing(both);

  // A hole in the chain the NSEC3PARAM does not name.
  Name two_one = *Name::from_text("2.1", zone.apex());
  std::string label = dns::to_base32hex(dns::nsec3_hash(two_one, *dns::from_hex("ab01"), 0));
  Record victim = find(zone, label, RRType::kNsec3);
  remove(zone, find(zone, victim.owner.to_text(), RRType::kRrsig, RRType::kNsec3));
  remove(zone, victim);
  VerifyResult holed = verify(zone);
  EXPECT_TRUE(has_problem(holed, zone, "2.1", "NSEC3",
                          "2.1.10.in-addr.arpa. has no NSEC3 in the chain of algorithm 1, 0 iterations, salt AB01"));

  // The NSEC3PARAM naming the salted chain, whose NSEC3 records are gone: the other chain is complete, but servers
  // answer from the one the NSEC3PARAM names.
  dns::Zone other = load("v4-nsec3");
  Record& param = find(other, "@", RRType::kNsec3param);
  param.rdata = std::string("\x01\x00\x00\x00\x02\xab\x01", 7);
  VerifyResult missing = verify(other);
  EXPECT_TRUE(has_problem(missing, other, "@", "NSEC3PARAM",
                          "the NSEC3PARAM names a chain (algorithm 1, 0 iterations, salt AB01) of which the zone has no "
                          "NSEC3"));
}

TEST(Verify, BothNsecAndNsec3AreReported) {
  dns::Zone zone = load("v4-nsec3");
  dns::Zone nsec_zone = load("v4-nsec");
  zone.add(find(nsec_zone, "2.1", RRType::kNsec));
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "", "both NSEC and NSEC3"));
}

// ---- ZONEMD ----------------------------------------------------------------------------------------------

TEST(Verify, ZonemdOfLdnsSignzoneMatches) {
  dns::Zone zone = load("v4-ed25519-ldns-zonemd");
  VerifyResult result = verify(zone, {.require_zonemd = true});
  EXPECT_TRUE(result.ok) << listing(result);
}

TEST(Verify, ZonemdMismatchIsReported) {
  dns::Zone zone = load("v4-ed25519-ldns-zonemd");
  // Glue is not signed, so only ZONEMD can notice this change.
  Record& glue = find(zone, "ns1.1.1", RRType::kA);
  glue.rdata[3] = 99;
  VerifyResult result = verify(zone);
  EXPECT_EQ(result.problem_count, 1u) << listing(result);
  EXPECT_TRUE(has_problem(result, zone, "@", "ZONEMD", "does not match the zone's contents"));
}

TEST(Verify, ZonemdSerialMustBeTheSoaSerial) {
  dns::Zone zone = load("v4-ed25519-ldns-zonemd");
  zone.set_serial(dns::Serial(2024010102));
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "ZONEMD", "ZONEMD serial 2024010101 is not the SOA serial 2024010102"));
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA", "does not validate"));
}

TEST(Verify, MissingZonemdIsAProblemOnlyWhenRequired) {
  dns::Zone zone = load("v4-nsec");
  EXPECT_TRUE(verify(zone).ok);
  VerifyResult result = verify(zone, {.require_zonemd = true});
  EXPECT_TRUE(has_problem(result, zone, "@", "ZONEMD", "no ZONEMD"));
}

// ---- keys and output -------------------------------------------------------------------------------------

TEST(Verify, MissingDnskeyRRsetIsReported) {
  dns::Zone zone = load("v4-nsec");
  auto& records = zone.mutable_records();
  records.erase(std::remove_if(records.begin(), records.end(), [](const Record& r) { return r.type == RRType::kDnskey; }),
                records.end());
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "DNSKEY", "no DNSKEY RRset"));
}

TEST(Verify, DnskeyRRsetMustBeSignedByTheKsk) {
  dns::Zone zone = load("v4-nsec");
  // dnssec-signzone signs the DNSKEY RRset with both keys; drop the KSK's signature.
  auto& records = zone.mutable_records();
  std::uint16_t ksk_tag = 0;
  for (const Record& r : records) {
    if (r.type == RRType::kDnskey && (static_cast<unsigned char>(r.rdata[1]) & 1)) ksk_tag = dns::key_tag(r.rdata);
  }
  records.erase(std::remove_if(records.begin(), records.end(),
                               [&](const Record& r) {
                                 return r.type == RRType::kRrsig && covered_type(r) == dns::rrtype_code(RRType::kDnskey) &&
                                        ((static_cast<unsigned char>(r.rdata[16]) << 8) |
                                         static_cast<unsigned char>(r.rdata[17])) == ksk_tag;
                               }),
                records.end());
  VerifyResult result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "DNSKEY", "SEP flag"));
}

// A fresh KSK and ZSK (ECDSAP256SHA256) for kV4Apex.
std::vector<SigningKey> fresh_v4_keys() {
  Name apex = n(kV4Apex);
  return {{DnssecKey::generate(apex, dns::kAlgorithmEcdsaP256Sha256, KeyRole::kKsk), KeyRole::kKsk, true},
          {DnssecKey::generate(apex, dns::kAlgorithmEcdsaP256Sha256, KeyRole::kZsk), KeyRole::kZsk, true}};
}

// kV4Zone signed by rdnsprov's signer with `keys` and `policy`, now.
dns::Zone rdnsprov_signed_v4(const std::vector<SigningKey>& keys, const SigningPolicy& policy = {}) {
  Name apex = n(kV4Apex);
  dns::MasterFile parsed = dns::read_master_file(kV4Zone, apex);
  dns::Zone zone(apex);
  for (auto& r : parsed.records) zone.add(std::move(r));
  zone.canonicalise();
  dns::ThreadPool pool(2);
  return sign_zone(zone, keys, policy, wall_clock(), nullptr, pool).zone;
}

// CDS and CDNSKEY as a parent takes them (RFC 7344, RFC 8078, RFC 9975): each CDS the digest of a DNSKEY of the
// zone, each CDNSKEY one of its DNSKEYs, both naming the same keys, a delete request alone.
TEST(Verify, CdsAndCdnskeyMustNameTheZonesKeysAlike) {
  SigningPolicy policy;
  policy.cds_cdnskey = true;
  std::vector<SigningKey> keys = fresh_v4_keys();
  const dns::Zone good = rdnsprov_signed_v4(keys, policy);
  VerifyResult result = verify(good);
  ASSERT_TRUE(result.ok) << listing(result);

  dns::Zone zone = good;
  Record& cds = find(zone, "@", RRType::kCds);
  cds.rdata.back() = static_cast<char>(cds.rdata.back() ^ 1);
  result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "CDS", "no DNSKEY of the zone has this digest"));

  zone = good;
  DnssecKey stranger = DnssecKey::generate(n(kV4Apex), dns::kAlgorithmEcdsaP256Sha256, KeyRole::kKsk);
  find(zone, "@", RRType::kCdnskey).rdata = stranger.dnskey_rdata();
  result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "CDNSKEY", "it is not a DNSKEY of the zone"));
  EXPECT_TRUE(has_problem(result, zone, "@", "CDS",
                          fmt::format("CDS and CDNSKEY name different keys (CDS: {}/13; CDNSKEY: {}/13)",
                                      keys[0].key.key_tag(), stranger.key_tag())));

  zone = good;
  Record deletion = find(zone, "@", RRType::kCds);
  deletion.rdata = std::string("\0\0\0\0\0", 5);
  zone.add(deletion);
  result = verify(zone);
  EXPECT_TRUE(has_problem(result, zone, "@", "CDS", "delete request beside other records"));
}

// A name written in mixed case, signed by dnssec-signzone: the next name of the NSEC before it keeps that case,
// in the file and in its signature (RFC 6840 §5.1), and the zone verifies.
TEST(Verify, MixedCaseNamesAsBindSignsThemVerify) {
  TempDir dir;
  make_keys(dir.path(), kV4Apex, "ECDSAP256SHA256");
  std::string signed_text = bind_sign(dir, kV4Apex, std::string(kV4Zone) + "MiXeD.2 PTR host.example.\n", "mixed", {});
  ASSERT_NE(signed_text.find("NSEC\tMiXeD.2.10.in-addr.arpa."), std::string::npos) << signed_text;
  Name apex = n(kV4Apex);
  dns::MasterFile parsed = dns::read_master_file(signed_text, apex);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front().reason;
  dns::Zone zone(apex);
  for (auto& r : parsed.records) zone.add(std::move(r));
  VerifyResult result = verify(zone);
  EXPECT_TRUE(result.ok) << listing(result);
}

// A key with the REVOKE flag (RFC 5011 §2.1) validates nothing but its own signature over the DNSKEY RRset, which
// shows the revocation: RRsets signed only by a revoked ZSK have no usable signature, nor a DNSKEY RRset signed by a
// revoked KSK alone. A revoked KSK beside a KSK that signs, as in an RFC 5011 revocation, is fine.
TEST(Verify, RevokedKeysValidateNothingButTheDnskeyRRset) {
  Name apex = n(kV4Apex);
  auto revoked = [&](const DnssecKey& key) {
    auto copy = DnssecKey::from_private_text(apex, key.flags() | dns::kDnskeyRevokeFlag, key.private_file_text({}));
    EXPECT_TRUE(copy.ok()) << copy.error();
    return *copy;
  };
  auto sign = [](const std::vector<SigningKey>& keys) { return rdnsprov_signed_v4(keys); };
  auto fresh = fresh_v4_keys;

  std::vector<SigningKey> keys = fresh();
  keys[1].key = revoked(keys[1].key);
  dns::Zone zone = sign(keys);
  VerifyResult result = verify(zone);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(has_problem(result, zone, "@", "SOA",
                          fmt::format("signed only by revoked key {} (REVOKE flag)", keys[1].key.key_tag())));
  EXPECT_TRUE(has_problem(result, zone, "0-63.4.1", "DS", "signed only by revoked key"));

  keys = fresh();
  keys[0].key = revoked(keys[0].key);
  zone = sign(keys);
  result = verify(zone);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(has_problem(result, zone, "@", "DNSKEY", fmt::format("but revoked key {}", keys[0].key.key_tag())));
  for (const auto& p : result.problems) EXPECT_EQ(p.type, "DNSKEY") << listing(result) << "the data, signed by the ZSK, validates";

  keys = fresh();
  keys.push_back({revoked(DnssecKey::generate(apex, dns::kAlgorithmEcdsaP256Sha256, KeyRole::kKsk)), KeyRole::kKsk, true});
  zone = sign(keys);
  result = verify(zone);
  EXPECT_TRUE(result.ok) << listing(result);
}

TEST(Verify, OutputIsTheSameWhateverTheRecordOrderAndThreads) {
  dns::Zone zone = load("v6-nsec3");
  VerifyOptions options{.now = wall_clock() + 400 * 86400u, .max_problems = 25};
  dns::ThreadPool one(1);
  VerifyResult first = verify_signed_zone(zone, options, one);
  std::mt19937 random(42);
  std::shuffle(zone.mutable_records().begin(), zone.mutable_records().end(), random);
  dns::ThreadPool two(2);
  VerifyResult second = verify_signed_zone(zone, options, two);
  ASSERT_EQ(first.problems.size(), 25u);
  EXPECT_EQ(first.problem_count, second.problem_count);
  EXPECT_EQ(listing(first), listing(second));
  for (std::size_t i = 1; i < first.problems.size(); ++i) EXPECT_LE(first.problems[i - 1].owner, first.problems[i].owner);
}

TEST(Verify, SummaryNamesTheFirstProblem) {
  dns::Zone zone = load("v4-nsec");
  EXPECT_EQ(verify(zone).summary().substr(0, 17), "DNSSEC verified: ");
  find(zone, "2.1", RRType::kDs).rdata.back() ^= 0x01;
  std::string summary = verify(zone).summary();
  EXPECT_NE(summary.find("1 problem; first: 2.1.10.in-addr.arpa./DS: "), std::string::npos) << summary;
}

}  // namespace
}  // namespace rdnsprov::signer
