#include "ingest/printable.h"

#include <fmt/format.h>

namespace rdnsprov::ingest {

std::string printable_excerpt(std::string_view text, std::size_t max_length) {
  bool cut = false;
  if (text.size() > max_length) {
    std::size_t end = max_length;
    // Do not split a UTF-8 sequence: back up over continuation bytes.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(text.size() + 8);
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (cut) out += "...";
  return out;
}

std::string describe_byte(unsigned char byte) {
  if (byte == ' ') return "a space";
  if (byte == '\t') return "a tab";
  if (byte > 0x20 && byte < 0x7f) return fmt::format("'{}'", static_cast<char>(byte));
  if (byte >= 0x80) return fmt::format("non-ASCII byte 0x{:02x}", byte);
  return fmt::format("byte 0x{:02x}", byte);
}

}  // namespace rdnsprov::ingest
