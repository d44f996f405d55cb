#include "dns/zone.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "dns/rdata.h"

namespace rdnsprov::dns {

void Zone::canonicalise() {
  // The builder and the signer hand over records already in canonical order; checking is linear.
  if (!std::is_sorted(records_.begin(), records_.end())) std::sort(records_.begin(), records_.end());
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
    while (j < records_.size() && same_rrset(records_[j], records_[i])) {
      ttl = std::min(ttl, records_[j].ttl);
      ++j;
    }
    for (std::size_t k = i; k < j; ++k) records_[k].ttl = ttl;
    i = j;
  }
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
  for (Record& r : records_) {
    if (r.type == RRType::kSoa && r.owner == apex_) {
      auto parsed = rdata::parse_soa(r.rdata);
      assert(parsed.ok());
      parsed->serial = serial.value();
      r.rdata = rdata::soa(*parsed);
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

std::string to_master_file(const Zone& zone) {
  std::string out;
  out.reserve(zone.records().size() * 64);
  if (const Record* soa = zone.soa()) append_master_line(out, *soa);
  for (const Record& r : zone.records()) {
    if (r.type == RRType::kSoa && r.owner == zone.apex()) continue;
    append_master_line(out, r);
  }
  return out;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits a master file into logical entries: parentheses join physical lines, comments are dropped.
class EntryReader {
 public:
  explicit EntryReader(std::string_view text) : text_(text) {}

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
        if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
          if (problem.empty()) {
            problem = c == '"'  ? "quoted text is not used by any record type rdnsprov handles"
                      : c == '\\' ? "escapes in names are not accepted"
                                  : fmt::format("byte 0x{:02x} is not allowed", static_cast<unsigned char>(c));
          }
          ++pos_;
          continue;
        }
        std::size_t start = pos_;
        // A token ends at any byte that is not printable ASCII too: the loop above refuses it with its own
        // message, so no token (and no error quoting one) ever holds a control byte.
        while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != '\n' && text_[pos_] != ';' &&
               text_[pos_] != '(' && text_[pos_] != ')' && text_[pos_] != '"' && text_[pos_] != '\\' &&
               static_cast<unsigned char>(text_[pos_]) >= 0x20 && static_cast<unsigned char>(text_[pos_]) < 0x7f) {
          ++pos_;
        }
        fields.push_back(text_.substr(start, pos_ - start));
      }
      if (depth > 0 && problem.empty()) problem = "'(' without ')' before the end of the file";
      if (!fields.empty() || !problem.empty()) return true;
    }
    return false;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::uint64_t line_ = 0;
};

bool looks_like_ttl(std::string_view field) { return !field.empty() && field[0] >= '0' && field[0] <= '9'; }

}  // namespace

MasterFile read_master_file(std::string_view text, const Name& initial_origin) {
  MasterFile result;
  EntryReader reader(text);
  std::vector<std::string_view> fields;
  bool starts_with_space = false;
  std::uint64_t line = 0;
  std::string problem;
  Name origin = initial_origin;
  std::optional<std::uint32_t> default_ttl;
  std::optional<Name> previous_owner;
  auto fail = [&](std::string reason) { result.errors.push_back({line, std::move(reason)}); };

  while (reader.next(fields, starts_with_space, line, problem)) {
    if (!problem.empty()) {
      fail(problem);
      continue;
    }
    std::size_t i = 0;
    if (fields[0][0] == '$') {
      if (fields[0] == "$ORIGIN" && fields.size() == 2) {
        auto name = Name::from_text(fields[1], origin);
        if (!name) fail("$ORIGIN: " + name.error());
        else origin = *name;
      } else if (fields[0] == "$TTL" && fields.size() == 2) {
        auto ttl = rdata::ttl_from_text(fields[1]);
        if (!ttl) fail("$TTL: " + ttl.error());
        else default_ttl = *ttl;
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
    } else {
      auto name = Name::from_text(fields[0], origin);
      if (!name) {
        fail("owner: " + name.error());
        continue;
      }
      owner = *name;
      i = 1;
    }
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
      } else if (fields[i] == "IN" || fields[i] == "in") {
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
    auto type = rrtype_from_text(fields[i]);
    if (!type) {
      fail(fmt::format("record type \"{}\" is not one rdnsprov handles", fields[i]));
      continue;
    }
    ++i;
    if (!ttl) ttl = default_ttl;
    if (!ttl) {
      fail("record without a TTL and no $TTL before it");
      continue;
    }
    auto rdata = rdata::from_text(*type, std::span(fields).subspan(i), origin);
    if (!rdata) {
      fail(fmt::format("{} {}: {}", owner.to_text(), rrtype_to_text(*type), rdata.error()));
      continue;
    }
    previous_owner = owner;
    result.records.push_back(Record{std::move(owner), *type, *ttl, std::move(*rdata)});
    result.lines.push_back(line);
  }
  return result;
}

}  // namespace rdnsprov::dns
