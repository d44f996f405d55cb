// Regression tests from fuzzing the master-file reader (docs/RELIABILITY.md "Findings"): a byte that is not
// printable ASCII inside a token reached the error message verbatim (a NUL, a line break, a control character),
// so one bad line of a published zone could split or forge a line of the log and the journal.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "dns/name.h"
#include "dns/thread_pool.h"
#include "dns/record.h"
#include "dns/zone.h"

namespace rdnsprov::dns {
namespace {

bool one_line(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f;
  });
}

const Name& origin() {
  static const Name apex = *Name::from_text("193.in-addr.arpa");
  return apex;
}

TEST(MasterFileReader, ControlBytesInsideAnOwnerNameAreRefusedWithoutQuotingThem) {
  // fuzz_master_file, first finding: NUL bytes in the middle of an owner name.
  std::string text = std::string("70.7.5.193.in-add\0\0r.arpa.\t86400\tIN\tNS\tns1.example.net.\n", 56) +
                     "71.7.5.193.in-addr.arpa.\t86400\tIN\tNS\tns1.example.net.\n";
  MasterFile parsed = read_master_file(text, origin());
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].line, 1u);
  EXPECT_TRUE(one_line(parsed.errors[0].reason)) << parsed.errors[0].reason;
  EXPECT_NE(parsed.errors[0].reason.find("byte 0x00"), std::string::npos) << parsed.errors[0].reason;
  ASSERT_EQ(parsed.records.size(), 1u) << "the good line is still read";
  EXPECT_EQ(parsed.records[0].owner, *Name::from_text("71.7.5.193.in-addr.arpa"));
}

TEST(MasterFileReader, ControlBytesInsideATypeOrRdataAreRefusedWithoutQuotingThem) {
  // fuzz_master_file, second finding: NUL bytes after "IN" made the record type "IN\0\0…", quoted in the error.
  for (const std::string& line : {std::string("x.193.in-addr.arpa. 60 IN\0\0\0 NS ns1.example.net.\n", 49),
                                  std::string("x.193.in-addr.arpa. 60 IN NS\x01 ns1.example.net.\n"),
                                  std::string("x.193.in-addr.arpa. 60 IN NS ns1.exa\x1b[2Jmple.net.\n"),
                                  std::string("x.193.in-addr.arpa. 60 IN A 192.0.2.1\x7f\n"),
                                  std::string("x.193.in-addr.arpa. 60 IN NS ns1.ex\xc3\xa9.net.\n")}) {
    MasterFile parsed = read_master_file(line, origin());
    ASSERT_EQ(parsed.errors.size(), 1u) << ::testing::PrintToString(line);
    EXPECT_TRUE(one_line(parsed.errors[0].reason)) << parsed.errors[0].reason;
    EXPECT_TRUE(parsed.records.empty()) << ::testing::PrintToString(line);
  }
}

TEST(MasterFileReader, NameErrorsShowUnprintableBytesEscaped) {
  auto name = Name::from_text(std::string("a\0b\nc\\d.example", 16));
  ASSERT_FALSE(name.ok());
  EXPECT_TRUE(one_line(name.error())) << name.error();
  EXPECT_NE(name.error().find("a\\x00b\\x0ac\\x5cd.example"), std::string::npos) << name.error();
}

// Wildcards (RFC 4592) are read only when the caller allows them (`rdnsprov sign`, `verify-zone`). Every other
// reader — zonelets, published zones — refuses a '*' anywhere on the line, owner or rdata, naming the line, and
// still reads the good lines. The parallel reader applies the same choice to every piece.
TEST(MasterFileReader, WildcardsAreReadOnlyWhenTheCallerAllowsThem) {
  const std::string lines = "$TTL 3600\n"
                            "1 PTR host.example.net.\n"
                            "* PTR generic.example.net.\n"
                            "2 CNAME *.example.net.\n"
                            "*.5 PTR deep.example.net.\n";
  MasterFile strict = read_master_file(lines, origin());
  ASSERT_EQ(strict.errors.size(), 3u);
  EXPECT_EQ(strict.errors[0].line, 3u);
  EXPECT_EQ(strict.errors[1].line, 4u);
  EXPECT_EQ(strict.errors[2].line, 5u);
  EXPECT_NE(strict.errors[0].reason.find("'*' is not allowed: wildcard names are taken only in the zones given to"),
            std::string::npos)
      << strict.errors[0].reason;
  ASSERT_EQ(strict.records.size(), 1u);
  EXPECT_EQ(strict.records[0].owner, *Name::from_text("1.193.in-addr.arpa"));

  MasterFile allowed = read_master_file(lines, origin(), Wildcards::kAllowed);
  ASSERT_TRUE(allowed.errors.empty()) << allowed.errors[0].reason;
  ASSERT_EQ(allowed.records.size(), 4u);
  EXPECT_EQ(allowed.records[1].owner.to_text(), "*.193.in-addr.arpa.");
  EXPECT_EQ(master_line(allowed.records[2]), "2.193.in-addr.arpa.\t3600\tIN\tCNAME\t*.example.net.\n");
  EXPECT_EQ(allowed.records[3].owner.rrsig_labels(), 4u);

  // Large enough to be read in pieces, the wildcard in the last one.
  std::string big = "$TTL 3600\n";
  std::size_t count = 0;
  while (big.size() < (5u << 20)) {
    big += std::to_string(count % 250) + "." + std::to_string(count / 250) + " PTR host.example.net.\n";
    ++count;
  }
  big += "* PTR generic.example.net.\n";
  ThreadPool pool(2);
  MasterFile pieces_strict = read_master_file(big, origin(), pool);
  ASSERT_EQ(pieces_strict.errors.size(), 1u);
  EXPECT_EQ(pieces_strict.errors[0].line, count + 2);
  EXPECT_EQ(pieces_strict.records.size(), count);
  MasterFile pieces_allowed = read_master_file(big, origin(), pool, Wildcards::kAllowed);
  ASSERT_TRUE(pieces_allowed.errors.empty()) << pieces_allowed.errors[0].reason;
  EXPECT_GT(pieces_allowed.pieces, 1u);
  ASSERT_EQ(pieces_allowed.records.size(), count + 1);
  EXPECT_TRUE(pieces_allowed.records.back().owner.is_wildcard());
}

}  // namespace
}  // namespace rdnsprov::dns
