// Network byte order (RFC 1035 §2.3.2) for the fixed-size fields of rdata and signing input.
//
//   std::string out;  put16(out, 43);  put32(out, serial);
//   std::uint16_t type = get16(rdata, 0);      // the caller has checked that 2 bytes are there
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rdnsprov::dns {

inline void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

inline void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

inline std::uint16_t get16(std::string_view w, std::size_t pos) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(w[pos]) << 8) | static_cast<unsigned char>(w[pos + 1]));
}

inline std::uint32_t get32(std::string_view w, std::size_t pos) {
  return (static_cast<std::uint32_t>(get16(w, pos)) << 16) | get16(w, pos + 2);
}

}  // namespace rdnsprov::dns
