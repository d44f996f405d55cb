// $INCLUDE (RFC 1035 §5.1) in operators' zones: files named relative to the file that includes them, the origin
// and owner restored after them, errors naming the included file and line; refused in the registry's files.
// tests/cli/sign_command_test.cc compares what it reads with named-checkzone.
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/name.h"
#include "dns/record.h"
#include "dns/thread_pool.h"
#include "dns/zone.h"
#include "tests/support/support.h"

namespace rdnsprov::dns {
namespace {

using rdnsprov::testing::TempDir;

const Name& origin() {
  static const Name apex = *Name::from_text("2.0.192.in-addr.arpa");
  return apex;
}

MasterFile read_at(const std::filesystem::path& file, Dialect dialect = Dialect::kOperator) {
  return read_master_file(read_file(file), origin(), dialect, file);
}

TEST(Include, NamesAreRelativeToTheIncludingFileAndStateIsRestoredAfter) {
  TempDir dir;
  std::filesystem::create_directories(dir / "a/b");
  write_file_atomically(dir / "main.zone",
                        "$TTL 3600\n"
                        "top TXT one\n"
                        "$INCLUDE a/first.inc first\n"  // 3
                        "  TXT two\n"
                        "last PTR last.example.\n");
  write_file_atomically(dir / "a/first.inc",
                        "1 PTR one.example.\n"
                        "$INCLUDE \"b/second.inc\"\n"  // relative to a/, quoted
                        "$TTL 60\n");
  write_file_atomically(dir / "a/b/second.inc", "2 PTR two.example.\n$ORIGIN elsewhere.example.\nx PTR x.example.\n");
  MasterFile parsed = read_at(dir / "main.zone");
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].line << ": " << parsed.errors[0].reason;
  std::vector<std::string> lines;
  for (const Record& r : parsed.records) lines.push_back(master_line(r));
  const std::vector<std::string> expected = {
      "top.2.0.192.in-addr.arpa.\t3600\tIN\tTXT\t\"one\"\n",
      "1.first.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\tone.example.\n",
      "2.first.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\ttwo.example.\n",
      "x.elsewhere.example.\t3600\tIN\tPTR\tx.example.\n",
      "top.2.0.192.in-addr.arpa.\t60\tIN\tTXT\t\"two\"\n",  // the owner before, the $TTL of the included file
      "last.2.0.192.in-addr.arpa.\t60\tIN\tPTR\tlast.example.\n",
  };
  EXPECT_EQ(lines, expected);
  const std::vector<std::uint64_t> expected_lines = {2, 3, 3, 3, 4, 5};
  EXPECT_EQ(parsed.lines, expected_lines);

  // Read in pieces: a file with $INCLUDE is read in one go, to the same records.
  std::string big = read_file(dir / "main.zone");
  std::size_t plain = 0;
  for (; big.size() < (5u << 20); ++plain) {
    big += std::to_string(plain % 250) + "." + std::to_string(plain / 250) + " PTR h.example.\n";
  }
  write_file_atomically(dir / "big.zone", big);
  ThreadPool pool(2);
  MasterFile pieces = read_master_file(big, origin(), pool, Dialect::kOperator, dir / "big.zone");
  MasterFile whole = read_at(dir / "big.zone");
  ASSERT_TRUE(pieces.errors.empty()) << pieces.errors[0].reason;
  EXPECT_EQ(pieces.pieces, 1u);
  EXPECT_EQ(pieces.records, whole.records);
  EXPECT_EQ(pieces.records.size(), expected.size() + plain);
}

// Every problem is an error of the $INCLUDE line, naming the included file (and its line); the other lines are read.
TEST(Include, ProblemsAreErrorsOfTheIncludeLineNamingTheFile) {
  TempDir dir;
  write_file_atomically(dir / "main.zone",
                        "$TTL 60\n"
                        "$INCLUDE missing.inc\n"       // 2
                        "$INCLUDE bad.inc\n"           // 3
                        "$INCLUDE self.inc\n"          // 4
                        "$INCLUDE\n"                   // 5
                        "$INCLUDE bad.inc bad..name\n"  // 6
                        "ok PTR fine.example.\n");
  write_file_atomically(dir / "bad.inc", "good PTR good.example.\nbad A 300.1.2.3\n");
  write_file_atomically(dir / "self.inc", "s PTR s.example.\n$INCLUDE self.inc\n");
  MasterFile parsed = read_at(dir / "main.zone");
  std::map<std::uint64_t, std::string> reasons;
  for (const MasterFileError& e : parsed.errors) {
    EXPECT_TRUE(reasons.emplace(e.line, e.reason).second) << "two errors on line " << e.line;
    EXPECT_EQ(e.reason.find('\n'), std::string::npos);
  }
  EXPECT_NE(reasons[2].find("$INCLUDE missing.inc: "), std::string::npos) << reasons[2];
  EXPECT_NE(reasons[2].find("missing.inc"), std::string::npos) << reasons[2];
  EXPECT_NE(reasons[3].find("$INCLUDE bad.inc:2: bad.2.0.192.in-addr.arpa. A: "), std::string::npos) << reasons[3];
  EXPECT_NE(reasons[4].find("files included more than 16 deep (does a file include itself?)"), std::string::npos)
      << reasons[4];
  EXPECT_NE(reasons[5].find("$INCLUDE needs a file name"), std::string::npos) << reasons[5];
  EXPECT_NE(reasons[6].find("$INCLUDE origin: "), std::string::npos) << reasons[6];
  EXPECT_EQ(reasons.size(), 5u);
  std::multiset<std::string> owners;
  for (const Record& r : parsed.records) owners.insert(r.owner.to_text());
  EXPECT_EQ(owners.count("good.2.0.192.in-addr.arpa."), 1u);
  EXPECT_EQ(owners.count("ok.2.0.192.in-addr.arpa."), 1u);
}

TEST(Include, RefusedInTheRegistrysFilesAndInTextReadFromNoFile) {
  TempDir dir;
  write_file_atomically(dir / "main.zone", "$TTL 60\n$INCLUDE part.inc\n1 PTR one.example.\n");
  write_file_atomically(dir / "part.inc", "2 PTR two.example.\n");
  for (const MasterFile& parsed : {read_at(dir / "main.zone", Dialect::kRegistry),
                                   read_master_file(read_file(dir / "main.zone"), origin(), Dialect::kOperator)}) {
    ASSERT_EQ(parsed.errors.size(), 1u);
    EXPECT_EQ(parsed.errors[0].line, 2u);
    EXPECT_NE(parsed.errors[0].reason.find("$INCLUDE is refused"), std::string::npos) << parsed.errors[0].reason;
    ASSERT_EQ(parsed.records.size(), 1u);
  }
  EXPECT_EQ(read_at(dir / "main.zone").records.size(), 2u);
}

}  // namespace
}  // namespace rdnsprov::dns
