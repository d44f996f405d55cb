// Signing inside the pipeline: the keys of each signed zone, incremental signing of the zones a run publishes, and
// the `dnssec` gate that verifies them independently before publication (INCIDENTS.md I-8).
//
//   dns::ThreadPool pool;                                         // one for the whole run
//   ZoneKeyring keyring = load_zone_keys(config, state.keys_dir(), now, KeyAccess::kCreate);   // throws
//   candidate.republish_reason = republish_reason(config, zone_config, keyring, published_copy, now);
//   Plan plan = make_plan(…);
//   sign_planned_zones(config, keyring, published_state, plan, now, {}, pool);   // candidates signed, gate added
//
// The signing itself is signer::sign_zone, the check signer::verify_signed_zone; this file only wires them.
#pragma once

#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/config.h"
#include "dns/name.h"
#include "dns/thread_pool.h"
#include "dns/zone.h"
#include "safeguards/plan.h"
#include "safeguards/state_dir.h"
#include "safeguards/journal.h"
#include "signer/key_store.h"
#include "signer/rollover.h"
#include "signer/signer.h"
#include "signer/verify.h"

namespace rdnsprov::cli {

enum class KeyAccess {
  kCreate,    // run, rebuild, sign: keys the policy lacks are generated (and written)
  kReadOnly,  // diff: keys are only read; a zone without keys is not signed
};

struct ZoneKeys {
  const PolicyConfig* policy = nullptr;
  std::filesystem::path directory;      // STATE/keys/<zone>/
  std::vector<signer::StoredKey> keys;  // every key of the zone (after generation with KeyAccess::kCreate)
  bool would_generate = false;          // kReadOnly: the policy's layout lacks keys that run would generate
  std::vector<std::uint16_t> generated; // kCreate: tags of the keys made now (to be journaled)
  signer::RolloverTiming timing;        // the waits of this zone's rollovers
  // The time the keys' states are read at (keys_time): `now`, or later when the clock is behind a publication.
  // While it is later than `now`, no key is made and no rollover step taken: the keys stay as last published.
  std::time_t keys_at = 0;
  // The time of the zone's last publication when it is later than `now` (the clock behind it), else 0: the dnssec
  // gate holds the zone then, unless the clock is accepted (SigningOptions::accept_clock_reason).
  std::time_t published_ahead = 0;
  // While the clock is behind that publication: the acceptance of the clock that an earlier run (--accept-clock)
  // signed under and whose version reached only some targets (PublishedMeta::accepted_clock). The zone is signed
  // under it as if the flag were given again, unless the clock has gone back before the time it was accepted.
  std::optional<safeguards::PublishedMeta::AcceptedClock> accepted_clock;
  std::vector<signer::RolloverEvent> rollover_events;  // steps taken by advance_key_rollovers (to be journaled)
  // Set when the zone's keys cannot be used (a .private readable by group or others, a damaged file): what is wrong,
  // naming the file. `keys` is then empty, and the dnssec gate holds the zone; the other zones go on.
  std::string error;
};
using ZoneKeyring = std::map<dns::Name, ZoneKeys>;

// STATE/keys/<zone without trailing dot>/
std::filesystem::path zone_keys_dir(const std::filesystem::path& keys_root, const dns::Name& apex);

// The keys of every signed zone. Keys that cannot be used (a .private readable by group or others, a damaged file)
// leave their zone's entry without keys and with `error` set, logged; no key is made for that zone. Nor for a zone
// whose keys are read at a time later than `now` (keys_time, from the publications in `published`: the state the
// keys went out with, the real one also when a rebuild plans against a restored snapshot).
ZoneKeyring load_zone_keys(const Config& config, const std::filesystem::path& keys_root, std::time_t now,
                           KeyAccess access, const safeguards::StateDir* published = nullptr);

// Whether the clock (`now`) is behind the zone's last publication: stepped back, or ahead until then. Keys made or
// rollover steps taken then would read the steps already taken as not yet reached; the dnssec gate holds the zone.
bool clock_behind(const safeguards::StateDir& state, const dns::Name& apex, std::time_t now);

// The time a zone's key states are read at: `now`, or, when that is earlier, the time of its last publication or
// the latest time its keys were read at for a publication (read_keys_at). Rollover steps were taken up to then;
// reading the keys at an earlier time would take them back (a pre-published ZSK would leave the DNSKEY RRset).
// Throws safeguards::StateError when STATE/keys/<zone>/keys-at.json is damaged.
std::time_t keys_time(const safeguards::StateDir& state, const dns::Name& apex, std::time_t now);
// The time of the zone's last publication when the clock (`now`) is behind it, else 0; without readable
// publication metadata, the time its keys were last read at when later than `now`. Throws as keys_time.
std::time_t published_ahead(const safeguards::StateDir& state, const dns::Name& apex, std::time_t now);

// STATE/keys/<zone>/keys-at.json: the latest time the zone's keys were read at for a publication, kept beside the
// keys (a publication made with a clock ahead, then accepted behind it with run --accept-clock, leaves it later
// than the publication's own time). Nothing when there is none; throws safeguards::StateError, naming the file,
// when it is damaged (the zone is then held, as for a damaged key).
std::optional<std::time_t> read_keys_at(const std::filesystem::path& keys_root, const dns::Name& apex);
void write_keys_at(const std::filesystem::path& keys_root, const dns::Name& apex, std::time_t at);

// The waits of a zone's rollovers: its DNSKEY TTL, the largest TTL of its signed RRsets, and the policy's
// propagation delays and parent DS TTL.
signer::RolloverTiming rollover_timing(const ZoneConfig& zone, const signer::SigningPolicy& policy);

// The same waits as resolvers' caches stand at `now`: each TTL is the larger of the configured one, the published
// version's and those of earlier versions that caches may still hold (PublishedMeta::earlier_ttls). A TTL lowered
// in the configuration shortens the waits only once no cache can hold what was served with the old one
// (RFC 7583 §3: a wait counts with the TTL of what is cached).
signer::RolloverTiming cached_rollover_timing(signer::RolloverTiming timing, const safeguards::StateDir& state,
                                              const dns::Name& apex, std::time_t now);

// `run`: takes every signed zone's key rollovers as far as `now` allows (signer::advance_rollovers), judging what
// was published from STATE/published/. The steps taken are kept in each zone's rollover_events.
void advance_key_rollovers(const Config& config, ZoneKeyring& keyring, const safeguards::StateDir& state,
                           std::time_t now);
// One "key" journal entry per rollover step of the keyring.
void journal_key_events(safeguards::Journal& journal, const ZoneKeyring& keyring);
nlohmann::json key_event_json(const dns::Name& apex, const signer::RolloverEvent& event);

// The published copy of a zone when it is intact and parses; nothing otherwise (make_plan rebuilds it then).
std::optional<dns::Zone> published_zone(const safeguards::StateDir& state, const dns::Name& apex);
std::optional<dns::Zone> published_zone(const std::optional<safeguards::PublishedZone>& published,
                                        const dns::Name& apex);

// Why a zone whose delegation data did not change must still be published, or empty: its signatures are due for
// refresh, its keys or signing policy changed, or it was signed and no longer has a policy (or the reverse).
std::string republish_reason(const ZoneConfig& zone, const ZoneKeyring& keyring, const dns::Zone& published,
                             std::time_t now);

// A signed zone and what its independent verification found.
struct VerifiedSigning {
  signer::SignResult result;
  signer::VerifyResult check;
  // Set when the zone was first signed from the previous signed zone (patched, or with its signatures reused) and
  // that did not verify: the first problems. The zone was then signed afresh without it, and `result` and `check`
  // are those of the fresh signing. A previous zone that misleads the signer costs a full signing, never a hold.
  std::string previous_refused;
};

// Signs the zone `unsigned_zone()` returns (called once, and a second time only for the fresh signing above),
// handing `previous` to the signer, and verifies the result (the signatures of keys not in the DNSKEY RRset against
// those keys). Throws what signer::sign_zone throws.
VerifiedSigning sign_and_verify(const std::function<dns::Zone()>& unsigned_zone,
                                const std::vector<signer::SigningKey>& keys, const signer::SigningPolicy& policy,
                                std::uint32_t now, std::optional<dns::Zone>&& previous,
                                const signer::VerifyOptions& verify, dns::ThreadPool& pool);

struct SigningOptions {
  bool sign_unchanged = false;  // rebuild: sign unchanged zones too, so that their text compares with the state
  // run --accept-clock: the operator's reason. Set, a zone whose last publication is later than the clock is signed
  // (keys as at keys_time, signatures from the clock) instead of held; the dnssec gate records the reason.
  std::string accept_clock_reason;
  // run --allow-key-break ZONE --reason TEXT: these zones are published even when key continuity with the version
  // servers serve now breaks (signer/continuity.h); the dnssec gate records the reason.
  std::set<dns::Name> allow_key_break;
  std::string allow_key_break_reason;
  // The state whose published versions the servers serve now, for key continuity (rebuild: the current state,
  // not the snapshot it plans against). Unset: the state signed against.
  const safeguards::StateDir* served = nullptr;
};

// Signs every planned publication of a signed zone (previous signatures reused from `published_state`'s copy),
// verifies it, and adds the `dnssec` gate: a zone that does not verify is held with the first problems. The
// candidate is replaced by the signed zone. In a keyring read with KeyAccess::kReadOnly a zone without keys is
// left unsigned and the gate says so.
void sign_planned_zones(const ZoneKeyring& keyring, const safeguards::StateDir& published_state,
                        safeguards::Plan& plan, std::time_t now, const SigningOptions& options, dns::ThreadPool& pool);

// The DS records (presentation text "TAG ALG 2 HEX") through which validating resolvers reach the zone's published
// version: those recorded when it was published (or, for a version recorded before they were, those of the keys
// signing its DNSKEY RRset). Empty when the published version is unsigned, or there is none.
std::set<std::string> published_trust(const safeguards::StateDir& state, const dns::Name& apex);

// The DS records (as published_trust) the parent may serve for a zone whose published version is signed: those of
// published_trust, and those of its KSKs and CSKs in `keys_root` whose DS the operator was asked to submit (a
// rollover waiting for it), confirmed (keys ds-seen), or was told may leave the parent less than 30 days ago. Any
// of them at the parent makes an unsigned version bogus. Empty when the published version is unsigned; throws
// safeguards::StateError, naming the file, when the zone's keys cannot be read.
std::set<std::string> parent_ds(const safeguards::StateDir& state, const std::filesystem::path& keys_root,
                                const dns::Name& apex, std::time_t now);

// `keys ds-gone`: the DS records the operator confirmed the parent no longer serves, kept in
// STATE/keys/<zone>/ds-gone.json. Nothing when there is no such file; an unreadable one is logged and counts as none.
struct DsGone {
  std::set<std::string> ds;
  std::time_t confirmed_at = 0;
};
std::optional<DsGone> read_ds_gone(const std::filesystem::path& keys_root, const dns::Name& apex);
void write_ds_gone(const std::filesystem::path& keys_root, const dns::Name& apex, const DsGone& gone);
// Once the zone is published unsigned the confirmation has done its work: removed, so that it never covers the
// same keys' DS again should the zone be signed and its DS submitted anew.
void clear_ds_gone(const std::filesystem::path& keys_root, const dns::Name& apex);

// A zone published signed that would now be published unsigned (its dnssec-policy removed) leaves validating
// resolvers following the parent's DS with nothing to validate: the whole zone fails (SERVFAIL). Every such planned
// publication gets the `dnssec` gate: a hold, unless the operator confirmed that the parent serves none of the DS
// it may serve (parent_ds; keys ds-gone).
void hold_zones_going_unsigned(const ZoneKeyring& keyring, const std::filesystem::path& keys_root,
                               const safeguards::StateDir& published_state, safeguards::Plan& plan, std::time_t now);

// UTC text of a unix time for operators ("2026-11-24T23:00:00Z").
std::string utc_text(std::int64_t seconds);

}  // namespace rdnsprov::cli
