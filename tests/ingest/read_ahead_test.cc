#include "ingest/read_ahead.h"

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

// `count` domain objects of different lengths, with a continuation line now and then.
std::string many_objects(int count) {
  std::string text = "% dump header\n\n";
  for (int i = 0; i < count; ++i) {
    text += "domain:  " + std::to_string(i % 256) + "." + std::to_string(i / 256 % 256) + ".193.in-addr.arpa\n";
    text += "descr:   " + std::string(static_cast<std::size_t>(i % 53), 'x') + "\n";
    if (i % 7 == 0) text += "+        continued " + std::to_string(i) + "\n";
    text += "nserver: ns" + std::to_string(i) + ".example.net\n";
    text += "source:  TEST\n\n";
  }
  return text;
}

void write_gzip(const std::filesystem::path& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One line per object and attribute: what a consumer can see of an object.
std::string describe(const RpslObject& object) {
  std::string out = std::to_string(object.line) + ":";
  for (const RpslAttribute& a : object.attributes) out += a.name + "=" + a.value + "@" + std::to_string(a.line) + ";";
  for (const auto& [line, problem] : object.syntax_errors) out += "!" + std::to_string(line) + problem + ";";
  return out;
}

std::vector<std::string> read_plainly(RpslReader reader) {
  std::vector<std::string> out;
  RpslObject object;
  while (reader.next(object)) out.push_back(describe(object));
  return out;
}

std::vector<std::string> read_ahead(RpslReader reader, std::size_t batch_size, std::size_t batches) {
  std::vector<std::string> out;
  ReadAhead ahead(std::move(reader), batch_size, batches);
  while (true) {
    std::span<const RpslObject> batch = ahead.next_batch();
    if (batch.empty()) break;
    EXPECT_LE(batch.size(), batch_size);
    for (const RpslObject& object : batch) out.push_back(describe(object));
  }
  return out;
}

TEST(ReadAhead, HandsOverTheSameObjectsInTheSameOrderAsTheReader) {
  std::string text = many_objects(3000) + "not an attribute line\nsource: X\n";
  std::vector<std::string> expected = read_plainly(RpslReader::from_text(text));
  ASSERT_EQ(expected.size(), 3001u);
  // Batch sizes that divide the count, that do not, of one object, and larger than the whole input.
  for (std::size_t batch_size : {1u, 7u, 1000u, 3001u, 5000u}) {
    for (std::size_t batches : {2u, 4u}) {
      EXPECT_EQ(read_ahead(RpslReader::from_text(text), batch_size, batches), expected)
          << "batch size " << batch_size << ", " << batches << " batches";
    }
  }
}

TEST(ReadAhead, GzipFileAcrossManyBatches) {
  TempDir dir;
  std::string text = many_objects(20000);
  write_gzip(dir / "dump.gz", text);
  std::vector<std::string> expected = read_plainly(RpslReader::open_file(dir / "dump.gz"));
  ASSERT_EQ(expected.size(), 20000u);
  EXPECT_EQ(read_ahead(RpslReader::open_file(dir / "dump.gz"), 1024, 4), expected);
}

TEST(ReadAhead, EmptyInputGivesNoBatch) {
  ReadAhead ahead(RpslReader::from_text("% only a comment\n\n\n"));
  EXPECT_TRUE(ahead.next_batch().empty());
  EXPECT_TRUE(ahead.next_batch().empty());
}

TEST(ReadAhead, ReadErrorComesAfterEveryObjectReadBeforeIt) {
  TempDir dir;
  write_gzip(dir / "whole.gz", many_objects(20000));
  std::string bytes = read_bytes(dir / "whole.gz");
  {
    std::ofstream out(dir / "cut.gz", std::ios::binary);
    out << bytes.substr(0, bytes.size() / 2);
  }
  // What a plain loop over the reader sees before it throws.
  std::size_t plain = 0;
  {
    RpslReader reader = RpslReader::open_file(dir / "cut.gz");
    RpslObject object;
    auto read_to_the_end = [&] {
      while (reader.next(object)) ++plain;
    };
    EXPECT_THROW(read_to_the_end(), std::system_error);
  }
  ASSERT_GT(plain, 0u);
  ASSERT_LT(plain, 20000u);

  ReadAhead ahead(RpslReader::open_file(dir / "cut.gz"), 100, 3);
  std::size_t handed_over = 0;
  try {
    while (true) {
      std::span<const RpslObject> batch = ahead.next_batch();
      if (batch.empty()) break;
      handed_over += batch.size();
    }
    FAIL() << "a truncated dump was read as whole (" << handed_over << " objects)";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "cut.gz").string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(handed_over, plain);
}

TEST(ReadAhead, ConsumerStoppingEarlyEndsTheReadingThread) {
  std::string text = many_objects(20000);
  for (int round = 0; round < 20; ++round) {
    ReadAhead ahead(RpslReader::from_text(text), 16, 2);
    ASSERT_EQ(ahead.next_batch().size(), 16u);
    // Leaving the scope with the reading thread blocked on a full queue must not hang.
  }
  ReadAhead never_asked(RpslReader::from_text(text), 16, 2);
}

}  // namespace
}  // namespace rdnsprov::ingest
