#include "zonelets/peer.h"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

namespace rdnsprov::zonelets {
namespace {

const dns::Name& in_addr_arpa() {
  static const dns::Name name = *dns::Name::from_text("in-addr.arpa");
  return name;
}
const dns::Name& ip6_arpa() {
  static const dns::Name name = *dns::Name::from_text("ip6.arpa");
  return name;
}

std::optional<unsigned> decimal_octet(std::string_view label) {
  if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), value);
  if (ec != std::errc() || end != label.data() + label.size() || value > 255) return std::nullopt;
  return value;
}

std::optional<unsigned> nibble(std::string_view label) {
  if (label.size() != 1) return std::nullopt;
  char c = label[0];
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return std::nullopt;
}

// Sets the bits past `length` to `one` (false: the first address of the prefix, true: the last).
std::array<std::uint8_t, 16> fill_after(std::array<std::uint8_t, 16> address, unsigned length, unsigned total_bits,
                                        bool one) {
  for (unsigned bit = length; bit < total_bits; ++bit) {
    std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if (one) address[bit / 8] |= mask;
    else address[bit / 8] &= static_cast<std::uint8_t>(~mask);
  }
  return address;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned length) {
  for (unsigned bit = 0; bit < length; ++bit) {
    std::uint8_t mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

// The block of a reverse name as (address, prefix length); a range label is handled by the caller.
struct NamePrefix {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};
  unsigned length = 0;
};

std::optional<NamePrefix> name_prefix(const dns::Name& name, std::size_t skip_left) {
  NamePrefix out;
  std::size_t labels = name.label_count();
  if (name.is_at_or_below(in_addr_arpa())) {
    std::size_t octets = labels - 2 - skip_left;
    if (octets > 4) return std::nullopt;
    for (std::size_t i = 0; i < octets; ++i) {
      auto octet = decimal_octet(name.label(labels - 3 - i));
      if (!octet) return std::nullopt;
      out.address[i] = static_cast<std::uint8_t>(*octet);
    }
    out.length = static_cast<unsigned>(8 * octets);
    return out;
  }
  if (name.is_at_or_below(ip6_arpa())) {
    out.ipv6 = true;
    std::size_t nibbles = labels - 2 - skip_left;
    if (nibbles > 32) return std::nullopt;
    for (std::size_t i = 0; i < nibbles; ++i) {
      auto n = nibble(name.label(labels - 3 - i));
      if (!n) return std::nullopt;
      out.address[i / 2] |= static_cast<std::uint8_t>(i % 2 == 0 ? *n << 4 : *n);
    }
    out.length = static_cast<unsigned>(4 * nibbles);
    return out;
  }
  return std::nullopt;
}

}  // namespace

dns::Result<AddressPrefix> AddressPrefix::from_text(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return dns::error("expected ADDRESS/LENGTH");
  std::string address(text.substr(0, slash));
  std::string_view length_text = text.substr(slash + 1);
  AddressPrefix out;
  out.ipv6 = address.find(':') != std::string::npos;
  int ok = ::inet_pton(out.ipv6 ? AF_INET6 : AF_INET, address.c_str(), out.address.data());
  if (ok != 1) return dns::error(fmt::format("\"{}\" is not an IPv{} address", address, out.ipv6 ? 6 : 4));
  unsigned total = out.ipv6 ? 128 : 32;
  unsigned length = 0;
  auto [end, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (length_text.empty() || ec != std::errc() || end != length_text.data() + length_text.size() || length > total) {
    return dns::error(fmt::format("prefix length must be a number from 0 to {}", total));
  }
  out.length = length;
  if (fill_after(out.address, length, total, false) != out.address) {
    return dns::error(fmt::format("{} has bits set past /{}", address, length));
  }
  return out;
}

std::string AddressPrefix::to_text() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), buffer, sizeof buffer);
  return fmt::format("{}/{}", buffer, length);
}

std::optional<AddressBlock> reverse_name_block(const dns::Name& name) {
  AddressBlock block;
  // RFC 2317 range "first-last.Z.Y.X.in-addr.arpa": the addresses first..last of the /24.
  std::string_view leftmost = name.label_count() ? name.first_label() : std::string_view();
  if (std::size_t dash = leftmost.find('-'); dash != std::string_view::npos) {
    if (name.label_count() != 6 || !name.is_below(in_addr_arpa())) return std::nullopt;
    auto first = decimal_octet(leftmost.substr(0, dash));
    auto last = decimal_octet(leftmost.substr(dash + 1));
    if (!first || !last || *first > *last) return std::nullopt;
    auto prefix = name_prefix(name, 1);
    if (!prefix || prefix->length != 24) return std::nullopt;
    block.first = prefix->address;
    block.last = prefix->address;
    block.first[3] = static_cast<std::uint8_t>(*first);
    block.last[3] = static_cast<std::uint8_t>(*last);
    return block;
  }
  auto prefix = name_prefix(name, 0);
  if (!prefix) return std::nullopt;
  block.ipv6 = prefix->ipv6;
  unsigned total = prefix->ipv6 ? 128 : 32;
  block.first = fill_after(prefix->address, prefix->length, total, false);
  block.last = fill_after(prefix->address, prefix->length, total, true);
  return block;
}

std::optional<AddressPrefix> reverse_zone_prefix(const dns::Name& apex) {
  if (!apex.first_label().empty() && apex.first_label().find('-') != std::string_view::npos) return std::nullopt;
  auto prefix = name_prefix(apex, 0);
  if (!prefix) return std::nullopt;
  return AddressPrefix{prefix->ipv6, prefix->address, prefix->length};
}

bool AddressPrefix::contains(const dns::Name& name) const {
  auto block = reverse_name_block(name);
  if (!block || block->ipv6 != ipv6) return false;
  return same_prefix(block->first, address, length) && same_prefix(block->last, address, length);
}

bool AddressPrefix::contains(const AddressPrefix& other) const {
  return other.ipv6 == ipv6 && other.length >= length && same_prefix(other.address, address, length);
}

bool valid_peer_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;  // also ".", "..", hidden files
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

bool PeerSpec::owns(const dns::Name& reverse_name) const {
  for (const AddressPrefix& prefix : space) {
    if (prefix.contains(reverse_name)) return true;
  }
  return false;
}

}  // namespace rdnsprov::zonelets
