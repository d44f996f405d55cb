// Key rollovers driven by the policy's lifetimes: ZSK pre-publication (RFC 6781 §4.1.1.1), KSK double-DS
// (RFC 6781 §4.1.2) and, for a CSK, both at once (double-DS with the new key pre-published); and the key set
// rollover (an algorithm rollover, RFC 6781 §4.1.4, or a change of key layout) driven by a change of the policy.
//
//   RolloverTiming timing{.dnskey_ttl = 3600, .max_signed_ttl = 86400, …};   // from the zone and the policy
//   auto facts = published_key_facts(published_zone, published_at);          // what the last publication carried
//   std::vector<RolloverEvent> events = advance_rollovers(store, keys, policy, timing, facts, now);
//   … sign with signing_keys(keys, now), publish, journal `events` …
//   confirm_ds(store, keys, new_ksk_tag, now);            // `rdnsprov keys ds-seen`: the new DS is at the parent
//   for (const RolloverStatus& s : rollover_status(apex, keys, policy, timing, now)) print(s);
//
// Every step is a change of key state (STATE/keys/<zone>/<tag>.state and the BIND files' timing lines), made at the
// start of a run, so that the zone the run signs and publishes carries it. A step waits on what was *published*:
// the times it counts from are those of the first publication found to carry (or no longer carry) a key, which is
// never earlier than the truth, so a held zone only delays a rollover. The steps:
//
//   ZSK   start  lifetime − (DNSKEY TTL + propagation) after the old ZSK's activation: a new ZSK is published,
//                inactive ("zsk-prepublished").
//         swap   DNSKEY TTL + propagation after the new ZSK was first published: it signs, the old one stops
//                ("zsk-retiring"; the whole zone is re-signed).
//         remove the largest TTL of a signed RRset + propagation after the first publication without the old
//                ZSK's signatures: the old DNSKEY is removed ("retired").
//   KSK   start  at the old KSK's lifetime: a new KSK is made but not published ("ksk-ds-pending"); the operator
//                submits its DS to the parent and, once the parent serves it, confirms (confirm_ds: "ksk-ds-seen").
//                The rollover never goes past this step without the confirmation.
//         swap   parent DS TTL + parent propagation after the confirmation: the new KSK replaces the old one in the
//                DNSKEY RRset and signs it; the old key is removed ("ds-removal").
//         done   DNSKEY TTL + propagation after the first publication without the old KSK: its DS may be removed
//                from the parent ("retired"; ds_removable says from when).
//   CSK   start  at the lifetime: a new CSK is published, inactive ("csk-ds-pending"); DS submitted and confirmed
//                as for a KSK ("csk-ds-seen").
//         swap   when both the parent's DS caches (confirmation + parent TTL + propagation) and the DNSKEY caches
//                (first publication + DNSKEY TTL + propagation) know the new key: it signs, the old one stops
//                ("csk-retiring").
//         remove as for a ZSK (and never before DNSKEY TTL + propagation): the old CSK is removed ("retired");
//                its DS may be removed from DNSKEY TTL + propagation after the first publication without its
//                signatures.
//   Key set (an algorithm rollover, RFC 6781 §4.1.4 in its conservative order, or a change of key layout, KSK +
//   ZSK ↔ CSK), when the policy's algorithm or layout changes: KeyStore::ensure_keys makes the keys the policy lacks.
//         sign   of a new algorithm (none of the last publication's DNSKEYs has it; that publication unreadable,
//                none of the keys last found published): the new ZSK or CSK signs the zone's data from the next
//                run, out of the DNSKEY RRset, the new KSK waiting with it ("keyset-signatures-first"); the
//                largest signed TTL + propagation after the first publication of those signatures, their DNSKEYs
//                are published. Of the same algorithm (a layout change): published and signing at once. Either way, a validator holding the new DNSKEY RRset never holds an RRset
//                without a signature of each of its algorithms (RFC 4035 §2.2 read strictly).
//         DS     the largest TTL of the DNSKEY RRset and of a signed RRset + propagation after the policy's active
//                keys were first published: the DS of its KSK (or CSK) may replace the old one at the parent
//                ("keyset-ds-pending", the old KSK or CSK "rolling"); confirmed by the operator ("keyset-ds-seen").
//                Never passed without it.
//         swap   parent DS TTL + parent propagation after the confirmation: every key outside the policy leaves
//                the DNSKEY RRset (the old KSK "ds-removal", the old ZSKs and CSK "keyset-signatures-last").
//         unsign DNSKEY TTL + propagation after the first publication without them, the old ZSKs and CSK stop
//                signing ("retired"; the old CSK "ds-removal").
//         done   as for a KSK: the old DS may be removed from the parent ("retired").
//   Changed back before the swap, the policy abandons the rollover, and one back to it starts; keys still signing
//   ahead of their DNSKEYs simply stop.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/result.h"
#include "dns/zone.h"
#include "signer/key_store.h"
#include "signer/policy.h"

namespace rdnsprov::signer {

inline constexpr std::string_view kStepZskPrepublished = "zsk-prepublished";
inline constexpr std::string_view kStepZskRetiring = "zsk-retiring";
inline constexpr std::string_view kStepKskDsPending = "ksk-ds-pending";
inline constexpr std::string_view kStepKskDsSeen = "ksk-ds-seen";
inline constexpr std::string_view kStepCskDsPending = "csk-ds-pending";
inline constexpr std::string_view kStepCskDsSeen = "csk-ds-seen";
inline constexpr std::string_view kStepRolling = "rolling";  // an active KSK or CSK whose successor waits for its DS
inline constexpr std::string_view kStepDsRemoval = "ds-removal";
inline constexpr std::string_view kStepCskRetiring = "csk-retiring";
// An algorithm rollover's new key before its DNSKEY is published (StoredKey::signs_unpublished).
inline constexpr std::string_view kStepKeysetSignaturesFirst = "keyset-signatures-first";
// An old ZSK or CSK out of the DNSKEY RRset at the end of a key set rollover, signing until caches let go of it.
inline constexpr std::string_view kStepKeysetSignaturesLast = "keyset-signatures-last";
inline constexpr std::string_view kStepKeysetDsPending = "keyset-ds-pending";  // the policy's new KSK or CSK
inline constexpr std::string_view kStepKeysetDsSeen = "keyset-ds-seen";
inline constexpr std::string_view kStepRetired = "retired";

// The durations a rollover waits for, in seconds (RFC 7583 §3).
struct RolloverTiming {
  std::int64_t dnskey_ttl = 3600;
  std::int64_t max_signed_ttl = 86400;  // largest TTL of a signed RRset of the zone
  std::int64_t propagation_delay = 3600;
  std::int64_t parent_ds_ttl = 86400;
  std::int64_t parent_propagation_delay = 3600;
};

// What the last published version of the zone carried.
struct PublishedKeyFacts {
  std::int64_t published_at = 0;
  std::set<std::string> dnskeys;         // apex DNSKEY rdata
  std::set<std::uint16_t> signing_tags;  // key tags of its RRSIGs
};
PublishedKeyFacts published_key_facts(const dns::Zone& zone, std::int64_t published_at);

struct RolloverEvent {
  std::uint16_t key_tag = 0;
  KeyRole role = KeyRole::kZsk;
  std::string step;    // the key's new rollover step (or "ds-published" for a confirmation)
  std::string detail;  // for the operator
  std::optional<std::uint16_t> other;  // the key it replaces or that replaces it
};

// Takes every rollover of the zone as far as `now` allows; writes the keys it changes or makes (through `store`)
// and updates `keys`. Returns the steps taken, in order. Throws on I/O or OpenSSL failure.
std::vector<RolloverEvent> advance_rollovers(const KeyStore& store, std::vector<StoredKey>& keys,
                                             const SigningPolicy& policy, const RolloverTiming& timing,
                                             const std::optional<PublishedKeyFacts>& published, std::int64_t now);

// The operator saw the DS of the KSK or CSK `key_tag` served by the parent: one waiting for it in a rollover, which
// may then go on, or an active one outside a rollover (a zone re-keyed), which the dnssec gate then trusts to sign
// the DNSKEY RRset. An error names what is wrong (no such key, a ZSK, a key in another rollover step).
dns::Result<RolloverEvent> confirm_ds(const KeyStore& store, std::vector<StoredKey>& keys, std::uint16_t key_tag,
                                      std::int64_t now);

// `rdnsprov keys rollover`: the operator asks for a rollover of the signing key `key_tag` (a key that may have been
// exposed, RFC 6781 §4.2, or a planned change), whatever the policy's lifetimes; the next advance_rollovers starts
// it as one the key's lifetime starts, and every step then waits as usual. Recorded in the key's state
// ("rollover_requested"). An error names what is wrong (no such key, not signing, already in a rollover, a key a key
// set rollover replaces). Asking twice is not an error.
dns::Result<RolloverEvent> request_rollover(const KeyStore& store, std::vector<StoredKey>& keys,
                                            std::uint16_t key_tag, const SigningPolicy& policy, std::int64_t now);

// Where a zone is in its rollovers, one entry per role in use.
struct RolloverStatus {
  KeyRole role = KeyRole::kZsk;
  std::string phase;                 // "idle", "no lifetime", or the step under way
  std::vector<std::string> lines;    // what happened, what happens next and when (UTC)
  std::string operator_action;       // what the operator must do now; empty when nothing
};
std::vector<RolloverStatus> rollover_status(const dns::Name& apex, const std::vector<StoredKey>& keys,
                                            const SigningPolicy& policy, const RolloverTiming& timing,
                                            std::int64_t now);

// Whether the key waits for the operator to confirm its DS at the parent (confirm_ds) before its rollover goes on.
bool waits_for_ds(const StoredKey& key);

// CDS/CDNSKEY (RFC 7344) name the keys whose DS the parent should serve. A key set rollover's new KSK (or CSK)
// signs from the change of policy on, but its DS must not reach the parent before every cache holds its
// signatures (RFC 6781 §4.1.4): until its "keyset-ds-pending" step, `signing` marks it not in_cds. While
// `withholds_cds`, no key is in_cds.
void mark_cds_keys(std::vector<SigningKey>& signing, const std::vector<StoredKey>& keys, const SigningPolicy& policy,
                   std::int64_t now);

// Whether the zone publishes no CDS/CDNSKEY now (none means "no change" to a parent that acts on them, RFC 7344
// §4): while the parent should serve the DS of a KSK (or CSK) that is not in the DNSKEY RRset, which a CDS cannot
// name (it names the zone's DNSKEYs, RFC 7344 §4.1). That is a double-DS KSK rollover (RFC 6781 §4.1.2) from the
// new KSK's making (its DS is asked for; naming the old KSK alone would have the parent remove it) until the old
// KSK's DS may go (naming the new KSK alone would have the parent remove the old DS while caches still hold the
// DNSKEY RRset only it signs); and, after a key set rollover, an old KSK or CSK out of the DNSKEY RRset whose DS may
// not go yet ("keyset-signatures-last", "ds-removal").
bool withholds_cds(const std::vector<StoredKey>& keys);

// "2027-01-15T08:00:00Z"
std::string rollover_time_text(std::int64_t seconds);

}  // namespace rdnsprov::signer
