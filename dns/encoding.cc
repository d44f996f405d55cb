#include "dns/encoding.h"

#include <array>
#include <cstdint>

namespace rdnsprov::dns {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase32Hex[] = "0123456789abcdefghijklmnopqrstuv";

int base32hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  if (c >= 'A' && c <= 'V') return c - 'A' + 10;
  return -1;
}

}  // namespace

void append_hex(std::string& out, std::string_view bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  char* p = out.data() + at;
  for (unsigned char b : bytes) {
    *p++ = digits[b >> 4];
    *p++ = digits[b & 15];
  }
}

std::string to_hex(std::string_view bytes, bool upper) {
  std::string out;
  append_hex(out, bytes, upper);
  return out;
}

std::optional<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

void append_base64(std::string& out, std::string_view bytes) {
  std::size_t i = 0;
  {
    std::size_t at = out.size();
    out.resize(at + bytes.size() / 3 * 4);
    char* p = out.data() + at;
    for (; i + 3 <= bytes.size(); i += 3) {
      std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                        (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
      *p++ = kBase64[(v >> 18) & 63];
      *p++ = kBase64[(v >> 12) & 63];
      *p++ = kBase64[(v >> 6) & 63];
      *p++ = kBase64[v & 63];
    }
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back('=');
  }
}

std::string to_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  append_base64(out, bytes);
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  // Four characters make three octets; '=' pads only the end, at most twice (RFC 4648 §4).
  static constexpr auto kValue = [] {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kBase64[i])] = static_cast<std::int8_t>(i);
    return table;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return std::nullopt;
  std::string_view body = text.substr(0, text.size() - padding);
  std::string out;
  out.resize(body.size() / 4 * 3 + (body.size() % 4 == 0 ? 0 : body.size() % 4 - 1));
  char* to = out.data();
  std::size_t i = 0;
  for (; i + 4 <= body.size(); i += 4) {
    int a = kValue[static_cast<unsigned char>(body[i])];
    int b = kValue[static_cast<unsigned char>(body[i + 1])];
    int c = kValue[static_cast<unsigned char>(body[i + 2])];
    int d = kValue[static_cast<unsigned char>(body[i + 3])];
    if ((a | b | c | d) < 0) return std::nullopt;
    std::uint32_t v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
    *to++ = static_cast<char>(v >> 16);
    *to++ = static_cast<char>(v >> 8);
    *to++ = static_cast<char>(v);
  }
  std::uint32_t v = 0;
  std::size_t rest = body.size() - i;
  for (std::size_t k = 0; k < rest; ++k) {
    int value = kValue[static_cast<unsigned char>(body[i + k])];
    if (value < 0) return std::nullopt;
    v = v << 6 | static_cast<std::uint32_t>(value);
  }
  // RFC 4648 §3.5: the bits the padding leaves over are zero in the one encoding of the data ("AB==" is not "AA=="),
  // as BIND requires of master files.
  if ((rest == 2 && (v & 0xf) != 0) || (rest == 3 && (v & 0x3) != 0)) return std::nullopt;
  if (rest == 2) *to++ = static_cast<char>(v >> 4);
  if (rest == 3) {
    *to++ = static_cast<char>(v >> 10);
    *to++ = static_cast<char>(v >> 2);
  }
  return out;
}

void append_base32hex(std::string& out, std::string_view bytes) {
  std::uint64_t acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Hex[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32Hex[(acc << (5 - bits)) & 31]);
}

std::string to_base32hex(std::string_view bytes) {
  std::string out;
  append_base32hex(out, bytes);
  return out;
}

std::optional<std::string> from_base32hex(std::string_view text) {
  std::string out;
  std::uint64_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = base32hex_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 5) | static_cast<std::uint64_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // leftover bits must be zero padding
  return out;
}

}  // namespace rdnsprov::dns
