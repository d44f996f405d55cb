// ZONEMD digests (RFC 8976): a message digest over a whole zone, shared by the signer and the verifier.
//
//   auto digest = zonemd_digest(zone, kZonemdSchemeSimple, kZonemdHashSha384);   // Result<std::string>, raw octets
//   std::string rdata = zonemd_rdata(serial, kZonemdSchemeSimple, kZonemdHashSha384, *digest);
//
// The digest covers every record of the zone at or below its apex — glue and occluded data included — in
// canonical order, each once, except the apex ZONEMD RRset and the apex RRSIGs that cover ZONEMD
// (RFC 8976 §3.3.1). A ZONEMD below the apex is ordinary data and is included.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dns/name.h"
#include "dns/result.h"
#include "dns/zone.h"

namespace rdnsprov::signer {

inline constexpr std::uint8_t kZonemdSchemeSimple = 1;  // RFC 8976 §5.2
inline constexpr std::uint8_t kZonemdHashSha384 = 1;    // RFC 8976 §5.3
inline constexpr std::uint8_t kZonemdHashSha512 = 2;

// Digest of `zone` with the given scheme and hash algorithm; an error for a scheme other than SIMPLE or an
// unknown hash algorithm. The zone's records need not be sorted (a sorted copy is made when they are not).
dns::Result<std::string> zonemd_digest(const dns::Zone& zone, std::uint8_t scheme = kZonemdSchemeSimple,
                                       std::uint8_t hash_algorithm = kZonemdHashSha384);

// ZONEMD rdata (RFC 8976 §2.2): serial, scheme, hash algorithm, digest.
std::string zonemd_rdata(std::uint32_t serial, std::uint8_t scheme, std::uint8_t hash_algorithm, std::string_view digest);

// One record of any type, in canonical wire form (owner and rdata names lower-case, uncompressed): the input of
// the digest for record types rdnsprov does not otherwise handle (the RFC 8976 examples have MX, TXT, PTR and a
// wildcard owner).
struct WireRecord {
  std::string owner;  // wire form
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string rdata;
};
// The same digest over arbitrary records (any order, duplicates allowed); `apex` in wire form.
dns::Result<std::string> zonemd_digest_of_records(std::string_view apex, std::span<const WireRecord> records,
                                                  std::uint8_t scheme = kZonemdSchemeSimple,
                                                  std::uint8_t hash_algorithm = kZonemdHashSha384);

}  // namespace rdnsprov::signer
