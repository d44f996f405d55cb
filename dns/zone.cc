#include "dns/zone.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/rdata.h"
#include "dns/thread_pool.h"

namespace rdnsprov::dns {

namespace {

// Sorts a range made of a few sorted runs by merging them pairwise, in linear time per round; false (and the
// range untouched) when it has more than `max_runs` runs.
template <typename Iterator, typename Less>
bool merge_sorted_runs(Iterator first, Iterator last, Less less, std::size_t max_runs) {
  std::vector<Iterator> run_starts{first};
  for (Iterator i = first; i != last && std::next(i) != last; ++i) {
    if (less(*std::next(i), *i)) {
      if (run_starts.size() == max_runs) return false;
      run_starts.push_back(std::next(i));
    }
  }
  run_starts.push_back(last);
  while (run_starts.size() > 2) {
    std::vector<Iterator> merged{first};
    for (std::size_t r = 0; r + 2 < run_starts.size(); r += 2) {
      std::inplace_merge(run_starts[r], run_starts[r + 1], run_starts[r + 2], less);
      merged.push_back(run_starts[r + 2]);
    }
    if (run_starts.size() % 2 == 0) merged.push_back(run_starts.back());  // an odd run out waits for the next round
    run_starts = std::move(merged);
  }
  return true;
}

// Appends a key for the name in canonical wire form whose byte order is the canonical order of names (RFC 4034
// §6.1): the labels from the right, each ended by 0x00, their octets 0x00 and 0x01 written as 0x01 0x01 and
// 0x01 0x02 (so that no octet of a label sorts with the end of one). A name above another has a key that is a
// prefix of the other's, so it sorts first.
void append_canonical_key(std::string& out, std::string_view wire) {
  std::uint8_t starts[128];
  std::size_t labels = 0;
  for (std::size_t pos = 0; pos < wire.size() && wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) {
    starts[labels++] = static_cast<std::uint8_t>(pos);
  }
  while (labels > 0) {
    std::size_t at = starts[--labels];
    std::size_t length = static_cast<unsigned char>(wire[at]);
    for (std::size_t k = 1; k <= length; ++k) {
      auto c = static_cast<unsigned char>(wire[at + k]);
      if (c <= 1) {
        out.push_back('\x01');
        out.push_back(static_cast<char>(c + 1));
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('\0');
  }
}

// Sorts records that are mostly in canonical order already. A master file written by rdnsprov (SOA first, then
// canonical order) is two sorted runs: a handful of runs are merged in linear time. Other signers write each
// owner's records together but not in canonical order (BIND: each RRset followed by its RRSIGs, NSEC3 records
// at the end in their own run): then each owner's records are sorted among themselves and the owners as wholes
// are merged (or sorted, when they are far from order), which compares names far fewer times than sorting every
// record.
void sort_canonically(std::vector<Record>& records) {
  constexpr std::size_t kMaxRuns = 16;
  if (merge_sorted_runs(records.begin(), records.end(), std::less<>(), kMaxRuns)) return;
  // Owner by owner.
  struct Group {
    std::size_t begin = 0;
    std::size_t end = 0;
  };
  std::vector<Group> groups;
  for (std::size_t i = 0; i < records.size();) {
    std::size_t j = i + 1;
    while (j < records.size() && records[j].owner == records[i].owner) ++j;
    if (!std::is_sorted(records.begin() + static_cast<std::ptrdiff_t>(i), records.begin() + static_cast<std::ptrdiff_t>(j))) {
      std::sort(records.begin() + static_cast<std::ptrdiff_t>(i), records.begin() + static_cast<std::ptrdiff_t>(j));
    }
    groups.push_back({i, j});
    i = j;
  }
  auto owner_less = [&](const Group& a, const Group& b) {
    auto c = records[a.begin].owner <=> records[b.begin].owner;
    return c != 0 ? c < 0 : a.begin < b.begin;
  };
  // Only the owners after the sorted beginning are sorted (BIND's NSEC3 records), then merged in; owners far from
  // order (BIND's files of deep ip6.arpa trees) are sorted by canonical keys, which compare as plain bytes.
  auto sorted_until = std::is_sorted_until(groups.begin(), groups.end(), owner_less);
  if (sorted_until == groups.end()) return;
  if (merge_sorted_runs(sorted_until, groups.end(), owner_less, kMaxRuns)) {
    std::inplace_merge(groups.begin(), sorted_until, groups.end(), owner_less);
  } else {
    std::string keys;
    std::vector<std::size_t> key_at;
    key_at.reserve(groups.size() + 1);
    for (const Group& g : groups) {
      key_at.push_back(keys.size());
      append_canonical_key(keys, records[g.begin].owner.wire());
    }
    key_at.push_back(keys.size());
    std::vector<std::size_t> order(groups.size());
    for (std::size_t g = 0; g < order.size(); ++g) order[g] = g;
    auto key = [&](std::size_t g) { return std::string_view(keys).substr(key_at[g], key_at[g + 1] - key_at[g]); };
    // std::string_view compares as unsigned octets (std::char_traits<char>); equal owners keep their order.
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      int c = key(a).compare(key(b));
      return c != 0 ? c < 0 : a < b;
    });
    std::vector<Group> reordered(groups.size());
    for (std::size_t i = 0; i < order.size(); ++i) reordered[i] = groups[order[i]];
    groups = std::move(reordered);
  }
  std::vector<Record> sorted;
  sorted.reserve(records.size());
  for (std::size_t g = 0; g < groups.size();) {
    // Groups of one owner found apart are now neighbours: their records are sorted together.
    std::size_t first = sorted.size();
    auto take = [&](const Group& group) {
      std::move(records.begin() + static_cast<std::ptrdiff_t>(group.begin),
                records.begin() + static_cast<std::ptrdiff_t>(group.end), std::back_inserter(sorted));
    };
    take(groups[g]);
    std::size_t h = g + 1;
    for (; h < groups.size() && records[groups[h].begin].owner == sorted[first].owner; ++h) take(groups[h]);
    if (h - g > 1) std::sort(sorted.begin() + static_cast<std::ptrdiff_t>(first), sorted.end());
    g = h;
  }
  records = std::move(sorted);
}

}  // namespace

std::vector<std::string> Zone::canonicalise(std::size_t max_reported) {
  std::vector<std::string> mixed;
  sort_canonically(records_);
  // Merge identical records (owner, type, rdata) whatever their TTLs.
  auto same_rr = [](const Record& a, const Record& b) {
    return a.type == b.type && a.owner == b.owner && a.rdata == b.rdata;
  };
  records_.erase(std::unique(records_.begin(), records_.end(), same_rr), records_.end());
  // One TTL per RRset: the smallest (records are sorted by owner, type, so an RRset is a run). RRSIGs are
  // grouped by the type they cover: each carries the TTL of its own RRset (RFC 4034 §3), and their rdata, by
  // which they are sorted, starts with that type.
  auto same_rrset = [](const Record& a, const Record& b) {
    if (a.type != b.type || a.owner != b.owner) return false;
    return a.type != RRType::kRrsig || a.rdata.compare(0, 2, b.rdata, 0, 2) == 0;
  };
  for (std::size_t i = 0; i < records_.size();) {
    std::size_t j = i;
    std::uint32_t ttl = records_[i].ttl;
    std::uint32_t largest = ttl;
    while (j < records_.size() && same_rrset(records_[j], records_[i])) {
      ttl = std::min(ttl, records_[j].ttl);
      largest = std::max(largest, records_[j].ttl);
      ++j;
    }
    if (ttl != largest && mixed.size() < max_reported) {
      std::string type(rrtype_to_text(records_[i].type));
      if (records_[i].type == RRType::kRrsig && records_[i].rdata.size() >= 2) {
        type += " " + std::string(rrtype_to_text(static_cast<RRType>(
                          (static_cast<unsigned char>(records_[i].rdata[0]) << 8) |
                          static_cast<unsigned char>(records_[i].rdata[1]))));
      }
      mixed.push_back(fmt::format("{}/{} has records of TTLs {} to {}", records_[i].owner.to_text(), type, ttl, largest));
    }
    for (std::size_t k = i; k < j; ++k) records_[k].ttl = ttl;
    i = j;
  }
  canonical_ = true;
  return mixed;
}

void release_records(std::vector<Record>& records, ThreadPool& pool) {
  pool.parallel_for(records.size(), 16384, [&](std::size_t begin, std::size_t end) {
    // Destroyed and made anew, so that the strings' memory is freed here (an assignment would keep it).
    for (std::size_t i = begin; i < end; ++i) {
      std::destroy_at(&records[i]);
      std::construct_at(&records[i]);
    }
  });
}

const Record* Zone::soa() const {
  for (const Record& r : records_) {
    if (r.type == RRType::kSoa && r.owner == apex_) return &r;
  }
  return nullptr;
}

std::optional<Serial> Zone::serial() const {
  const Record* record = soa();
  if (!record) return std::nullopt;
  auto parsed = rdata::parse_soa(record->rdata);
  if (!parsed) return std::nullopt;
  return Serial(parsed->serial);
}

void Zone::set_serial(Serial serial) {
  for (std::size_t i = 0; i < records_.size(); ++i) {
    Record& r = records_[i];
    if (r.type == RRType::kSoa && r.owner == apex_) {
      auto parsed = rdata::parse_soa(r.rdata);
      assert(parsed.ok());
      parsed->serial = serial.value();
      r.rdata = rdata::soa(*parsed);
      // Another SOA after it (a malformed zone) may now sort before it.
      if (i + 1 < records_.size() && records_[i + 1].type == RRType::kSoa) canonical_ = false;
      return;
    }
  }
  assert(false && "set_serial on a zone without SOA");
}

std::vector<Name> Zone::delegation_points() const {
  std::vector<Name> cuts;
  for (const Record& r : records_) {
    if (r.type == RRType::kNs && r.owner != apex_ && (cuts.empty() || cuts.back() != r.owner)) cuts.push_back(r.owner);
  }
  return cuts;
}

std::size_t Zone::delegation_count() const { return delegation_points().size(); }

namespace {

// The records [begin, end) but `first`, the SOA already written at the top of the file (any other SOA record is
// written in its place: a file never loses a record).
void append_master_lines(std::string& out, const Zone& zone, const Record* first, std::size_t begin, std::size_t end) {
  const std::vector<Record>& records = zone.records();
  for (std::size_t i = begin; i < end; ++i) {
    const Record& r = records[i];
    if (&r == first) continue;
    append_master_line(out, r);
  }
}

constexpr std::size_t kWriteChunk = 16384;  // records per piece formatted on one thread

}  // namespace

std::string to_master_file(const Zone& zone) {
  std::string out;
  out.reserve(zone.records().size() * 64);
  const Record* soa = zone.soa();
  if (soa) append_master_line(out, *soa);
  append_master_lines(out, zone, soa, 0, zone.records().size());
  return out;
}

std::vector<std::string> master_file_pieces(const Zone& zone, ThreadPool& pool) {
  std::size_t count = zone.records().size();
  std::size_t chunks = (count + kWriteChunk - 1) / kWriteChunk;
  std::vector<std::string> pieces(1 + chunks);
  const Record* soa = zone.soa();
  if (soa) append_master_line(pieces[0], *soa);
  pool.parallel_for(chunks, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t p = begin; p < end; ++p) {
      std::string& piece = pieces[1 + p];
      std::size_t first = p * kWriteChunk;
      std::size_t last = std::min(count, first + kWriteChunk);
      // A line's length is about its rdata's: signatures and keys in base64 take 4/3 of it.
      std::size_t estimate = 0;
      for (std::size_t i = first; i < last; ++i) estimate += 48 + zone.records()[i].rdata.size() * 3 / 2;
      piece.reserve(estimate);
      append_master_lines(piece, zone, soa, first, last);
    }
  });
  return pieces;
}

std::string to_master_file(const Zone& zone, ThreadPool& pool) {
  if (pool.size() == 0 || zone.records().size() < 2 * kWriteChunk) return to_master_file(zone);
  std::vector<std::string> pieces = master_file_pieces(zone, pool);
  std::size_t size = 0;
  for (const std::string& piece : pieces) size += piece.size();
  std::string out;
  out.reserve(size);
  for (const std::string& piece : pieces) out += piece;
  return out;
}

std::vector<std::string> Zone::owner_problems() const {
  std::vector<std::string> problems;
  const Name* dname = nullptr;  // the last DNAME owner met: the names below it follow it
  for (std::size_t i = 0; i < records_.size();) {
    const Name& owner = records_[i].owner;
    std::size_t cnames = 0;
    std::size_t dnames = 0;
    std::size_t others = 0;
    bool ns = false;
    std::vector<RRType> apex_only;  // SOA, DNSKEY, NSEC3PARAM: a zone's own records, meaningless below its apex
    bool nsec3_only = true;  // an NSEC3 owner (a hashed name under the apex, RFC 5155 §3), not data a DNAME occludes
    std::size_t j = i;
    for (; j < records_.size() && records_[j].owner == owner; ++j) {
      RRType type = records_[j].type;
      if (type == RRType::kCname) ++cnames;
      else if (type == RRType::kDname) ++dnames;
      else if (type != RRType::kRrsig && type != RRType::kNsec && type != RRType::kNsec3) ++others;
      ns |= type == RRType::kNs;
      bool own = type == RRType::kSoa || type == RRType::kDnskey || type == RRType::kNsec3param;
      if (own && owner != apex_ && (apex_only.empty() || apex_only.back() != type)) apex_only.push_back(type);
      nsec3_only = nsec3_only && (type == RRType::kNsec3 || type == RRType::kRrsig);
    }
    if (dname && owner.is_below(*dname) && nsec3_only && *dname == apex_) {
      // Passed over: the DNAME at the apex keeps its place for the names after it.
    } else if (dname && owner.is_below(*dname)) {
      problems.push_back(fmt::format("{} lies below the DNAME at {}, which occludes it (RFC 6672 §2.3)",
                                     owner.to_text(), dname->to_text()));
    } else {
      dname = nullptr;
    }
    if (cnames > 0 && others + dnames > 0) {
      problems.push_back(fmt::format("{} has a CNAME and other data (RFC 2181 §10.1)", owner.to_text()));
    }
    if (cnames > 1) problems.push_back(fmt::format("{} has {} CNAME records; it may have one", owner.to_text(), cnames));
    if (dnames > 1) {
      problems.push_back(fmt::format("{} has {} DNAME records; it may have one (RFC 6672 §2.4)", owner.to_text(), dnames));
    }
    if (dnames > 0 && ns && owner != apex_) {
      problems.push_back(fmt::format("{} has a DNAME at a delegation point, where the child zone answers",
                                     owner.to_text()));
    }
    for (RRType type : apex_only) {
      std::string_view rule = type == RRType::kSoa      ? "RFC 1035 §5.2"
                              : type == RRType::kDnskey ? "RFC 4035 §2.1"
                                                        : "RFC 5155 §4";
      problems.push_back(fmt::format("{} has a {} RRset, which belongs at the apex {} alone ({})", owner.to_text(),
                                     rrtype_to_text(type), apex_.to_text(), rule));
    }
    if (dnames > 0 && !dname) dname = &owner;
    i = j;
  }
  return problems;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// How many octets of valid UTF-8 (RFC 3629 §4) the character at text[at] takes, a byte above 0x7f; 0 if not valid.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  unsigned lead = byte(at);
  std::size_t length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length == 0) return 0;
  // The second octet's range excludes overlong forms, surrogates and code points above U+10FFFF.
  unsigned low = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
  unsigned high = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) return 0;
  }
  return length;
}

// A reason for a report line: text of a zone file (quoted text may hold tabs and UTF-8) with every control byte,
// and every byte that is not part of valid UTF-8, written \DDD, so that reports and JSON stay one line of text.
std::string report_text(std::string reason) {
  auto plain = [](char c) { return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f; };
  if (std::all_of(reason.begin(), reason.end(), plain)) return reason;
  std::string out;
  for (std::size_t i = 0; i < reason.size();) {
    auto c = static_cast<unsigned char>(reason[i]);
    if (plain(reason[i])) {
      out.push_back(reason[i++]);
    } else if (std::size_t length = c >= 0x80 ? utf8_length(reason, i) : 0; length > 0) {
      out.append(reason, i, length);
      i += length;
    } else {
      out += fmt::format("\\{:03d}", c);
      ++i;
    }
  }
  return out;
}

// Splits a master file into logical entries: parentheses join physical lines, comments are dropped.
class EntryReader {
 public:
  // `first_line` is the number of the file's line that `text` starts on.
  explicit EntryReader(std::string_view text, std::uint64_t first_line, Dialect dialect)
      : text_(text), line_(first_line - 1), dialect_(dialect) {}

  // Fills `fields` with the next non-empty entry; `starts_with_space` tells whether the owner was omitted.
  // Returns false at the end. `line` is the physical line the entry starts on.
  bool next(std::vector<std::string_view>& fields, bool& starts_with_space, std::uint64_t& line, std::string& problem) {
    fields.clear();
    problem.clear();
    while (pos_ < text_.size() || !fields.empty()) {
      if (pos_ >= text_.size()) break;
      line = line_ + 1;
      starts_with_space = is_space(text_[pos_]);
      int depth = 0;
      while (pos_ < text_.size()) {
        char c = text_[pos_];
        if (c == '\n') {
          ++line_;
          ++pos_;
          if (depth == 0) break;
          continue;
        }
        if (is_space(c)) {
          ++pos_;
          continue;
        }
        if (c == ';') {
          while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
          continue;
        }
        if (c == '(') {
          ++depth;
          ++pos_;
          continue;
        }
        if (c == ')') {
          if (depth == 0 && problem.empty()) problem = "')' without '('";
          depth = depth > 0 ? depth - 1 : 0;
          ++pos_;
          continue;
        }
        if (dialect_ == Dialect::kOperator && (c == '"' || (c == '\\' && text_.substr(pos_, 2) == "\\#"))) {
          if (std::string trouble = operator_token(fields); !trouble.empty() && problem.empty()) problem = trouble;
          continue;
        }
        if (c == '"' || (c == '\\' && !escape_at(pos_)) || !token_byte(c)) {
          if (problem.empty()) {
            problem = c == '"' ? "quoted text is not used by any record type rdnsprov handles"
                      : c == '\\' && dialect_ == Dialect::kRegistry
                          ? "a backslash escape outside quoted text is not accepted (names hold no escapes)"
                      : c == '\\' ? "a backslash ends the line or stands before a control byte: not an escape"
                                  : fmt::format("byte 0x{:02x} is not allowed", static_cast<unsigned char>(c));
          }
          ++pos_;
          continue;
        }
        std::size_t start = pos_;
        // A token ends at a control byte too: the loop above refuses it with its own message. In an operator's zone
        // a token may hold escapes (RFC 1035 §5.1: "\X" and "\DDD"; "\ " is a space), which the rdata parser
        // decodes, and bytes above 0x7f (UTF-8 text, as BIND reads it). Messages show such bytes as \DDD.
        while (pos_ < text_.size()) {
          if (escape_at(pos_)) {
            pos_ += 2;
            continue;
          }
          char t = text_[pos_];
          if (is_space(t) || t == '\n' || t == ';' || t == '(' || t == ')' || t == '"' || t == '\\' || !token_byte(t)) {
            break;
          }
          ++pos_;
        }
        fields.push_back(text_.substr(start, pos_ - start));
        if (dialect_ == Dialect::kRegistry && problem.empty() && fields.back().find('*') != std::string_view::npos) {
          problem = "'*' is not allowed: wildcard names are taken only in the zones given to `rdnsprov sign` and "
                    "`verify-zone`";
        }
      }
      if (depth > 0 && problem.empty()) problem = "'(' without ')' before the end of the file";
      if (!fields.empty() || !problem.empty()) return true;
    }
    return false;
  }

 private:
  // A byte a token may hold: printable ASCII, and in an operator's zone any byte above 0x7f. The registry's files
  // are ASCII.
  bool token_byte(char c) const {
    auto byte = static_cast<unsigned char>(c);
    return (byte >= 0x20 && byte < 0x7f) || (byte >= 0x80 && dialect_ == Dialect::kOperator);
  }

  // Whether an escape "\X" of an operator's zone starts at `at`: X a space or a byte a token may hold. The
  // registry's files hold no escapes.
  bool escape_at(std::size_t at) const {
    if (dialect_ != Dialect::kOperator || text_[at] != '\\' || at + 1 >= text_.size()) return false;
    return text_[at + 1] == ' ' || token_byte(text_[at + 1]);
  }

  // At a '"' or "\#" of an operator's zone: takes the quoted string (quotes kept, escapes left for the rdata
  // parser) or "\#" as one field. Returns the problem, if any: a quoted string must end on its line. It may hold
  // tabs and bytes above 0x7f (UTF-8 text, as BIND reads it), taken as they are; other control bytes must be
  // written \DDD. Messages show such bytes as \DDD (`report_text`).
  std::string operator_token(std::vector<std::string_view>& fields) {
    std::size_t start = pos_;
    if (text_[pos_] == '\\') {
      pos_ += 2;
      fields.push_back(text_.substr(start, 2));
      return {};
    }
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\n') return "quoted text runs past the end of its line";
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        ++pos_;
        return fmt::format("byte 0x{:02x} is not allowed in quoted text (write it \\DDD)", c);
      }
      pos_ += (c == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') ? 2 : 1;
    }
    if (pos_ >= text_.size()) return "quoted text runs past the end of the file";
    ++pos_;
    fields.push_back(text_.substr(start, pos_ - start));
    return {};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint64_t line_ = 0;
  Dialect dialect_;
};

// Why an operator's zone may not hold `type` (Dialect::kOperator); empty when it may.
std::string refused_operator_type(RRType type) {
  std::uint16_t code = rrtype_code(type);
  std::string_view text = rrtype_to_text(type);
  if (code == 0 || code == 41 || (code >= 128 && code <= 255)) {
    return fmt::format("{} is a meta or query type, not a record a zone holds (RFC 6895 §3.1)", text);
  }
  // RFC 4034 §6.2: the names in these types' rdata are lower-cased in the canonical form, which rdnsprov can only
  // do for the types whose form it reads (NS, CNAME, SOA, PTR, MX, SRV, DNAME, RP, AFSDB, NAPTR, KX): the obsolete
  // ones below are refused.
  // NSAP-PTR (23) is not in RFC 4034's list, but BIND and ldns lower-case its name all the same.
  static constexpr std::uint16_t kNamesInside[] = {3, 4, 7, 8, 9, 14, 21, 23, 24, 26, 30, 38};
  if (std::find(std::begin(kNamesInside), std::end(kNamesInside), code) != std::end(kNamesInside)) {
    return fmt::format("record type {} holds names that signing lower-cases (RFC 4034 §6.2), and rdnsprov does not "
                       "read its data: it is not signed",
                       text);
  }
  return {};
}

bool looks_like_ttl(std::string_view field) { return !field.empty() && field[0] >= '0' && field[0] <= '9'; }

}  // namespace

namespace {

// The most records the $GENERATE lines of one file may make together: a typo in a range must not fill the memory.
constexpr std::uint64_t kMaxGenerated = 1 << 21;

// BIND's nibble form of `value`: its hexadecimal digits from the lowest, dot-separated (an ip6.arpa name's
// labels), at least `width` characters long counting the dots.
void append_nibbles(std::string& out, std::uint64_t value, std::uint64_t width, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    out += digits[value & 0x0f];
    value >>= 4;
    if (width > 0) --width;
    if (width > 0 || value != 0) {
      out += '.';
      if (width > 0) --width;
    }
  } while (value != 0 || width > 0);
}

// `pattern` (the owner or the data of a $GENERATE) for the iterator's `value`: "$" is the value in decimal;
// "${offset[,width[,base]]}" adds the offset and writes it zero-padded to width, in base d, o, x, X, or n / N (the
// nibble form, for ip6.arpa). Empty, with `problem` set, when the pattern is bad.
std::string expand_generate_pattern(std::string_view pattern, std::int64_t value, std::string& problem) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 < pattern.size() && pattern[i + 1] == '$') {
      problem = "\"$$\" (a literal '$') is not supported";
      return {};
    }
    std::int64_t offset = 0;
    std::uint64_t width = 0;
    char base = 'd';
    if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
      std::size_t close = pattern.find('}', i + 2);
      if (close == std::string_view::npos) {
        problem = "\"${\" without \"}\"";
        return {};
      }
      std::string_view spec = pattern.substr(i + 2, close - i - 2);
      std::vector<std::string_view> parts;
      for (std::size_t from = 0;;) {
        std::size_t comma = spec.find(',', from);
        parts.push_back(spec.substr(from, comma == std::string_view::npos ? spec.size() - from : comma - from));
        if (comma == std::string_view::npos) break;
        from = comma + 1;
      }
      auto number = [](std::string_view text, std::int64_t low, std::int64_t high) -> std::optional<std::int64_t> {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || end != text.data() + text.size() || n < low || n > high) return std::nullopt;
        return n;
      };
      auto parsed_offset = number(parts[0], -(std::int64_t{1} << 31), (std::int64_t{1} << 31) - 1);
      std::optional<std::int64_t> parsed_width = parts.size() > 1 ? number(parts[1], 0, 255) : std::optional<std::int64_t>(0);
      bool base_ok = parts.size() < 3 || (parts[2].size() == 1 && std::string_view("doxXnN").find(parts[2][0]) !=
                                                                       std::string_view::npos);
      if (parts.size() > 3 || !parsed_offset || !parsed_width || !base_ok) {
        problem = fmt::format("bad modifier \"${{{}}}\": ${{offset[,width[,base]]}} with a width up to 255 and a "
                              "base of d, o, x, X, n or N",
                              spec);
        return {};
      }
      offset = *parsed_offset;
      width = static_cast<std::uint64_t>(*parsed_width);
      if (parts.size() == 3) base = parts[2][0];
      i = close;
    }
    std::int64_t shown = value + offset;
    if (shown < 0) {
      problem = fmt::format("the offset makes the value {} negative", shown);
      return {};
    }
    auto n = static_cast<std::uint64_t>(shown);
    if (base == 'n' || base == 'N') {
      append_nibbles(out, n, width, base == 'N');
    } else {
      std::string digits = base == 'o' ? fmt::format("{:o}", n) : base == 'x' ? fmt::format("{:x}", n)
                           : base == 'X' ? fmt::format("{:X}", n) : fmt::format("{}", n);
      if (digits.size() < width) out.append(width - digits.size(), '0');
      out += digits;
    }
  }
  return out;
}

// The entries a "$GENERATE range owner [ttl] [class] type data" line stands for (BIND's extension, read in the
// operator's dialect only), one per line, as the master file would hold them; and the iterator's value on each.
// The data is one field, quoted when it holds blanks ("10 mail$"). Empty, with `problem` set, when the line is bad.
// At most `budget` entries.
std::string expand_generate(std::span<const std::string_view> fields, std::uint64_t budget,
                            std::vector<std::int64_t>& values, std::string& problem) {
  if (fields.size() < 5) {
    problem = "$GENERATE needs a range, an owner, a type and its data (quoted when it holds blanks)";
    return {};
  }
  std::int64_t start = 0;
  std::int64_t stop = 0;
  std::int64_t step = 1;
  {
    std::string_view range = fields[1];
    auto read = [&](std::int64_t& out) {
      auto [end, ec] = std::from_chars(range.data(), range.data() + range.size(), out);
      bool ok = ec == std::errc() && out >= 0 && out < (std::int64_t{1} << 31);
      range.remove_prefix(static_cast<std::size_t>(end - range.data()));
      return ok;
    };
    bool ok = read(start) && range.starts_with('-') && (range.remove_prefix(1), read(stop));
    if (ok && range.starts_with('/')) {
      range.remove_prefix(1);
      ok = read(step) && step > 0;
    }
    if (!ok || !range.empty() || start > stop) {
      problem = fmt::format("$GENERATE range \"{}\" is not start-stop[/step] with 0 <= start <= stop < 2^31 and a step "
                            "of at least 1",
                            fields[1]);
      return {};
    }
    if (static_cast<std::uint64_t>((stop - start) / step) + 1 > budget) {
      problem = fmt::format("$GENERATE range \"{}\" takes the records the file's $GENERATE lines make past {}",
                            fields[1], kMaxGenerated);
      return {};
    }
  }
  std::string_view data = fields.back();
  if (data.size() >= 2 && data.front() == '"' && data.back() == '"') data = data.substr(1, data.size() - 2);
  std::string middle;  // TTL, class and type, as written
  for (std::string_view field : fields.subspan(3, fields.size() - 4)) {
    middle += ' ';
    middle += field;
  }
  std::string out;
  for (std::int64_t value = start; value <= stop; value += step) {
    std::string owner = expand_generate_pattern(fields[2], value, problem);
    if (!problem.empty()) return {};
    std::string rdata = expand_generate_pattern(data, value, problem);
    if (!problem.empty()) return {};
    if (owner.find_first_of("\"\\;()") != std::string::npos) {
      problem = fmt::format("$GENERATE owner \"{}\" holds a quote, escape, ';' or parenthesis", owner);
      return {};
    }
    out += owner;
    out += middle;
    out += ' ';
    out += rdata;
    out += '\n';
    values.push_back(value);
  }
  return out;
}

}  // namespace

namespace {

// What a master file's earlier lines leave behind for the next ones (RFC 1035 §5.1).
struct ReaderState {
  Dialect dialect;
  Name origin;
  std::optional<std::uint32_t> default_ttl;
  std::optional<Name> previous_owner;
  std::optional<std::uint32_t> last_stated_ttl;  // the TTL of the last record that stated one
  std::uint64_t generated = 0;                   // records made by $GENERATE so far
  // $INCLUDE (operator's dialect): allowed when the text was read from a file; its names are relative to
  // `directory`, the directory of the file holding the line.
  bool includes = false;
  std::filesystem::path directory;
  int depth = 0;  // how many $INCLUDE lines deep
};

// Files included within files, at most: deeper is a file that includes itself.
constexpr int kMaxIncludeDepth = 16;

// Reads the entries of `text` (which starts on line `first_line` of the file) into `result`, from `state`.
void read_entries(std::string_view text, std::uint64_t first_line, ReaderState& state, MasterFile& result) {
  EntryReader reader(text, first_line, state.dialect);
  std::vector<std::string_view> fields;
  bool starts_with_space = false;
  std::uint64_t line = 0;
  std::string problem;
  Name& origin = state.origin;
  std::optional<std::uint32_t>& default_ttl = state.default_ttl;
  std::optional<Name>& previous_owner = state.previous_owner;
  // Consecutive records of one owner spell it the same way: parse it once.
  std::string_view previous_owner_text;
  auto fail = [&](std::string reason) { result.errors.push_back({line, report_text(std::move(reason))}); };
  // The records and errors of the text a directive stands for ($GENERATE, $INCLUDE) are the directive line's;
  // `where(l)` names line l of that text in an error.
  auto adopt = [&](MasterFile& inner, auto where) {
    for (const MasterFileError& e : inner.errors) fail(fmt::format("{}: {}", where(e.line), e.reason));
    for (Record& record : inner.records) {
      result.records.push_back(std::move(record));
      result.lines.push_back(line);
    }
    previous_owner_text = {};
  };

  while (reader.next(fields, starts_with_space, line, problem)) {
    if (!problem.empty()) {
      fail(problem);
      continue;
    }
    std::size_t i = 0;
    if (fields[0][0] == '$') {
      if (fields[0] == "$ORIGIN" && fields.size() == 2) {
        auto name = Name::from_text(fields[1], origin, state.dialect == Dialect::kOperator);
        if (!name) fail("$ORIGIN: " + name.error());
        else origin = *name;
        previous_owner_text = {};
      } else if (fields[0] == "$TTL" && fields.size() == 2) {
        auto ttl = rdata::ttl_from_text(fields[1]);
        if (!ttl) fail("$TTL: " + ttl.error());
        else default_ttl = *ttl;
      } else if (fields[0] == "$GENERATE" && state.dialect == Dialect::kOperator) {
        // The lines it stands for are read as if they were in the file, from the state in force, and every
        // record or error is the $GENERATE line's.
        std::vector<std::int64_t> values;
        std::string expansion = expand_generate(fields, kMaxGenerated - state.generated, values, problem);
        if (!problem.empty()) {
          fail(problem);
          continue;
        }
        state.generated += values.size();
        MasterFile generated;
        std::optional<Name> owner_before = previous_owner;  // as BIND: a line without an owner after it
        read_entries(expansion, 1, state, generated);       // repeats the owner before it
        previous_owner = std::move(owner_before);
        // Each value's entry is one line of the expansion (parentheses in the data may join lines).
        adopt(generated, [&](std::uint64_t l) {
          return fmt::format("$GENERATE at {}", values[std::min<std::size_t>(l, values.size()) - 1]);
        });
      } else if (fields[0] == "$INCLUDE" && state.dialect == Dialect::kOperator && state.includes) {
        // RFC 1035 §5.1: the file is read from the origin given, or the one in force; after it, the origin and the
        // owner a line without one repeats are those before it. As in BIND, a $TTL it sets stays in force.
        if (fields.size() < 2 || fields.size() > 3) {
          fail("$INCLUDE needs a file name and, optionally, an origin");
          continue;
        }
        std::string_view file_name = fields[1];
        if (file_name.size() >= 2 && file_name.front() == '"' && file_name.back() == '"') {
          file_name = file_name.substr(1, file_name.size() - 2);
        }
        ReaderState inner = state;
        if (fields.size() == 3) {
          auto name = Name::from_text(fields[2], origin, true);
          if (!name) {
            fail("$INCLUDE origin: " + name.error());
            continue;
          }
          inner.origin = *name;
        }
        if (state.depth >= kMaxIncludeDepth) {
          fail(fmt::format("$INCLUDE {}: files included more than {} deep (does a file include itself?)", file_name,
                           kMaxIncludeDepth));
          continue;
        }
        std::filesystem::path path = state.directory / std::filesystem::path(file_name);
        std::string included_text;
        try {
          included_text = read_file(path);
        } catch (const std::system_error& e) {
          fail(fmt::format("$INCLUDE {}: {}", file_name, e.what()));
          continue;
        }
        inner.directory = path.parent_path();
        ++inner.depth;
        MasterFile included;
        read_entries(included_text, 1, inner, included);
        default_ttl = inner.default_ttl;
        state.last_stated_ttl = inner.last_stated_ttl;
        state.generated = inner.generated;
        adopt(included, [&](std::uint64_t l) { return fmt::format("$INCLUDE {}:{}", file_name, l); });
      } else if (fields[0] == "$INCLUDE" || fields[0] == "$GENERATE") {
        fail(fmt::format("{} is refused: a zone file read by rdnsprov must be self-contained", fields[0]));
      } else {
        fail(fmt::format("unknown or malformed directive \"{}\"", fields[0]));
      }
      continue;
    }
    Name owner;
    if (starts_with_space) {
      if (!previous_owner) {
        fail("record without an owner name, and no previous owner to repeat");
        continue;
      }
      owner = *previous_owner;
    } else if (previous_owner && !previous_owner_text.empty() && fields[0] == previous_owner_text) {
      owner = *previous_owner;
      i = 1;
    } else {
      auto name = Name::from_text(fields[0], origin, state.dialect == Dialect::kOperator);
      if (!name) {
        fail("owner: " + name.error());
        // The lines that repeat it belong to no owner read before: they are refused as such, not given to one.
        previous_owner.reset();
        previous_owner_text = {};
        continue;
      }
      owner = *name;
      i = 1;
    }
    // The owner the next lines repeat, even when the rest of this line is refused (as in BIND): a line after it
    // without an owner is reported, or read, with this one.
    previous_owner_text = starts_with_space ? previous_owner_text : fields[0];
    previous_owner = owner;
    std::optional<std::uint32_t> ttl;
    bool bad = false;
    for (int k = 0; k < 2 && i < fields.size(); ++k) {
      if (looks_like_ttl(fields[i]) && !ttl) {
        auto parsed = rdata::ttl_from_text(fields[i]);
        if (!parsed) {
          fail(parsed.error());
          bad = true;
          break;
        }
        ttl = *parsed;
        ++i;
      } else if (fields[i] == "IN" || fields[i] == "in" || fields[i] == "CLASS1") {  // CLASS1 is IN (RFC 3597 §5)
        ++i;
      } else if (fields[i] == "CH" || fields[i] == "HS" || fields[i] == "CS" || fields[i] == "ANY" ||
                 fields[i].starts_with("CLASS")) {
        fail(fmt::format("class {} is not IN", fields[i]));
        bad = true;
        break;
      }
    }
    if (bad) continue;
    if (i >= fields.size()) {
      fail("record without a type");
      continue;
    }
    auto type = state.dialect == Dialect::kOperator ? rrtype_from_text_any(fields[i]) : rrtype_from_text(fields[i]);
    if (!type) {
      fail(fmt::format("record type \"{}\" is not one rdnsprov handles", fields[i]));
      continue;
    }
    if (state.dialect == Dialect::kOperator) {
      if (std::string refused = refused_operator_type(*type); !refused.empty()) {
        fail(refused);
        continue;
      }
    }
    ++i;
    const bool stated = ttl.has_value();
    if (!ttl) ttl = default_ttl;
    // An operator's zone without $TTL: RFC 1035 §5.1's rule, the last TTL stated; before any, an SOA takes its
    // MINIMUM, which then stands for $TTL (as in BIND). The registry's files need $TTL.
    const bool rfc1035_ttl = state.dialect == Dialect::kOperator;
    if (!ttl && rfc1035_ttl) ttl = state.last_stated_ttl;
    auto rdata = rdata::from_text(*type, std::span(fields).subspan(i), origin, state.dialect == Dialect::kOperator);
    // The type as the operator wrote it, and as rdnsprov writes it where that differs (HIP is written TYPE55).
    auto type_text = [&, written = fields[i - 1]] {
      std::string name(rrtype_to_text(*type));
      if (written.size() == name.size() && strncasecmp(written.data(), name.data(), written.size()) == 0) return name;
      std::string upper(written);
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      return fmt::format("{} ({})", upper, name);
    };
    if (!rdata) {
      fail(fmt::format("{} {}: {}", owner.to_text(), type_text(), rdata.error()));
      continue;
    }
    // RFC 1035 §4.2.2: a message is at most 65,535 octets. The response to a query for the record holds the
    // header (12), the question (owner, type, class), the record (its owner a 2-octet pointer, then type, class,
    // TTL, length: 12 with the pointer) and, in a signed zone, its RRSIG (12, 18 fixed octets, the signer a pointer,
    // and up to 512 octets of signature for RSA-4096, the largest key rdnsprov makes: 544). Data that leaves no
    // room for them cannot be served; BIND refuses data over 65,510 octets when loading, and Knot and ldns cannot
    // check the signature of a record whose signed data passes 65,535.
    if (const std::size_t most = 65535 - 12 - (owner.wire().size() + 4) - 12 - 544; rdata->size() > most) {
      fail(fmt::format("{} {}: data of {} octets cannot be served with this owner: a response holding it, its "
                       "question and its signature is at most 65,535 octets (RFC 1035 §4.2.2), which leaves {} for "
                       "the data",
                       owner.to_text(), type_text(), rdata->size(), most));
      continue;
    }
    if (!ttl && rfc1035_ttl && *type == RRType::kSoa) {
      if (auto soa = rdata::parse_soa(*rdata)) ttl = soa->minimum;
      default_ttl = ttl;
    }
    if (!ttl) {
      fail(rfc1035_ttl ? "record without a TTL, and no $TTL or TTL stated before it"
                       : "record without a TTL and no $TTL before it");
      continue;
    }
    if (stated) state.last_stated_ttl = ttl;
    result.records.push_back(Record{std::move(owner), *type, *ttl, std::move(*rdata)});
    result.lines.push_back(line);
  }
}

// Where a large master file can be cut into pieces that read independently: line starts outside parentheses
// whose line names its owner (so nothing carries over from the line before but $ORIGIN and $TTL), about
// `piece` bytes apart. Also the positions of the directive lines, whose effect the pieces need.
struct Cuts {
  std::vector<std::size_t> starts;      // piece starts; starts[0] = 0
  std::vector<std::uint64_t> lines;     // the line each piece starts on
  std::vector<std::size_t> directives;  // line starts beginning with '$', in file order
};

// The bytes that matter on a line when looking for cuts.
constexpr auto kCutSpecial = [] {
  std::array<bool, 256> special{};
  for (char c : std::string_view("\n;()\"")) special[static_cast<unsigned char>(c)] = true;
  return special;
}();

Cuts find_cuts(std::string_view text, std::size_t piece) {
  Cuts cuts;
  cuts.starts.push_back(0);
  cuts.lines.push_back(1);
  int depth = 0;
  std::uint64_t line = 1;
  std::size_t next_cut = piece;
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    // At a line start.
    if (depth == 0) {
      char c = text[i];
      if (c == '$') {
        cuts.directives.push_back(i);
      } else if (i >= next_cut && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ';' && c != '(' && c != ')') {
        cuts.starts.push_back(i);
        cuts.lines.push_back(line);
        next_cut = i + piece;
      }
    }
    // To the end of the line, following parentheses outside comments and quoted text (which ends on its line,
    // or the line is an error and the file is read again in one go).
    for (; i < n; ++i) {
      char c = text[i];
      if (!kCutSpecial[static_cast<unsigned char>(c)]) continue;
      if (c == '\n') break;
      if (c == '"') {
        for (++i; i < n && text[i] != '"' && text[i] != '\n'; ++i) {
          if (text[i] == '\\' && i + 1 < n && text[i + 1] != '\n') ++i;
        }
        if (i < n && text[i] == '\n') break;
      } else if (c == ';') {
        const void* end = std::memchr(text.data() + i, '\n', n - i);
        i = end ? static_cast<std::size_t>(static_cast<const char*>(end) - text.data()) : n;
        break;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && depth > 0) {
        --depth;
      }
    }
    ++i;
    ++line;
  }
  return cuts;
}

constexpr std::size_t kPieceBytes = 1 << 20;

}  // namespace

MasterFile read_master_file(std::string_view text, const Name& origin, Dialect dialect,
                            const std::filesystem::path& file) {
  MasterFile result;
  ReaderState state{dialect, origin, std::nullopt, std::nullopt};
  state.includes = !file.empty();
  state.directory = file.parent_path();
  read_entries(text, 1, state, result);
  return result;
}

MasterFile read_master_file(std::string_view text, const Name& origin, ThreadPool& pool, Dialect dialect,
                            const std::filesystem::path& file) {
  if (pool.size() == 0 || text.size() < 2 * kPieceBytes) return read_master_file(text, origin, dialect, file);
  Cuts cuts = find_cuts(text, kPieceBytes);
  std::size_t pieces = cuts.starts.size();
  // The $ORIGIN and $TTL in force where each piece starts: the directives before it, in order.
  std::vector<ReaderState> states;
  states.reserve(pieces);
  {
    ReaderState state{dialect, origin, std::nullopt, std::nullopt};
    state.includes = !file.empty();
    state.directory = file.parent_path();
    MasterFile directive_errors;
    std::size_t d = 0;
    for (std::size_t p = 0; p < pieces; ++p) {
      for (; d < cuts.directives.size() && cuts.directives[d] < cuts.starts[p]; ++d) {
        std::size_t at = cuts.directives[d];
        // $GENERATE leaves no state behind: the piece that holds it makes its records. An included file may set
        // the $TTL: a file with $INCLUDE is read in one go. (Read as one line below, an $INCLUDE with records
        // would fall back to that as well; this only spares reading the included file twice.)
        if (text.substr(at).starts_with("$GENERATE")) continue;
        if (text.substr(at).starts_with("$INCLUDE")) return read_master_file(text, origin, dialect, file);
        std::size_t end = text.find('\n', at);
        // One line: a directive continued over several lines in parentheses is an error here, and the file is
        // then read in one go.
        MasterFile one;
        read_entries(text.substr(at, (end == std::string_view::npos ? text.size() : end) - at), 1, state, one);
        if (!one.errors.empty() || !one.records.empty()) return read_master_file(text, origin, dialect, file);
      }
      states.push_back(state);
    }
  }
  std::vector<MasterFile> parts(pieces);
  pool.parallel_for(pieces, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t p = begin; p < end; ++p) {
      std::size_t stop = p + 1 < pieces ? cuts.starts[p + 1] : text.size();
      read_entries(text.substr(cuts.starts[p], stop - cuts.starts[p]), cuts.lines[p], states[p], parts[p]);
    }
  });
  std::uint64_t generated = 0;
  for (const ReaderState& state : states) generated += state.generated;
  // Past the file's limit of generated records: read in one go, which says where.
  if (generated > kMaxGenerated) return read_master_file(text, origin, dialect, file);
  std::size_t records = 0;
  for (const MasterFile& part : parts) {
    // With a bad line anywhere, read the whole file in one go: its errors (and the records around them) are
    // then exactly those of the sequential reading.
    if (!part.errors.empty()) return read_master_file(text, origin, dialect, file);
    records += part.records.size();
  }
  MasterFile result;
  result.pieces = pieces;
  result.records.reserve(records);
  result.lines.reserve(records);
  for (MasterFile& part : parts) {
    std::move(part.records.begin(), part.records.end(), std::back_inserter(result.records));
    result.lines.insert(result.lines.end(), part.lines.begin(), part.lines.end());
  }
  return result;
}

}  // namespace rdnsprov::dns
