// Text encodings of binary rdata fields: hex (DS digests), base64 (keys, signatures), base32hex (NSEC3).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rdnsprov::dns {

std::string to_hex(std::string_view bytes, bool upper = true);
void append_hex(std::string& out, std::string_view bytes, bool upper = true);
// Accepts upper and lower case; nothing for an odd length or a non-hex byte.
std::optional<std::string> from_hex(std::string_view text);

std::string to_base64(std::string_view bytes);
void append_base64(std::string& out, std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);

// RFC 4648 §7 "Extended Hex" alphabet without padding, as NSEC3 uses it (RFC 5155 §3.3).
std::string to_base32hex(std::string_view bytes);
void append_base32hex(std::string& out, std::string_view bytes);
std::optional<std::string> from_base32hex(std::string_view text);

}  // namespace rdnsprov::dns
