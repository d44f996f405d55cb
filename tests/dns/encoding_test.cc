// Text encodings of rdata fields (dns/encoding.h): RFC 4648 test vectors, and the decoder against a plain
// bit-by-bit reading of the same alphabet on many inputs, valid and not.
#include "dns/encoding.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace rdnsprov::dns {
namespace {

TEST(Base64, Rfc4648TestVectors) {
  // RFC 4648 §10.
  const std::pair<std::string, std::string> vectors[] = {{"", ""},          {"f", "Zg=="},       {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},   {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(to_base64(plain), encoded);
    EXPECT_EQ(from_base64(encoded), plain) << encoded;
  }
  // Bits left over by the padding that are not zero: not the canonical encoding (RFC 4648 §3.5), refused as BIND
  // refuses it.
  for (const char* text : {"Zh==", "Zm9=", "AB==", "AAB="}) EXPECT_EQ(from_base64(text), std::nullopt) << text;
}

// The decoder as first written: one character at a time, six bits each.
std::optional<std::string> reference_decode(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;
    std::size_t v = alphabet.find(c);
    if (v == std::string::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (padding > 2 || (text.size() % 4) != 0) return std::nullopt;
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // RFC 4648 §3.5: the bits left over are zero
  return out;
}

TEST(Base64, DecoderAgreesWithABitByBitReadingOnValidAndInvalidText) {
  std::mt19937 random(4648);
  const std::string characters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=== -\n";
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    std::size_t length = random() % 16;
    for (std::size_t i = 0; i < length; ++i) text.push_back(characters[random() % characters.size()]);
    ASSERT_EQ(from_base64(text), reference_decode(text)) << "\"" << text << "\"";
    std::string bytes(random() % 70, '\0');
    for (char& b : bytes) b = static_cast<char>(random());
    ASSERT_EQ(from_base64(to_base64(bytes)), bytes);
  }
}

}  // namespace
}  // namespace rdnsprov::dns
