// The master-file reader and writer on several threads (dns/zone.h): a large file is cut into pieces read at
// once, a zone is formatted in pieces; both must give exactly what the one-thread versions give, whatever the
// file holds ($ORIGIN and $TTL changes, parentheses over lines, omitted owners and TTLs, comments, bad lines).
#include <algorithm>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/rdata.h"
#include "dns/thread_pool.h"
#include "dns/zone.h"
#include "tests/support/support.h"

namespace rdnsprov::dns {
namespace {

const Name& apex() {
  static const Name name = *Name::from_text("193.in-addr.arpa");
  return name;
}

// About 7 MB of master file in every shape the reader accepts, changing $ORIGIN and $TTL along the way so that
// pieces start under different ones.
std::string varied_file() {
  std::string text = "; a comment line\n$TTL 3600\n"
                     "@ IN SOA ns0.example.net. hostmaster.example.net. ( 1 ; serial\n"
                     "   3600 600 1209600 3600 )\n@ NS ns1.example.net.\n";
  for (int x = 0; x < 256; ++x) {
    text += fmt::format("$ORIGIN {}.193.in-addr.arpa.\n", x);
    if (x % 7 == 0) text += fmt::format("$TTL {}\n", 60 + x);
    for (int y = 0; y < 256; ++y) {
      switch (y % 4) {
        case 0:  // relative owner, omitted TTL and class, a second record without owner
          text += fmt::format("{} NS ns1.example-{}.net.\n  NS ns2.example-{}.net.\n", y, y, y);
          break;
        case 1:  // absolute owner, explicit TTL and class, a DS over several lines with a comment
          text += fmt::format("{}.{}.193.in-addr.arpa. 86400 IN NS ns1.example.org.\n"
                              "{}.{}.193.in-addr.arpa. 86400 IN DS {} 13 2 (\n"
                              "   49FD46E6C4B45C55D4AC69CBD3CD34AC ; first half\n"
                              "   1AFE51DE59E9A4E2C06F3A9C8E37E2D7 )\n",
                              y, x, y, x, 1000 + y);
          break;
        case 2:  // glue below the delegation
          text += fmt::format("{} IN 7200 NS ns.{}\nns.{} A 193.{}.{}.1\n", y, y, y, x, y);
          break;
        default:
          text += fmt::format("{}\t300\tNS\tns1.example.com. ; trailing comment\n", y);
      }
    }
  }
  return text;
}

void expect_same(const MasterFile& a, const MasterFile& b) {
  ASSERT_EQ(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    ASSERT_EQ(a.records[i], b.records[i]) << "record " << i << ", line " << a.lines[i];
  }
  EXPECT_EQ(a.lines, b.lines);
  ASSERT_EQ(a.errors.size(), b.errors.size());
  for (std::size_t i = 0; i < a.errors.size(); ++i) {
    EXPECT_EQ(a.errors[i].line, b.errors[i].line);
    EXPECT_EQ(a.errors[i].reason, b.errors[i].reason);
  }
}

TEST(MasterFileParallel, ReadsAVariedLargeFileExactlyAsOneThreadDoes) {
  std::string text = varied_file();
  ASSERT_GT(text.size(), 4u << 20) << "large enough to be cut into pieces";
  ThreadPool pool(2);
  MasterFile one = read_master_file(text, apex());
  ASSERT_TRUE(one.errors.empty()) << one.errors.front().line << ": " << one.errors.front().reason;
  ASSERT_GT(one.records.size(), 100000u);
  MasterFile two = read_master_file(text, apex(), pool);
  EXPECT_GT(two.pieces, 4u) << "read in pieces, not in one go";
  expect_same(two, one);
  ThreadPool four(4);
  expect_same(read_master_file(text, apex(), four), one);
  // The $TTL in force changed along the way: the pieces got it right.
  EXPECT_EQ(one.records.back().ttl, 300u);
  EXPECT_EQ(one.records[3].ttl, 60u) << "$TTL 60 of the first $ORIGIN block";
}

TEST(MasterFileParallel, BadLinesGiveTheSameErrorsAndRecordsAsOneThread) {
  std::string text = varied_file();
  // A bad owner where a piece may start, an unclosed parenthesis, a bad type, a record without owner after a
  // bad line: each error must name the same line as the sequential reading.
  std::size_t middle = text.find("\n$ORIGIN 128.193");
  text.insert(middle + 1, "bad_owner! NS ns1.example.net.\n  NS ns2.example.net.\n");
  text.insert(text.size() / 3, "\n77 NS ns1.example.net. (\n");
  text += "5 SPF \"v=spf1\"\n";
  ThreadPool pool(2);
  MasterFile one = read_master_file(text, apex());
  ASSERT_GE(one.errors.size(), 2u);
  MasterFile two = read_master_file(text, apex(), pool);
  EXPECT_EQ(two.pieces, 1u) << "read again in one go";
  expect_same(two, one);
}

TEST(MasterFileParallel, SmallFilesAndAOneThreadPoolReadAsBefore) {
  std::string text = "$TTL 60\n@ SOA ns0.example.net. h.example.net. 1 2 3 4 5\n@ NS ns1.example.net.\n";
  ThreadPool pool(2);
  expect_same(read_master_file(text, apex(), pool), read_master_file(text, apex()));
  std::string big = varied_file();
  ThreadPool one_thread(1);
  expect_same(read_master_file(big, apex(), one_thread), read_master_file(big, apex()));
}

TEST(MasterFileParallel, PiecesAndParallelTextAreTheSequentialBytes) {
  MasterFile parsed = read_master_file(varied_file(), apex());
  Zone zone(apex());
  zone.mutable_records() = std::move(parsed.records);
  zone.canonicalise();
  std::string expected = to_master_file(zone);
  ThreadPool pool(2);
  EXPECT_EQ(to_master_file(zone, pool), expected);
  std::vector<std::string> pieces = master_file_pieces(zone, pool);
  ASSERT_GT(pieces.size(), 2u);
  std::string joined;
  for (const std::string& piece : pieces) joined += piece;
  EXPECT_EQ(joined, expected);
  EXPECT_TRUE(expected.starts_with("193.in-addr.arpa.\t3600\tIN\tSOA\t")) << expected.substr(0, 80);

  testing::TempDir dir;
  write_file_atomically(dir / "zone", pieces);
  EXPECT_EQ(read_file(dir / "zone"), expected);
}

TEST(ZoneCanonicalise, FilesWrittenSoaFirstOrInRunsComeOutSortedAsAFullSortWould) {
  MasterFile parsed = read_master_file(varied_file(), apex());
  std::vector<Record> shuffled = parsed.records;
  // Several sorted runs (as BIND writes NSEC3 records after the rest), and a random order.
  Zone sorted(apex());
  sorted.mutable_records() = parsed.records;
  std::sort(sorted.mutable_records().begin(), sorted.mutable_records().end());
  Zone runs(apex());
  runs.mutable_records() = sorted.records();
  std::rotate(runs.mutable_records().begin(), runs.mutable_records().begin() + 1000, runs.mutable_records().end());
  runs.canonicalise();
  Zone reference(apex());
  reference.mutable_records() = sorted.records();
  reference.canonicalise();
  EXPECT_EQ(runs.records(), reference.records());

  Zone many_runs(apex());
  for (std::size_t i = 0; i < sorted.records().size(); i += 2) many_runs.add(sorted.records()[i]);
  for (std::size_t i = 1; i < sorted.records().size(); i += 2) many_runs.add(sorted.records()[i]);
  std::vector<Record> odd_out = many_runs.records();
  std::rotate(odd_out.begin(), odd_out.begin() + 17, odd_out.end());
  many_runs.mutable_records() = odd_out;
  many_runs.canonicalise();
  EXPECT_EQ(many_runs.records(), reference.records());

  // As BIND writes: each owner's records together but not in type order, and a tail of owners out of order.
  std::vector<Record> grouped;
  for (std::size_t i = 0; i < sorted.records().size();) {
    std::size_t j = i;
    while (j < sorted.records().size() && sorted.records()[j].owner == sorted.records()[i].owner) ++j;
    grouped.insert(grouped.end(), sorted.records().rbegin() + static_cast<std::ptrdiff_t>(sorted.records().size() - j),
                   sorted.records().rbegin() + static_cast<std::ptrdiff_t>(sorted.records().size() - i));
    i = j;
  }
  std::reverse(grouped.end() - 5000, grouped.end());
  Zone bind_like(apex());
  bind_like.mutable_records() = grouped;
  bind_like.canonicalise();
  EXPECT_EQ(bind_like.records(), reference.records());
}

// Owners far from canonical order (as BIND writes deep ip6.arpa trees) are sorted by byte keys: the order must be
// that of the names themselves, also with upper-case letters (which sort as lower case), '-' and '_' around the
// letters and digits, labels that are prefixes of others, and names above others.
TEST(ZoneCanonicalise, OwnersFarFromOrderComeOutAsAFullSortWould) {
  std::mt19937 random(31337);
  const std::string alphabet = "09AZaz-_";
  std::vector<Record> records;
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    int depth = 1 + static_cast<int>(random() % 4);
    for (int d = 0; d < depth; ++d) {
      std::string label;
      int length = 1 + static_cast<int>(random() % 3);
      for (int k = 0; k < length; ++k) {
        label += alphabet[random() % alphabet.size()];
      }
      text += label + ".";
    }
    auto owner = Name::from_text(text, apex());
    ASSERT_TRUE(owner) << text << ": " << owner.error();
    records.push_back(Record{*owner, RRType::kA, 600, std::string("\xc0\x00\x02\x01", 4)});
    records.push_back(Record{*owner, RRType::kNs, 600, std::string("\x02ns\x07example\x00", 12)});
  }
  std::shuffle(records.begin(), records.end(), random);
  // Each owner's records together, as a signer writes them, the owners in random order.
  std::stable_sort(records.begin(), records.end(),
                   [](const Record& a, const Record& b) { return a.owner.wire() < b.owner.wire(); });
  Zone zone(apex());
  zone.mutable_records() = records;
  zone.canonicalise();
  std::vector<Record> expected = records;
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end(),
                             [](const Record& a, const Record& b) {
                               return a.owner == b.owner && a.type == b.type && a.rdata == b.rdata;
                             }),
                 expected.end());
  ASSERT_EQ(zone.records().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(zone.records()[i].owner, expected[i].owner) << "record " << i;
    ASSERT_EQ(zone.records()[i].type, expected[i].type) << "record " << i;
  }
}

TEST(RrsigTime, PresentationFormMatchesTheCalendarEverywhere) {
  // RFC 4034 §3.2 YYYYMMDDHHmmSS in UTC, checked against gmtime_r over the whole 32-bit range.
  for (std::uint64_t t = 0; t <= 0xffffffffull; t += 86400ull * 37 + 3599) {
    std::time_t seconds = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::string expected = fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                       tm.tm_hour, tm.tm_min, tm.tm_sec);
    ASSERT_EQ(rdata::rrsig_time_to_text(static_cast<std::uint32_t>(t)), expected) << t;
    ASSERT_EQ(*rdata::rrsig_time_from_text(expected), static_cast<std::uint32_t>(t));
  }
  EXPECT_EQ(rdata::rrsig_time_to_text(951782400), "20000229000000") << "leap day of a century leap year";
  EXPECT_EQ(rdata::rrsig_time_to_text(0xffffffffu), "21060207062815");
  // Not a date: refused rather than rolled over into another one.
  for (const char* bad : {"20261301000000", "20260230000000", "20250229000000", "20261231240000", "20261231235960",
                          "20260100000000"}) {
    EXPECT_FALSE(rdata::rrsig_time_from_text(bad).ok()) << bad;
  }
  EXPECT_EQ(*rdata::rrsig_time_from_text("20240229120000"), 1709208000u);
  EXPECT_EQ(*rdata::rrsig_time_from_text("1700000000"), 1700000000u) << "seconds since the epoch (RFC 4034 §3.2)";
}

}  // namespace
}  // namespace rdnsprov::dns
