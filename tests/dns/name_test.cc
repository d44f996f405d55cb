#include "dns/name.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace rdnsprov::dns {
namespace {

Name n(std::string_view text) {
  auto name = Name::from_text(text);
  EXPECT_TRUE(name.ok()) << text << ": " << (name.ok() ? "" : name.error());
  return *name;
}

TEST(Name, ParsesAndPrintsLowerCaseAbsolute) {
  EXPECT_EQ(n("2.0.193.IN-ADDR.ARPA").to_text(), "2.0.193.in-addr.arpa.");
  EXPECT_EQ(n("2.0.193.in-addr.arpa.").to_text(), "2.0.193.in-addr.arpa.");
  EXPECT_EQ(n(".").to_text(), ".");
  EXPECT_TRUE(n(".").is_root());
  EXPECT_EQ(n("0-63.2.0.193.in-addr.arpa").label(0), "0-63");
}

TEST(Name, WireFormIsLengthPrefixedLabels) {
  EXPECT_EQ(n("a.Bc").wire(), std::string_view("\x01" "a" "\x02" "bc" "\x00", 6));
  std::size_t offset = 0;
  std::string wire("\x01" "A" "\x02" "bc" "\x00", 6);
  auto parsed = Name::from_wire(wire, offset);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, n("a.bc"));
  EXPECT_EQ(offset, 6u);
}

TEST(Name, EqualityIgnoresCase) {
  EXPECT_EQ(n("NS1.Example.NET"), n("ns1.example.net."));
  EXPECT_NE(n("ns1.example.net"), n("ns2.example.net"));
}

TEST(Name, RefusesWhatCouldInjectIntoAMasterFile) {
  for (std::string_view bad : std::initializer_list<std::string_view>{"a;b.example", "a\nb.example", "a b.example", "a\"b", "a(b", "a)b", "$a.example",
                               "a\\b", "a..b", "", "*.example", std::string_view("a\0b", 3), "a\rb", "..",
                               "a\tb"}) {
    EXPECT_FALSE(Name::from_text(bad).ok()) << "accepted: " << bad;
  }
}

// RFC 4592: "*" as the leftmost label is a wildcard. Names from a master file or the wire may be one; a name taken
// alone (a zone, a host, a configuration value) may not. "*" anywhere else, or inside a label, is never a name.
TEST(Name, WildcardsAreTakenFromMasterFilesAndTheWireOnly) {
  Name origin = n("2.0.192.in-addr.arpa");
  EXPECT_FALSE(Name::from_text("*.2.0.192.in-addr.arpa").ok());
  auto relative = Name::from_text("*", origin);
  ASSERT_TRUE(relative.ok()) << relative.error();
  auto absolute = Name::from_text("*.2.0.192.in-addr.arpa.", origin);
  ASSERT_TRUE(absolute.ok()) << absolute.error();
  EXPECT_EQ(*relative, *absolute);
  EXPECT_EQ(relative->to_text(), "*.2.0.192.in-addr.arpa.");
  EXPECT_TRUE(relative->is_wildcard());
  EXPECT_EQ(relative->label_count(), 6u);
  EXPECT_EQ(relative->rrsig_labels(), 5u);
  EXPECT_EQ(relative->parent(), origin);
  EXPECT_FALSE(origin.is_wildcard());
  EXPECT_EQ(origin.rrsig_labels(), 5u);
  EXPECT_FALSE(n("x.example").is_wildcard());
  EXPECT_FALSE(Name().is_wildcard());
  for (std::string_view bad : {"a.*", "**", "*a", "a*", "1.*.2", "*.*"}) {
    EXPECT_FALSE(Name::from_text(bad, origin).ok()) << "accepted: " << bad;
  }
  // A wildcard origin makes every relative name put "*" inside it.
  auto inside = Name::from_text("1", *relative);
  ASSERT_FALSE(inside.ok());
  EXPECT_NE(inside.error().find("relative to the wildcard *.2.0.192.in-addr.arpa."), std::string::npos) << inside.error();
  EXPECT_EQ(*Name::from_text("@", *relative), *relative);

  std::string wire("\x01*\x01" "a\x00", 5);
  std::size_t offset = 0;
  auto from_wire = Name::from_wire(wire, offset);
  ASSERT_TRUE(from_wire.ok()) << from_wire.error();
  EXPECT_TRUE(from_wire->is_wildcard());
  EXPECT_EQ(offset, wire.size());
  std::string inner("\x01" "a\x01*\x00", 5);
  offset = 0;
  EXPECT_FALSE(Name::from_wire(inner, offset).ok());
}

TEST(Name, RefusesOverlongLabelsAndNames) {
  EXPECT_TRUE(Name::from_text(std::string(63, 'a') + ".example").ok());
  EXPECT_FALSE(Name::from_text(std::string(64, 'a') + ".example").ok());
  std::string long_name;
  for (int i = 0; i < 127; ++i) long_name += "a.";
  EXPECT_TRUE(Name::from_text(long_name).ok());  // 127 labels: 255 octets
  EXPECT_FALSE(Name::from_text(long_name + "b").ok());
}

TEST(Name, RelativeNamesUseTheOrigin) {
  Name origin = n("193.in-addr.arpa");
  EXPECT_EQ(*Name::from_text("2.0", origin), n("2.0.193.in-addr.arpa"));
  EXPECT_EQ(*Name::from_text("@", origin), origin);
  EXPECT_EQ(*Name::from_text("ns.example.", origin), n("ns.example"));
}

TEST(Name, Hierarchy) {
  Name child = n("2.0.193.in-addr.arpa");
  EXPECT_TRUE(child.is_at_or_below(n("193.in-addr.arpa")));
  EXPECT_TRUE(child.is_at_or_below(child));
  EXPECT_FALSE(child.is_below(child));
  EXPECT_FALSE(n("2.0.93.in-addr.arpa").is_at_or_below(n("193.in-addr.arpa")));  // not at a label boundary
  EXPECT_EQ(child.parent(), n("0.193.in-addr.arpa"));
  EXPECT_EQ(child.suffix(2), n("in-addr.arpa"));
  EXPECT_EQ(child.label_count(), 5u);
  EXPECT_EQ(*n("0.193.in-addr.arpa").prepend("2"), child);
  EXPECT_FALSE(n("example").prepend("a;b").ok());
}

// RFC 4034 §6.1 gives this list in canonical order.
TEST(Name, CanonicalOrderIsTheOneOfRfc4034) {
  std::vector<Name> expected;
  for (std::string_view text : {"example", "a.example", "yljkjljk.a.example", "Z.a.example", "zABC.a.EXAMPLE",
                                "z.example", "*.z.example"}) {
    expected.push_back(*Name::from_text(text, Name()));  // a master-file name: the wildcard is taken
  }
  // \001.z.example and \200.z.example from the RFC's list cannot be written as hostnames; the rest keeps its order.
  std::vector<Name> shuffled(expected.rbegin(), expected.rend());
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, expected);
}

TEST(Name, CanonicalOrderComparesLabelsAsOctetStringsFromTheRight) {
  EXPECT_LT(n("1.in-addr.arpa"), n("10.in-addr.arpa"));
  EXPECT_LT(n("10.in-addr.arpa"), n("2.in-addr.arpa"));
  EXPECT_LT(n("in-addr.arpa"), n("0.in-addr.arpa"));
  EXPECT_LT(n("9.1.in-addr.arpa"), n("0.2.in-addr.arpa"));
  EXPECT_LT(n("z.in-addr.arpa"), n("a.ip6.arpa"));
}

}  // namespace
}  // namespace rdnsprov::dns
