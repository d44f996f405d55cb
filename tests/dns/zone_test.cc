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

// What no zone may hold, each problem naming the owner; what a zone may hold gives none.
TEST(ZoneOwnerProblems, CnameBesideDataDnameOcclusionSingletonsAndApexRRsetsBelowTheApexAreFound) {
  auto problems = [](const std::string& lines) {
    MasterFile read = read_master_file("$TTL 60\n@ SOA ns1.example. h.example. 1 2 3 4 5\n@ NS ns1.example.\n" + lines,
                                       name("2.0.192.in-addr.arpa"), Dialect::kOperator);
    EXPECT_TRUE(read.errors.empty()) << read.errors[0].reason;
    Zone zone(name("2.0.192.in-addr.arpa"));
    zone.mutable_records() = std::move(read.records);
    zone.canonicalise();
    return zone.owner_problems();
  };
  const std::pair<std::string, std::string> bad[] = {
      {"a CNAME x.example.\na PTR y.example.\n", "a.2.0.192.in-addr.arpa. has a CNAME and other data (RFC 2181 §10.1)"},
      {"a CNAME x.example.\na CNAME y.example.\n", "a.2.0.192.in-addr.arpa. has 2 CNAME records; it may have one"},
      {"a CNAME x.example.\na DNAME y.example.\n", "a.2.0.192.in-addr.arpa. has a CNAME and other data"},
      {"a DNAME x.example.\na DNAME y.example.\n", "a.2.0.192.in-addr.arpa. has 2 DNAME records; it may have one"},
      {"a DNAME x.example.\na NS ns.example.\n", "a.2.0.192.in-addr.arpa. has a DNAME at a delegation point"},
      {"a DNAME x.example.\n5.a PTR y.example.\n",
       "5.a.2.0.192.in-addr.arpa. lies below the DNAME at a.2.0.192.in-addr.arpa., which occludes it"},
      {"a DNAME x.example.\nb DNAME y.example.\n5.b PTR z.example.\n",
       "5.b.2.0.192.in-addr.arpa. lies below the DNAME at b.2.0.192.in-addr.arpa., which occludes it"},
      {"@ DNAME x.example.\n1 PTR y.example.\n",
       "1.2.0.192.in-addr.arpa. lies below the DNAME at 2.0.192.in-addr.arpa., which occludes it"},
      // Data at a name spelt like a hashed NSEC3 owner is data like any other.
      {"@ DNAME x.example.\nk4dvkb6rlhnbsdpi8o4d1ssrud7gdc0g TXT \"t\"\n",
       "k4dvkb6rlhnbsdpi8o4d1ssrud7gdc0g.2.0.192.in-addr.arpa. lies below the DNAME at 2.0.192.in-addr.arpa."},
      // A zone's own RRsets below its apex, even at a delegation point (dnssec-signzone refuses these too).
      {"a SOA ns1.example. h.example. 1 2 3 4 5\n",
       "a.2.0.192.in-addr.arpa. has a SOA RRset, which belongs at the apex 2.0.192.in-addr.arpa. alone (RFC 1035"},
      {"a NS ns.example.\na DNSKEY 257 3 13 AwEAAc3PQu7NRdP6RY3JOrlTvQnzaq/AGiY/xEFZcTVqTK26Ef0Wfl1BZOvLO7K5ED0JLi1kXZW2yKY3f9DeFAwoLww=\n",
       "a.2.0.192.in-addr.arpa. has a DNSKEY RRset, which belongs at the apex"},
      {"a.b NSEC3PARAM 1 0 0 -\n", "a.b.2.0.192.in-addr.arpa. has a NSEC3PARAM RRset, which belongs at the apex"},
  };
  for (const auto& [lines, expected] : bad) {
    SCOPED_TRACE(lines);
    std::vector<std::string> found = problems(lines);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_NE(found[0].find(expected), std::string::npos) << found[0];
  }
  // Allowed: a DNAME beside other data, at the apex beside SOA and NS; a CNAME with its DNSSEC records; names
  // after a DNAME's subtree; a DNAME below another owner's CNAME; the NSEC3 owners of a zone with a DNAME at its
  // apex (hashed names under the apex, RFC 5155 §3); a delegation's DS; DNSKEY and NSEC3PARAM at the apex.
  for (const std::string good : {"a DNAME x.example.\na PTR y.example.\nb PTR z.example.\n",
                                 "@ DNAME x.example.\n",
                                 "@ DNAME x.example.\nk4dvkb6rlhnbsdpi8o4d1ssrud7gdc0g NSEC3 1 0 0 - "
                                 "k4dvkb6rlhnbsdpi8o4d1ssrud7gdc0g NS SOA RRSIG DNAME NSEC3PARAM\n",
                                 "c CNAME x.example.\nc NSEC d.2.0.192.in-addr.arpa. CNAME RRSIG NSEC\n",
                                 "a DNAME x.example.\nab PTR y.example.\nb.a0 PTR z.example.\n",
                                 "@ DNSKEY 257 3 13 AwEAAc3PQu7NRdP6RY3JOrlTvQnzaq/AGiY/xEFZcTVqTK26Ef0Wfl1BZOvLO7K5ED0JLi1kXZW2yKY3f9DeFAwoLww=\n"
                                 "@ NSEC3PARAM 1 0 0 -\nd NS ns.example.\nd DS 1 13 2 "
                                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"}) {
    SCOPED_TRACE(good);
    EXPECT_TRUE(problems(good).empty()) << problems(good)[0];
  }
}

}  // namespace
}  // namespace rdnsprov::dns
