// Peer: a registry we exchange zonelets with, and the address space the configuration assigns it.
//
//   auto prefix = AddressPrefix::from_text("193.0.0.0/20");     // Result<AddressPrefix>
//   prefix->contains(*Name::from_text("5.0.193.in-addr.arpa"));  // true: 193.0.5.0/24 lies inside
//   PeerSpec peer;                                               // from [peer.NAME] (docs/CONFIG.md)
//   peer.owns(name);                                             // inside one of the peer's prefixes
//   valid_peer_name("ARIN");                                     // the name becomes a file name: checked first
//
// A reverse name covers a block of addresses: "2.0.193.in-addr.arpa" is 193.0.2.0/24, a nibble name under
// ip6.arpa a /4n, an RFC 2317 range "0-63.2.0.193.in-addr.arpa" the addresses 193.0.2.0 to 193.0.2.63. A name is
// inside a prefix when every address it covers is.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/result.h"

namespace rdnsprov::zonelets {

struct AddressPrefix {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 octets; bits past `length` are zero
  unsigned length = 0;                     // prefix length in bits

  // "193.0.0.0/16", "2001:db8::/32". Bits set past the length are an error (a typo, not a wish).
  static dns::Result<AddressPrefix> from_text(std::string_view text);
  std::string to_text() const;
  // True when every address `name` covers lies inside this prefix.
  bool contains(const dns::Name& name) const;
  // True when every address of `other` lies inside this prefix.
  bool contains(const AddressPrefix& other) const;
};

// The addresses a reverse name covers: first and last address, and the family. Nothing for a name that is not a
// reverse name made of address labels (octets under in-addr.arpa, nibbles under ip6.arpa, one RFC 2317 range).
struct AddressBlock {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> first{};
  std::array<std::uint8_t, 16> last{};
};
std::optional<AddressBlock> reverse_name_block(const dns::Name& name);
// The prefix a reverse zone apex stands for ("193.in-addr.arpa" → 193.0.0.0/8); nothing for other names.
std::optional<AddressPrefix> reverse_zone_prefix(const dns::Name& apex);

// Peer names become directory and file names (STATE/zonelets/in/<peer>/): letters, digits, '.', '_' and '-' only,
// not empty, not starting with "." (so never "." or ".."), at most 64 characters.
bool valid_peer_name(std::string_view name);

struct PeerSpec {
  std::string name;                             // NAME of [peer.NAME]; the sender/receiver name in headers
  std::vector<AddressPrefix> space;             // the address space the peer manages inside our zones
  std::filesystem::path incoming;               // where the peer's zonelets arrive
  std::filesystem::path outgoing;               // where ours for the peer are written
  std::vector<dns::Name> export_zones;          // parent zones the peer serves: we export what falls in them
  std::uint32_t stale_after = 86400;            // warn when the newest zonelet is older than this
  std::uint32_t export_interval = 3600;         // run exports when the last export is this old (less 10%)
  std::uint32_t export_keep = 24;               // exports kept per parent zone in `outgoing`
  std::uint32_t min_ttl = 300;                  // TTL bounds of imported records
  std::uint32_t max_ttl = 172800;
  std::uint32_t export_ttl = 86400;             // TTL of the records we export
  double max_drop_percent = 10.0;               // size-drop gate of imports (see safeguards/gates.h)
  std::uint64_t min_drop = 2;

  // True when `name` lies inside one of the peer's prefixes.
  bool owns(const dns::Name& name) const;
};

}  // namespace rdnsprov::zonelets
