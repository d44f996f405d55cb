#include "signer/zonemd.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include "dns/encoding.h"
#include "dns/rdata.h"
#include "tests/signer/signer_test_zones.h"

namespace rdnsprov::signer {
namespace {

using testing::name;

// RFC 8976 appendix A.1: the simple EXAMPLE zone, read by our own master-file reader.
TEST(ZonemdKnownAnswers, A1SimpleExampleZone) {
  dns::Zone zone = testing::zone_from_text("example", R"(
example.      86400  IN  SOA     ns1 admin 2018031900 (
                                 1800 900 604800 86400 )
              86400  IN  NS      ns1
              86400  IN  NS      ns2
              86400  IN  ZONEMD  2018031900 1 1 (
                                 c68090d90a7aed71
                                 6bc459f9340e3d7c
                                 1370d4d24b7e2fc3
                                 a1ddc0b9a87153b9
                                 a9713b3c9ae5cc27
                                 777f98b8e730044c )
ns1           3600   IN  A       203.0.113.63
ns2           3600   IN  AAAA    2001:db8::63
)");
  auto digest = zonemd_digest(zone);
  ASSERT_TRUE(digest.ok()) << digest.error();
  EXPECT_EQ(dns::to_hex(*digest, false),
            "c68090d90a7aed716bc459f9340e3d7c1370d4d24b7e2fc3a1ddc0b9a87153b9a9713b3c9ae5cc27777f98b8e730044c");
  auto zonemd = std::find_if(zone.records().begin(), zone.records().end(),
                             [](const dns::Record& r) { return r.type == dns::RRType::kZonemd; });
  ASSERT_NE(zonemd, zone.records().end());
  EXPECT_EQ(zonemd_rdata(2018031900, 1, 1, *digest), zonemd->rdata);
}

// Wire-form builders for the record types of appendix A that rdnsprov does not handle itself.
std::string wire_name(std::string_view text) {
  // Lower-case, absolute; labels may be "*" (a wildcard owner in A.2), which dns::Name refuses.
  std::string out;
  std::string_view rest = text;
  if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  while (!rest.empty()) {
    std::size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    out.push_back(static_cast<char>(label.size()));
    for (char c : label) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  }
  out.push_back('\0');
  return out;
}
std::string u16(std::uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }
std::string u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v >> 16)) + u16(static_cast<std::uint16_t>(v)); }
std::string txt(std::string_view s) { return std::string(1, static_cast<char>(s.size())) + std::string(s); }
std::string aaaa(const char* text) {
  unsigned char buf[16];
  EXPECT_EQ(inet_pton(AF_INET6, text, buf), 1);
  return std::string(reinterpret_cast<char*>(buf), 16);
}
std::string soa_example() {
  return wire_name("ns1.example") + wire_name("admin.example") + u32(2018031900) + u32(1800) + u32(900) +
         u32(604800) + u32(86400);
}
std::string zonemd(std::uint8_t scheme, std::uint8_t hash, std::string_view hex) {
  return zonemd_rdata(2018031900, scheme, hash, *dns::from_hex(hex));
}

constexpr std::uint16_t kA = 1, kNs = 2, kSoa = 6, kPtr = 12, kMx = 15, kTxt = 16, kAaaa = 28, kZonemd = 63;

// RFC 8976 appendix A.2: occluded data, duplicates, out-of-zone data, upper case, a wildcard, MX names to
// canonicalise, an RRset to sort, a non-apex ZONEMD.
TEST(ZonemdKnownAnswers, A2ComplexExampleZone) {
  std::vector<WireRecord> records = {
      {wire_name("example"), kSoa, 86400, soa_example()},
      {wire_name("example"), kNs, 86400, wire_name("ns1.example")},
      {wire_name("example"), kNs, 86400, wire_name("ns2.example")},
      {wire_name("example"), kZonemd, 86400,
       zonemd(1, 1, "a3b69bad980a3504e1cffcb0fd6397f93848071c93151f552ae2f6b1711d4bd2d8b39808226d7b9db71e34b72077f8fe")},
      {wire_name("ns1.example"), kA, 3600, std::string("\xcb\x00\x71\x3f", 4)},
      {wire_name("NS2.example"), kAaaa, 3600, aaaa("2001:db8::63")},
      {wire_name("occluded.sub.example"), kTxt, 7200, txt("I'm occluded but must be digested")},
      {wire_name("sub.example"), kNs, 7200, wire_name("ns1.example")},
      {wire_name("duplicate.example"), kTxt, 300, txt("I must be digested just once")},
      {wire_name("duplicate.example"), kTxt, 300, txt("I must be digested just once")},
      {wire_name("foo.test"), kTxt, 555, txt("out-of-zone data must be excluded")},
      {wire_name("UPPERCASE.example"), kTxt, 3600, txt("canonicalize uppercase owner names")},
      {wire_name("*.example"), kPtr, 777, wire_name("dont-forget-about-wildcards.example")},
      {wire_name("mail.example"), kMx, 3600, u16(20) + wire_name("MAIL1.example")},
      {wire_name("mail.example"), kMx, 3600, u16(10) + wire_name("Mail2.Example.")},
      {wire_name("sortme.example"), kAaaa, 3600, aaaa("2001:db8::5:61")},
      {wire_name("sortme.example"), kAaaa, 3600, aaaa("2001:db8::3:62")},
      {wire_name("sortme.example"), kAaaa, 3600, aaaa("2001:db8::4:63")},
      {wire_name("sortme.example"), kAaaa, 3600, aaaa("2001:db8::1:65")},
      {wire_name("sortme.example"), kAaaa, 3600, aaaa("2001:db8::2:64")},
      {wire_name("non-apex.example"), kZonemd, 900,
       zonemd(1, 1, "616c6c6f776564206275742069676e6f7265642e20616c6c6f776564206275742069676e6f7265642e20616c6c6f7765")},
  };
  auto digest = zonemd_digest_of_records(wire_name("example"), records);
  ASSERT_TRUE(digest.ok()) << digest.error();
  EXPECT_EQ(dns::to_hex(*digest, false),
            "a3b69bad980a3504e1cffcb0fd6397f93848071c93151f552ae2f6b1711d4bd2d8b39808226d7b9db71e34b72077f8fe");
}

// RFC 8976 appendix A.3: one zone, SHA-384 and SHA-512 digests, and two ZONEMDs with unknown algorithms.
TEST(ZonemdKnownAnswers, A3MultipleDigests) {
  std::vector<WireRecord> records = {
      {wire_name("example"), kSoa, 86400, soa_example()},
      {wire_name("example"), kNs, 86400, wire_name("ns1.example")},
      {wire_name("example"), kNs, 86400, wire_name("ns2.example")},
      {wire_name("example"), kZonemd, 86400, zonemd(1, 240, "e2d523f654b9422a96c5a8f44607bbee")},
      {wire_name("example"), kZonemd, 86400, zonemd(241, 1, "e1846540e33a9e4189792d18d5d131f605fc283e")},
      {wire_name("ns1.example"), kA, 3600, std::string("\xcb\x00\x71\x3f", 4)},
      {wire_name("ns2.example"), kTxt, 86400, txt("This example has multiple digests")},
      {wire_name("NS2.EXAMPLE"), kAaaa, 3600, aaaa("2001:db8::63")},
  };
  auto sha384 = zonemd_digest_of_records(wire_name("example"), records, 1, kZonemdHashSha384);
  ASSERT_TRUE(sha384.ok());
  EXPECT_EQ(dns::to_hex(*sha384, false),
            "62e6cf51b02e54b9b5f967d547ce43136792901f9f88e637493daaf401c92c279dd10f0edb1c56f8080211f8480ee306");
  auto sha512 = zonemd_digest_of_records(wire_name("example"), records, 1, kZonemdHashSha512);
  ASSERT_TRUE(sha512.ok());
  EXPECT_EQ(dns::to_hex(*sha512, false),
            "08cfa1115c7b948c4163a901270395ea226a930cd2cbcf2fa9a5e6eb85f37c8a"
            "4e114d884e66f176eab121cb02db7d652e0cc4827e7a3204f166b47e5613fd27");
  EXPECT_FALSE(zonemd_digest_of_records(wire_name("example"), records, 1, 240).ok());
  EXPECT_FALSE(zonemd_digest_of_records(wire_name("example"), records, 241, 1).ok());
}

}  // namespace
}  // namespace rdnsprov::signer
