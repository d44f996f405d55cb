#include "zonelets/format.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"

namespace rdnsprov::zonelets {
namespace {

constexpr std::string_view kMagic = "; rdnsprov-zonelet:";

std::string_view trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Calls `each(line_text_with_newline, line_number)` for every physical line.
template <typename Each>
void for_each_line(std::string_view text, Each each) {
  std::uint64_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    std::size_t end = eol == std::string_view::npos ? text.size() : eol + 1;
    ++number;
    if (!each(text.substr(pos, end - pos), number)) return;
    pos = end;
  }
}

bool is_record_line(std::string_view line) {
  std::string_view t = trim(line.substr(0, line.find('\n')));
  return !t.empty() && t[0] != ';';
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string shown_value(std::string_view value) {
  std::string out;
  for (unsigned char c : value.substr(0, 100)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') out.push_back(static_cast<char>(c));
    else out += fmt::format("\\x{:02x}", c);
  }
  if (value.size() > 100) out += "...";
  return out;
}

std::string utc_text(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::optional<std::time_t> parse_utc(std::string_view text) {
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return std::nullopt;
  }
  std::tm tm{};
  if (!parse_number(text.substr(0, 4), tm.tm_year) || !parse_number(text.substr(5, 2), tm.tm_mon) ||
      !parse_number(text.substr(8, 2), tm.tm_mday) || !parse_number(text.substr(11, 2), tm.tm_hour) ||
      !parse_number(text.substr(14, 2), tm.tm_min) || !parse_number(text.substr(17, 2), tm.tm_sec)) {
    return std::nullopt;
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  if (utc_text(t) != text) return std::nullopt;  // 31 February and the like
  return t;
}

std::string write_zonelet(ZoneletHeader header, const std::vector<dns::Record>& records) {
  std::string body;
  body.reserve(records.size() * 64);
  for (const dns::Record& r : records) dns::append_master_line(body, r);
  header.records = records.size();
  header.sha256 = dns::to_hex(dns::sha256(body), false);
  std::string out = fmt::format(
      "{} {}\n; sender: {}\n; receiver: {}\n; parent-zone: {}\n; generated: {}\n; serial: {}\n; records: {}\n"
      "; sha256: {}\n",
      kMagic, kZoneletVersion, header.sender, header.receiver, header.parent.to_text(), utc_text(header.generated),
      header.serial, header.records, header.sha256);
  out += body;
  return out;
}

std::optional<ZoneletHeader> read_header(std::string_view text, std::string& problem) {
  problem.clear();
  if (!text.starts_with(kMagic)) return std::nullopt;
  ZoneletHeader header;
  std::set<std::string, std::less<>> seen;
  bool first = true;
  for_each_line(text, [&](std::string_view raw, std::uint64_t number) {
    std::string_view line = trim(raw.substr(0, raw.find('\n')));
    if (!line.starts_with(";")) return false;  // the header ends at the first line that is not a comment
    std::string_view content = trim(line.substr(1));
    std::size_t colon = content.find(':');
    if (colon == std::string_view::npos) return false;
    std::string key(trim(content.substr(0, colon)));
    std::string_view value = trim(content.substr(colon + 1));
    if (first) {
      first = false;
      int version = 0;
      if (!parse_number(value, version) || version != kZoneletVersion) {
        problem = fmt::format("line {}: zonelet format version \"{}\" is not {}", number, shown_value(value),
                              kZoneletVersion);
        return false;
      }
      return true;
    }
    if (!seen.insert(key).second) {
      problem = fmt::format("line {}: header field \"{}\" appears twice", number, shown_value(key));
      return false;
    }
    if (key == "sender") header.sender = std::string(value);
    else if (key == "receiver") header.receiver = std::string(value);
    else if (key == "parent-zone") {
      auto name = dns::Name::from_text(value);
      if (!name) problem = fmt::format("line {}: parent-zone: {}", number, name.error());
      else header.parent = *name;
    } else if (key == "generated") {
      auto t = parse_utc(value);
      if (!t) {
        problem = fmt::format("line {}: generated: expected YYYY-MM-DDTHH:MM:SSZ, found \"{}\"", number,
                              shown_value(value));
      }
      else header.generated = *t;
    } else if (key == "serial") {
      if (!parse_number(value, header.serial)) problem = fmt::format("line {}: serial: not a number from 0 to 4294967295", number);
    } else if (key == "records") {
      if (!parse_number(value, header.records)) problem = fmt::format("line {}: records: not a count", number);
    } else if (key == "sha256") {
      auto digest = dns::from_hex(value);
      if (!digest || digest->size() != 32) problem = fmt::format("line {}: sha256: expected 64 hex digits", number);
      else header.sha256 = dns::to_hex(*digest, false);
    } else {
      seen.erase(key);  // unknown fields are comments a later version may add
    }
    return problem.empty();
  });
  if (!problem.empty()) return header;
  for (const char* key : {"sender", "receiver", "parent-zone", "generated", "serial", "records", "sha256"}) {
    if (!seen.count(key)) {
      problem = fmt::format("the header lacks \"{}\"", key);
      break;
    }
  }
  return header;
}

std::string record_lines_sha256(std::string_view text) {
  std::string digest_input;
  for_each_line(text, [&](std::string_view line, std::uint64_t) {
    if (is_record_line(line)) {
      digest_input.append(line);
      if (!line.ends_with('\n')) digest_input.push_back('\n');
    }
    return true;
  });
  return dns::to_hex(dns::sha256(digest_input), false);
}

ParsedZonelet parse_zonelet(std::string_view text, const dns::Name& parent_hint) {
  ParsedZonelet out;
  out.parent = parent_hint;
  std::string problem;
  out.header = read_header(text, problem);
  if (!problem.empty()) {
    out.refusal = "malformed header: " + problem;
    return out;
  }
  if (out.header) out.parent = out.header->parent;
  dns::MasterFile parsed = dns::read_master_file(text, out.parent);
  out.records = std::move(parsed.records);
  out.lines = std::move(parsed.lines);
  out.errors = std::move(parsed.errors);
  if (!out.header) return out;
  // A truncated or altered file: its record lines no longer give the digest and count of the header.
  std::string digest = record_lines_sha256(text);
  if (digest != out.header->sha256) {
    out.refusal = fmt::format("the SHA-256 of the record lines is {}, the header says {} (truncated or altered)",
                              digest, out.header->sha256);
  } else if (!out.errors.empty()) {
    // A zonelet with a header is taken whole or not at all; the operator who tells the peer needs the line.
    const dns::MasterFileError& first = out.errors.front();
    out.refusal = fmt::format("line {}: {} ({} of its lines are not records rdnsprov reads)", first.line, first.reason,
                              out.errors.size());
  } else if (out.records.size() != out.header->records) {
    out.refusal = fmt::format("the header says {} records, the file holds {} readable records", out.header->records,
                              out.records.size());
  }
  return out;
}

}  // namespace rdnsprov::zonelets
