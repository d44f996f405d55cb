// $GENERATE (BIND's extension) in operators' zones: what it expands to, what it refuses, and that the registry's
// own files still refuse it. tests/cli/sign_command_test.cc compares the expansion with named-checkzone's.
#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/thread_pool.h"
#include "dns/zone.h"

namespace rdnsprov::dns {
namespace {

const Name& origin() {
  static const Name apex = *Name::from_text("2.0.192.in-addr.arpa");
  return apex;
}

std::vector<std::string> lines_of(const MasterFile& file) {
  std::vector<std::string> out;
  for (const Record& r : file.records) out.push_back(master_line(r));
  return out;
}

TEST(Generate, ExpandsTheIteratorWithItsModifiers) {
  const std::string text = "$TTL 3600\n"
                           "$GENERATE 1-3 $ PTR host-$.example.net.\n"           // 2
                           "$GENERATE 10-20/5 ${1,3,x} 300 IN PTR h${0,4}\n"     // 3
                           "$GENERATE 250-251 ${-240} PTR ${0,0,o}.example.\n"   // 4
                           "$GENERATE 1-2 m$ MX \"10 mail$.example.net.\"\n"     // 5
                           "$GENERATE 4660-4660 ${0,0,n}.v6 PTR ${0,9,N}.x.\n";  // 6
  MasterFile parsed = read_master_file(text, origin(), Dialect::kOperator);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].line << ": " << parsed.errors[0].reason;
  const std::vector<std::string> expected = {
      "1.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\thost-1.example.net.\n",
      "2.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\thost-2.example.net.\n",
      "3.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\thost-3.example.net.\n",
      "00b.2.0.192.in-addr.arpa.\t300\tIN\tPTR\th0010.2.0.192.in-addr.arpa.\n",
      "010.2.0.192.in-addr.arpa.\t300\tIN\tPTR\th0015.2.0.192.in-addr.arpa.\n",
      "015.2.0.192.in-addr.arpa.\t300\tIN\tPTR\th0020.2.0.192.in-addr.arpa.\n",
      "10.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\t372.example.\n",
      "11.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\t373.example.\n",
      "m1.2.0.192.in-addr.arpa.\t3600\tIN\tMX\t10 mail1.example.net.\n",
      "m2.2.0.192.in-addr.arpa.\t3600\tIN\tMX\t10 mail2.example.net.\n",
      // 4660 = 0x1234: its nibbles from the lowest; width 9 pads to five digits (nine characters with the dots).
      "4.3.2.1.v6.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\t4.3.2.1.0.x.\n",
  };
  std::vector<std::string> got = lines_of(parsed);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(got[i], expected[i]);
  EXPECT_EQ(parsed.lines[0], 2u);
  EXPECT_EQ(parsed.lines[5], 3u);
  EXPECT_EQ(parsed.lines[10], 6u);
}

TEST(Generate, ALineWithoutAnOwnerAfterItRepeatsTheOwnerBeforeIt) {
  MasterFile parsed = read_master_file("$TTL 60\nkept TXT before\n$GENERATE 1-2 g$ TXT x\n  TXT after\n", origin(),
                                       Dialect::kOperator);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].reason;
  ASSERT_EQ(parsed.records.size(), 4u);
  EXPECT_EQ(parsed.records[3].owner.to_text(), "kept.2.0.192.in-addr.arpa.");
  EXPECT_EQ(parsed.lines[3], 4u);
}

// Each bad directive is one error naming its line, and why; a bad record it makes names the iterator's value; the
// good lines around them are read.
TEST(Generate, BadDirectivesAreRefusedNamingTheLineAndTheOthersAreRead) {
  const std::string text = "$TTL 60\n"
                           "$GENERATE 1-2 a$ PTR\n"                      // 2
                           "$GENERATE 5-1 b$ PTR x.\n"                   // 3
                           "$GENERATE 1-2/0 c$ PTR x.\n"                 // 4
                           "$GENERATE 0-3000000 d$ PTR x.\n"             // 5
                           "$GENERATE 1-2 e${1,2,q} PTR x.\n"            // 6
                           "$GENERATE 1-2 f${1 PTR x.\n"                 // 7
                           "$GENERATE 1-2 g$$ PTR x.\n"                  // 8
                           "$GENERATE 1-2 h${-5} PTR x.\n"               // 9
                           "$GENERATE 1-3 i$ A 10.0.${254}.1\n"          // 10
                           "ok PTR fine.example.\n"                      // 11
                           "$GENERATE 1-2 j$ TYPE255 \"\\# 0\"\n"          // 12
                           "$GENERATE x-2 k$ PTR x.\n";                  // 13
  MasterFile parsed = read_master_file(text, origin(), Dialect::kOperator);
  std::map<std::uint64_t, std::vector<std::string>> reasons;
  for (const MasterFileError& e : parsed.errors) reasons[e.line].push_back(e.reason);
  const std::pair<std::uint64_t, std::string_view> expected[] = {
      {2, "$GENERATE needs a range, an owner, a type and its data"},
      {3, "$GENERATE range \"5-1\" is not start-stop[/step]"},
      {4, "$GENERATE range \"1-2/0\" is not start-stop[/step]"},
      {5, "$GENERATE range \"0-3000000\" takes the records the file's $GENERATE lines make past 2097152"},
      {6, "bad modifier \"${1,2,q}\""},
      {7, "\"${\" without \"}\""},
      {8, "\"$$\" (a literal '$') is not supported"},
      {9, "the offset makes the value -4 negative"},
      {10, "$GENERATE at 2: i2.2.0.192.in-addr.arpa. A: "},
      {12, "ANY is a meta or query type"},
      {13, "$GENERATE range \"x-2\""},
  };
  for (const auto& [line, words] : expected) {
    ASSERT_FALSE(reasons[line].empty()) << "line " << line;
    EXPECT_NE(reasons[line][0].find(words), std::string::npos) << "line " << line << ": " << reasons[line][0];
  }
  EXPECT_EQ(reasons.size(), std::size(expected));
  // Line 10 makes one good record (10.0.255.1) and two bad ones (256, 257), each an error of its own.
  EXPECT_EQ(reasons[10].size(), 2u);
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.records[0].owner.to_text(), "i1.2.0.192.in-addr.arpa.");
  EXPECT_EQ(parsed.records[1].owner.to_text(), "ok.2.0.192.in-addr.arpa.");
}

TEST(Generate, TheRegistrysFilesRefuseIt) {
  MasterFile parsed = read_master_file("$TTL 60\n$GENERATE 1-2 $ PTR x.\n1 PTR y.\n", origin());
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].line, 2u);
  EXPECT_NE(parsed.errors[0].reason.find("$GENERATE is refused"), std::string::npos) << parsed.errors[0].reason;
  EXPECT_EQ(parsed.records.size(), 1u);
}

// A file large enough to be read in pieces makes each $GENERATE's records once, where it stands, from the $ORIGIN
// and $TTL in force there: the same records as reading it in one go.
TEST(Generate, AFileReadInPiecesExpandsEachDirectiveOnce) {
  std::string big = "$TTL 3600\n";
  std::size_t plain = 0;
  for (int block = 0; big.size() < (6u << 20); ++block) {
    if (block % 7 == 3) {
      big += "$ORIGIN " + std::to_string(block) + ".2.0.192.in-addr.arpa.\n";
      big += "$GENERATE 0-255 $ PTR h$-" + std::to_string(block) + ".example.net.\n";
      big += "$ORIGIN 2.0.192.in-addr.arpa.\n";
      continue;
    }
    for (int i = 0; i < 2000; ++i, ++plain) {
      big += std::to_string(i) + "." + std::to_string(block) + " PTR plain.example.net.\n";
    }
  }
  ThreadPool pool(2);
  MasterFile pieces = read_master_file(big, origin(), pool, Dialect::kOperator);
  ASSERT_TRUE(pieces.errors.empty()) << pieces.errors[0].line << ": " << pieces.errors[0].reason;
  EXPECT_GT(pieces.pieces, 1u);
  MasterFile whole = read_master_file(big, origin(), Dialect::kOperator);
  ASSERT_TRUE(whole.errors.empty());
  EXPECT_EQ(pieces.records, whole.records);
  EXPECT_EQ(pieces.lines, whole.lines);
  EXPECT_GT(whole.records.size(), plain + 256);
}

// The limit of 2,097,152 generated records holds for the file, across its $GENERATE lines, also when they fall in
// different pieces of a file read in pieces (each piece alone is under it): the line that goes past it is refused,
// naming it, and the lines before it are read, as when the file is read in one go.
TEST(Generate, TheLimitHoldsAcrossDirectivesAndPieces) {
  std::string big = "$TTL 3600\n$GENERATE 0-1099999 a$ PTR x.example.net.\n";
  for (int i = 0; big.size() < (3u << 20); ++i) big += std::to_string(i) + ".9 PTR plain.example.net.\n";
  std::uint64_t last_line = static_cast<std::uint64_t>(std::count(big.begin(), big.end(), '\n')) + 1;
  big += "$GENERATE 0-999999 b$ PTR y.example.net.\n";
  ThreadPool pool(2);
  MasterFile pieces = read_master_file(big, origin(), pool, Dialect::kOperator);
  MasterFile whole = read_master_file(big, origin(), Dialect::kOperator);
  for (const MasterFile* parsed : {&pieces, &whole}) {
    ASSERT_EQ(parsed->errors.size(), 1u);
    EXPECT_EQ(parsed->errors[0].line, last_line);
    EXPECT_NE(parsed->errors[0].reason.find("$GENERATE range \"0-999999\" takes the records the file's $GENERATE "
                                            "lines make past 2097152"),
              std::string::npos)
        << parsed->errors[0].reason;
  }
  EXPECT_EQ(pieces.records.size(), whole.records.size());
  EXPECT_EQ(pieces.records.back(), whole.records.back());
  EXPECT_GT(whole.records.size(), 1100000u);
}

}  // namespace
}  // namespace rdnsprov::dns
