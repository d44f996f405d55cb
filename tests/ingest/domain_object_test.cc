// validate_domain_object: one test per name form and per rejection reason of RPSL.md.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "dns/encoding.h"
#include "ingest/registry.h"

namespace rdnsprov::ingest {
namespace {

using dns::Name;
using Kind = ObjectVerdict::Kind;

Name n(std::string_view text) { return *Name::from_text(text); }

dns::Origin test_origin() {
  static const auto source = std::make_shared<const std::string>("dump");
  static const auto file = std::make_shared<const std::string>("test.db");
  return dns::Origin::in_file(source, file, 1);
}

// The one object in `text`, validated.
ObjectVerdict verdict_of(std::string text) {
  RpslReader reader = RpslReader::from_text(std::move(text));
  RpslObject object;
  EXPECT_TRUE(reader.next(object));
  return validate_domain_object(object, test_origin());
}

// An object with `key` and one outside nameserver.
ObjectVerdict verdict_of_key(const std::string& key) {
  return verdict_of("domain: " + key + "\nnserver: ns1.example.net\n");
}

void expect_rejected(const ObjectVerdict& verdict, std::string_view reason_part) {
  EXPECT_EQ(verdict.kind, Kind::kRejected);
  EXPECT_NE(verdict.reason.find(reason_part), std::string::npos) << "reason: " << verdict.reason;
}

// ---- name forms ----

TEST(DomainObject, InAddrOneTwoAndThreeOctets) {
  for (std::string key : {"193.in-addr.arpa", "0.193.in-addr.arpa", "2.0.193.in-addr.arpa", "255.0.10.in-addr.arpa"}) {
    ObjectVerdict v = verdict_of_key(key);
    ASSERT_EQ(v.kind, Kind::kDelegation) << key << ": " << v.reason;
    EXPECT_EQ(v.delegation.child, n(key));
    ASSERT_EQ(v.delegation.nameservers.size(), 1u);
    EXPECT_EQ(v.delegation.nameservers[0], n("ns1.example.net"));
    EXPECT_EQ(v.delegation.origin.to_string(), "[dump] test.db:1");
  }
}

TEST(DomainObject, KeyIsCaseInsensitiveAndMayEndInADot) {
  ObjectVerdict v = verdict_of_key("2.0.193.IN-ADDR.Arpa.");
  ASSERT_EQ(v.kind, Kind::kDelegation) << v.reason;
  EXPECT_EQ(v.delegation.child.to_text(), "2.0.193.in-addr.arpa.");
}

TEST(DomainObject, OctetWithLeadingZeroOrAbove255IsRejected) {
  expect_rejected(verdict_of_key("02.0.193.in-addr.arpa"), "\"02\" is not a decimal octet");
  expect_rejected(verdict_of_key("256.0.193.in-addr.arpa"), "\"256\" is not a decimal octet");
  expect_rejected(verdict_of_key("x.193.in-addr.arpa"), "\"x\" is not a decimal octet");
}

TEST(DomainObject, PlainFourthOctetIsTooManyOctets) {
  ObjectVerdict v = verdict_of_key("1.2.0.193.in-addr.arpa");
  expect_rejected(v, "too many octets");
  EXPECT_EQ(v.reason.rfind("domain (line 1): ", 0), 0u) << v.reason;
  expect_rejected(verdict_of_key("1.1.2.0.193.in-addr.arpa"), "too many octets");
}

TEST(DomainObject, InAddrArpaItselfIsRejected) {
  expect_rejected(verdict_of_key("in-addr.arpa"), "no octet labels");
}

TEST(DomainObject, DashRangeIsAClasslessDelegation) {
  ObjectVerdict v = verdict_of_key("0-63.2.0.193.in-addr.arpa");
  ASSERT_EQ(v.kind, Kind::kClassless) << v.reason;
  EXPECT_EQ(v.classless.delegation.child, n("0-63.2.0.193.in-addr.arpa"));
  EXPECT_EQ(v.classless.block, n("2.0.193.in-addr.arpa"));
  EXPECT_EQ(v.classless.first, 0);
  EXPECT_EQ(v.classless.last, 63);
  // Not necessarily a CIDR block.
  ObjectVerdict odd = verdict_of_key("5-200.2.0.193.in-addr.arpa");
  ASSERT_EQ(odd.kind, Kind::kClassless) << odd.reason;
  EXPECT_EQ(odd.classless.first, 5);
  EXPECT_EQ(odd.classless.last, 200);
}

TEST(DomainObject, WholeSlash24AsRangeIsInvalidDashNotation) {
  expect_rejected(verdict_of_key("0-255.2.0.193.in-addr.arpa"), "invalid use of dash notation");
}

TEST(DomainObject, EmptyReversedOrMalformedRangesAreRejected) {
  expect_rejected(verdict_of_key("63-0.2.0.193.in-addr.arpa"), "invalid use of dash notation");
  expect_rejected(verdict_of_key("5-5.2.0.193.in-addr.arpa"), "invalid use of dash notation");
  expect_rejected(verdict_of_key("0-256.2.0.193.in-addr.arpa"), "invalid use of dash notation");
  expect_rejected(verdict_of_key("00-63.2.0.193.in-addr.arpa"), "invalid use of dash notation");
  expect_rejected(verdict_of_key("0--63.2.0.193.in-addr.arpa"), "invalid use of dash notation");
  expect_rejected(verdict_of_key("-63.2.0.193.in-addr.arpa"), "invalid use of dash notation");
}

TEST(DomainObject, DashAnywhereButTheFourthLabelIsRejected) {
  expect_rejected(verdict_of_key("0-63.0.193.in-addr.arpa"), "invalid use of dash notation");
  expect_rejected(verdict_of_key("1.0-3.0.193.in-addr.arpa"), "invalid use of dash notation");
}

TEST(DomainObject, Ip6ArpaNibbles) {
  ObjectVerdict one = verdict_of_key("2.ip6.arpa");
  ASSERT_EQ(one.kind, Kind::kDelegation) << one.reason;
  ObjectVerdict upper = verdict_of_key("B.D.0.1.0.0.2.IP6.ARPA");
  ASSERT_EQ(upper.kind, Kind::kDelegation) << upper.reason;
  EXPECT_EQ(upper.delegation.child.to_text_no_dot(), "b.d.0.1.0.0.2.ip6.arpa");
  std::string full;
  for (int i = 0; i < 32; ++i) full += "a.";
  EXPECT_EQ(verdict_of_key(full + "ip6.arpa").kind, Kind::kDelegation);
  expect_rejected(verdict_of_key("a." + full + "ip6.arpa"), "at most 32");
  expect_rejected(verdict_of_key("db.0.1.0.0.2.ip6.arpa"), "\"db\" is not a single hexadecimal nibble");
  expect_rejected(verdict_of_key("g.2.ip6.arpa"), "\"g\" is not a single hexadecimal nibble");
  expect_rejected(verdict_of_key("ip6.arpa"), "no nibble labels");
}

TEST(DomainObject, E164IsSkippedNotRejected) {
  ObjectVerdict v = verdict_of_key("1.2.3.4.e164.arpa");
  EXPECT_EQ(v.kind, Kind::kEnumSkipped);
  EXPECT_TRUE(v.reason.empty());
  EXPECT_EQ(verdict_of("domain: 4.4.E164.ARPA.\n").kind, Kind::kEnumSkipped);
}

TEST(DomainObject, AnyOtherNameIsRejectedWithAReason) {
  expect_rejected(verdict_of_key("example.com"), "not a reverse DNS name");
  expect_rejected(verdict_of_key("arpa"), "not a reverse DNS name");
  expect_rejected(verdict_of_key("."), "not a reverse DNS name");
}

TEST(DomainObject, OtherClassesAreNotDomain) {
  EXPECT_EQ(verdict_of("inetnum: 193.0.2.0 - 193.0.2.255\nnetname: X\n").kind, Kind::kNotDomain);
  EXPECT_EQ(verdict_of("domains: 2.0.193.in-addr.arpa\n").kind, Kind::kNotDomain);
}

// ---- key problems ----

TEST(DomainObject, MultipleDomainAttributesAreRejected) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\ndomain: 3.0.193.in-addr.arpa\n");
  expect_rejected(v, "more than one domain attribute");
  expect_rejected(v, "line 3");
}

TEST(DomainObject, EmptyKeyIsRejected) {
  expect_rejected(verdict_of("domain:\nnserver: ns1.example.net\n"), "the key is missing");
  expect_rejected(verdict_of("domain: # only a comment\nnserver: ns1.example.net\n"), "the key is missing");
}

TEST(DomainObject, SyntaxErrorRejectsNamingTheLine) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nnot an attribute\n");
  expect_rejected(v, "line 3: ");
  expect_rejected(v, "not an attribute");
}

// ---- injection ----

TEST(DomainObject, InjectionInTheKeyIsRejectedNamingTheByte) {
  struct Case {
    std::string key;
    std::string problem;
  };
  for (const Case& c : {Case{"2.0.193.in-addr.arpa;x", "';' is not allowed"},
                        Case{"2.0.193.in-addr.arpa\"", "'\"' is not allowed"},
                        Case{"(2).0.193.in-addr.arpa", "'(' is not allowed"},
                        Case{"2.0.193.in-addr.arpa)", "')' is not allowed"},
                        Case{"$ORIGIN.0.193.in-addr.arpa", "'$' is not allowed"},
                        Case{"2\\.0.193.in-addr.arpa", "'\\' is not allowed"},
                        Case{"2.0.193.in-addr.arpa\x01", "byte 0x01 is not allowed"},
                        Case{"2.0.193.in-addr.arpa\rX", "byte 0x0d is not allowed"},
                        Case{"2.0.193.in-addr.arpa IN NS evil", "a space is not allowed"},
                        Case{"2.0.193.in-addr.\xc3\xa9rpa", "non-ASCII byte 0xc3 is not allowed"}}) {
    ObjectVerdict v = verdict_of("domain: " + c.key + "\nnserver: ns1.example.net\n");
    expect_rejected(v, c.problem);
    expect_rejected(v, "domain (line 1): invalid name");
    // The reason is one printable line whatever the key held.
    for (char ch : v.reason) EXPECT_GE(static_cast<unsigned char>(ch), 0x20u) << v.reason;
  }
}

TEST(DomainObject, InjectionInNserverIsRejectedNamingAttributeAndLine) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nnserver: ns1;evil.example\n");
  EXPECT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.reason, "nserver (line 3): invalid name \"ns1;evil.example\": ';' is not allowed in a name");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net.\"\n"), "'\"' is not allowed");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: $INCLUDE\n"), "'$' is not allowed");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns(1).example.net\n"), "'(' is not allowed");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\x7f\n"), "byte 0x7f");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.ex\xe4mple.net\n"), "non-ASCII");
}

TEST(DomainObject, InjectionInDsRdataIsRejected) {
  const std::string head = "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: ";
  const std::string digest(64, 'A');
  expect_rejected(verdict_of(head + "1 13 2 " + digest + ";\n"), "ds-rdata (line 3): ';' is not allowed");
  expect_rejected(verdict_of(head + "1 13 2 " + digest + "\"\n"), "'\"' is not allowed");
  expect_rejected(verdict_of(head + "1 13 2 " + digest + "$\n"), "'$' is not allowed");
  expect_rejected(verdict_of(head + "1 13 2 " + digest + "\\\n"), "'\\' is not allowed");
  expect_rejected(verdict_of(head + "1 13 2 " + digest + "\x0b\n"), "byte 0x0b");
  expect_rejected(verdict_of(head + "(1 13 2 " + digest + ")\n"), "parentheses are only allowed around the digest");
}

// ---- nserver ----

TEST(DomainObject, NserverTrailingDotRemovedAndDuplicatesMerged) {
  ObjectVerdict v = verdict_of(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns2.example.net.\nnserver: NS1.example.net\n"
      "nserver: ns1.EXAMPLE.net.\nnserver: ns2.example.net\n");
  ASSERT_EQ(v.kind, Kind::kDelegation) << v.reason;
  ASSERT_EQ(v.delegation.nameservers.size(), 2u);
  EXPECT_EQ(v.delegation.nameservers[0], n("ns1.example.net"));
  EXPECT_EQ(v.delegation.nameservers[1], n("ns2.example.net"));
  EXPECT_TRUE(v.delegation.glue.empty());
}

TEST(DomainObject, GlueIsAcceptedInsideAndMergedPerHost) {
  ObjectVerdict v = verdict_of(
      "domain: 2.0.193.in-addr.arpa\n"
      "nserver: ns.2.0.193.in-addr.arpa 193.0.2.53\n"
      "nserver: ns.2.0.193.in-addr.arpa 2001:db8::53\n"
      "nserver: ns.2.0.193.in-addr.arpa 193.0.2.53\n"
      "nserver: ns.example.net\n");
  ASSERT_EQ(v.kind, Kind::kDelegation) << v.reason;
  ASSERT_EQ(v.delegation.nameservers.size(), 2u);
  ASSERT_EQ(v.delegation.glue.size(), 2u);
  EXPECT_EQ(v.delegation.glue[0].host, n("ns.2.0.193.in-addr.arpa"));
  EXPECT_EQ(v.delegation.glue[0].type, dns::RRType::kA);
  EXPECT_EQ(v.delegation.glue[0].address, std::string("\xc1\x00\x02\x35", 4));
  EXPECT_EQ(v.delegation.glue[1].type, dns::RRType::kAaaa);
  EXPECT_EQ(v.delegation.glue[1].address.size(), 16u);
}

TEST(DomainObject, GlueAtTheDelegatedNameItselfIsInside) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: 2.0.193.in-addr.arpa 193.0.2.1\n");
  EXPECT_EQ(v.kind, Kind::kDelegation) << v.reason;
}

TEST(DomainObject, GlueOutsideTheDelegationIsForbidden) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net 192.0.2.1\n");
  EXPECT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.reason,
            "nserver (line 2): glue 192.0.2.1 given for ns1.example.net, which is not inside 2.0.193.in-addr.arpa");
  // A sibling whose name only shares a suffix of characters is not inside.
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns.12.0.193.in-addr.arpa 193.0.12.1\n"),
                  "not inside");
}

TEST(DomainObject, HostInsideWithoutGlueIsRejected) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nnserver: ns.2.0.193.in-addr.arpa\n");
  EXPECT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.reason, "nserver (line 3): ns.2.0.193.in-addr.arpa is inside 2.0.193.in-addr.arpa and needs a glue "
                      "address");
  // The address may come on another line for the same host.
  ObjectVerdict other_line = verdict_of(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns.2.0.193.in-addr.arpa\nnserver: ns.2.0.193.in-addr.arpa 193.0.2.1\n");
  EXPECT_EQ(other_line.kind, Kind::kDelegation) << other_line.reason;
}

TEST(DomainObject, MoreThanOneAddressOnALineIsRejected) {
  expect_rejected(
      verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns.2.0.193.in-addr.arpa 193.0.2.1 193.0.2.2\n"),
      "found 3 fields");
}

TEST(DomainObject, BadGlueAddressIsRejected) {
  for (std::string address : {"193.0.2.256", "193.0.2", "fe80::1%eth0", "2001:db8::g", "localhost"}) {
    expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns.2.0.193.in-addr.arpa " + address + "\n"),
                    "is not an IPv4 or IPv6 address");
  }
}

TEST(DomainObject, UnderscoreIsNotAllowedInAHostName) {
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns_1.example.net\n"), "'_' is not allowed");
}

TEST(DomainObject, EmptyOrOverlongNserverNameIsRejected) {
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1..example.net\n"), "empty label");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: " + std::string(64, 'a') + ".example.net\n"),
                  "label of 64 octets");
}

TEST(DomainObject, OneInvalidNserverRejectsTheWholeObject) {
  ObjectVerdict v = verdict_of(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nnserver: ns2.example.net\nnserver: bad;name\n");
  EXPECT_EQ(v.kind, Kind::kRejected);
  EXPECT_TRUE(v.delegation.nameservers.empty());
  expect_rejected(v, "nserver (line 4)");
}

TEST(DomainObject, NoNserverAttributeIsWithoutNserver) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\ndescr: holds data only\n");
  EXPECT_EQ(v.kind, Kind::kWithoutNserver);
  EXPECT_TRUE(v.reason.empty());
}

TEST(DomainObject, EmptyNserverIsRejected) {
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver:\n"), "nserver (line 2): the value is empty");
}

// ---- dash ranges: what "inside" means ----

TEST(DomainObject, InsideARangeCoversTheLabelsOfItsAddresses) {
  const std::string key = "domain: 0-63.2.0.193.in-addr.arpa\n";
  // 10 is in 0..63: inside, so glue is needed and accepted.
  EXPECT_EQ(verdict_of(key + "nserver: ns.10.2.0.193.in-addr.arpa 193.0.2.10\n").kind, Kind::kClassless);
  expect_rejected(verdict_of(key + "nserver: ns.10.2.0.193.in-addr.arpa\n"), "needs a glue address");
  EXPECT_EQ(verdict_of(key + "nserver: ns.3.2.0.193.in-addr.arpa 193.0.2.3\n").kind, Kind::kClassless);
  EXPECT_EQ(verdict_of(key + "nserver: 63.2.0.193.in-addr.arpa 193.0.2.63\n").kind, Kind::kClassless);
  // 100 is not in the range: outside, glue forbidden.
  expect_rejected(verdict_of(key + "nserver: ns.100.2.0.193.in-addr.arpa 193.0.2.100\n"), "not inside");
  EXPECT_EQ(verdict_of(key + "nserver: ns.100.2.0.193.in-addr.arpa\n").kind, Kind::kClassless);
  // Below the range's own name.
  EXPECT_EQ(verdict_of(key + "nserver: ns.0-63.2.0.193.in-addr.arpa 193.0.2.1\n").kind, Kind::kClassless);
  // The /24 itself is not inside the range.
  expect_rejected(verdict_of(key + "nserver: ns.2.0.193.in-addr.arpa 193.0.2.1\n"), "not inside");
}

TEST(DomainObject, InsideARangeComparesTheWholeLabelNotItsLastDigit) {
  const std::string key = "domain: 0-9.2.0.193.in-addr.arpa\n";
  // The RIPE Database's check would read only the 3 of 13 and call it inside.
  expect_rejected(verdict_of(key + "nserver: ns.13.2.0.193.in-addr.arpa 193.0.2.13\n"), "not inside");
  EXPECT_EQ(verdict_of(key + "nserver: ns.13.2.0.193.in-addr.arpa\n").kind, Kind::kClassless);
  // A label with a leading zero is not the name of an address.
  EXPECT_EQ(verdict_of(key + "nserver: ns.03.2.0.193.in-addr.arpa\n").kind, Kind::kClassless);
}

// ---- ds-rdata ----

TEST(DomainObject, DsRdataBecomesWireFormDs) {
  ObjectVerdict v = verdict_of(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n"
      "ds-rdata: 12345 13 2 2bb183af5f22588179a53b0a98631fad1a292118a5b2c6d5a3f6b2e6d8c3e8a1\n");
  ASSERT_EQ(v.kind, Kind::kDelegation) << v.reason;
  ASSERT_EQ(v.delegation.ds.size(), 1u);
  const std::string& ds = v.delegation.ds[0];
  ASSERT_EQ(ds.size(), 4u + 32u);
  EXPECT_EQ(ds.substr(0, 4), std::string("\x30\x39\x0d\x02", 4));
  EXPECT_EQ(dns::to_hex(ds.substr(4)), "2BB183AF5F22588179A53B0A98631FAD1A292118A5B2C6D5A3F6B2E6D8C3E8A1");
  EXPECT_TRUE(v.warnings.empty());
}

TEST(DomainObject, DsDigestWithParenthesesAndSpacesOverContinuationLines) {
  ObjectVerdict v = verdict_of(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n"
      "ds-rdata: 12345 13 2 (\n"
      "          2BB183AF5F22588179A53B0A98631FAD1A292118\n"
      "+         A5B2C6D5 A3F6B2E6D8C3E8A1 )\n");
  ASSERT_EQ(v.kind, Kind::kDelegation) << v.reason;
  ASSERT_EQ(v.delegation.ds.size(), 1u);
  EXPECT_EQ(dns::to_hex(v.delegation.ds[0].substr(4)),
            "2BB183AF5F22588179A53B0A98631FAD1A292118A5B2C6D5A3F6B2E6D8C3E8A1");
}

TEST(DomainObject, DsDigestLengthsOfKnownTypes) {
  const std::string head = "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 ";
  EXPECT_EQ(verdict_of(head + "1 " + std::string(40, 'a') + "\n").kind, Kind::kDelegation);
  EXPECT_EQ(verdict_of(head + "2 " + std::string(64, 'a') + "\n").kind, Kind::kDelegation);
  EXPECT_EQ(verdict_of(head + "3 " + std::string(64, 'a') + "\n").kind, Kind::kDelegation);
  EXPECT_EQ(verdict_of(head + "4 " + std::string(96, 'a') + "\n").kind, Kind::kDelegation);
  expect_rejected(verdict_of(head + "1 " + std::string(64, 'a') + "\n"), "has 20 octets, this one has 32");
  expect_rejected(verdict_of(head + "2 " + std::string(40, 'a') + "\n"), "has 32 octets, this one has 20");
  expect_rejected(verdict_of(head + "3 " + std::string(62, 'a') + "\n"), "has 32 octets, this one has 31");
  expect_rejected(verdict_of(head + "4 " + std::string(64, 'a') + "\n"), "has 48 octets, this one has 32");
}

TEST(DomainObject, DsUnknownDigestTypeIsAcceptedWithAWarning) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 7 abcdef\n");
  ASSERT_EQ(v.kind, Kind::kDelegation) << v.reason;
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_NE(v.warnings[0].find("digest type 7 is unknown"), std::string::npos) << v.warnings[0];
  EXPECT_NE(v.warnings[0].find("line 3"), std::string::npos) << v.warnings[0];
}

TEST(DomainObject, DsNumberFieldsOutOfRangeAreRejected) {
  const std::string head = "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: ";
  const std::string digest(64, 'a');
  EXPECT_EQ(verdict_of(head + "0 8 2 " + digest + "\n").kind, Kind::kDelegation);       // key tag 0 is valid
  EXPECT_EQ(verdict_of(head + "65535 255 2 " + digest + "\n").kind, Kind::kDelegation);
  expect_rejected(verdict_of(head + "65536 8 2 " + digest + "\n"), "key tag \"65536\"");
  expect_rejected(verdict_of(head + "1 0 2 " + digest + "\n"), "algorithm \"0\"");
  expect_rejected(verdict_of(head + "1 256 2 " + digest + "\n"), "algorithm \"256\"");
  expect_rejected(verdict_of(head + "1 8 0 " + digest + "\n"), "digest type \"0\"");
  expect_rejected(verdict_of(head + "1 8 256 " + digest + "\n"), "digest type \"256\"");
  expect_rejected(verdict_of(head + "-1 8 2 " + digest + "\n"), "key tag \"-1\"");
  expect_rejected(verdict_of(head + "x 8 2 " + digest + "\n"), "key tag \"x\"");
}

TEST(DomainObject, DsDigestMustBeHex) {
  const std::string head = "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 2 ";
  expect_rejected(verdict_of(head + std::string(63, 'a') + "z\n"), "not an even number of hexadecimal digits");
  expect_rejected(verdict_of(head + std::string(63, 'a') + "\n"), "not an even number of hexadecimal digits");
  expect_rejected(verdict_of(head + "()\n"), "the digest is missing");
  expect_rejected(verdict_of("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 2\n"),
                  "expected \"keytag algorithm digesttype digest\"");
}

TEST(DomainObject, DsWithoutNserverIsRejected) {
  ObjectVerdict v = verdict_of("domain: 2.0.193.in-addr.arpa\nds-rdata: 1 8 2 " + std::string(64, 'a') + "\n");
  expect_rejected(v, "ds-rdata without nserver");
  expect_rejected(v, "line 2");
}

TEST(DomainObject, DsOnAClasslessDelegation) {
  ObjectVerdict v = verdict_of("domain: 64-127.2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 2 " +
                               std::string(64, 'b') + "\n");
  ASSERT_EQ(v.kind, Kind::kClassless) << v.reason;
  EXPECT_EQ(v.classless.delegation.ds.size(), 1u);
}

}  // namespace
}  // namespace rdnsprov::ingest
