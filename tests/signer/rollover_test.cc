// Rollover steps with an injected clock and hand-made publication facts: each step waits for what was published,
// a KSK rollover never passes the DS step without the operator's confirmation, and the state survives a reload.
#include "signer/rollover.h"

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "tests/signer/signer_test_zones.h"
#include "tests/support/support.h"

namespace rdnsprov::signer {
namespace {

using rdnsprov::testing::TempDir;
using testing::name;

constexpr std::int64_t kT0 = 1800000000;
constexpr std::int64_t kDay = 86400;

RolloverTiming timing() {
  return RolloverTiming{.dnskey_ttl = 3600, .max_signed_ttl = 7200, .propagation_delay = 600,
                        .parent_ds_ttl = 3600, .parent_propagation_delay = 600};
}

// What a publication at `at` of a zone signed with `keys` at that time carries.
PublishedKeyFacts published(const std::vector<StoredKey>& keys, std::int64_t at) {
  PublishedKeyFacts facts;
  facts.published_at = at;
  for (const SigningKey& k : signing_keys(keys, at)) {
    if (k.in_dnskey) facts.dnskeys.insert(k.key.dnskey_rdata());
    if (k.active) facts.signing_tags.insert(k.key.key_tag());
  }
  return facts;
}

const StoredKey* with_step(const std::vector<StoredKey>& keys, KeyRole role, std::string_view step) {
  for (const StoredKey& k : keys) {
    if (k.state.role == role && k.state.rollover_step == step) return &k;
  }
  return nullptr;
}

// The keys `policy` has, made at kT0; none (and a failure) when they cannot be made.
// The default policy (KSK + ZSK, ECDSAP256SHA256) with these lifetimes (0: no rollover of that key on its own).
SigningPolicy with_lifetimes(std::uint32_t zsk, std::uint32_t ksk) {
  SigningPolicy policy;
  policy.zsk_lifetime = zsk;
  policy.ksk_lifetime = ksk;
  return policy;
}

std::vector<StoredKey> keys_at_start(const KeyStore& store, const SigningPolicy& policy) {
  auto loaded = store.ensure_keys(policy, kT0);
  EXPECT_TRUE(loaded.ok()) << loaded.error();
  return loaded.ok() ? *loaded : std::vector<StoredKey>{};
}

// The start of a key set rollover: keys made under `before` at kT0 (with `seen_published`, found in a publication
// at kT0), then, the policy changed to `after`, the keys it lacks made a day later (kT0 + kDay). Returns every key,
// old and new.
std::vector<StoredKey> keys_after_policy_change(const KeyStore& store, const SigningPolicy& before,
                                                const SigningPolicy& after, bool seen_published = false) {
  std::vector<StoredKey> first = keys_at_start(store, before);
  if (seen_published) advance_rollovers(store, first, before, timing(), published(first, kT0), kT0);
  auto loaded = store.ensure_keys(after, kT0 + kDay);
  EXPECT_TRUE(loaded.ok()) << loaded.error();
  return loaded.ok() ? *loaded : std::vector<StoredKey>{};
}

// The two keys of a CSK algorithm rollover sign at `at`, both active; `published` alone is in the DNSKEY RRset.
void expect_both_sign(const std::vector<StoredKey>& keys, std::int64_t at, std::uint16_t published) {
  std::vector<SigningKey> signing = signing_keys(keys, at);
  ASSERT_EQ(signing.size(), 2u);
  for (const SigningKey& k : signing) {
    EXPECT_TRUE(k.active) << k.key.key_tag();
    EXPECT_EQ(k.in_dnskey, k.key.key_tag() == published) << k.key.key_tag();
  }
}

// The tags of the keys CDS/CDNSKEY name at `at` (mark_cds_keys).
std::set<std::uint16_t> cds_tags_at(const std::vector<StoredKey>& keys, const SigningPolicy& policy, std::int64_t at) {
  std::vector<SigningKey> signing = signing_keys(keys, at);
  mark_cds_keys(signing, keys, policy, at);
  std::set<std::uint16_t> tags;
  for (const SigningKey& k : signing) {
    if (k.in_cds && k.in_dnskey && k.role != KeyRole::kZsk) tags.insert(k.key.key_tag());
  }
  return tags;
}

// The tag of the one key of `keys` with `algorithm` and `role`, 0 when there is not exactly one.
std::uint16_t tag_of(const std::vector<StoredKey>& keys, std::uint8_t algorithm, KeyRole role) {
  std::vector<std::uint16_t> tags;
  for (const StoredKey& k : keys) {
    if (k.key.algorithm() == algorithm && k.state.role == role) tags.push_back(k.key.key_tag());
  }
  return tags.size() == 1 ? tags[0] : 0;
}

TEST(Rollover, StateFileKeepsEveryRolloverField) {
  KeyState state;
  state.role = KeyRole::kKsk;
  state.rollover_step = "ds-removal";
  state.successor = 4242;
  state.predecessor = 7;
  state.dnskey_seen = kT0;
  state.signatures_gone = kT0 + 1;
  state.dnskey_gone = kT0 + 2;
  state.ds_published = kT0 + 3;
  state.ds_removable = kT0 + 4;
  state.signatures_seen = kT0 + 5;
  state.rollover_requested = kT0 + 6;
  auto back = key_state_from_json(key_state_to_json(state, 13));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, state);
  EXPECT_FALSE(key_state_from_json(R"({"role": "ksk", "successor": 70000})").ok());
  EXPECT_FALSE(key_state_from_json(R"({"role": "ksk", "ds_published": "yesterday"})").ok());
}

TEST(Rollover, ZskPrePublicationWaitsForWhatWasPublished) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy = with_lifetimes(10 * kDay, 0);
  std::vector<StoredKey> keys = keys_at_start(store, policy);
  ASSERT_FALSE(keys.empty());
  const std::int64_t lead = 3600 + 600;

  // Before the lifetime less the lead: nothing.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, kT0), kT0 + 10 * kDay - lead - 1).empty());
  // At it: a new ZSK, published but inactive.
  std::int64_t t1 = kT0 + 10 * kDay - lead;
  auto events = advance_rollovers(store, keys, policy, timing(), published(keys, kT0), t1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].step, kStepZskPrepublished);
  const StoredKey* fresh = with_step(keys, KeyRole::kZsk, kStepZskPrepublished);
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->published(t1));
  EXPECT_FALSE(fresh->active(t1));
  std::uint16_t new_tag = fresh->key.key_tag();

  // The zone carrying it is held for a day (the last publication is still the old one): no swap, however late.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, kT0), t1 + kDay).empty());
  // Published at t1 + 1 day: the swap waits DNSKEY TTL + propagation from then.
  std::int64_t t2 = t1 + kDay;
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + lead - 1).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + lead);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].key_tag, new_tag);
  EXPECT_EQ(events[0].step, "");
  EXPECT_EQ(events[1].step, kStepZskRetiring);
  std::int64_t t3 = t2 + lead;
  std::vector<StoredKey> signing = active_keys(keys, t3);
  ASSERT_EQ(signing.size(), 2u);  // KSK + new ZSK
  EXPECT_TRUE(std::any_of(signing.begin(), signing.end(), [&](const StoredKey& k) { return k.key.key_tag() == new_tag; }));

  // The old ZSK leaves once a publication without its signatures is older than the largest TTL + propagation.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3 + 7200 + 600 - 1).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3 + 7200 + 600);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].step, kStepRetired);
  EXPECT_EQ(published_keys(keys, t3 + 7200 + 600).size(), 2u);

  // Everything was written: a reload gives the same keys and steps.
  auto reloaded = store.load();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error();
  ASSERT_EQ(reloaded->size(), keys.size());
  for (const StoredKey& k : *reloaded) {
    auto same = std::find_if(keys.begin(), keys.end(), [&](const StoredKey& o) { return o.key.key_tag() == k.key.key_tag(); });
    ASSERT_NE(same, keys.end());
    EXPECT_EQ(same->state, k.state);
  }
}

// Outside a rollover, the DS of an active KSK (or CSK) can be confirmed too (a zone re-keyed on purpose): the key
// records when, and nothing else changes. A ZSK's cannot: no DS points to one.
TEST(Rollover, DsOfAnActiveKskOutsideARolloverCanBeConfirmed) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy;
  std::vector<StoredKey> keys = keys_at_start(store, policy);
  ASSERT_FALSE(keys.empty());
  ASSERT_EQ(keys.size(), 2u);
  const StoredKey& ksk = keys[0].state.role == KeyRole::kKsk ? keys[0] : keys[1];
  const StoredKey& zsk = keys[0].state.role == KeyRole::kKsk ? keys[1] : keys[0];
  std::uint16_t ksk_tag = ksk.key.key_tag();
  auto refused = confirm_ds(store, keys, zsk.key.key_tag(), kT0 + kDay);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("is a ZSK"), std::string::npos) << refused.error();
  auto confirmed = confirm_ds(store, keys, ksk_tag, kT0 + kDay);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error();
  EXPECT_EQ(confirmed->step, "ds-published");
  EXPECT_NE(confirmed->detail.find("outside a rollover"), std::string::npos) << confirmed->detail;
  auto reloaded = store.load();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error();
  for (const StoredKey& k : *reloaded) {
    if (k.key.key_tag() != ksk_tag) {
      EXPECT_FALSE(k.state.ds_published);
      continue;
    }
    EXPECT_EQ(k.state.ds_published, kT0 + kDay);
    EXPECT_EQ(k.state.rollover_step, "") << "no rollover started";
    EXPECT_TRUE(k.active(kT0 + kDay));
  }
}

TEST(Rollover, KskDoubleDsNeverPassesTheDsStepWithoutConfirmation) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy = with_lifetimes(0, 30 * kDay);
  std::vector<StoredKey> keys = keys_at_start(store, policy);
  ASSERT_FALSE(keys.empty());
  std::int64_t t1 = kT0 + 30 * kDay;
  const std::uint16_t old_tag = tag_of(keys, 13, KeyRole::kKsk);
  EXPECT_EQ(cds_tags_at(keys, policy, t1 - 1), std::set<std::uint16_t>{old_tag});
  auto events = advance_rollovers(store, keys, policy, timing(), published(keys, kT0), t1);
  ASSERT_EQ(events.size(), 2u);
  const StoredKey* fresh = with_step(keys, KeyRole::kKsk, kStepKskDsPending);
  ASSERT_NE(fresh, nullptr);
  std::uint16_t new_tag = fresh->key.key_tag();
  // CDS/CDNSKEY are withheld ("no change") from here until the old DS may go: the parent is asked for the DS of a
  // key that is not in the DNSKEY RRset, which a CDS naming the old KSK alone would have it remove.
  EXPECT_TRUE(cds_tags_at(keys, policy, t1).empty());
  EXPECT_FALSE(fresh->published(t1));  // double-DS: the DNSKEY RRset changes once, at the swap
  EXPECT_NE(events[0].detail.find("IN DS " + std::to_string(new_tag) + " 13 2 "), std::string::npos) << events[0].detail;

  // A year later, without confirmation: still waiting, the old KSK still signs.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1 + 365 * kDay).empty());
  EXPECT_EQ(with_step(keys, KeyRole::kKsk, kStepKskDsPending)->key.key_tag(), new_tag);
  auto status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t1 + kDay);
  ASSERT_EQ(status.size(), 2u);
  EXPECT_NE(status[0].operator_action.find("keys ds-seen --zone 193.in-addr.arpa. --key " + std::to_string(new_tag)),
            std::string::npos)
      << status[0].operator_action;

  // Only a key waiting for its DS can be confirmed.
  const StoredKey* old = with_step(keys, KeyRole::kKsk, kStepRolling);
  ASSERT_NE(old, nullptr);
  EXPECT_FALSE(confirm_ds(store, keys, old->key.key_tag(), t1 + kDay).ok());
  EXPECT_FALSE(confirm_ds(store, keys, static_cast<std::uint16_t>(new_tag + 1), t1 + kDay).ok());
  std::int64_t t2 = t1 + 2 * kDay;
  ASSERT_TRUE(confirm_ds(store, keys, new_tag, t2).ok());
  // The swap waits for the parent's DS TTL + propagation after the confirmation.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + 4199).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + 4200);
  ASSERT_EQ(events.size(), 2u);
  std::int64_t t3 = t2 + 4200;
  std::vector<StoredKey> in_zone = published_keys(keys, t3);
  ASSERT_EQ(in_zone.size(), 2u);  // new KSK and the ZSK
  EXPECT_TRUE(std::any_of(in_zone.begin(), in_zone.end(), [&](const StoredKey& k) { return k.key.key_tag() == new_tag; }));
  // After the swap too: a CDS naming the new KSK alone would have the parent remove the old DS while caches hold the
  // DNSKEY RRset that only the old KSK signs.
  EXPECT_TRUE(cds_tags_at(keys, policy, t3).empty());
  // The old DS may be removed DNSKEY TTL + propagation after the first publication without the old KSK.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3 + 4199).empty());
  EXPECT_TRUE(cds_tags_at(keys, policy, t3 + 4199).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3 + 4200);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].step, kStepRetired);
  EXPECT_EQ(events[0].key_tag, old_tag);
  EXPECT_EQ(cds_tags_at(keys, policy, t3 + 4200), std::set<std::uint16_t>{new_tag});
  EXPECT_EQ(*std::find_if(keys.begin(), keys.end(), [&](const StoredKey& k) { return k.key.key_tag() == events[0].key_tag; })
                 ->state.ds_removable,
            t3 + 4200);
}

// The policy's algorithm changes (ED25519 → ECDSAP256SHA256, CSK layout): the new CSK signs beside the old one, its
// DS is asked for once caches hold both, the old key leaves only after the confirmed DS has reached the parent's
// caches, and its DS may go once caches let go of its DNSKEY. Each wait is checked one second early.
TEST(Rollover, AlgorithmRolloverAsksForTheNewDsAndRemovesTheOldAlgorithmAfterIt) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy before;
  before.key_layout = KeyLayout::kCsk;
  before.algorithm = 15;
  SigningPolicy policy = before;
  policy.algorithm = 13;
  std::vector<StoredKey> keys = keys_after_policy_change(store, before, policy);
  ASSERT_EQ(keys.size(), 2u);
  std::uint16_t old_tag = tag_of(keys, 15, KeyRole::kCsk);
  std::uint16_t new_tag = tag_of(keys, 13, KeyRole::kCsk);
  ASSERT_NE(old_tag, 0);
  ASSERT_NE(new_tag, 0);
  const std::int64_t signature_wait = 7200 + 600;

  // The first run after the change, from the last publication (the old CSK alone): the new CSK signs the zone's
  // data, its DNSKEY held back until those signatures are in every cache (RFC 6781 §4.1.4).
  std::int64_t t0 = kT0 + kDay;
  auto events = advance_rollovers(store, keys, policy, timing(), published(keys, kT0), t0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key_tag, new_tag);
  EXPECT_EQ(events[0].step, kStepKeysetSignaturesFirst);
  expect_both_sign(keys, t0, old_tag);
  EXPECT_EQ(store.ensure_keys(policy, t0)->size(), 2u);  // the new CSK counts: no other is made
  auto status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t0);
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].phase, kStepKeysetSignaturesFirst);
  EXPECT_NE(status[0].lines[1].find("its DNSKEY is published from the date shown after the next run"), std::string::npos)
      << status[0].lines[1];
  // Its signatures first published at t0: its DNSKEY follows the largest signed TTL + propagation later.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t0), t0).empty());
  EXPECT_NE(rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t0)[0].lines[1].find(
                rollover_time_text(t0 + signature_wait)),
            std::string::npos);
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t0), t0 + signature_wait - 1).empty());
  std::int64_t t1 = t0 + signature_wait;
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t0), t1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key_tag, new_tag);
  EXPECT_EQ(events[0].step, "");
  for (const SigningKey& k : signing_keys(keys, t1)) EXPECT_TRUE(k.in_dnskey && k.active);
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t1);
  EXPECT_EQ(status[0].phase, "keyset-rollover");

  // CDS names the old CSK alone until the new one's DS is asked for.
  auto cds_tags = [&](std::int64_t at) { return cds_tags_at(keys, policy, at); };
  EXPECT_EQ(cds_tags(t1), std::set<std::uint16_t>{old_tag});

  // The first publication with both DNSKEYs: the DS may replace the old one once they are in every cache.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1).empty());
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1 + signature_wait - 1).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1 + signature_wait);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].key_tag, new_tag);
  EXPECT_EQ(events[0].step, kStepKeysetDsPending);
  EXPECT_NE(events[0].detail.find("IN DS " + std::to_string(new_tag) + " 13 2 "), std::string::npos) << events[0].detail;
  EXPECT_EQ(events[1].key_tag, old_tag);
  EXPECT_EQ(events[1].step, kStepRolling);
  EXPECT_EQ(cds_tags(t1 + signature_wait), (std::set<std::uint16_t>{old_tag, new_tag}));

  // Without confirmation, a year later: both still sign, and keys status asks for the DS.
  std::int64_t later = t1 + 365 * kDay;
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t1), later).empty());
  EXPECT_EQ(signing_keys(keys, later).size(), 2u);
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), later);
  EXPECT_EQ(status[0].phase, kStepKeysetDsPending);
  EXPECT_NE(status[0].lines[0].find("key set rollover (algorithm 15 → 13) CSK "), std::string::npos) << status[0].lines[0];
  EXPECT_NE(status[0].lines[1].find("the DS of CSK " + std::to_string(new_tag) + " (algorithm 13) must reach"),
            std::string::npos)
      << status[0].lines[1];
  EXPECT_NE(status[0].operator_action.find("keys ds-seen --zone 193.in-addr.arpa. --key " + std::to_string(new_tag)),
            std::string::npos)
      << status[0].operator_action;

  // Only the new key's DS is confirmed; the state survives a reload.
  EXPECT_FALSE(confirm_ds(store, keys, old_tag, later).ok());
  std::int64_t t2 = later + kDay;
  auto seen = confirm_ds(store, keys, new_tag, t2);
  ASSERT_TRUE(seen.ok()) << seen.error();
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t2);
  EXPECT_NE(status[0].lines[2].find("step 2/3: every key outside the policy leaves the zone from "), std::string::npos)
      << status[0].lines[2];
  auto reloaded = store.load();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error();
  keys = *reloaded;
  EXPECT_NE(with_step(keys, KeyRole::kCsk, kStepKeysetDsSeen), nullptr);

  // The old algorithm leaves the DNSKEY RRset the parent's DS TTL + propagation after the confirmation; its
  // signatures stay until caches let go of that RRset (RFC 6781 §4.1.4).
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + 4199).empty());
  std::int64_t t3 = t2 + 4200;
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t2), t3);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].key_tag, new_tag);
  EXPECT_EQ(events[0].step, "");
  EXPECT_EQ(events[1].key_tag, old_tag);
  EXPECT_EQ(events[1].step, kStepKeysetSignaturesLast);
  expect_both_sign(keys, t3, new_tag);
  // The old CSK has left the DNSKEY RRset and its DS stays: CDS/CDNSKEY are withheld ("no change") until it may go.
  EXPECT_TRUE(cds_tags(t3).empty());
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3).empty());
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t3);
  EXPECT_EQ(status[0].phase, kStepKeysetSignaturesLast);
  EXPECT_NE(status[0].lines[1].find("its signatures leave from " + rollover_time_text(t3 + 4200)), std::string::npos)
      << status[0].lines[1];

  // DNSKEY TTL + propagation after the first publication without its DNSKEY, it stops signing, and its DS may go.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3 + 4199).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t3), t3 + 4200);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key_tag, old_tag);
  EXPECT_EQ(events[0].step, kStepDsRemoval);
  std::vector<SigningKey> after = signing_keys(keys, t3 + 4200);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].key.key_tag(), new_tag);
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t3 + 4200);
  EXPECT_EQ(status[0].phase, kStepDsRemoval);
  EXPECT_NE(status[0].operator_action.find("keep the DS of CSK " + std::to_string(old_tag)), std::string::npos)
      << status[0].operator_action;
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t3 + 4200), t3 + 4200);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key_tag, old_tag);
  EXPECT_EQ(events[0].step, kStepRetired);
  EXPECT_EQ(cds_tags(t3 + 4200), std::set<std::uint16_t>{new_tag});
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t3 + 4200);
  EXPECT_EQ(status[0].phase, "no lifetime") << status[0].lines[0];
  EXPECT_TRUE(status[0].operator_action.empty()) << status[0].operator_action;
}

// The policy's algorithm goes back (ECDSAP256SHA256 → ED25519 → ECDSAP256SHA256, KSK + ZSK) while the rollover waits
// for the new DS: the rollover is abandoned, and one back to the policy's algorithm asks for the DS of its KSK at
// once (its keys have been in every cache since long); confirmed, it removes the other algorithm's keys.
TEST(Rollover, AlgorithmChangedBackAbandonsTheRolloverAndRollsBack) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy;
  policy.algorithm = 15;
  std::vector<StoredKey> keys = keys_after_policy_change(store, SigningPolicy{}, policy);
  ASSERT_EQ(keys.size(), 4u);
  std::int64_t t1 = kT0 + kDay;
  advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1);
  auto events = advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1 + kDay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].step, kStepKeysetDsPending);
  std::uint16_t ed25519_ksk = events[0].key_tag;
  std::uint16_t ecdsa_ksk = events[1].key_tag;

  policy.algorithm = 13;
  std::int64_t t2 = t1 + 2 * kDay;
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].key_tag, ed25519_ksk);
  EXPECT_NE(events[0].detail.find("key set rollover to KSK " + std::to_string(ed25519_ksk) + " (algorithm 15) abandoned"), std::string::npos) << events[0].detail;
  EXPECT_EQ(events[1].key_tag, ecdsa_ksk);
  EXPECT_EQ(events[1].step, kStepKeysetDsPending);
  EXPECT_EQ(events[2].key_tag, ed25519_ksk);
  EXPECT_EQ(events[2].step, kStepRolling);
  EXPECT_EQ(signing_keys(keys, t2).size(), 4u);  // both algorithms still sign

  ASSERT_TRUE(confirm_ds(store, keys, ecdsa_ksk, t2).ok());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + 4200);
  ASSERT_EQ(events.size(), 3u);  // the ECDSA KSK alone signs the DNSKEY RRset; the ED25519 KSK and ZSK leave it
  std::vector<SigningKey> left = signing_keys(keys, t2 + 4200);
  ASSERT_EQ(left.size(), 3u);  // the ED25519 ZSK signs on until caches let go of its DNSKEY
  for (const SigningKey& k : left) EXPECT_EQ(k.in_dnskey, k.key.algorithm() == 13);
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t2 + 4200), t2 + 8399).empty());
  // The ED25519 ZSK stops signing; the DS of the ED25519 KSK may go.
  EXPECT_EQ(advance_rollovers(store, keys, policy, timing(), published(keys, t2 + 4200), t2 + 8400).size(), 2u);
  left = signing_keys(keys, t2 + 8400);
  ASSERT_EQ(left.size(), 2u);
  for (const SigningKey& k : left) EXPECT_EQ(k.key.algorithm(), 13);
  // The ED25519 KSK's DS was asked for, never confirmed: its removal is advised only if the parent serves it.
  auto status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t2 + 8400);
  ASSERT_EQ(status[0].role, KeyRole::kKsk);
  EXPECT_NE(status[0].lines.back().find("retired KSK " + std::to_string(ed25519_ksk) +
                                        ": never confirmed at the parent (keys ds-seen); if the parent serves it: "
                                        "its DS may be removed"),
            std::string::npos)
      << status[0].lines.back();
}

// KSK + ZSK, ECDSAP256SHA256 → ED25519: the new ZSK signs ahead and the new KSK waits with it; both DNSKEYs are
// published together once the new ZSK's signatures are in every cache. Changed back before that, the policy's
// earlier algorithm simply stays: the keys signing ahead stop, and nothing waits for a DS.
TEST(Rollover, AlgorithmRolloverWithKskAndZskPublishesTheNewDnskeysAfterTheirSignatures) {
  for (bool changed_back : {false, true}) {
    SCOPED_TRACE(changed_back ? "changed back" : "carried through");
    TempDir dir;
    KeyStore store(dir.path(), name("193.in-addr.arpa"));
    SigningPolicy policy;
    policy.algorithm = 15;
    std::vector<StoredKey> keys = keys_after_policy_change(store, SigningPolicy{}, policy);
    ASSERT_EQ(keys.size(), 4u);
    std::uint16_t new_ksk = tag_of(keys, 15, KeyRole::kKsk);
    std::uint16_t new_zsk = tag_of(keys, 15, KeyRole::kZsk);
    std::int64_t t0 = kT0 + kDay;
    auto events = advance_rollovers(store, keys, policy, timing(), published(keys, kT0), t0);
    ASSERT_EQ(events.size(), 2u);
    std::vector<SigningKey> signing = signing_keys(keys, t0);
    ASSERT_EQ(signing.size(), 3u);  // the old KSK and ZSK, and the new ZSK unpublished; the new KSK signs nothing
    for (const SigningKey& k : signing) EXPECT_EQ(k.in_dnskey, k.key.key_tag() != new_zsk) << k.key.key_tag();
    auto status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t0);
    ASSERT_EQ(status.size(), 2u);
    EXPECT_EQ(status[0].phase, kStepKeysetSignaturesFirst);
    EXPECT_NE(status[0].lines[0].find("new KSK " + std::to_string(new_ksk) + " (algorithm 15) made, waiting"),
              std::string::npos)
        << status[0].lines[0];
    EXPECT_NE(status[1].lines[0].find("new ZSK " + std::to_string(new_zsk) + " (algorithm 15) signs the zone's data"),
              std::string::npos)
        << status[1].lines[0];
    EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t0), t0).empty());
    // A rollover of the new ZSK, which signs ahead of its DNSKEY, is refused by the step it is in.
    auto refused = request_rollover(store, keys, new_zsk, policy, t0);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().find("already in a rollover (step \"" + std::string(kStepKeysetSignaturesFirst) + "\")"),
              std::string::npos)
        << refused.error();
    if (changed_back) {
      policy.algorithm = 13;
      events = advance_rollovers(store, keys, policy, timing(), published(keys, t0), t0 + 60);
      ASSERT_EQ(events.size(), 2u);
      for (const RolloverEvent& e : events) EXPECT_EQ(e.step, kStepRetired);
      signing = signing_keys(keys, t0 + 60);
      ASSERT_EQ(signing.size(), 2u);
      for (const SigningKey& k : signing) EXPECT_TRUE(k.key.algorithm() == 13 && k.in_dnskey && k.active);
      for (const RolloverStatus& s : rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t0 + 60)) {
        EXPECT_EQ(s.phase, "no lifetime");
      }
      continue;
    }
    const std::int64_t signature_wait = 7200 + 600;
    EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t0), t0 + signature_wait - 1).empty());
    events = advance_rollovers(store, keys, policy, timing(), published(keys, t0), t0 + signature_wait);
    ASSERT_EQ(events.size(), 2u);
    signing = signing_keys(keys, t0 + signature_wait);
    ASSERT_EQ(signing.size(), 4u);
    for (const SigningKey& k : signing) EXPECT_TRUE(k.in_dnskey && k.active) << k.key.key_tag();
    // The new KSK signs the DNSKEY RRset from its publication: its lifetime counts from then.
    auto ksk = std::find_if(keys.begin(), keys.end(), [&](const StoredKey& k) { return k.key.key_tag() == new_ksk; });
    ASSERT_NE(ksk, keys.end());
    EXPECT_EQ(ksk->state.timing.publish, t0 + signature_wait);
    EXPECT_EQ(ksk->state.timing.activate, t0 + signature_wait);
  }
}

// The policy's algorithm changes while a KSK rollover of the old algorithm waits for its DS: the old KSK, "rolling",
// still signs the DNSKEY RRset, so the algorithm rollover starts in the conservative order all the same. The new
// ZSK signs ahead of its DNSKEY, and no key of the new algorithm is in the DNSKEY RRset.
TEST(Rollover, AlgorithmChangeWhileAKskWaitsForItsDsSignsBeforeItPublishes) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy = with_lifetimes(0, 30 * kDay);
  std::vector<StoredKey> keys = keys_at_start(store, policy);
  ASSERT_FALSE(keys.empty());
  advance_rollovers(store, keys, policy, timing(), published(keys, kT0), kT0);
  std::int64_t t1 = kT0 + 30 * kDay;
  advance_rollovers(store, keys, policy, timing(), published(keys, kT0), t1);
  ASSERT_NE(with_step(keys, KeyRole::kKsk, kStepKskDsPending), nullptr);
  ASSERT_NE(with_step(keys, KeyRole::kKsk, kStepRolling), nullptr);

  SigningPolicy ed25519 = policy;
  ed25519.algorithm = 15;
  auto changed = store.ensure_keys(ed25519, t1 + 3600);
  ASSERT_TRUE(changed.ok()) << changed.error();
  keys = *changed;
  std::uint16_t new_zsk = tag_of(keys, 15, KeyRole::kZsk);
  ASSERT_NE(new_zsk, 0);
  std::vector<RolloverEvent> events = advance_rollovers(store, keys, ed25519, timing(), published(keys, t1), t1 + 3600);
  std::size_t presigning = 0;
  for (const RolloverEvent& e : events) presigning += e.step == kStepKeysetSignaturesFirst;
  EXPECT_EQ(presigning, 2u);  // the new ZSK and KSK
  for (const SigningKey& k : signing_keys(keys, t1 + 3600)) {
    EXPECT_TRUE(k.key.algorithm() != 15 || !k.in_dnskey) << k.key.key_tag();
    EXPECT_TRUE(k.key.key_tag() != new_zsk || k.active);
  }
}

// The last publication cannot be read when a key set rollover starts (a damaged copy): the keys' states, which say
// the old keys were found published, stand for it. A new algorithm's ZSK signs ahead of its DNSKEY as usual; keys
// of a new layout but of the published algorithm are published and sign at once.
TEST(Rollover, KeySetRolloverWithoutAReadablePublicationGoesByTheKeysStates) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy;
  policy.algorithm = 15;
  std::vector<StoredKey> keys = keys_after_policy_change(store, SigningPolicy{}, policy, true);
  ASSERT_EQ(keys.size(), 4u);
  std::uint16_t new_zsk = tag_of(keys, 15, KeyRole::kZsk);
  auto events = advance_rollovers(store, keys, policy, timing(), std::nullopt, kT0 + kDay);
  ASSERT_EQ(events.size(), 2u);
  for (const RolloverEvent& e : events) EXPECT_EQ(e.step, kStepKeysetSignaturesFirst) << e.detail;
  std::vector<SigningKey> signing = signing_keys(keys, kT0 + kDay);
  ASSERT_EQ(signing.size(), 3u);  // the old KSK and ZSK, and the new ZSK out of the DNSKEY RRset
  for (const SigningKey& k : signing) EXPECT_EQ(k.in_dnskey, k.key.key_tag() != new_zsk) << k.key.key_tag();

  TempDir layout_dir;
  KeyStore layout_store(layout_dir.path(), name("193.in-addr.arpa"));
  SigningPolicy csk;
  csk.key_layout = KeyLayout::kCsk;
  keys = keys_after_policy_change(layout_store, SigningPolicy{}, csk, true);
  ASSERT_EQ(keys.size(), 3u);
  for (const RolloverEvent& e : advance_rollovers(layout_store, keys, csk, timing(), std::nullopt, kT0 + kDay)) {
    EXPECT_NE(e.step, kStepKeysetSignaturesFirst) << e.detail;
  }
  signing = signing_keys(keys, kT0 + kDay);
  ASSERT_EQ(signing.size(), 3u);
  for (const SigningKey& k : signing) EXPECT_TRUE(k.in_dnskey && k.active) << k.key.key_tag();
}

// `keys rollover`: with no lifetime set, the operator's request starts a ZSK rollover (pre-publication) and a KSK
// rollover (double-DS, waiting for the DS) at the next run, and their steps then wait as usual; a key already in a
// rollover, a key that does not sign, or an unknown key is refused; asking twice is not an error.
TEST(Rollover, TheOperatorsRequestStartsARolloverWithoutALifetime) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy;  // KSK + ZSK, no lifetimes
  std::vector<StoredKey> keys = keys_at_start(store, policy);
  ASSERT_FALSE(keys.empty());
  std::uint16_t ksk = tag_of(keys, 13, KeyRole::kKsk);
  std::uint16_t zsk = tag_of(keys, 13, KeyRole::kZsk);
  std::int64_t t1 = kT0 + kDay;
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1).empty());

  auto asked = request_rollover(store, keys, zsk, policy, t1);
  ASSERT_TRUE(asked.ok()) << asked.error();
  EXPECT_NE(asked->detail.find("the next run starts it"), std::string::npos) << asked->detail;
  auto again = request_rollover(store, keys, zsk, policy, t1 + 60);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_NE(again->detail.find("already asked for at " + rollover_time_text(t1)), std::string::npos) << again->detail;
  ASSERT_TRUE(request_rollover(store, keys, ksk, policy, t1).ok());
  EXPECT_FALSE(request_rollover(store, keys, 1, policy, t1).ok());
  auto status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t1);
  EXPECT_EQ(status[1].phase, "rollover-requested");
  // The request is in the key's state: a reload (the next run) sees it.
  auto reloaded = store.load();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error();
  keys = *reloaded;

  auto events = advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1 + 3600);
  ASSERT_EQ(events.size(), 3u);  // new ZSK pre-published; new KSK made, waiting for its DS; the old KSK rolling
  EXPECT_NE(with_step(keys, KeyRole::kZsk, kStepZskPrepublished), nullptr);
  EXPECT_NE(with_step(keys, KeyRole::kKsk, kStepKskDsPending), nullptr);
  for (const RolloverEvent& e : events) {
    if (!e.step.empty() && e.step != kStepRolling) {
      EXPECT_NE(e.detail.find("a rollover the operator asked for"), std::string::npos) << e.detail;
    }
  }
  auto refused = request_rollover(store, keys, zsk, policy, t1 + 3600);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("already in a rollover"), std::string::npos) << refused.error();
  std::uint16_t prepublished = with_step(keys, KeyRole::kZsk, kStepZskPrepublished)->key.key_tag();
  refused = request_rollover(store, keys, prepublished, policy, t1 + 3600);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("already in a rollover (step \"zsk-prepublished\")"), std::string::npos)
      << refused.error();
  // The ZSK's swap waits for the DNSKEY caches, as in any rollover; nothing more starts meanwhile.
  EXPECT_TRUE(advance_rollovers(store, keys, policy, timing(), published(keys, t1 + 3600), t1 + 3600 + 4199).empty());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t1 + 3600), t1 + 3600 + 4200);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].key_tag, prepublished);
  EXPECT_EQ(events[1].step, kStepZskRetiring);
}

// The policy's key layout changes from a CSK to a KSK and a ZSK: the CSK is the old key whose DS the new KSK's
// replaces, and it leaves with its signatures once that DS has reached the parent's caches.
TEST(Rollover, KeyLayoutChangeFromCskToKskAndZskReplacesTheCsk) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy before;
  before.key_layout = KeyLayout::kCsk;
  SigningPolicy policy;  // KSK + ZSK
  std::vector<StoredKey> keys = keys_after_policy_change(store, before, policy);
  ASSERT_EQ(keys.size(), 3u);
  std::uint16_t csk = tag_of(keys, 13, KeyRole::kCsk);
  ASSERT_NE(csk, 0);
  ASSERT_TRUE(confirm_ds(store, keys, csk, kT0).ok());  // the parent serves the CSK's DS
  std::int64_t t1 = kT0 + kDay;
  auto status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t1);
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[1].phase, "keyset-rollover");
  EXPECT_NE(status[1].lines[1].find("old CSK " + std::to_string(csk) + " leaves the zone"), std::string::npos)
      << status[1].lines[1];
  advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1);
  auto events = advance_rollovers(store, keys, policy, timing(), published(keys, t1), t1 + kDay);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].role, KeyRole::kKsk);
  EXPECT_EQ(events[0].step, kStepKeysetDsPending);
  EXPECT_NE(events[0].detail.find("key set rollover (CSK → KSK + ZSK)"), std::string::npos) << events[0].detail;
  EXPECT_EQ(events[1].key_tag, csk);
  EXPECT_EQ(events[1].step, kStepRolling);
  // The operator is asked for the new KSK's DS; the key that signs meanwhile is named by its own role.
  status = rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), t1 + kDay);
  ASSERT_EQ(status[0].role, KeyRole::kKsk);
  EXPECT_NE(status[0].operator_action.find("CSK " + std::to_string(csk) + " keeps signing meanwhile"),
            std::string::npos)
      << status[0].operator_action;
  ASSERT_TRUE(confirm_ds(store, keys, events[0].key_tag, t1 + kDay).ok());
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t1 + kDay), t1 + kDay + 4200);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].key_tag, csk);
  EXPECT_EQ(events[1].step, kStepKeysetSignaturesLast);
  std::int64_t t2 = t1 + kDay + 4200;
  std::vector<SigningKey> left = signing_keys(keys, t2);
  ASSERT_EQ(left.size(), 3u);  // the CSK signs on, out of the DNSKEY RRset, until caches let go of it
  for (const SigningKey& k : left) EXPECT_EQ(k.in_dnskey, k.role != KeyRole::kCsk);
  events = advance_rollovers(store, keys, policy, timing(), published(keys, t2), t2 + 4200);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].step, kStepDsRemoval);  // its DS may go
  left = signing_keys(keys, t2 + 4200);
  ASSERT_EQ(left.size(), 2u);
  for (const SigningKey& k : left) EXPECT_NE(k.role, KeyRole::kCsk);
  // keys status shows the old layout's CSK and its DS, though the policy has no CSK; once retired, its DS.
  auto csk_status = [&](std::int64_t at) -> std::optional<RolloverStatus> {
    for (RolloverStatus& s : rollover_status(name("193.in-addr.arpa"), keys, policy, timing(), at)) {
      if (s.role == KeyRole::kCsk) return s;
    }
    return std::nullopt;
  };
  std::optional<RolloverStatus> leaving = csk_status(t2 + 4200);
  ASSERT_TRUE(leaving.has_value());
  EXPECT_EQ(leaving->phase, kStepDsRemoval);
  EXPECT_NE(leaving->operator_action.find("keep the DS of CSK " + std::to_string(csk)), std::string::npos)
      << leaving->operator_action;
  advance_rollovers(store, keys, policy, timing(), published(keys, t2 + 4200), t2 + 4200);
  leaving = csk_status(t2 + 4200);
  ASSERT_TRUE(leaving.has_value());
  EXPECT_EQ(leaving->phase, "retired");
  auto refused = request_rollover(store, keys, csk, policy, t2 + 4200);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("is retired"), std::string::npos) << refused.error();
  EXPECT_NE(leaving->lines.back().find("retired CSK " + std::to_string(csk) + ": its DS may be removed"),
            std::string::npos)
      << leaving->lines.back();
  EXPECT_FALSE(csk_status(t2 + 40 * kDay).has_value());
}

// KSK + ZSK → CSK, and the operator asks for a rollover of the new CSK before the key set rollover ends: it waits
// for that end, so that each DS is asked for once, the new CSK's by the key set rollover and its successor's by the
// CSK rollover, and no DS that was never asked for is named to remove.
TEST(Rollover, ARolloverOfTheNewCskAskedForDuringALayoutChangeStartsWhenTheChangeEnds) {
  TempDir dir;
  KeyStore store(dir.path(), name("193.in-addr.arpa"));
  SigningPolicy policy;
  policy.key_layout = KeyLayout::kCsk;
  std::vector<StoredKey> keys = keys_after_policy_change(store, SigningPolicy{}, policy);
  ASSERT_EQ(keys.size(), 3u);
  const std::uint16_t csk = tag_of(keys, 13, KeyRole::kCsk);
  ASSERT_NE(csk, 0);
  std::int64_t t = kT0 + kDay;
  advance_rollovers(store, keys, policy, timing(), published(keys, t), t);
  auto asked = request_rollover(store, keys, csk, policy, t);
  ASSERT_TRUE(asked.ok()) << asked.error();
  EXPECT_NE(asked->detail.find("once the key set rollover under way has ended"), std::string::npos) << asked->detail;

  std::map<std::uint16_t, int> ds_asked;  // key tag → times its DS was asked for
  std::uint16_t successor = 0;
  for (int hour = 1; hour <= 48; ++hour) {
    std::int64_t now = t + hour * 3600;
    for (const RolloverEvent& e : advance_rollovers(store, keys, policy, timing(), published(keys, now - 3600), now)) {
      if (e.step == kStepKskDsPending || e.step == kStepCskDsPending || e.step == kStepKeysetDsPending) {
        ++ds_asked[e.key_tag];
      }
      if (e.step == kStepCskDsPending) successor = e.key_tag;
    }
    for (StoredKey& k : keys) {
      if (waits_for_ds(k) && !k.state.ds_published) {
        ASSERT_TRUE(confirm_ds(store, keys, k.key.key_tag(), now).ok());
      }
    }
  }
  EXPECT_EQ(ds_asked[csk], 1);  // by the key set rollover
  ASSERT_NE(successor, 0) << "the CSK rollover asked for starts once the layout change ends";
  EXPECT_EQ(ds_asked[successor], 1);
  EXPECT_EQ(ds_asked.size(), 2u);
  // Every DS named to leave the parent was asked for, but the old KSK's, which the parent served before the change.
  const std::uint16_t old_ksk = tag_of(keys, 13, KeyRole::kKsk);
  for (const StoredKey& k : keys) {
    if (!k.state.ds_removable) continue;
    EXPECT_TRUE(k.key.key_tag() == old_ksk || ds_asked.count(k.key.key_tag())) << k.key.key_tag();
  }
  auto fresh = std::find_if(keys.begin(), keys.end(), [&](const StoredKey& k) { return k.key.key_tag() == successor; });
  ASSERT_NE(fresh, keys.end());
  EXPECT_EQ(fresh->state.predecessor, csk);
  EXPECT_EQ(fresh->state.rollover_step, "");  // the CSK rollover went to its end
}

}  // namespace
}  // namespace rdnsprov::signer
