// KeyStore: the DNSSEC keys of one zone in the state directory (STATE/keys/<zone>/): BIND key files plus a small
// JSON state file per key holding its role, timing and rollover step.
//
//   KeyStore store(state / "keys" / "193.in-addr.arpa", *dns::Name::from_text("193.in-addr.arpa"));
//   auto keys = store.ensure_keys(policy, now);                 // Result<std::vector<StoredKey>>; makes missing keys
//   std::vector<SigningKey> signing = signing_keys(*keys, now);  // published keys, the active ones flagged
//
// Files: K<zone>.+<alg>+<tag>.key / .private as dnssec-keygen writes them (.private mode 0600), and <tag>.state:
//   {"algorithm": 13, "role": "ksk", "created": 1700000000, "publish": 1700000000, "activate": 1700000000,
//    "rollover_step": ""}
// plus, during and after a rollover, "successor"/"predecessor" (key tags) and the times the rollover counts from
// ("dnskey_seen", "signatures_seen", "signatures_gone", "dnskey_gone", "ds_published", "ds_removable",
// "rollover_requested"; signer/rollover.h).
// Timing fields are unix seconds; an absent field is not set. A key imported from BIND without a state file takes
// its role from its flags (257 KSK, 256 ZSK) and its timing from the .private file's lines; a key with no timing
// at all is published and active, as BIND treats it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/result.h"
#include "signer/key.h"
#include "signer/policy.h"
#include "signer/signer.h"

namespace rdnsprov::signer {

struct KeyState {
  KeyRole role = KeyRole::kZsk;
  KeyTiming timing;
  std::string rollover_step;  // empty: no rollover under way; the steps are those of signer/rollover.h
  // Rollover facts (unix seconds; signer/rollover.h says how each is used). Absent = not (yet) the case.
  std::optional<std::uint16_t> successor;         // the key replacing this one
  std::optional<std::uint16_t> predecessor;       // the key this one replaces
  std::optional<std::int64_t> dnskey_seen;        // first publication of the zone found to carry its DNSKEY
  std::optional<std::int64_t> signatures_gone;    // first publication found without its signatures (retired key)
  std::optional<std::int64_t> dnskey_gone;        // first publication found without its DNSKEY (removed key)
  std::optional<std::int64_t> ds_published;       // the operator confirmed its DS at the parent (KSK, CSK)
  std::optional<std::int64_t> ds_removable;       // its DS may be removed from the parent from then (old KSK, CSK)
  std::optional<std::int64_t> signatures_seen;    // first publication found to carry its signatures (a key that
                                                  // signs before its DNSKEY is published)
  std::optional<std::int64_t> rollover_requested;  // the operator asked for its rollover (`keys rollover`)
  friend bool operator==(const KeyState&, const KeyState&) = default;
};

struct StoredKey {
  DnssecKey key;
  KeyState state;
  std::filesystem::path key_file;

  // In the DNSKEY RRset at `now`: from Publish (or Activate) until Delete; never while a KSK waits for its DS at
  // the parent before a double-DS rollover (rollover_step "ksk-ds-pending" or "ksk-ds-seen"), nor while
  // signs_unpublished().
  bool published(std::int64_t now) const;
  // Out of the DNSKEY RRset but signing the zone's data (a ZSK or CSK; a KSK signs nothing then): an algorithm
  // rollover's new key before its DNSKEY is published (rollover_step "keyset-signatures-first"), or a key set
  // rollover's old key after its DNSKEY left ("keyset-signatures-last"), signer/rollover.h.
  bool signs_unpublished() const;
  // Doing its role's work for the zone: active, or signing before it is published. A policy's layout is complete
  // when it has such a key for each role (KeyStore::ensure_keys).
  bool in_service(std::int64_t now) const { return active(now) || signs_unpublished(); }
  // Signing at `now`: from Activate until Inactive, while published.
  bool active(std::int64_t now) const;
};

class KeyStore {
 public:
  KeyStore(std::filesystem::path directory, dns::Name zone);

  const std::filesystem::path& directory() const { return directory_; }
  const dns::Name& zone() const { return zone_; }

  // Every key of the zone in the directory (none when the directory does not exist), ordered by role and key
  // tag. Any unreadable key — a .private readable by group or others, a .key without its .private, a state file
  // that does not parse — is an error naming the file: a key silently skipped would change the DNSKEY RRset.
  dns::Result<std::vector<StoredKey>> load() const;

  // Makes a key for `role` with the policy's algorithm, published and active from `now`, with a key tag that
  // no key in `existing` has; writes its files and state. Throws on I/O or OpenSSL failure.
  StoredKey generate(KeyRole role, const SigningPolicy& policy, std::int64_t now,
                     std::span<const StoredKey> existing = {}) const;

  // Writes `key`'s state file (atomically).
  void save_state(const StoredKey& key) const;
  // Writes the key's BIND files (their timing lines follow the state) and its state file.
  void save(const StoredKey& key) const;

  // Loads the keys and generates what the policy's layout lacks at `now` (an active KSK and ZSK, or a CSK, of the
  // policy's algorithm). Returns every key.
  dns::Result<std::vector<StoredKey>> ensure_keys(const SigningPolicy& policy, std::int64_t now) const;

 private:
  std::filesystem::path state_file(const StoredKey& key) const;
  std::filesystem::path directory_;
  dns::Name zone_;
};

std::vector<StoredKey> published_keys(std::span<const StoredKey> keys, std::int64_t now);
std::vector<StoredKey> active_keys(std::span<const StoredKey> keys, std::int64_t now);
// The keys as sign_zone takes them: the published ones, each flagged active or not, and the ZSKs and CSKs that
// sign before they are published (in_dnskey false).
std::vector<SigningKey> signing_keys(std::span<const StoredKey> keys, std::int64_t now);

// The state file's JSON text and back.
std::string key_state_to_json(const KeyState& state, std::uint8_t algorithm);
dns::Result<KeyState> key_state_from_json(std::string_view text);

}  // namespace rdnsprov::signer
