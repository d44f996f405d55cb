// SigningPolicy: how one zone is signed — algorithm, key layout, denial of existence, signature timing.
//
//   SigningPolicy policy;                              // ECDSAP256SHA256, KSK + ZSK, NSEC, 30-day signatures
//   policy.denial = Denial::kNsec3;
//   policy.nsec3_opt_out = true;                       // unsigned delegations out of the NSEC3 chain
//   SignResult signed_zone = sign_zone(zone, keys, policy, now, previous, pool);
//
// Every field has the default written next to it; the `[policy.NAME]` config section maps onto these fields.
// Durations are seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dns/dnssec.h"

namespace rdnsprov::signer {

// Which keys a zone has (RFC 6781 §3.1).
enum class KeyLayout {
  kKskZsk,  // a KSK signs the DNSKEY RRset, a ZSK everything else
  kCsk,     // one combined signing key signs everything
};

// How the zone proves that a name or type does not exist.
enum class Denial {
  kNsec,   // RFC 4034 §4, RFC 4035 §2.3
  kNsec3,  // RFC 5155
};

// RFC 9276 §3.2: validators may treat NSEC3 with more iterations than this as insecure; the dnssec gate refuses
// them, and a policy may not ask for them.
inline constexpr std::uint16_t kMaxNsec3Iterations = 100;

struct SigningPolicy {
  // DNSSEC algorithm of every key: 13 ECDSAP256SHA256 (default), 15 ED25519 or 8 RSASHA256.
  std::uint8_t algorithm = dns::kAlgorithmEcdsaP256Sha256;
  // Modulus size of RSA keys (algorithm 8 only); at least 2048. Default 2048.
  unsigned rsa_bits = 2048;
  // KSK + ZSK (default) or a single CSK.
  KeyLayout key_layout = KeyLayout::kKskZsk;

  // NSEC (default) or NSEC3.
  Denial denial = Denial::kNsec;
  // NSEC3 extra hash iterations; default 0 (RFC 9276 §3.1).
  std::uint16_t nsec3_iterations = 0;  // at most kMaxNsec3Iterations
  // NSEC3 salt as raw octets; default empty (RFC 9276 §3.1).
  std::string nsec3_salt;
  // Leave unsigned delegations (no DS) out of the NSEC3 chain and set the Opt-Out flag (RFC 5155 §6);
  // default false.
  bool nsec3_opt_out = false;

  // Signature validity: expiration = now + signature_validity - jitter. Default 30 days: with the defaults below
  // a reused signature keeps more than `refresh` = 15 days, longer than the zone defaults' SOA EXPIRE (14 days),
  // so secondaries that lose the primary stop serving before a signature expires (RFC 6781 §4.4.1).
  std::uint32_t signature_validity = 30 * 86400;
  // Inception = now - inception_offset, so that resolvers with a slow clock accept new signatures. Default 1 hour.
  std::uint32_t inception_offset = 3600;
  // Re-signing: a signature is replaced once its expiration is within `refresh` of now. Default 15 days.
  std::uint32_t refresh = 15 * 86400;
  // Expirations are spread over [validity - jitter, validity], per RRset and deterministically (a hash of the
  // owner name and type), so that re-signing load is spread and re-runs give the same times. Default 1 day.
  std::uint32_t jitter = 86400;

  // TTL of the DNSKEY RRset and of CDS/CDNSKEY; nothing = the SOA record's TTL (default).
  std::optional<std::uint32_t> dnskey_ttl;
  // TTL of NSEC/NSEC3 records and NSEC3PARAM: nothing (default) = min(SOA MINIMUM, SOA TTL) as RFC 9077 §3
  // requires; a value overrides it (only for tests of resolvers; RFC 9077 says not to).
  std::optional<std::uint32_t> nsec_ttl;

  // Publish CDS (SHA-256) and CDNSKEY of the KSK (or CSK) at the apex (RFC 7344, RFC 8078). Default false.
  bool cds_cdnskey = false;
  // Publish a ZONEMD record (RFC 8976, scheme 1 SIMPLE, hash 1 SHA-384) at the apex. Default false.
  bool zonemd = false;

  // Lifetime of a KSK and of a ZSK (CSKs use ksk_lifetime); 0 = unlimited (default). Rollovers are driven from
  // these (signer/rollover.h).
  std::uint32_t ksk_lifetime = 0;
  std::uint32_t zsk_lifetime = 0;
  // Rollover timing (RFC 7583 §3): how long a published zone takes to reach every secondary, and the TTL and
  // propagation delay of the DS RRset at the parent. Defaults 1 hour, 1 day, 1 hour.
  std::uint32_t propagation_delay = 3600;
  std::uint32_t parent_ds_ttl = 86400;
  std::uint32_t parent_propagation_delay = 3600;
};

}  // namespace rdnsprov::signer
