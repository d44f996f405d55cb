#include "signer/key.h"

#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "signer/key_store.h"
#include "signer/signer.h"
#include "tests/signer/signer_test_zones.h"
#include "tests/support/support.h"

namespace rdnsprov::signer {
namespace {

using rdnsprov::testing::run_command;
using rdnsprov::testing::TempDir;
using testing::name;

std::string dnskey_text(const DnssecKey& key) { return dns::rdata::to_text(dns::RRType::kDnskey, key.dnskey_rdata()); }

std::string ds_text(const DnssecKey& key) {
  return dns::rdata::to_text(dns::RRType::kDs, *dns::ds_rdata(key.zone(), key.dnskey_rdata(), 2));
}

// A known key, from its private key file's text, for zone `zone` with DNSKEY flags `flags`: its DNSKEY rdata must
// read `dnskey` and its tag be `tag`. Fails the test (and gives nothing) when it does not load.
std::optional<DnssecKey> known_key(std::string_view zone, std::uint16_t flags, const std::string& private_text,
                                   std::string_view dnskey, std::uint16_t tag) {
  auto key = DnssecKey::from_private_text(name(zone), flags, private_text);
  if (!key.ok()) {
    ADD_FAILURE() << key.error();
    return std::nullopt;
  }
  EXPECT_EQ(dnskey_text(*key), dnskey);
  EXPECT_EQ(key->key_tag(), tag);
  return std::move(*key);
}

// RFC 8080 §6.1 (signature as corrected by RFC errata 4935): Ed25519 is deterministic, so our signature over
// the example MX RRset must be the RFC's, byte for byte. MX is not a type rdnsprov handles, so the RR is
// written out in wire form here; the RRSIG header comes from the signer.
TEST(KeyKnownAnswers, Rfc8080Ed25519SignatureIsTheRfcs) {
  std::optional<DnssecKey> key = known_key("example.com", 257,
                                           "Private-key-format: v1.2\nAlgorithm: 15 (ED25519)\n"
                                           "PrivateKey: ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=\n",
                                           "257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613);
  ASSERT_TRUE(key);
  EXPECT_EQ(ds_text(*key), "3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B");

  RrsigHeader header{15, 15, 2, 3600, 1440021600, 1438207200, 3613, name("example.com")};
  std::string input;
  append_rrsig_header(input, header);
  std::string owner(name("example.com").wire());
  std::string mx_rdata = std::string("\x00\x0a", 2) + std::string(name("mail.example.com").wire());
  input += owner + std::string("\x00\x0f\x00\x01\x00\x00\x0e\x10", 8);
  input += std::string(1, '\0') + std::string(1, static_cast<char>(mx_rdata.size())) + mx_rdata;
  std::string signature = key->sign(input);
  EXPECT_EQ(dns::to_base64(signature),
            "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==");
  EXPECT_TRUE(key->verify(input, signature));
  input.back() ^= 1;
  EXPECT_FALSE(key->verify(input, signature));
}

// RFC 8080 §6.2: the second example key.
TEST(KeyKnownAnswers, Rfc8080SecondEd25519Key) {
  std::optional<DnssecKey> key = known_key("example.com", 257,
                                           "Private-key-format: v1.2\nAlgorithm: 15 (ED25519)\n"
                                           "PrivateKey: DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=\n",
                                           "257 3 15 zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 35217);
  ASSERT_TRUE(key);
  EXPECT_EQ(ds_text(*key), "35217 15 2 401781B934E392DE492EC77AE2E15D70F6575A1C0BC59C5275C04EBE80C6614C");
}

// RFC 6605 §6.1: the P-256 example key's DNSKEY, tag and DS; the RFC's own signature (random k, so not
// reproducible) verifies with our r||s handling, and ours verifies too.
TEST(KeyKnownAnswers, Rfc6605EcdsaP256) {
  std::optional<DnssecKey> key = known_key("example.net", 257,
                                           "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\n"
                                           "PrivateKey: GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=\n",
                                           "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64c"
                                           "YbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
                                           55648);
  ASSERT_TRUE(key);
  EXPECT_EQ(ds_text(*key), "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17");

  std::vector<dns::Record> rrset = {{name("www.example.net"), dns::RRType::kA, 3600, dns::rdata::a({192, 0, 2, 1})}};
  RrsigHeader header{1, 13, 3, 3600, *dns::rdata::rrsig_time_from_text("20100909100439"),
                     *dns::rdata::rrsig_time_from_text("20100812100439"), 55648, name("example.net")};
  std::string input;
  append_signing_input(input, header, rrset);
  auto rfc_signature =
      dns::from_base64("qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==");
  ASSERT_TRUE(rfc_signature);
  EXPECT_TRUE(key->verify(input, *rfc_signature));

  dns::Record rrsig = sign_rrset(rrset, *key, header.inception, header.expiration);
  std::string ours = rrsig.rdata.substr(rrsig.rdata.size() - 64);
  EXPECT_EQ(rrsig.rdata.size(), 18 + name("example.net").wire().size() + 64);
  EXPECT_TRUE(key->verify(input, ours));
}

// BIND writes an ECDSA private key as the integer it is, without leading zero octets, so one key in 256 made by
// dnssec-keygen has a 31-octet PrivateKey field. This one was made by dnssec-keygen 9.18; the DNSKEY is its .key
// file's. Our own files pad the integer to 32 octets, which BIND reads as well.
TEST(KeyKnownAnswers, EcdsaPrivateKeyWithoutLeadingZeroOctetsLoads) {
  std::optional<DnssecKey> key = known_key("test.example", 256,
                                           "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\n"
                                           "PrivateKey: sAH9x+giyVmQb9KG2ZLtEKWZ15SCoGfvzgGUtuaG1A==\n",
                                           "256 3 13 gO4bCY8Wz4BgrGULQMdL9BfONzJnQ0uu6E9Eq2RSuhwn0zrl46ZC"
                                           "ex0dpewMOBDg4NZj+ZwrSpWDlLkAgFt4Ig==",
                                           26636);
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->verify("data", key->sign("data")));

  TempDir dir;
  auto key_file = key->write_bind_files(dir.path(), {});
  auto private_file = key_file;
  private_file.replace_extension(".private");
  EXPECT_NE(dns::read_file(private_file).find("PrivateKey: ALAB/cfoIslZkG/ShtmS7RClmdeUgqBn784BlLbmhtQ=\n"),
            std::string::npos);
  auto loaded = DnssecKey::load_bind_files(key_file, nullptr);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->dnskey_rdata(), key->dnskey_rdata());
}

// What is not a private key is refused, whatever its length: zero, the P-256 group order, an Ed25519 key short of
// 32 octets, an ECDSA one longer than 32.
TEST(KeyKnownAnswers, PrivateKeysOutsideTheirRangeAreRefused) {
  struct Case {
    int algorithm;
    const char* field;
  };
  for (const Case& c : {Case{13, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
                        Case{13, "/////wAAAAD//////////7zm+q2nF56E87nKwvxjJVE="},
                        Case{13, "AGU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ"},
                        Case{15, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}) {
    auto key = DnssecKey::from_private_text(
        name("example.net"), 257,
        fmt::format("Private-key-format: v1.2\nAlgorithm: {}\nPrivateKey: {}\n", c.algorithm, c.field));
    ASSERT_FALSE(key.ok()) << c.field;
    EXPECT_NE(key.error().find("PrivateKey"), std::string::npos) << key.error();
  }
}

// RFC 5702 §6.1: RSA/SHA-256 is deterministic (PKCS #1 v1.5), so the RFC's signature must come out exactly.
// The example key has 512 bits: from_private_text parses it; key files that small are refused (below) and
// generate() would not make one.
TEST(KeyKnownAnswers, Rfc5702RsaSha256) {
  auto key = DnssecKey::from_private_text(name("example.net"), 256,
                                          "Private-key-format: v1.2\n"
                                          "Algorithm:       8 (RSASHA256)\n"
                                          "Modulus:         wVwaxrHF2CK64aYKRUibLiH30KpPuPBjel7E8ZydQW1HYWHfoGmidzC2RnhwCC293hCzw+TFR2nqn8OVSY5t2Q==\n"
                                          "PublicExponent:  AQAB\n"
                                          "PrivateExponent: UR44xX6zB3eaeyvTRzmskHADrPCmPWnr8dxsNwiDGHzrMKLN+i/HAam+97HxIKVWNDH2ba9Mf1SA8xu9dcHZAQ==\n"
                                          "Prime1:          4c8IvFu1AVXGWeFLLFh5vs7fbdzdC6U82fduE6KkSWk=\n"
                                          "Prime2:          2zZpBE8ZXVnL74QjG4zINlDfH+EOEtjJJ3RtaYDugvE=\n"
                                          "Exponent1:       G2xAPFfK0KGxGANDVNxd1K1c9wOmmJ51mGbzKFFNMFk=\n"
                                          "Exponent2:       GYxP1Pa7CAwtHm8SAGX594qZVofOMhgd6YFCNyeVpKE=\n"
                                          "Coefficient:     icQdNRjlZGPmuJm2TIadubcO8X7V4y07aVhX464tx8Q=\n");
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(dnskey_text(*key),
            "256 3 8 AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=");
  EXPECT_EQ(key->key_tag(), 9033);
  EXPECT_EQ(key->bits(), 512u);
  std::vector<dns::Record> rrset = {{name("www.example.net"), dns::RRType::kA, 3600, dns::rdata::a({192, 0, 2, 91})}};
  dns::Record rrsig = sign_rrset(rrset, *key, *dns::rdata::rrsig_time_from_text("20000101000000"),
                                 *dns::rdata::rrsig_time_from_text("20300101000000"));
  EXPECT_EQ(dns::rdata::to_text(dns::RRType::kRrsig, rrsig.rdata),
            "A 8 3 3600 20300101000000 20000101000000 9033 example.net. "
            "kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg==");
}

TEST(Key, GenerateRefusesSmallRsaAndUnknownAlgorithms) {
  EXPECT_THROW(DnssecKey::generate(name("example"), 8, KeyRole::kKsk, 1024), std::invalid_argument);
  EXPECT_THROW(DnssecKey::generate(name("example"), 5, KeyRole::kKsk), std::invalid_argument);
}

class KeyFiles : public ::testing::TestWithParam<int> {};

// Write, read back: same DNSKEY, tag and private key (a signature made by the loaded key verifies with the
// original); the .private is 0600 and named as BIND names it.
TEST_P(KeyFiles, WriteAndReadBack) {
  TempDir dir;
  auto algorithm = static_cast<std::uint8_t>(GetParam());
  DnssecKey key = DnssecKey::generate(name("193.in-addr.arpa"), algorithm, KeyRole::kZsk);
  EXPECT_EQ(key.flags(), 256);
  KeyTiming timing{1700000000, 1700000000, 1700003600, std::nullopt, std::nullopt};
  auto key_file = key.write_bind_files(dir.path(), timing);
  EXPECT_EQ(key_file.filename().string(), fmt::format("K193.in-addr.arpa.+{:03}+{:05}.key", algorithm, key.key_tag()));
  struct stat info {};
  auto private_file = key_file;
  private_file.replace_extension(".private");
  ASSERT_EQ(::stat(private_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  KeyTiming read_timing;
  auto loaded = DnssecKey::load_bind_files(key_file, &read_timing);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->dnskey_rdata(), key.dnskey_rdata());
  EXPECT_EQ(loaded->key_tag(), key.key_tag());
  EXPECT_EQ(loaded->zone(), key.zone());
  EXPECT_EQ(read_timing, timing);
  EXPECT_TRUE(key.verify("data", loaded->sign("data")));
  EXPECT_FALSE(key.verify("other data", loaded->sign("data")));
}

// Our .key is what dnssec-dsfromkey reads, and the DS it computes is ours.
TEST_P(KeyFiles, DnssecDsfromkeyAgreesWithOurDs) {
  TempDir dir;
  DnssecKey key = DnssecKey::generate(name("8.b.d.0.1.0.0.2.ip6.arpa"), static_cast<std::uint8_t>(GetParam()), KeyRole::kKsk);
  auto key_file = key.write_bind_files(dir.path(), KeyTiming{1700000000, 1700000000, 1700000000, {}, {}});
  auto r = run_command({"dnssec-dsfromkey", "-2", key_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.output, "8.b.d.0.1.0.0.2.ip6.arpa. IN DS " + ds_text(key) + "\n");
}

// Keys made by dnssec-keygen load, sign, and what they sign passes dnssec-verify.
TEST_P(KeyFiles, ImportsKeysMadeByDnssecKeygen) {
  TempDir dir;
  int algorithm = GetParam();
  std::string mnemonic = algorithm == 13 ? "ECDSAP256SHA256" : algorithm == 15 ? "ED25519" : "RSASHA256";
  std::vector<std::string> ksk_args = {"dnssec-keygen", "-q", "-K", dir.path().string(), "-a", mnemonic, "-f", "KSK"};
  std::vector<std::string> zsk_args = {"dnssec-keygen", "-q", "-K", dir.path().string(), "-a", mnemonic};
  if (algorithm == 8) {
    for (auto* args : {&ksk_args, &zsk_args}) {
      args->push_back("-b");
      args->push_back("2048");
    }
  }
  ksk_args.push_back("2.0.192.in-addr.arpa");
  zsk_args.push_back("2.0.192.in-addr.arpa");
  auto ksk_run = run_command(ksk_args);
  ASSERT_EQ(ksk_run.exit_code, 0) << ksk_run.all();
  auto zsk_run = run_command(zsk_args);
  ASSERT_EQ(zsk_run.exit_code, 0) << zsk_run.all();

  KeyStore store(dir.path(), name("2.0.192.in-addr.arpa"));
  auto keys = store.load();
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].state.role, KeyRole::kKsk);
  EXPECT_EQ((*keys)[1].state.role, KeyRole::kZsk);
  EXPECT_EQ((*keys)[0].key_file.filename().string(), ksk_run.output.substr(0, ksk_run.output.find('\n')) + ".key");
  std::int64_t now = ::time(nullptr);
  std::vector<SigningKey> signing = signing_keys(*keys, now);
  ASSERT_EQ(signing.size(), 2u);
  EXPECT_TRUE(signing[0].active && signing[1].active);

  dns::Zone zone = testing::zone_from_text("2.0.192.in-addr.arpa", R"($TTL 3600
@ SOA ns1.example.net. hostmaster.example.net. 1 3600 900 1209600 300
@ NS ns1.example.net.
1 NS ns.example.com.
1 DS 12345 13 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE7FAD1E4A57A61BF7A0D61F4C
)");
  dns::ThreadPool pool(2);
  SignResult result = sign_zone(zone, signing, SigningPolicy{.algorithm = static_cast<std::uint8_t>(algorithm)},
                                static_cast<std::uint32_t>(now), nullptr, pool);
  dns::write_file_atomically(dir / "zone", dns::to_master_file(result.zone));
  auto verify = run_command({"dnssec-verify", "-q", "-o", "2.0.192.in-addr.arpa", (dir / "zone").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.all();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, KeyFiles, ::testing::Values(13, 15, 8),
                         [](const auto& param_info) { return fmt::format("Algorithm{}", param_info.param); });

TEST(KeyFilesPermissions, GroupOrWorldReadablePrivateKeyIsRefused) {
  TempDir dir;
  DnssecKey key = DnssecKey::generate(name("example"), 13, KeyRole::kKsk);
  auto key_file = key.write_bind_files(dir.path(), {});
  auto private_file = key_file;
  private_file.replace_extension(".private");
  ASSERT_EQ(::chmod(private_file.c_str(), 0644), 0);
  auto loaded = DnssecKey::load_bind_files(key_file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find(private_file.string()), std::string::npos) << loaded.error();
  EXPECT_NE(loaded.error().find("0644"), std::string::npos) << loaded.error();
  ASSERT_EQ(::chmod(private_file.c_str(), 0640), 0);
  EXPECT_FALSE(DnssecKey::load_bind_files(key_file).ok());
  ASSERT_EQ(::chmod(private_file.c_str(), 0600), 0);
  EXPECT_TRUE(DnssecKey::load_bind_files(key_file).ok());
}

// An RSA key file under 2048 bits is not a key to sign with: loading it (keys import, the key store) is refused,
// naming the file and the size; the same key at 2048 bits loads.
TEST(KeyFiles, RsaKeyFilesUnder2048BitsAreRefused) {
  for (const char* bits : {"1024", "2048"}) {
    TempDir keys;
    auto keygen = run_command({"dnssec-keygen", "-q", "-K", keys.path().string(), "-a", "RSASHA256", "-b", bits, "example"});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.all();
    std::filesystem::path key_file = keys / (keygen.output.substr(0, keygen.output.find('\n')) + ".key");
    auto loaded = DnssecKey::load_bind_files(key_file);
    if (std::string(bits) == "1024") {
      ASSERT_FALSE(loaded.ok());
      EXPECT_NE(loaded.error().find(".private: an RSA key of 1024 bits"), std::string::npos) << loaded.error();
      EXPECT_NE(loaded.error().find("at least 2048 bits"), std::string::npos) << loaded.error();
    } else {
      ASSERT_TRUE(loaded.ok()) << loaded.error();
      EXPECT_EQ(loaded->bits(), 2048u);
    }
  }
}

// A key revoked with dnssec-revoke (REVOKE flag, RFC 5011) or a DNSKEY without the Zone Key flag is not a key to
// sign with: loading it (keys import, the key store) is refused, naming the file.
TEST(KeyFiles, RevokedAndNonZoneKeysAreRefused) {
  TempDir keys;
  auto keygen = run_command({"dnssec-keygen", "-q", "-K", keys.path().string(), "-a", "ECDSAP256SHA256", "-f", "KSK",
                             "example"});
  ASSERT_EQ(keygen.exit_code, 0) << keygen.all();
  std::filesystem::path key_file = keys / (keygen.output.substr(0, keygen.output.find('\n')) + ".key");
  ASSERT_TRUE(DnssecKey::load_bind_files(key_file).ok());
  auto revoke = run_command({"dnssec-revoke", "-K", keys.path().string(), key_file.string()});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.all();
  std::filesystem::path revoked_file = keys / (revoke.output.substr(0, revoke.output.find('\n')) + ".key");
  auto loaded = DnssecKey::load_bind_files(revoked_file);
  ASSERT_FALSE(loaded.ok()) << revoked_file;
  EXPECT_NE(loaded.error().find(revoked_file.string() + ": the key is revoked (flags 385"), std::string::npos)
      << loaded.error();

  DnssecKey key = DnssecKey::generate(name("example"), 13, KeyRole::kZsk);
  auto zone_file = key.write_bind_files(keys.path(), {});
  std::string text = dns::read_file(zone_file);
  ASSERT_NE(text.find("IN DNSKEY 256 3 13"), std::string::npos) << text;
  text.replace(text.find("IN DNSKEY 256 3 13"), 18, "IN DNSKEY 0 3 13");
  dns::write_file_atomically(zone_file, text);
  loaded = DnssecKey::load_bind_files(zone_file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("without the Zone Key flag"), std::string::npos) << loaded.error();
}

TEST(KeyFilesPermissions, MismatchedKeyAndPrivateFilesAreRefused) {
  TempDir dir;
  DnssecKey a = DnssecKey::generate(name("example"), 13, KeyRole::kKsk);
  DnssecKey b = DnssecKey::generate(name("example"), 13, KeyRole::kKsk);
  auto a_file = a.write_bind_files(dir.path(), {});
  auto b_file = b.write_bind_files(dir.path(), {});
  auto a_private = a_file;
  a_private.replace_extension(".private");
  auto b_private = b_file;
  b_private.replace_extension(".private");
  std::filesystem::copy_file(b_private, a_private, std::filesystem::copy_options::overwrite_existing);
  auto loaded = DnssecKey::load_bind_files(a_file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("do not hold the same key"), std::string::npos) << loaded.error();
}

}  // namespace
}  // namespace rdnsprov::signer
