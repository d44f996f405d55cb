// Regression tests from fuzzing the master-file reader (docs/RELIABILITY.md "Findings"): a byte that is not
// printable ASCII inside a token reached the error message verbatim (a NUL, a line break, a control character),
// so one bad line of a published zone could split or forge a line of the log and the journal.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "dns/name.h"
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

}  // namespace
}  // namespace rdnsprov::dns
