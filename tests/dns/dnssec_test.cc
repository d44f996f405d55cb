#include "dns/dnssec.h"

#include <gtest/gtest.h>

#include "dns/encoding.h"
#include "dns/rdata.h"

namespace rdnsprov::dns {
namespace {

Name n(std::string_view text) { return *Name::from_text(text); }

// RFC 5155 appendix A: salt AABBCCDD, 12 iterations.
TEST(Nsec3Hash, KnownAnswersFromRfc5155AppendixA) {
  std::string salt = *from_hex("AABBCCDD");
  EXPECT_EQ(to_base32hex(nsec3_hash(n("example"), salt, 12)), "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom");
  EXPECT_EQ(to_base32hex(nsec3_hash(n("a.example"), salt, 12)), "35mthgpgcu1qg68fab165klnsnk3dpvl");
  EXPECT_EQ(to_base32hex(nsec3_hash(n("ai.example"), salt, 12)), "gjeqe526plbf1g8mklp59enfd789njgi");
  EXPECT_EQ(to_base32hex(nsec3_hash(n("ns1.example"), salt, 12)), "2t7b4g4vsa5smi47k61mv5bv1a22bojr");
  EXPECT_EQ(to_base32hex(nsec3_hash(n("x.y.w.example"), salt, 12)), "2vptu5timamqttgl4luu9kg21e0aor3s");
}

// RFC 4034 §5.4: the DNSKEY of dskey.example.com and its DS (key tag 60485, SHA-1).
TEST(KeyTagAndDs, KnownAnswerFromRfc4034) {
  auto dnskey = rdata::from_text(
      RRType::kDnskey,
      std::vector<std::string_view>{"256", "3", "5",
                                    "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw=="},
      Name());
  ASSERT_TRUE(dnskey.ok()) << dnskey.error();
  EXPECT_EQ(key_tag(*dnskey), 60485);
  auto ds = ds_rdata(n("dskey.example.com"), *dnskey, 1);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(rdata::to_text(RRType::kDs, *ds), "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
}

TEST(Digests, Sha256AndSha384OfEmptyInput) {
  EXPECT_EQ(to_hex(sha256(""), false), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha384(""), false),
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
}

}  // namespace
}  // namespace rdnsprov::dns
