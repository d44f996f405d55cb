// DNSSEC computations shared by the signer, its independent verifier and the zonelet/DS checks.
//
//   std::uint16_t tag = key_tag(dnskey_rdata);                              // RFC 4034 appendix B
//   std::string ds = ds_rdata(owner, dnskey_rdata, 2);                      // DS rdata, SHA-256 digest (RFC 4509)
//   std::string hash = nsec3_hash(name, salt, 0);                           // raw SHA-1 (RFC 5155 §5)
//   std::string label = to_base32hex(hash);                                 // the NSEC3 owner's first label
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/result.h"

namespace rdnsprov::dns {

// DNSSEC algorithm numbers rdnsprov signs with (IANA "DNS Security Algorithm Numbers").
inline constexpr std::uint8_t kAlgorithmRsaSha256 = 8;
inline constexpr std::uint8_t kAlgorithmEcdsaP256Sha256 = 13;
inline constexpr std::uint8_t kAlgorithmEd25519 = 15;

// DNSKEY flags (RFC 4034 §2.1.1, RFC 3757).
inline constexpr std::uint16_t kDnskeyZoneFlag = 0x0100;
inline constexpr std::uint16_t kDnskeySepFlag = 0x0001;
// RFC 5011 §3: a revoked key; it validates nothing but its own signature over the DNSKEY RRset (§2.1).
inline constexpr std::uint16_t kDnskeyRevokeFlag = 0x0080;

// Key tag of a DNSKEY rdata (RFC 4034 appendix B; algorithm 1 is not supported and never used here).
std::uint16_t key_tag(std::string_view dnskey_rdata);

// DS rdata for a DNSKEY (RFC 4034 §5.1.4): digest over owner wire form | DNSKEY rdata.
// digest_type 1 = SHA-1, 2 = SHA-256, 4 = SHA-384; an error for any other.
Result<std::string> ds_rdata(const Name& owner, std::string_view dnskey_rdata, std::uint8_t digest_type);

// NSEC3 hash (RFC 5155 §5): iterated SHA-1 over the canonical wire form of `name` with `salt`.
std::string nsec3_hash(const Name& name, std::string_view salt, std::uint16_t iterations);

// The same over a canonical (lower-case, uncompressed) wire-form name, into a fixed array: the hot path of
// signing and verifying NSEC3 zones. Each thread keeps its own digest context.
using Nsec3Digest = std::array<unsigned char, 20>;
Nsec3Digest nsec3_digest(std::string_view canonical_wire, std::string_view salt, std::uint16_t iterations);

// Message digests used by DS, NSEC3 and ZONEMD.
std::string sha1(std::string_view data);
std::string sha256(std::string_view data);
std::string sha384(std::string_view data);

// Seconds from `now` to an RRSIG inception or expiration time, in the serial arithmetic of RFC 4034 §3.1.5
// (negative when it is past): a 32-bit field read within 68 years of `now`.
inline std::int64_t seconds_until(std::uint32_t rrsig_time, std::time_t now) {
  return static_cast<std::int32_t>(rrsig_time - static_cast<std::uint32_t>(now));
}

// When the first signature of `records` expires, as Unix seconds: the earliest RRSIG expiration field; none
// without an RRSIG. From then on a validating resolver can no longer validate what it covers.
std::optional<std::time_t> earliest_signature_expiration(std::span<const Record> records, std::time_t now);

// The TTLs resolvers cache a signed zone's keys and signatures with, which key rollovers wait for (RFC 7583 §3):
// its apex DNSKEY RRset's, and its largest signed RRset's (the largest RRSIG TTL, an RRSIG having its RRset's).
// Zero for what it lacks.
struct ServedTtls {
  std::uint32_t dnskey = 0;
  std::uint32_t signed_rrsets = 0;
  bool operator==(const ServedTtls&) const = default;
};
ServedTtls served_ttls(std::span<const Record> records, const Name& apex);

}  // namespace rdnsprov::dns
