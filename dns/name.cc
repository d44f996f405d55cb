#include "dns/name.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

namespace rdnsprov::dns {
namespace {

bool is_label_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string describe_byte(unsigned char c) {
  if (c >= 0x21 && c < 0x7f) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("byte 0x{:02x}", c);
}

// The name as written, for a message: bytes outside printable ASCII and a backslash escaped as \xNN, at most 300
// bytes of it. A name read from outside may hold a NUL or a line break, which must not reach a report line.
std::string shown(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 300)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') out.push_back(static_cast<char>(c));
    else out += fmt::format("\\x{:02x}", c);
  }
  if (text.size() > 300) out += "...";
  return out;
}

// label_problem, with '/' allowed too (RFC 2317 §4's notation, in operators' zones).
std::string label_problem_with_slash(std::string_view label) {
  if (label.find('/') == std::string_view::npos) return label_problem(label);
  std::string without(label);
  std::replace(without.begin(), without.end(), '/', '-');
  return label_problem(without);
}

}  // namespace

std::string label_problem(std::string_view label) {
  // Fast path: every label of every name passes here (millions per run); only a bad one pays for a message.
  if (!label.empty() && label.size() <= Name::kMaxLabelLength &&
      std::all_of(label.begin(), label.end(), [](char c) { return is_label_byte(static_cast<unsigned char>(c)); })) {
    return {};
  }
  if (label.empty()) return "empty label";
  if (label.size() > Name::kMaxLabelLength) {
    return fmt::format("label of {} octets (at most {})", label.size(), Name::kMaxLabelLength);
  }
  for (unsigned char c : label) {
    if (c == '\\') return "'\\' is not allowed in a name (rdnsprov reads no escapes in names)";
    if (!is_label_byte(c)) return fmt::format("{} is not allowed in a name", describe_byte(c));
  }
  return {};
}

void append_wire_name_text(std::string& out, std::string_view wire, std::size_t& offset) {
  std::size_t pos = offset;
  if (static_cast<unsigned char>(wire[pos]) == 0) {
    out.push_back('.');
    offset = pos + 1;
    return;
  }
  while (std::size_t length = static_cast<unsigned char>(wire[pos])) {
    out.append(wire.data() + pos + 1, length);
    out.push_back('.');
    pos += 1 + length;
  }
  offset = pos + 1;
}

Name::Name() : wire_(1, '\0') {}

Result<Name> Name::from_text(std::string_view text) { return parse(text, false, false); }

Result<Name> Name::parse(std::string_view text, bool wildcard, bool slash) {
  if (text == "." ) return Name();
  if (text.empty()) return error("empty name");
  if (text.back() == '.') text.remove_suffix(1);
  std::string wire;
  wire.reserve(text.size() + 2);
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view label = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label == "*" && start == 0 && wildcard) {
      // A wildcard's leftmost label.
    } else if (std::string problem = slash ? label_problem_with_slash(label) : label_problem(label); !problem.empty()) {
      return error(fmt::format("invalid name \"{}\": {}", shown(text), problem));
    }
    wire.push_back(static_cast<char>(label.size()));
    for (char c : label) wire.push_back(lower(c));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  wire.push_back('\0');
  if (wire.size() > kMaxWireLength) {
    return error(fmt::format("name of {} octets in wire form (at most {})", wire.size(), kMaxWireLength));
  }
  return Name(std::move(wire));
}

Result<Name> Name::from_text(std::string_view text, const Name& origin, bool slash) {
  if (text == "@") return origin;
  if (!text.empty() && text.back() == '.') return parse(text, true, slash);
  if (text.empty()) return error("empty name");
  auto relative = parse(text, true, slash);
  if (!relative) return relative;
  if (origin.is_root()) return relative;
  if (origin.is_wildcard()) {
    return error(fmt::format("name \"{}\" is relative to the wildcard {}: '*' is only a leftmost label", shown(text),
                             origin.to_text()));
  }
  std::string wire(relative->wire_.data(), relative->wire_.size() - 1);
  wire.append(origin.wire_);
  if (wire.size() > kMaxWireLength) {
    return error(fmt::format("name \"{}\" relative to {} is longer than {} octets", shown(text), origin.to_text(),
                             kMaxWireLength));
  }
  return Name(std::move(wire));
}

Result<Name> Name::from_wire(std::string_view wire, std::size_t& offset) {
  std::string out;
  std::size_t pos = offset;
  while (true) {
    if (pos >= wire.size()) return error("name runs past the end of the data");
    auto length = static_cast<unsigned char>(wire[pos]);
    if (length == 0) break;
    if (length > kMaxLabelLength) return error("compressed or invalid label length in wire-format name");
    if (pos + 1 + length > wire.size()) return error("label runs past the end of the data");
    std::string_view label = wire.substr(pos + 1, length);
    if (label == "*" && pos == offset) {
      // A wildcard's leftmost label.
    } else if (std::string problem = label_problem_with_slash(label); !problem.empty()) {
      return error("invalid name: " + problem);
    }
    out.push_back(static_cast<char>(length));
    for (char c : label) out.push_back(lower(c));
    pos += 1 + length;
    if (out.size() + 1 > kMaxWireLength) return error("wire-format name longer than 255 octets");
  }
  out.push_back('\0');
  offset = pos + 1;
  return Name(std::move(out));
}

void Name::append_text(std::string& out) const {
  if (is_root()) {
    out.push_back('.');
    return;
  }
  std::size_t pos = 0;
  while (wire_[pos] != 0) {
    auto length = static_cast<unsigned char>(wire_[pos]);
    out.append(wire_, pos + 1, length);
    out.push_back('.');
    pos += 1 + length;
  }
}

std::string Name::to_text() const {
  std::string out;
  out.reserve(wire_.size());
  append_text(out);
  return out;
}

std::string Name::to_text_no_dot() const {
  std::string out = to_text();
  out.pop_back();
  return out;
}

std::size_t Name::label_count() const {
  std::size_t count = 0;
  for (std::size_t pos = 0; wire_[pos] != 0; pos += 1 + static_cast<unsigned char>(wire_[pos])) ++count;
  return count;
}

std::string_view Name::label(std::size_t i) const {
  std::size_t pos = 0;
  for (std::size_t n = 0; n < i; ++n) {
    assert(wire_[pos] != 0 && "label index out of range");
    pos += 1 + static_cast<unsigned char>(wire_[pos]);
  }
  assert(wire_[pos] != 0 && "label index out of range");
  return std::string_view(wire_).substr(pos + 1, static_cast<unsigned char>(wire_[pos]));
}

Name Name::parent() const {
  if (is_root()) return *this;
  return Name(wire_.substr(1 + static_cast<unsigned char>(wire_[0])));
}

Name Name::suffix(std::size_t count) const {
  std::size_t total = label_count();
  assert(count <= total);
  std::size_t pos = 0;
  for (std::size_t n = 0; n < total - count; ++n) pos += 1 + static_cast<unsigned char>(wire_[pos]);
  return Name(wire_.substr(pos));
}

Result<Name> Name::prepend(std::string_view label) const {
  if (std::string problem = label_problem(label); !problem.empty()) return error(problem);
  std::string wire;
  wire.reserve(1 + label.size() + wire_.size());
  wire.push_back(static_cast<char>(label.size()));
  for (char c : label) wire.push_back(lower(c));
  wire.append(wire_);
  if (wire.size() > kMaxWireLength) return error("name longer than 255 octets");
  return Name(std::move(wire));
}

bool Name::is_at_or_below(const Name& ancestor) const {
  if (ancestor.wire_.size() > wire_.size()) return false;
  std::size_t start = wire_.size() - ancestor.wire_.size();
  if (std::memcmp(wire_.data() + start, ancestor.wire_.data(), ancestor.wire_.size()) != 0) return false;
  // The match must begin at a label boundary.
  for (std::size_t pos = 0; pos <= start; pos += 1 + static_cast<unsigned char>(wire_[pos])) {
    if (pos == start) return true;
  }
  return false;
}

std::strong_ordering operator<=>(const Name& a, const Name& b) {
  // Hot path of every canonical sort and check: no zero-filling; offsets are written before they are read.
  // Neighbours in a zone often share their owner (the records of one name): equal wire forms end it early,
  // and different ones usually differ in their first bytes, so the check is cheap either way.
  if (a.wire_ == b.wire_) return std::strong_ordering::equal;
  std::uint8_t offsets_a[128];
  std::uint8_t offsets_b[128];
  const char* wa = a.wire_.data();
  const char* wb = b.wire_.data();
  std::size_t count_a = 0;
  for (std::size_t pos = 0; wa[pos] != 0; pos += 1 + static_cast<unsigned char>(wa[pos])) {
    offsets_a[count_a++] = static_cast<std::uint8_t>(pos);
  }
  std::size_t count_b = 0;
  for (std::size_t pos = 0; wb[pos] != 0; pos += 1 + static_cast<unsigned char>(wb[pos])) {
    offsets_b[count_b++] = static_cast<std::uint8_t>(pos);
  }
  std::size_t i = count_a;
  std::size_t j = count_b;
  while (i > 0 && j > 0) {
    --i;
    --j;
    const auto* la = reinterpret_cast<const unsigned char*>(wa + offsets_a[i]);
    const auto* lb = reinterpret_cast<const unsigned char*>(wb + offsets_b[j]);
    std::size_t len_a = la[0];
    std::size_t len_b = lb[0];
    // Octet-string comparison: unsigned bytes, a shorter prefix sorts first.
    std::size_t n = len_a < len_b ? len_a : len_b;
    for (std::size_t k = 1; k <= n; ++k) {
      if (la[k] != lb[k]) return la[k] < lb[k] ? std::strong_ordering::less : std::strong_ordering::greater;
    }
    if (len_a != len_b) return len_a <=> len_b;
  }
  return count_a <=> count_b;
}

}  // namespace rdnsprov::dns
