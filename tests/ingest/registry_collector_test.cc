// RegistryCollector: counts, output order, and the checks across objects (duplicate keys, overlapping ranges).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/registry.h"
#include "tests/support/support.h"

namespace rdnsprov::ingest {
namespace {

using dns::Name;

Name n(std::string_view text) { return *Name::from_text(text); }

// Feeds every object of `text` to `collector`, with origins "[source] file:line".
void add_text(RegistryCollector& collector, const std::string& text, const std::string& source = "dump",
              const std::string& file = "db.domain") {
  auto source_name = std::make_shared<const std::string>(source);
  auto file_name = std::make_shared<const std::string>(file);
  RpslReader reader = RpslReader::from_text(text);
  RpslObject object;
  while (reader.next(object)) collector.add(object, dns::Origin::in_file(source_name, file_name, object.line));
}

IngestResult collect(const std::string& text) {
  RegistryCollector collector;
  add_text(collector, text);
  return std::move(collector).finish();
}

const dns::Reject* reject_for(const IngestResult& result, std::string_view key) {
  for (const dns::Reject& r : result.rejects) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

std::vector<std::string> child_names(const IngestResult& result) {
  std::vector<std::string> out;
  for (const auto& d : result.delegations) out.push_back(d.child.to_text_no_dot());
  return out;
}

TEST(RegistryCollector, CountsEveryKindOfObjectOnce) {
  IngestResult result = collect(
      "% header\n\n"
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"                 // delegation
      "domain: 0-63.3.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"            // classless
      "domain: 1.2.e164.arpa\nnserver: ns1.example.net\n\n"                        // ENUM
      "domain: 4.0.193.in-addr.arpa\ndescr: no nserver\n\n"                        // without nserver
      "domain: 1.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"               // rejected
      "inetnum: 193.0.2.0 - 193.0.2.255\nnetname: EXAMPLE\n\n"                     // other class
      "route: 193.0.2.0/24\norigin: AS64500\n");                                   // other class
  EXPECT_EQ(result.counts.objects, 7u);
  EXPECT_EQ(result.counts.domain_objects, 5u);
  EXPECT_EQ(result.counts.other_classes, 2u);
  EXPECT_EQ(result.counts.delegations, 1u);
  EXPECT_EQ(result.counts.classless, 1u);
  EXPECT_EQ(result.counts.enum_skipped, 1u);
  EXPECT_EQ(result.counts.without_nserver, 1u);
  EXPECT_EQ(result.counts.rejected, 1u);
  ASSERT_EQ(result.delegations.size(), 1u);
  ASSERT_EQ(result.classless.size(), 1u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].key, "1.2.0.193.in-addr.arpa");
  EXPECT_EQ(result.rejects[0].origin.to_string(), "[dump] db.domain:15");
  EXPECT_NE(result.rejects[0].reason.find("too many octets"), std::string::npos);
}

TEST(RegistryCollector, OutputIsInCanonicalOrderAndRejectsInInputOrder) {
  IngestResult result = collect(
      "domain: 3.0.193.in-addr.arpa\nnserver: ns.example.net\n\n"
      "domain: bad;1\nnserver: ns.example.net\n\n"
      "domain: 193.in-addr.arpa\nnserver: ns.example.net\n\n"
      "domain: 10.0.193.in-addr.arpa\nnserver: ns.example.net\n\n"
      "domain: bad;2\nnserver: ns.example.net\n\n"
      "domain: 0.193.in-addr.arpa\nnserver: ns.example.net\n\n"
      "domain: 128-255.2.0.193.in-addr.arpa\nnserver: ns.example.net\n\n"
      "domain: 0-127.2.0.193.in-addr.arpa\nnserver: ns.example.net\n\n"
      "domain: bad;3\nnserver: ns.example.net\n");
  EXPECT_EQ(child_names(result),
            (std::vector<std::string>{"193.in-addr.arpa", "0.193.in-addr.arpa", "10.0.193.in-addr.arpa",
                                      "3.0.193.in-addr.arpa"}));
  ASSERT_EQ(result.classless.size(), 2u);
  EXPECT_EQ(result.classless[0].delegation.child, n("0-127.2.0.193.in-addr.arpa"));
  EXPECT_EQ(result.classless[1].delegation.child, n("128-255.2.0.193.in-addr.arpa"));
  ASSERT_EQ(result.rejects.size(), 3u);
  EXPECT_EQ(result.rejects[0].key, "bad;1");
  EXPECT_EQ(result.rejects[1].key, "bad;2");
  EXPECT_EQ(result.rejects[2].key, "bad;3");
  EXPECT_LT(result.rejects[0].origin.line, result.rejects[1].origin.line);
}

TEST(RegistryCollector, DuplicateKeysAcrossSourcesRejectEveryCopyNamingTheOthers) {
  RegistryCollector collector;
  add_text(collector,
           "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"
           "domain: 5.0.193.in-addr.arpa\nnserver: ns1.example.net\n",
           "dump", "a.db");
  add_text(collector, "domain: 2.0.193.IN-ADDR.ARPA.\nnserver: ns2.example.net\n", "other", "b.db");
  IngestResult result = std::move(collector).finish();
  EXPECT_EQ(child_names(result), std::vector<std::string>{"5.0.193.in-addr.arpa"});
  ASSERT_EQ(result.rejects.size(), 2u);
  EXPECT_EQ(result.counts.rejected, 2u);
  EXPECT_EQ(result.counts.delegations, 1u);
  EXPECT_EQ(result.rejects[0].key, "2.0.193.in-addr.arpa");
  EXPECT_EQ(result.rejects[0].origin.to_string(), "[dump] a.db:1");
  EXPECT_NE(result.rejects[0].reason.find("duplicate of [other] b.db:1"), std::string::npos)
      << result.rejects[0].reason;
  EXPECT_EQ(result.rejects[1].key, "2.0.193.IN-ADDR.ARPA.");  // as written
  EXPECT_NE(result.rejects[1].reason.find("duplicate of [dump] a.db:1"), std::string::npos)
      << result.rejects[1].reason;
}

TEST(RegistryCollector, DuplicateOfAnInvalidObjectStillRejectsBothOnce) {
  IngestResult result = collect(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"
      "domain: 2.0.193.in-addr.arpa\nnserver: bad;host\n\n"
      "domain: 2.0.193.in-addr.arpa\ndescr: no nserver\n");
  EXPECT_TRUE(result.delegations.empty());
  EXPECT_EQ(result.counts.rejected, 3u);
  EXPECT_EQ(result.counts.without_nserver, 0u);
  ASSERT_EQ(result.rejects.size(), 3u);
  EXPECT_NE(result.rejects[0].reason.find("duplicate of [dump] db.domain:4, [dump] db.domain:7"), std::string::npos)
      << result.rejects[0].reason;
  // The invalid one keeps its own reason first.
  EXPECT_EQ(result.rejects[1].reason.rfind("nserver (line 5): invalid name", 0), 0u) << result.rejects[1].reason;
  EXPECT_NE(result.rejects[1].reason.find("also duplicate of"), std::string::npos) << result.rejects[1].reason;
  EXPECT_NE(result.rejects[2].reason.find("duplicate of"), std::string::npos);
}

TEST(RegistryCollector, ManyDuplicatesNameAFewAndCountTheRest) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n";
  IngestResult result = collect(text);
  ASSERT_EQ(result.rejects.size(), 20u);
  EXPECT_NE(result.rejects[0].reason.find("and 14 more"), std::string::npos) << result.rejects[0].reason;
}

TEST(RegistryCollector, EnumDuplicatesAreNotConflicts) {
  IngestResult result = collect("domain: 1.e164.arpa\n\ndomain: 1.e164.arpa\n");
  EXPECT_EQ(result.counts.enum_skipped, 2u);
  EXPECT_TRUE(result.rejects.empty());
}

TEST(RegistryCollector, OverlappingRangesInOneSlash24RejectBothNamingEachOther) {
  IngestResult result = collect(
      "domain: 0-31.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"     // line 1: overlaps 16-47
      "domain: 16-47.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"    // line 4
      "domain: 48-63.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"    // adjacent to 16-47: fine
      "domain: 0-31.3.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"     // another /24: fine
      "domain: 64-127.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"   // line 13: overlaps 100-101
      "domain: 100-101.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n");  // line 16
  ASSERT_EQ(result.classless.size(), 2u);
  EXPECT_EQ(result.classless[0].delegation.child, n("48-63.2.0.193.in-addr.arpa"));
  EXPECT_EQ(result.classless[1].delegation.child, n("0-31.3.0.193.in-addr.arpa"));
  ASSERT_EQ(result.rejects.size(), 4u);
  EXPECT_EQ(result.counts.rejected, 4u);
  const dns::Reject* a = reject_for(result, "0-31.2.0.193.in-addr.arpa");
  const dns::Reject* b = reject_for(result, "16-47.2.0.193.in-addr.arpa");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->reason.find("overlaps 16-47.2.0.193.in-addr.arpa at [dump] db.domain:4"), std::string::npos)
      << a->reason;
  EXPECT_NE(b->reason.find("overlaps 0-31.2.0.193.in-addr.arpa at [dump] db.domain:1"), std::string::npos)
      << b->reason;
  const dns::Reject* c = reject_for(result, "64-127.2.0.193.in-addr.arpa");
  const dns::Reject* d = reject_for(result, "100-101.2.0.193.in-addr.arpa");
  ASSERT_TRUE(c && d);
  EXPECT_NE(c->reason.find("100-101.2.0.193.in-addr.arpa at [dump] db.domain:16"), std::string::npos) << c->reason;
  EXPECT_NE(d->reason.find("64-127.2.0.193.in-addr.arpa at [dump] db.domain:13"), std::string::npos) << d->reason;
}

TEST(RegistryCollector, RangeSharingOneAddressOverlaps) {
  IngestResult result = collect(
      "domain: 0-64.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"
      "domain: 64-127.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"
      "domain: 128-200.2.0.193.in-addr.arpa\nnserver: ns1.example.net\n");
  EXPECT_EQ(result.rejects.size(), 2u);
  ASSERT_EQ(result.classless.size(), 1u);
  EXPECT_EQ(result.classless[0].first, 128);
}

TEST(RegistryCollector, HostileObjectsAreRejectedWithoutAffectingOthers) {
  IngestResult result = collect(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n\n"
      "domain: 3.0.193.in-addr.arpa.\n\t\t$INCLUDE /etc/passwd\nnserver: ns1.example.net\n\n"
      "domain: 4.0.193.in-addr.arpa\nnserver: ns1.example.net. IN A 1.2.3.4 ; x\n\n"
      "domain: 5.0.193.in-addr.arpa\nnserver: ns1.example.net\nnserver: evil\x01.example.net\n\n"
      "domain: 6.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 2 AB\"; rm -rf /\n\n"
      "domain: 7.0.193.in-addr.arpa\nnserver: ns1.example.net\r\r\n\n"
      "domain: 8.0.193.in-addr.arpa\x1b[2J\nnserver: ns1.example.net\n\n"
      "domain: 9.0.193.in-addr.arpa\nnserver: ns2.example.net\n");
  EXPECT_EQ(child_names(result), (std::vector<std::string>{"2.0.193.in-addr.arpa", "9.0.193.in-addr.arpa"}));
  ASSERT_EQ(result.rejects.size(), 6u);
  EXPECT_EQ(result.counts.rejected, 6u);
  for (const dns::Reject& r : result.rejects) {
    for (char c : r.key + r.reason) {
      EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << "control byte in: " << r.key << " | "
                                                                         << r.reason;
    }
  }
  EXPECT_NE(result.rejects[0].reason.find("a space is not allowed"), std::string::npos) << result.rejects[0].reason;
  EXPECT_NE(result.rejects[1].reason.find("found 6 fields"), std::string::npos) << result.rejects[1].reason;
  EXPECT_NE(result.rejects[2].reason.find("byte 0x01"), std::string::npos) << result.rejects[2].reason;
  EXPECT_NE(result.rejects[3].reason.find("ds-rdata (line 17)"), std::string::npos) << result.rejects[3].reason;
  EXPECT_NE(result.rejects[4].reason.find("byte 0x0d"), std::string::npos) << result.rejects[4].reason;
  EXPECT_EQ(result.rejects[5].key, "8.0.193.in-addr.arpa\\x1b[2J");  // escaped, still recognisable
  // Nothing of a rejected object reaches the output.
  for (const auto& d : result.delegations) {
    for (const auto& ns : d.nameservers) EXPECT_EQ(ns.to_text_no_dot().find("evil"), std::string::npos);
    EXPECT_TRUE(d.ds.empty());
  }
}

TEST(RegistryCollector, HugeKeyIsTruncatedInTheReject) {
  IngestResult result = collect("domain: " + std::string(100000, 'a') + "\nnserver: ns1.example.net\n");
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_LE(result.rejects[0].key.size(), 300u);
  EXPECT_EQ(result.rejects[0].key.substr(0, 10), "aaaaaaaaaa");
  EXPECT_LE(result.rejects[0].reason.size(), 400u);
}

TEST(RegistryCollector, WarningsOnlyForAcceptedObjects) {
  IngestResult result = collect(
      "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 9 abcd\n\n"
      "domain: 3.0.193.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 8 9 abcd\n\n"
      "domain: 3.0.193.in-addr.arpa\nnserver: ns1.example.net\n");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].key, "2.0.193.in-addr.arpa");
  EXPECT_EQ(result.warnings[0].origin.line, 1u);
  EXPECT_NE(result.warnings[0].reason.find("digest type 9 is unknown"), std::string::npos);
  EXPECT_EQ(result.delegations.size(), 1u);
}

TEST(RegistryCollector, SampleDumpEndToEnd) {
  auto path = rdnsprov::testing::test_data("rpsl/sample.db");
  RpslReader reader = RpslReader::open_file(path);
  RegistryCollector collector;
  auto source = std::make_shared<const std::string>("dump");
  auto file = std::make_shared<const std::string>("sample.db");
  RpslObject object;
  while (reader.next(object)) collector.add(object, dns::Origin::in_file(source, file, object.line));
  IngestResult result = std::move(collector).finish();
  EXPECT_EQ(result.counts.objects, 6u);
  EXPECT_EQ(result.counts.enum_skipped, 1u);
  EXPECT_EQ(result.counts.without_nserver, 1u);
  ASSERT_EQ(result.delegations.size(), 2u);
  // Canonical order: in-addr.arpa sorts before ip6.arpa.
  EXPECT_EQ(result.delegations[0].child, n("2.0.193.in-addr.arpa"));
  EXPECT_EQ(result.delegations[0].nameservers.size(), 2u);
  EXPECT_EQ(result.delegations[0].ds.size(), 1u);
  EXPECT_EQ(result.delegations[0].origin.to_string(), "[dump] sample.db:4");
  EXPECT_EQ(result.delegations[1].child, n("b.d.0.1.0.0.2.ip6.arpa"));
  ASSERT_EQ(result.delegations[1].glue.size(), 1u);
  EXPECT_EQ(result.delegations[1].glue[0].type, dns::RRType::kAaaa);
  ASSERT_EQ(result.classless.size(), 1u);
  EXPECT_EQ(result.classless[0].block, n("2.0.193.in-addr.arpa"));
  EXPECT_EQ(result.classless[0].delegation.glue.size(), 1u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].key, "4.0.193.in-addr.arpa");
  EXPECT_EQ(result.rejects[0].origin.to_string(), "[dump] sample.db:33");
  EXPECT_EQ(result.rejects[0].reason,
            "nserver (line 34): invalid name \"ns1.example.net;rm\": ';' is not allowed in a name");
}

}  // namespace
}  // namespace rdnsprov::ingest
