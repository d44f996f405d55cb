#include "ingest/rpsl_reader.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/support.h"

namespace rdnsprov::ingest {
namespace {

using rdnsprov::testing::TempDir;

std::vector<RpslObject> read_all(RpslReader reader) {
  std::vector<RpslObject> objects;
  RpslObject object;
  while (reader.next(object)) objects.push_back(object);
  return objects;
}

std::vector<RpslObject> read_text(std::string text) { return read_all(RpslReader::from_text(std::move(text))); }

// Writes `text` as one gzip member; `mode` "wb" starts the file, "ab" appends another member.
void write_gzip(const std::filesystem::path& path, const std::string& text, const char* mode = "wb") {
  gzFile file = gzopen(path.c_str(), mode);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

void write_plain(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `count` domain objects of different lengths, so that lines fall across every position of the read chunks.
std::string many_objects(int count) {
  std::string text = "% dump header\n\n";
  for (int i = 0; i < count; ++i) {
    text += "domain:  " + std::to_string(i % 256) + "." + std::to_string(i / 256 % 256) + ".193.in-addr.arpa\n";
    text += "descr:   " + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n";
    text += "nserver: ns" + std::to_string(i) + ".example.net\n";
    text += "source:  TEST\n\n";
  }
  return text;
}

TEST(RpslReader, ReadsAttributesWithLowerCaseNamesAndLineNumbers) {
  auto objects = read_text(
      "% RIPE dump header\n"
      "\n"
      "Domain:   2.0.193.in-addr.arpa\n"
      "NSERVER:\tns1.example.net   \n"
      "ds-RDATA:  1 2 3 ab\n"
      "source:RIPE\n");
  ASSERT_EQ(objects.size(), 1u);
  const RpslObject& o = objects[0];
  EXPECT_EQ(o.line, 3u);
  EXPECT_EQ(o.class_name(), "domain");
  EXPECT_EQ(o.key(), "2.0.193.in-addr.arpa");
  ASSERT_EQ(o.attributes.size(), 4u);
  EXPECT_EQ(o.attributes[1].name, "nserver");
  EXPECT_EQ(o.attributes[1].value, "ns1.example.net");
  EXPECT_EQ(o.attributes[1].line, 4u);
  EXPECT_EQ(o.attributes[2].name, "ds-rdata");
  EXPECT_EQ(o.attributes[3].name, "source");
  EXPECT_EQ(o.attributes[3].value, "RIPE");
  EXPECT_EQ(o.attributes[3].line, 6u);
  EXPECT_TRUE(o.syntax_errors.empty());
}

TEST(RpslReader, ContinuationLinesWithSpaceTabAndPlus) {
  auto objects = read_text(
      "descr: first\n"
      " second\n"
      "\tthird\n"
      "+\n"
      "+fourth\n"
      "remarks: after\n");
  ASSERT_EQ(objects.size(), 1u);
  ASSERT_EQ(objects[0].attributes.size(), 2u);
  EXPECT_EQ(objects[0].attributes[0].value, "first second third fourth");
  EXPECT_EQ(objects[0].attributes[0].line, 1u);
  EXPECT_EQ(objects[0].attributes[1].value, "after");
  EXPECT_EQ(objects[0].attributes[1].line, 6u);
}

TEST(RpslReader, ContinuationOfAnEmptyFirstLine) {
  auto objects = read_text("ds-rdata:\n  12345 8 2\n+ ABCD\n\tEF01\n");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].attributes[0].value, "12345 8 2 ABCD EF01");
}

TEST(RpslReader, CommentsOutsideObjectsAndAtEndOfLine) {
  auto objects = read_text(
      "% header line\n"
      "# another comment\n"
      "\n"
      "domain: 2.0.193.in-addr.arpa # the key\n"
      "# a whole-line comment inside the object\n"
      "nserver: ns1.example.net#no space before it\n"
      " # a continuation that is only a comment\n"
      "\n"
      "% between objects\n"
      "%\n"
      "domain: 3.0.193.in-addr.arpa\n");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].key(), "2.0.193.in-addr.arpa");
  ASSERT_EQ(objects[0].attributes.size(), 2u);
  EXPECT_EQ(objects[0].attributes[1].value, "ns1.example.net");
  EXPECT_TRUE(objects[0].syntax_errors.empty());
  EXPECT_EQ(objects[1].key(), "3.0.193.in-addr.arpa");
  EXPECT_EQ(objects[1].line, 11u);
}

TEST(RpslReader, LinesOfOnlyWhiteSpaceEndObjects) {
  auto objects = read_text("a: 1\n \t \nb: 2\n\n\n\nc: 3\n   \n");
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].class_name(), "a");
  EXPECT_EQ(objects[1].class_name(), "b");
  EXPECT_EQ(objects[2].class_name(), "c");
  EXPECT_EQ(objects[2].line, 7u);
}

TEST(RpslReader, CrLfLineEndings) {
  auto objects = read_text("domain: 2.0.193.in-addr.arpa\r\nnserver: ns1.example.net\r\n"
                           " ns2.example.net\r\n\r\ndomain: 3.0.193.in-addr.arpa\r\n");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].key(), "2.0.193.in-addr.arpa");
  EXPECT_EQ(objects[0].attributes[1].value, "ns1.example.net ns2.example.net");
  EXPECT_EQ(objects[1].key(), "3.0.193.in-addr.arpa");
  EXPECT_EQ(objects[1].line, 5u);
}

TEST(RpslReader, Latin1LineIsConvertedAndUtf8LineIsKept) {
  auto objects = read_text("descr: M\xfcller GmbH\nremarks: M\xc3\xbcller AG\nremarks: \xe2\x82\xac\n");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].attributes[0].value, "M\xc3\xbcller GmbH");  // ü from ISO-8859-1
  EXPECT_EQ(objects[0].attributes[1].value, "M\xc3\xbcller AG");    // already UTF-8: unchanged
  EXPECT_EQ(objects[0].attributes[2].value, "\xe2\x82\xac");         // € stays a three-byte sequence
}

TEST(RpslReader, OverlongUtf8IsTakenAsLatin1) {
  // C0 AF is an overlong '/': not valid UTF-8, so each byte is an ISO-8859-1 character.
  auto objects = read_text("descr: a\xc0\xaf" "b\n");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].attributes[0].value, "a\xc3\x80\xc2\xaf" "b");
}

TEST(RpslReader, LineThatIsNotAnAttributeIsASyntaxError) {
  auto objects = read_text("domain: 2.0.193.in-addr.arpa\nthis line has no colon\nbad name!: x\nnserver: ns1\n");
  ASSERT_EQ(objects.size(), 1u);
  ASSERT_EQ(objects[0].syntax_errors.size(), 2u);
  EXPECT_EQ(objects[0].syntax_errors[0].first, 2u);
  EXPECT_NE(objects[0].syntax_errors[0].second.find("this line has no colon"), std::string::npos);
  EXPECT_EQ(objects[0].syntax_errors[1].first, 3u);
  EXPECT_EQ(objects[0].attributes.size(), 2u);  // the good lines are still read
}

TEST(RpslReader, PercentLineInsideAnObjectIsASyntaxError) {
  auto objects = read_text("domain: 2.0.193.in-addr.arpa\n% not a comment here\n");
  ASSERT_EQ(objects.size(), 1u);
  ASSERT_EQ(objects[0].syntax_errors.size(), 1u);
  EXPECT_EQ(objects[0].syntax_errors[0].first, 2u);
}

TEST(RpslReader, ReusedObjectKeepsNothingFromThePreviousOne) {
  RpslReader reader = RpslReader::from_text("a: 1\nb: 2\nbroken line\n\nc: 3\n");
  RpslObject object;
  ASSERT_TRUE(reader.next(object));
  EXPECT_EQ(object.attributes.size(), 2u);
  EXPECT_EQ(object.syntax_errors.size(), 1u);
  ASSERT_TRUE(reader.next(object));
  ASSERT_EQ(object.attributes.size(), 1u);
  EXPECT_EQ(object.attributes[0].name, "c");
  EXPECT_EQ(object.attributes[0].value, "3");
  EXPECT_TRUE(object.syntax_errors.empty());
  EXPECT_EQ(object.line, 5u);
  EXPECT_FALSE(reader.next(object));
  EXPECT_FALSE(reader.next(object));
}

TEST(RpslReader, EmptyAndCommentOnlyInputHasNoObjects) {
  EXPECT_TRUE(read_text("").empty());
  EXPECT_TRUE(read_text("% only\n% comments\n\n\n").empty());
}

TEST(RpslReader, PlainFileAndTestData) {
  auto objects = read_all(RpslReader::open_file(rdnsprov::testing::test_data("rpsl/sample.db")));
  ASSERT_GE(objects.size(), 3u);
  EXPECT_EQ(objects[0].class_name(), "domain");
  EXPECT_EQ(objects[0].key(), "2.0.193.in-addr.arpa");
}

TEST(RpslReader, MissingFileThrowsNamingIt) {
  TempDir dir;
  auto path = dir / "no-such.db.gz";
  try {
    RpslReader::open_file(path);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

TEST(RpslReader, GzipIsRecognisedByContentNotName) {
  TempDir dir;
  std::string text = "domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net\n";
  write_gzip(dir / "dump.txt", text);  // no .gz suffix
  auto objects = read_all(RpslReader::open_file(dir / "dump.txt"));
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects[0].attributes[1].value, "ns1.example.net");
  EXPECT_EQ(read_bytes(dir / "dump.txt").substr(0, 2), "\x1f\x8b");
}

TEST(RpslReader, ConcatenatedGzipMembersAreOneDump) {
  TempDir dir;
  write_gzip(dir / "split.gz", "domain: 2.0.193.in-addr.arpa\nnserver: ns1.exa");  // member ends mid-line
  write_gzip(dir / "split.gz", "mple.net\n\ndomain: 3.0.193.in-addr.arpa\n", "ab");
  auto objects = read_all(RpslReader::open_file(dir / "split.gz"));
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0].attributes[1].value, "ns1.example.net");
  EXPECT_EQ(objects[1].key(), "3.0.193.in-addr.arpa");
}

TEST(RpslReader, TruncatedGzipThrowsNamingTheFile) {
  TempDir dir;
  std::string text = many_objects(20000);
  write_gzip(dir / "whole.gz", text);
  std::string bytes = read_bytes(dir / "whole.gz");
  ASSERT_GT(bytes.size(), 1000u);
  write_plain(dir / "cut.gz", bytes.substr(0, bytes.size() / 2));
  RpslReader reader = RpslReader::open_file(dir / "cut.gz");
  RpslObject object;
  std::size_t read = 0;
  try {
    while (reader.next(object)) ++read;
    FAIL() << "a truncated dump was read as whole (" << read << " objects)";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "cut.gz").string()), std::string::npos) << e.what();
  }
  EXPECT_LT(read, 20000u);
}

TEST(RpslReader, GzipCutInsideTheTrailerThrows) {
  TempDir dir;
  write_gzip(dir / "whole.gz", many_objects(10));
  std::string bytes = read_bytes(dir / "whole.gz");
  write_plain(dir / "cut.gz", bytes.substr(0, bytes.size() - 3));  // CRC and length incomplete
  EXPECT_THROW(read_all(RpslReader::open_file(dir / "cut.gz")), std::system_error);
}

TEST(RpslReader, CorruptGzipThrows) {
  TempDir dir;
  write_gzip(dir / "whole.gz", many_objects(2000));
  std::string bytes = read_bytes(dir / "whole.gz");
  for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 16; ++i) bytes[i] = static_cast<char>(~bytes[i]);
  write_plain(dir / "corrupt.gz", bytes);
  EXPECT_THROW(read_all(RpslReader::open_file(dir / "corrupt.gz")), std::system_error);
}

TEST(RpslReader, LargeInputAcrossReadChunksPlainAndGzip) {
  TempDir dir;
  // About 3.5 MB: several 1 MiB chunks, and one line longer than a chunk.
  std::string text = many_objects(30000);
  std::string long_value(2'500'000, 'y');
  text += "domain: 9.9.193.in-addr.arpa\nremarks: " + long_value + "\nnserver: last.example.net\n";
  write_plain(dir / "big.db", text);
  write_gzip(dir / "big.db.gz", text);
  for (const char* name : {"big.db", "big.db.gz"}) {
    SCOPED_TRACE(name);
    RpslReader reader = RpslReader::open_file(dir / name);
    RpslObject object;
    int count = 0;
    bool all_match = true;
    while (reader.next(object)) {
      if (count < 30000) {
        int i = count;
        std::string key = std::to_string(i % 256) + "." + std::to_string(i / 256 % 256) + ".193.in-addr.arpa";
        all_match = all_match && object.attributes.size() == 4 && object.key() == key &&
                    object.attributes[1].value.size() == static_cast<std::size_t>(i % 97) &&
                    object.attributes[2].value == "ns" + std::to_string(i) + ".example.net" &&
                    object.line == 3 + 5 * static_cast<std::uint64_t>(i);
      } else {
        ASSERT_EQ(object.attributes.size(), 3u);
        EXPECT_EQ(object.attributes[1].value, long_value);
        EXPECT_EQ(object.attributes[2].value, "last.example.net");
        EXPECT_EQ(object.attributes[2].line, 3 + 5 * 30000u + 2);
      }
      ++count;
    }
    EXPECT_TRUE(all_match);
    EXPECT_EQ(count, 30001);
  }
}

TEST(RpslReader, FinalLineWithoutNewline) {
  auto objects = read_text("domain: 2.0.193.in-addr.arpa\nnserver: ns1.example.net");
  ASSERT_EQ(objects.size(), 1u);
  ASSERT_EQ(objects[0].attributes.size(), 2u);
  EXPECT_EQ(objects[0].attributes[1].value, "ns1.example.net");
}

}  // namespace
}  // namespace rdnsprov::ingest
