// The signer: turns an unsigned zone into a DNSSEC-signed one — DNSKEY, RRSIG, NSEC or NSEC3, and optionally
// CDS/CDNSKEY and ZONEMD — reusing the signatures of the previous signed zone wherever they are still good.
//
//   dns::ThreadPool pool;
//   KeyStore store(state / "keys" / zone.apex().to_text_no_dot(), zone.apex());
//   std::vector<SigningKey> keys = store.signing_keys(now);        // published keys, active ones flagged
//   SigningPolicy policy;                                         // defaults: ECDSA P-256, KSK+ZSK, NSEC
//   SignResult result = sign_zone(zone, keys, policy, now, previous_signed_or_null, pool);
//   dns::write_file_atomically(path, dns::to_master_file(result.zone));
//   result.stats.signatures_created;                              // work done; the rest was reused
//
// What is signed (RFC 4035 §2.2): every authoritative RRset, by each active zone-signing key (ZSK or CSK); the
// DNSKEY, CDS and CDNSKEY RRsets by each active key-signing key (KSK or CSK). Never the NS RRset of a delegation
// nor glue (anything at or below a zone cut other than the cut's DS and NSEC). The DS RRset of a delegation is
// signed: the parent is authoritative for it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/thread_pool.h"
#include "dns/zone.h"
#include "signer/key.h"
#include "signer/policy.h"

namespace rdnsprov::signer {

// A key as the signer sees it: every key given is published in the DNSKEY RRset; active ones sign.
struct SigningKey {
  DnssecKey key;
  KeyRole role = KeyRole::kZsk;
  // false: published only — a successor ZSK before its rollover, or a retired key still in caches
  // (RFC 6781 §4.1.1.1).
  bool active = true;
  // Named by CDS/CDNSKEY (policy cds) when a KSK or CSK in the DNSKEY RRset. false: a key set rollover's new KSK or CSK
  // before its DS may go to the parent (mark_cds_keys, signer/rollover.h).
  bool in_cds = true;
  // false: signs the zone's data but is not in the DNSKEY RRset (and signs neither it nor CDS/CDNSKEY): the first
  // phase of an algorithm rollover, whose new signatures reach every cache before the DNSKEYs that make validators
  // expect them (RFC 6781 §4.1.4).
  bool in_dnskey = true;
};

struct SignStats {
  std::size_t rrsets_signed = 0;       // RRsets that carry at least one RRSIG
  std::size_t signatures_created = 0;  // new RRSIGs computed in this run
  std::size_t signatures_reused = 0;   // RRSIGs taken over from the previous signed zone
  std::size_t denial_records = 0;      // NSEC or NSEC3 records
  // With the previous signed zone taken over: the owners written afresh when it was patched (changed owners, their
  // NSEC/NSEC3 chain neighbours and the apex; the rest kept as they were), or why it was rebuilt in full.
  std::optional<std::size_t> owners_rewritten;
  std::string rebuilt_because;
};

struct SignResult {
  dns::Zone zone;
  SignStats stats;
};

// Signs `unsigned_zone` at time `now` (unix seconds). DNSSEC records already present in the input (RRSIG, NSEC,
// NSEC3 anywhere; DNSKEY, NSEC3PARAM, CDS, CDNSKEY, ZONEMD at the apex) are dropped and made afresh.
// `previous_signed`, when given, is the last signed version of the zone: an RRSIG in it is reused when its RRset
// (owner, type, TTL, every rdata) is unchanged, its key is active and its expiration lies more than
// policy.refresh after now.
// Throws std::invalid_argument for a zone without SOA, a record outside the zone, keys of another zone, or no
// active key for the DNSKEY RRset or for the rest of the zone; std::runtime_error when OpenSSL fails.
SignResult sign_zone(const dns::Zone& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool);
// The same, taking the unsigned zone's records over instead of copying them (a large zone signed once).
SignResult sign_zone(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool);
// The same, taking the previous signed zone over too (it is left empty), and patching it: the new data is walked
// beside it once, every owner it already holds exactly as it is signed now (same records, good signatures by the
// active keys, the same NSEC or NSEC3) is kept where it is, and only the owners that changed, their neighbours in
// the NSEC/NSEC3 chain and the apex are written afresh. The result is the zone the full rebuild gives (tests check
// this record for record). When the previous zone cannot be patched — out of canonical order, another denial
// mode or NSEC3 parameters, many owners changed — the zone is rebuilt in full, in the previous zone's memory, and
// stats.rebuilt_because says why. What is left of the unsigned zone's records after a patch (those of the owners
// kept) stays in `unsigned_zone` for the caller to free.
SignResult sign_zone(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, std::optional<dns::Zone>&& previous_signed, dns::ThreadPool& pool);

// ---- building blocks, shared with tests and the verifier ----------------------------------------------------

// The RRSIG rdata fields before the signature (RFC 4034 §3.1): the first part of the signing input.
struct RrsigHeader {
  std::uint16_t type_covered = 0;
  std::uint8_t algorithm = 0;
  std::uint8_t labels = 0;
  std::uint32_t original_ttl = 0;
  std::uint32_t expiration = 0;
  std::uint32_t inception = 0;
  std::uint16_t key_tag = 0;
  dns::Name signer;
};
void append_rrsig_header(std::string& out, const RrsigHeader& header);
// The signed data of RFC 4034 §3.1.8.1: RRSIG header | RR(1) | RR(2) … with every RR in canonical form
// (owner | type | class | original TTL | RDLENGTH | RDATA) and the RRs in canonical rdata order. `rrset` must be
// one RRset already in canonical order.
void append_signing_input(std::string& out, const RrsigHeader& header, std::span<const dns::Record> rrset);
// One RRSIG record over `rrset` (canonical order, one owner and type) made with `key`.
dns::Record sign_rrset(std::span<const dns::Record> rrset, const DnssecKey& key, std::uint32_t inception,
                       std::uint32_t expiration);

// The expiration the policy gives an RRset signed at `now`: now + validity - jitter, the jitter derived from the
// owner name and type so that the same RRset always gets the same offset.
std::uint32_t signature_expiration(const SigningPolicy& policy, std::uint32_t now, const dns::Name& owner,
                                   dns::RRType type);

}  // namespace rdnsprov::signer
