#include "dns/zone.h"

#include <gtest/gtest.h>

#include "dns/rdata.h"

namespace rdnsprov::dns {
namespace {

Name name(std::string_view text) { return *Name::from_text(text); }

Zone small_zone() {
  Zone zone(name("193.in-addr.arpa"));
  zone.add({name("2.193.in-addr.arpa"), RRType::kNs, 3600, rdata::ns(name("ns.example.net"))});
  zone.add({name("193.in-addr.arpa"), RRType::kNs, 3600, rdata::ns(name("ns1.example.net"))});
  zone.add({name("1.193.in-addr.arpa"), RRType::kNs, 3600, rdata::ns(name("ns.example.net"))});
  zone.add({name("1.193.in-addr.arpa"), RRType::kNs, 600, rdata::ns(name("ns.example.net"))});
  rdata::Soa soa{name("ns1.example.net"), name("hostmaster.example.net"), 1, 3600, 900, 1209600, 600};
  zone.add({name("193.in-addr.arpa"), RRType::kSoa, 3600, rdata::soa(soa)});
  return zone;
}

// A zone counts as canonical from canonicalise() until its records are handed out for change: the signer
// skips checking an order this guarantees, so nothing that may break the order may leave it set.
TEST(ZoneCanonical, SetByCanonicaliseAndClearedByWhatMayChangeTheOrder) {
  Zone zone = small_zone();
  EXPECT_FALSE(zone.is_canonical());
  zone.canonicalise();
  ASSERT_TRUE(zone.is_canonical());
  ASSERT_EQ(zone.records().size(), 4u) << "the duplicate NS merged";
  EXPECT_EQ(zone.records().front().type, RRType::kNs) << "the apex NS sorts before the SOA";
  EXPECT_EQ(zone.records()[2].owner, name("1.193.in-addr.arpa"));

  Zone copy = zone;
  EXPECT_TRUE(copy.is_canonical()) << "a copy keeps what it copies";
  zone.set_serial(Serial(2));
  EXPECT_TRUE(zone.is_canonical()) << "one SOA: a new serial moves nothing";
  EXPECT_EQ(zone.serial()->value(), 2u);

  zone.records();  // reading changes nothing
  EXPECT_TRUE(zone.is_canonical());
  zone.mutable_records();
  EXPECT_FALSE(zone.is_canonical());
  copy.add({name("0.193.in-addr.arpa"), RRType::kNs, 3600, rdata::ns(name("ns.example.net"))});
  EXPECT_FALSE(copy.is_canonical());
  copy.canonicalise();
  EXPECT_TRUE(copy.is_canonical());
  EXPECT_EQ(copy.records()[2].owner, name("0.193.in-addr.arpa"));
}

}  // namespace
}  // namespace rdnsprov::dns
