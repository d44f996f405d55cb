#include "signer/rollover.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dns/dnssec.h"
#include "dns/rdata.h"

namespace rdnsprov::signer {
namespace {

std::int64_t key_start(const StoredKey& k) {
  const KeyTiming& t = k.state.timing;
  if (t.activate) return *t.activate;
  if (t.publish) return *t.publish;
  return t.created.value_or(0);
}

StoredKey* find_tag(std::vector<StoredKey>& keys, std::optional<std::uint16_t> tag) {
  if (!tag) return nullptr;
  for (StoredKey& k : keys) {
    if (k.key.key_tag() == *tag) return &k;
  }
  return nullptr;
}

const StoredKey* find_tag(const std::vector<StoredKey>& keys, std::optional<std::uint16_t> tag) {
  return find_tag(const_cast<std::vector<StoredKey>&>(keys), tag);
}

std::string ds_text(const StoredKey& k) {
  auto ds = dns::ds_rdata(k.key.zone(), k.key.dnskey_rdata(), 2);
  if (!ds) return "(no DS: " + ds.error() + ")";
  return fmt::format("{} IN DS {}", k.key.zone().to_text(), dns::rdata::to_text(dns::RRType::kDs, *ds));
}

std::uint32_t lifetime_of(const SigningPolicy& policy, KeyRole role) {
  return role == KeyRole::kZsk ? policy.zsk_lifetime : policy.ksk_lifetime;
}

bool is_pending_ds(std::string_view step) {
  return step == kStepKskDsPending || step == kStepCskDsPending || step == kStepKeysetDsPending;
}

// "KSK", "ZSK", "CSK".
std::string role_name(KeyRole role) {
  std::string name(key_role_to_text(role));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

bool is_keyset_step(std::string_view step) { return step == kStepKeysetDsPending || step == kStepKeysetDsSeen; }

// An algorithm rollover's new key before its DNSKEY is published.
bool is_presigning(const StoredKey& k) { return k.state.rollover_step == kStepKeysetSignaturesFirst; }

bool signs_dnskey(KeyRole role) { return role != KeyRole::kZsk; }
bool signs_data(KeyRole role) { return role != KeyRole::kKsk; }

// Whether a key is of the policy's algorithm and of a role its key layout has.
bool in_policy(const StoredKey& k, const SigningPolicy& policy) {
  bool csk = policy.key_layout == KeyLayout::kCsk;
  return k.key.algorithm() == policy.algorithm && (k.state.role == KeyRole::kCsk) == csk;
}

// A key the policy no longer has (another algorithm or key layout) that is still in the zone: a key set rollover
// is under way.
bool is_outside_policy(const StoredKey& k, const SigningPolicy& policy, std::int64_t now) {
  return !in_policy(k, policy) && k.published(now) && k.state.rollover_step != kStepRetired;
}

// An active key outside the policy doing the work of `role` (signing the DNSKEY RRset for a KSK or CSK, the data
// for a ZSK), outside a rollover of its own.
const StoredKey* outside_policy_key(const std::vector<StoredKey>& keys, KeyRole role, const SigningPolicy& policy,
                                    std::int64_t now) {
  for (const StoredKey& k : keys) {
    bool same_work = signs_dnskey(role) ? signs_dnskey(k.state.role) : signs_data(k.state.role);
    if (same_work && is_outside_policy(k, policy, now) && k.active(now) && k.state.rollover_step.empty()) return &k;
  }
  return nullptr;
}

// The same, in a rollover of its own or not (a KSK waiting for its successor's DS still signs the DNSKEY RRset).
const StoredKey* signing_outside_policy(const std::vector<StoredKey>& keys, KeyRole role, const SigningPolicy& policy,
                                        std::int64_t now) {
  for (const StoredKey& k : keys) {
    bool same_work = signs_dnskey(role) ? signs_dnskey(k.state.role) : signs_data(k.state.role);
    if (same_work && is_outside_policy(k, policy, now) && k.active(now)) return &k;
  }
  return nullptr;
}

// What a key set rollover from `old_key` to `fresh` changes: "algorithm 15 → 13", "KSK + ZSK → CSK", or both.
std::string keyset_change(const StoredKey& old_key, const StoredKey& fresh) {
  auto layout = [](const StoredKey& k) { return k.state.role == KeyRole::kCsk ? "CSK" : "KSK + ZSK"; };
  std::vector<std::string> parts;
  if (old_key.key.algorithm() != fresh.key.algorithm()) {
    parts.push_back(fmt::format("algorithm {} → {}", old_key.key.algorithm(), fresh.key.algorithm()));
  }
  if (std::string_view(layout(old_key)) != layout(fresh)) {
    parts.push_back(fmt::format("{} → {}", layout(old_key), layout(fresh)));
  }
  return parts.empty() ? std::string("key set") : fmt::format("{}", fmt::join(parts, ", "));
}

// When an algorithm rollover's new keys, signing before they are published, may be published: once the signatures of
// each of them that signs data have been published for the largest signed TTL + propagation (RFC 6781 §4.1.4). None
// while one of them has not been seen published, or when no key is in that step.
std::optional<std::int64_t> presigning_ends(const std::vector<StoredKey>& keys, std::int64_t signature_wait) {
  std::optional<std::int64_t> end;
  for (const StoredKey& k : keys) {
    if (!is_presigning(k)) continue;
    if (!signs_data(k.state.role)) {
      end = end.value_or(0);
      continue;
    }
    if (!k.state.signatures_seen) return std::nullopt;
    end = std::max(end.value_or(0), *k.state.signatures_seen + signature_wait);
  }
  return end;
}

}  // namespace

bool waits_for_ds(const StoredKey& key) { return is_pending_ds(key.state.rollover_step); }

bool withholds_cds(const std::vector<StoredKey>& keys) {
  return std::any_of(keys.begin(), keys.end(), [](const StoredKey& k) {
    const std::string& step = k.state.rollover_step;
    return step == kStepKskDsPending || step == kStepKskDsSeen || step == kStepDsRemoval ||
           (step == kStepKeysetSignaturesLast && signs_dnskey(k.state.role));
  });
}

void mark_cds_keys(std::vector<SigningKey>& signing, const std::vector<StoredKey>& keys, const SigningPolicy& policy,
                   std::int64_t now) {
  if (withholds_cds(keys)) {
    for (SigningKey& s : signing) s.in_cds = false;
    return;
  }
  if (!outside_policy_key(keys, KeyRole::kKsk, policy, now)) return;  // no key set rollover before its DS step
  for (SigningKey& s : signing) {
    for (const StoredKey& k : keys) {
      if (k.key.key_tag() == s.key.key_tag() && in_policy(k, policy) && signs_dnskey(k.state.role) &&
          k.state.rollover_step.empty()) {
        s.in_cds = false;
      }
    }
  }
}

std::string rollover_time_text(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

PublishedKeyFacts published_key_facts(const dns::Zone& zone, std::int64_t published_at) {
  PublishedKeyFacts facts;
  facts.published_at = published_at;
  for (const dns::Record& r : zone.records()) {
    if (r.type == dns::RRType::kDnskey && r.owner == zone.apex()) facts.dnskeys.insert(r.rdata);
    if (r.type == dns::RRType::kRrsig && r.rdata.size() >= 18) {
      facts.signing_tags.insert(static_cast<std::uint16_t>((static_cast<unsigned char>(r.rdata[16]) << 8) |
                                                           static_cast<unsigned char>(r.rdata[17])));
    }
  }
  return facts;
}

std::vector<RolloverEvent> advance_rollovers(const KeyStore& store, std::vector<StoredKey>& keys,
                                             const SigningPolicy& policy, const RolloverTiming& timing,
                                             const std::optional<PublishedKeyFacts>& published, std::int64_t now) {
  std::vector<RolloverEvent> events;
  std::set<std::uint16_t> changed;
  auto touch = [&](const StoredKey& k) { changed.insert(k.key.key_tag()); };
  auto event = [&](const StoredKey& k, std::string detail, std::optional<std::uint16_t> other = std::nullopt) {
    events.push_back(RolloverEvent{k.key.key_tag(), k.state.role, k.state.rollover_step, std::move(detail), other});
  };
  const std::int64_t dnskey_wait = timing.dnskey_ttl + timing.propagation_delay;
  const std::int64_t signature_wait = std::max(timing.max_signed_ttl, timing.dnskey_ttl) + timing.propagation_delay;
  const std::int64_t parent_wait = timing.parent_ds_ttl + timing.parent_propagation_delay;

  // 1. What the last publication shows.
  if (published) {
    for (StoredKey& k : keys) {
      const std::string& step = k.state.rollover_step;
      if (!k.state.dnskey_seen && k.published(now) && published->dnskeys.count(k.key.dnskey_rdata())) {
        k.state.dnskey_seen = published->published_at;
        touch(k);
      }
      if (is_presigning(k) && !k.state.signatures_seen && published->signing_tags.count(k.key.key_tag())) {
        k.state.signatures_seen = published->published_at;
        touch(k);
      }
      bool retiring = step == kStepZskRetiring || step == kStepCskRetiring;
      if (retiring && !k.state.signatures_gone && !published->signing_tags.count(k.key.key_tag())) {
        k.state.signatures_gone = published->published_at;
        if (step == kStepCskRetiring) k.state.ds_removable = published->published_at + dnskey_wait;
        touch(k);
      }
      bool leaving = step == kStepDsRemoval || step == kStepKeysetSignaturesLast;
      if (leaving && !k.state.dnskey_gone && !published->dnskeys.count(k.key.dnskey_rdata())) {
        k.state.dnskey_gone = published->published_at;
        if (step == kStepDsRemoval || k.state.role == KeyRole::kCsk) {
          k.state.ds_removable = published->published_at + dnskey_wait;
        }
        touch(k);
      }
    }
  }

  // The end of a key set rollover (an algorithm rollover, RFC 6781 §4.1.4, or a change of key layout): once the
  // parent's caches hold the DS of the policy's new KSK (or CSK) `successor`, every key outside the policy leaves
  // the DNSKEY RRset. The old ZSKs and CSK sign the zone's data on until caches let go of that RRset
  // ("keyset-signatures-last"): a validator still holding it, with the old algorithm in it, never meets an RRset
  // without a signature of that algorithm (RFC 4035 §2.2). The DS of `old_ksk` (the old KSK or CSK) may go from the
  // parent once caches let go of its DNSKEY.
  auto retire_outside_policy = [&](StoredKey& old_ksk, const StoredKey& successor) {
    std::string change = keyset_change(old_ksk, successor);
    for (StoredKey& o : keys) {
      if (!is_outside_policy(o, policy, now)) continue;
      bool holds_ds = &o == &old_ksk;
      bool signs_on = signs_data(o.state.role);
      o.state.timing.deletion = now;
      if (!signs_on) o.state.timing.inactive = now;
      o.state.rollover_step = signs_on ? kStepKeysetSignaturesLast : holds_ds ? kStepDsRemoval : kStepRetired;
      touch(o);
      event(o,
            fmt::format("key set rollover ({}): old {} {} (algorithm {}) removed from the DNSKEY RRset{}{}", change,
                        role_name(o.state.role), o.key.key_tag(), o.key.algorithm(),
                        signs_on ? "; its signatures stay until caches let go of the old DNSKEY RRset" : "",
                        holds_ds ? "; its DS stays at the parent until caches let go of the old DNSKEY RRset" : ""),
            successor.key.key_tag());
    }
  };

  // 1b. A key set rollover whose new key is no longer of the policy (its algorithm or layout changed back before
  // the rollover ended) is abandoned, every key signing as before; step 2b then rolls the zone back to the policy.
  for (StoredKey& k : keys) {
    const std::string& step = k.state.rollover_step;
    if (!is_keyset_step(step) || in_policy(k, policy)) continue;
    StoredKey* predecessor = find_tag(keys, k.state.predecessor);
    k.state.rollover_step.clear();
    k.state.predecessor.reset();
    touch(k);
    event(k,
          fmt::format("key set rollover to {} {} (algorithm {}) abandoned: the policy changed back; it signs on beside "
                      "the policy's keys until the zone is rolled back",
                      role_name(k.state.role), k.key.key_tag(), k.key.algorithm()),
          predecessor ? std::optional(predecessor->key.key_tag()) : std::nullopt);
    if (predecessor && predecessor->state.rollover_step == kStepRolling) {
      predecessor->state.rollover_step.clear();
      predecessor->state.successor.reset();
      touch(*predecessor);
    }
  }

  // 1c. An algorithm rollover starts with signatures (RFC 6781 §4.1.4, "new RRSIGs"): a key of the policy that the
  // last publication did not carry, of an algorithm none of its DNSKEYs has, while keys outside the policy sign the
  // zone, is held out of the DNSKEY RRset. As a ZSK or CSK it signs the zone's data meanwhile; its DNSKEY (with the
  // new KSK's) follows once those signatures are in every cache. A validator holding the new DNSKEY RRset then never
  // holds an RRset without a signature of its algorithm, which RFC 4035 §2.2 lets it refuse. When the last
  // publication cannot be read (a damaged copy), the keys' states say which algorithms it carried: those of the keys
  // found published and not found removed since. Knowing none, the new keys sign first: the order that is safe
  // whatever caches hold. The old keys may be in a rollover of their own (a KSK waiting for its successor's DS).
  if (signing_outside_policy(keys, KeyRole::kKsk, policy, now) &&
      signing_outside_policy(keys, KeyRole::kZsk, policy, now)) {
    std::set<std::uint8_t> published_algorithms;
    if (published) {
      for (const std::string& rdata : published->dnskeys) {
        if (rdata.size() >= 4) published_algorithms.insert(static_cast<std::uint8_t>(rdata[3]));
      }
    } else {
      for (const StoredKey& k : keys) {
        if (k.state.dnskey_seen && !k.state.dnskey_gone) published_algorithms.insert(k.key.algorithm());
      }
    }
    for (StoredKey& k : keys) {
      if (!in_policy(k, policy) || !k.state.rollover_step.empty() || k.state.dnskey_seen || !k.published(now) ||
          (published && published->dnskeys.count(k.key.dnskey_rdata())) ||
          published_algorithms.count(k.key.algorithm())) {
        continue;
      }
      k.state.rollover_step = kStepKeysetSignaturesFirst;
      touch(k);
      const StoredKey* old_key = signing_outside_policy(keys, k.state.role, policy, now);
      event(k,
            fmt::format("algorithm rollover{}: new {} {} (algorithm {}) {} before its DNSKEY is published, which "
                        "follows once {} in every cache",
                        old_key ? " (" + keyset_change(*old_key, k) + ")" : std::string(), role_name(k.state.role),
                        k.key.key_tag(), k.key.algorithm(),
                        signs_data(k.state.role) ? "signs the zone's data" : "waits",
                        signs_data(k.state.role) ? "its signatures are" : "the new signatures are"),
            old_key ? std::optional(old_key->key.key_tag()) : std::nullopt);
    }
  }
  // Changed back (or on) before their DNSKEYs were published, keys signing ahead that are no longer of the policy
  // stop: validators never had their DNSKEYs.
  for (StoredKey& k : keys) {
    if (!is_presigning(k) || in_policy(k, policy)) continue;
    k.state.rollover_step = kStepRetired;
    k.state.timing.inactive = now;
    k.state.timing.deletion = now;
    touch(k);
    event(k, fmt::format("algorithm rollover to {} {} (algorithm {}) abandoned before its DNSKEY was published: the "
                         "policy changed; its signatures leave the zone",
                         role_name(k.state.role), k.key.key_tag(), k.key.algorithm()));
  }

  // 2. Steps whose waits are over. Indices: generating a key below appends to `keys`.
  if (std::optional<std::int64_t> end = presigning_ends(keys, signature_wait); end && now >= *end) {
    for (StoredKey& k : keys) {
      if (!is_presigning(k)) continue;
      k.state.rollover_step.clear();
      k.state.timing.publish = now;
      if (!signs_data(k.state.role)) k.state.timing.activate = now;  // a KSK signs from its publication
      touch(k);
      event(k, fmt::format("algorithm rollover: the DNSKEY of new {} {} (algorithm {}) is published{}",
                           role_name(k.state.role), k.key.key_tag(), k.key.algorithm(),
                           signs_data(k.state.role) ? ", its signatures being in every cache" : " and signs it"));
    }
  }
  std::size_t count = keys.size();
  for (std::size_t i = 0; i < count; ++i) {
    StoredKey& k = keys[i];
    const std::string step = k.state.rollover_step;
    StoredKey* predecessor = find_tag(keys, k.state.predecessor);
    if (step == kStepZskPrepublished && k.state.dnskey_seen && now >= *k.state.dnskey_seen + dnskey_wait) {
      k.state.timing.activate = now;
      k.state.rollover_step.clear();
      touch(k);
      event(k, fmt::format("new ZSK {} signs the zone from now", k.key.key_tag()), k.state.predecessor);
      if (predecessor) {
        predecessor->state.timing.inactive = now;
        predecessor->state.rollover_step = kStepZskRetiring;
        touch(*predecessor);
        event(*predecessor,
              fmt::format("old ZSK {} stops signing; its DNSKEY stays until its signatures have left caches",
                          predecessor->key.key_tag()),
              k.key.key_tag());
      }
    } else if (step == kStepKskDsSeen && now >= *k.state.ds_published + parent_wait) {
      k.state.timing.publish = now;
      k.state.timing.activate = now;
      k.state.rollover_step.clear();
      touch(k);
      event(k, fmt::format("new KSK {} replaces the old one in the DNSKEY RRset and signs it", k.key.key_tag()),
            k.state.predecessor);
      if (predecessor) {
        predecessor->state.timing.inactive = now;
        predecessor->state.timing.deletion = now;
        predecessor->state.rollover_step = kStepDsRemoval;
        touch(*predecessor);
        event(*predecessor,
              fmt::format("old KSK {} removed from the DNSKEY RRset; its DS stays at the parent until caches let go "
                          "of the old DNSKEY RRset",
                          predecessor->key.key_tag()),
              k.key.key_tag());
      }
    } else if (step == kStepCskDsSeen && k.state.dnskey_seen &&
               now >= std::max(*k.state.ds_published + parent_wait, *k.state.dnskey_seen + dnskey_wait)) {
      k.state.timing.activate = now;
      k.state.rollover_step.clear();
      touch(k);
      event(k, fmt::format("new CSK {} signs the zone from now", k.key.key_tag()), k.state.predecessor);
      if (predecessor) {
        predecessor->state.timing.inactive = now;
        predecessor->state.rollover_step = kStepCskRetiring;
        touch(*predecessor);
        event(*predecessor, fmt::format("old CSK {} stops signing", predecessor->key.key_tag()), k.key.key_tag());
      }
    } else if (step == kStepKeysetDsSeen && now >= *k.state.ds_published + parent_wait) {
      k.state.rollover_step.clear();
      touch(k);
      event(k,
            fmt::format("key set rollover{}: {} {} (algorithm {}) alone signs the DNSKEY RRset from now",
                        predecessor ? " (" + keyset_change(*predecessor, k) + ")" : std::string(),
                        role_name(k.state.role), k.key.key_tag(), k.key.algorithm()),
            k.state.predecessor);
      if (predecessor) retire_outside_policy(*predecessor, k);
    } else if ((step == kStepZskRetiring || step == kStepCskRetiring) && k.state.signatures_gone &&
               now >= *k.state.signatures_gone + signature_wait) {
      k.state.timing.deletion = now;
      k.state.rollover_step = kStepRetired;
      touch(k);
      event(k,
            step == kStepZskRetiring
                ? fmt::format("old ZSK {} removed from the DNSKEY RRset: rollover complete", k.key.key_tag())
                : fmt::format("old CSK {} removed from the DNSKEY RRset; its DS may be removed from the parent from {}",
                              k.key.key_tag(), rollover_time_text(k.state.ds_removable.value_or(now))),
            k.state.successor);
    } else if (step == kStepKeysetSignaturesLast && k.state.dnskey_gone && now >= *k.state.dnskey_gone + dnskey_wait) {
      k.state.timing.inactive = now;
      k.state.rollover_step = k.state.role == KeyRole::kCsk ? kStepDsRemoval : kStepRetired;
      touch(k);
      event(k,
            fmt::format("old {} {} (algorithm {}) stops signing: caches no longer hold a DNSKEY RRset with it{}",
                        role_name(k.state.role), k.key.key_tag(), k.key.algorithm(),
                        k.state.role == KeyRole::kCsk ? "; its DS may now be removed from the parent" : ""),
            k.state.successor);
    } else if (step == kStepDsRemoval && k.state.ds_removable && now >= *k.state.ds_removable) {
      k.state.rollover_step = kStepRetired;
      touch(k);
      event(k,
            fmt::format("the DS of old {} {} may now be removed from the parent: rollover complete ({})",
                        role_name(k.state.role), k.key.key_tag(), ds_text(k)),
            k.state.successor);
    }
  }

  // 2b. A key set rollover reaches its DS step: the policy's algorithm or key layout changed, its new keys (made
  // by KeyStore::ensure_keys) sign beside the old ones, and every active key of the policy has been in the DNSKEY
  // RRset, with its signatures, for long enough that every cache holds them. The DS of its KSK (or CSK) may now
  // replace the old one at the parent; the old keys leave once the operator confirms it (confirm_ds) and the
  // parent's caches follow.
  bool policy_keys_cached = std::all_of(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(count),
                                        [&](const StoredKey& k) {
                                          return !in_policy(k, policy) || !k.active(now) ||
                                                 (k.state.dnskey_seen && now >= *k.state.dnskey_seen + signature_wait);
                                        });
  for (std::size_t i = 0; i < count && policy_keys_cached; ++i) {
    StoredKey& fresh = keys[i];
    if (!signs_dnskey(fresh.state.role) || !in_policy(fresh, policy) || !fresh.active(now) ||
        !fresh.state.rollover_step.empty()) {
      continue;
    }
    const StoredKey* found = outside_policy_key(keys, KeyRole::kKsk, policy, now);
    if (!found || found->state.successor) continue;
    StoredKey& old_key = *find_tag(keys, found->key.key_tag());
    fresh.state.predecessor = old_key.key.key_tag();
    fresh.state.rollover_step = kStepKeysetDsPending;
    old_key.state.successor = fresh.key.key_tag();
    old_key.state.rollover_step = kStepRolling;
    touch(fresh);
    touch(old_key);
    std::string change = keyset_change(old_key, fresh);
    event(fresh,
          fmt::format("key set rollover ({}): the new {} {} and its signatures are in every cache; submit its DS to "
                      "the parent ({}) and confirm with `rdnsprov keys ds-seen --zone {} --key {}` once the parent "
                      "serves it",
                      change, role_name(fresh.state.role), fresh.key.key_tag(), ds_text(fresh),
                      fresh.key.zone().to_text(), fresh.key.key_tag()),
          old_key.key.key_tag());
    event(old_key,
          fmt::format("key set rollover ({}): {} {} keeps signing until the DS of {} {} is at the parent", change,
                      role_name(old_key.state.role), old_key.key.key_tag(), role_name(fresh.state.role),
                      fresh.key.key_tag()),
          fresh.key.key_tag());
  }

  // 3. Rollovers that start: the current key of a role has reached its lifetime (less the pre-publication lead
  // for a ZSK, so that the new one signs when the old one's lifetime ends), or the operator asked for its rollover
  // (request_rollover).
  for (std::size_t i = 0; i < count; ++i) {
    const StoredKey& current = keys[i];
    KeyRole role = current.state.role;
    std::uint32_t lifetime = lifetime_of(policy, role);
    bool requested = current.state.rollover_requested.has_value();
    if ((lifetime == 0 && !requested) || current.state.successor || !current.active(now) ||
        !current.state.rollover_step.empty()) {
      continue;
    }
    if (!in_policy(current, policy)) continue;  // keys a key set rollover replaces do not roll
    // Nor does the policy's KSK or CSK while a key set rollover under way waits to ask for its DS, or for it: the
    // rollover would ask for a DS the key set rollover asks for again. It starts once the old keys are gone.
    if (signs_dnskey(role) && signing_outside_policy(keys, KeyRole::kKsk, policy, now)) continue;
    std::int64_t lead = role == KeyRole::kZsk ? dnskey_wait : 0;
    if (!requested && now < key_start(current) + static_cast<std::int64_t>(lifetime) - lead) continue;
    StoredKey successor = store.generate(role, policy, now, keys);
    successor.state.timing = KeyTiming{};
    successor.state.timing.created = now;
    successor.state.predecessor = current.key.key_tag();
    std::string detail;
    switch (role) {
      case KeyRole::kZsk:
        successor.state.timing.publish = now;
        successor.state.rollover_step = kStepZskPrepublished;
        detail = fmt::format("new ZSK {} pre-published (inactive) to replace ZSK {}", successor.key.key_tag(),
                             current.key.key_tag());
        break;
      case KeyRole::kKsk:
        successor.state.rollover_step = kStepKskDsPending;
        detail = fmt::format(
            "new KSK {} made to replace KSK {} (double-DS): submit its DS to the parent ({}) and confirm with "
            "`rdnsprov keys ds-seen --zone {} --key {}` once the parent serves it",
            successor.key.key_tag(), current.key.key_tag(), ds_text(successor), current.key.zone().to_text(),
            successor.key.key_tag());
        break;
      case KeyRole::kCsk:
        successor.state.timing.publish = now;
        successor.state.rollover_step = kStepCskDsPending;
        detail = fmt::format(
            "new CSK {} pre-published (inactive) to replace CSK {}: submit its DS to the parent ({}) and confirm with "
            "`rdnsprov keys ds-seen --zone {} --key {}` once the parent serves it",
            successor.key.key_tag(), current.key.key_tag(), ds_text(successor), current.key.zone().to_text(),
            successor.key.key_tag());
        break;
    }
    if (requested) detail += " (a rollover the operator asked for)";
    keys[i].state.successor = successor.key.key_tag();
    touch(keys[i]);
    touch(successor);
    event(successor, detail, current.key.key_tag());
    if (role != KeyRole::kZsk) {
      keys[i].state.rollover_step = kStepRolling;
      event(keys[i], fmt::format("{} {} keeps signing until its successor {} takes over", key_role_to_text(role),
                                 keys[i].key.key_tag(), successor.key.key_tag()),
            successor.key.key_tag());
    }
    keys.push_back(std::move(successor));
  }

  for (const StoredKey& k : keys) {
    if (changed.count(k.key.key_tag())) store.save(k);
  }
  return events;
}

dns::Result<RolloverEvent> confirm_ds(const KeyStore& store, std::vector<StoredKey>& keys, std::uint16_t key_tag,
                                      std::int64_t now) {
  StoredKey* k = find_tag(keys, key_tag);
  if (!k) return dns::error(fmt::format("zone {} has no key {}", store.zone().to_text(), key_tag));
  if (k->state.rollover_step.empty() && k->state.role != KeyRole::kZsk && k->active(now)) {
    // Outside a rollover: the parent serves (or will rely on) the DS of this signing key, for instance after the
    // zone was re-keyed. The dnssec gate then trusts the key to sign the DNSKEY RRset (cli/signing.cc).
    k->state.ds_published = now;
    store.save(*k);
    return RolloverEvent{key_tag, k->state.role, "ds-published",
                         fmt::format("the operator confirmed that the parent serves the DS of key {} ({}), outside a "
                                     "rollover",
                                     key_tag, ds_text(*k)),
                         std::nullopt};
  }
  if (k->state.role == KeyRole::kZsk) {
    return dns::error(fmt::format("key {} of zone {} is a ZSK: the parent's DS points to a KSK or CSK", key_tag,
                                  store.zone().to_text()));
  }
  if (!is_pending_ds(k->state.rollover_step)) {
    return dns::error(fmt::format("key {} of zone {} is not waiting for its DS (rollover step \"{}\")", key_tag,
                                  store.zone().to_text(), k->state.rollover_step));
  }
  k->state.ds_published = now;
  if (k->state.rollover_step == kStepKeysetDsPending) {
    k->state.rollover_step = kStepKeysetDsSeen;
  } else {
    k->state.rollover_step = k->state.role == KeyRole::kCsk ? kStepCskDsSeen : kStepKskDsSeen;
  }
  store.save(*k);
  return RolloverEvent{key_tag, k->state.role, "ds-published",
                       fmt::format("the operator confirmed that the parent serves the DS of key {} ({})", key_tag,
                                   ds_text(*k)),
                       k->state.predecessor};
}

dns::Result<RolloverEvent> request_rollover(const KeyStore& store, std::vector<StoredKey>& keys,
                                            std::uint16_t key_tag, const SigningPolicy& policy, std::int64_t now) {
  StoredKey* k = find_tag(keys, key_tag);
  const std::string zone = store.zone().to_text();
  if (!k) return dns::error(fmt::format("zone {} has no key {}", zone, key_tag));
  // A key in a rollover step is named by its step, whether or not it signs yet (a pre-published ZSK, a new key of an
  // algorithm rollover signing ahead of its DNSKEY). A retired key is past every step.
  if (k->state.rollover_step == kStepRetired) {
    return dns::error(fmt::format("key {} of zone {} is retired: only a signing key is rolled", key_tag, zone));
  }
  if (!k->state.rollover_step.empty() || k->state.successor) {
    return dns::error(fmt::format("key {} of zone {} is already in a rollover (step \"{}\"): see rdnsprov keys status",
                                  key_tag, zone, k->state.rollover_step));
  }
  if (!k->active(now)) {
    return dns::error(fmt::format("key {} of zone {} does not sign the zone: only a signing key is rolled", key_tag, zone));
  }
  if (!in_policy(*k, policy)) {
    return dns::error(fmt::format("key {} of zone {} is of another algorithm or key layout than the policy: the key set "
                                  "rollover under way replaces it",
                                  key_tag, zone));
  }
  std::string detail;
  // Step 3 of advance_rollovers holds it back meanwhile.
  const std::string after_keyset =
      signs_dnskey(k->state.role) && signing_outside_policy(keys, KeyRole::kKsk, policy, now)
          ? " (once the key set rollover under way has ended)"
          : "";
  if (k->state.rollover_requested) {
    detail = fmt::format("a rollover of {} {} was already asked for at {}: the next run{} starts it",
                         role_name(k->state.role), key_tag, rollover_time_text(*k->state.rollover_requested),
                         after_keyset);
  } else {
    k->state.rollover_requested = now;
    store.save_state(*k);
    detail = fmt::format("the operator asked for a rollover of {} {}: the next run{} starts it, and it then goes as "
                         "one the key's lifetime starts",
                         role_name(k->state.role), key_tag, after_keyset);
  }
  return RolloverEvent{key_tag, k->state.role, "rollover-requested", std::move(detail), std::nullopt};
}

// Before the advice on a DS leaving the parent: nothing when the operator confirmed the parent served it; else a
// warning that it may never have been there (a rollover abandoned while it waited for that DS, or a key from before
// rdnsprov whose DS was never confirmed with keys ds-seen).
std::string if_served(const StoredKey& k) {
  return k.state.ds_published ? std::string()
                              : "never confirmed at the parent (keys ds-seen); if the parent serves it: ";
}

std::vector<RolloverStatus> rollover_status(const dns::Name& apex, const std::vector<StoredKey>& keys,
                                            const SigningPolicy& policy, const RolloverTiming& timing,
                                            std::int64_t now) {
  const std::int64_t dnskey_wait = timing.dnskey_ttl + timing.propagation_delay;
  const std::int64_t signature_wait = std::max(timing.max_signed_ttl, timing.dnskey_ttl) + timing.propagation_delay;
  const std::int64_t parent_wait = timing.parent_ds_ttl + timing.parent_propagation_delay;
  auto when = [&](std::optional<std::int64_t> t, const std::string& otherwise) {
    if (!t) return otherwise;
    return *t <= now ? fmt::format("{} (due: at the next run)", rollover_time_text(*t)) : rollover_time_text(*t);
  };
  std::vector<KeyRole> roles = policy.key_layout == KeyLayout::kCsk ? std::vector<KeyRole>{KeyRole::kCsk}
                                                                    : std::vector<KeyRole>{KeyRole::kKsk, KeyRole::kZsk};
  // After a change of key layout, the old layout's keys may still be leaving (a ZSK or CSK still signing, a KSK or
  // CSK whose DS is still at the parent): their roles are shown too, while there is something to show.
  const std::size_t policy_roles = roles.size();
  for (const StoredKey& k : keys) {
    if (!in_policy(k, policy) && !k.state.rollover_step.empty() &&
        std::find(roles.begin(), roles.end(), k.state.role) == roles.end()) {
      roles.push_back(k.state.role);
    }
  }
  std::vector<RolloverStatus> out;
  for (std::size_t r = 0; r < roles.size(); ++r) {
    const KeyRole role = roles[r];
    RolloverStatus status;
    status.role = role;
    std::string name = role_name(role);
    // The key a rollover is about: the newest successor still in a step, else the current active key.
    const StoredKey* current = nullptr;
    const StoredKey* rolling_new = nullptr;
    const StoredKey* rolling_old = nullptr;
    const StoredKey* presigning = nullptr;
    for (const StoredKey& k : keys) {
      if (k.state.role != role) continue;
      const std::string& step = k.state.rollover_step;
      if (is_presigning(k) && in_policy(k, policy)) presigning = &k;
      if (step == kStepZskPrepublished || is_pending_ds(step) || step == kStepKskDsSeen || step == kStepCskDsSeen ||
          step == kStepKeysetDsSeen) {
        rolling_new = &k;
      } else if (step == kStepZskRetiring || step == kStepCskRetiring || step == kStepDsRemoval ||
                 step == kStepRolling || step == kStepKeysetSignaturesLast) {
        rolling_old = &k;
      } else if (step.empty() && k.active(now) && in_policy(k, policy)) {
        current = &k;  // during a key set rollover, keys outside the policy sign too
      }
    }
    if (rolling_new) {
      const StoredKey& n = *rolling_new;
      const StoredKey* o = find_tag(keys, n.state.predecessor);
      std::uint16_t old_tag = o ? o->key.key_tag() : 0;
      // After a change of key layout the old key has another role than the new one (a CSK replaced by a KSK).
      const std::string old_name = o ? role_name(o->state.role) : name;
      status.phase = n.state.rollover_step;
      if (o && is_keyset_step(n.state.rollover_step)) {
        status.lines.push_back(fmt::format("key set rollover ({}) {} {} → {} {}: both sign the zone since {}",
                                           keyset_change(*o, n), role_name(o->state.role), old_tag, name,
                                           n.key.key_tag(),
                                           rollover_time_text(n.state.dnskey_seen.value_or(key_start(n)))));
      } else {
        status.lines.push_back(
            old_name == name
                ? fmt::format("{} rollover {} → {} started {}", name, old_tag, n.key.key_tag(),
                              rollover_time_text(n.state.timing.created.value_or(now)))
                : fmt::format("rollover {} {} → {} {} started {}", old_name, old_tag, name, n.key.key_tag(),
                              rollover_time_text(n.state.timing.created.value_or(now))));
      }
      const std::string& step = n.state.rollover_step;
      if (step == kStepZskPrepublished) {
        status.lines.push_back(fmt::format("step 1/3 done: new ZSK {} is in the DNSKEY RRset (inactive) since {}",
                                           n.key.key_tag(),
                                           n.state.dnskey_seen ? rollover_time_text(*n.state.dnskey_seen)
                                                               : rollover_time_text(n.state.timing.publish.value_or(now)) +
                                                                     " (its publication is confirmed at the next run)"));
        std::int64_t since = n.state.dnskey_seen.value_or(n.state.timing.publish.value_or(now));
        status.lines.push_back(fmt::format("step 2/3: it starts signing from {} (DNSKEY TTL + propagation after that)",
                                           when(since + dnskey_wait, "")));
      } else if (is_pending_ds(step)) {
        status.lines.push_back(
            step == kStepKeysetDsPending
                ? fmt::format("step 1/3: the DS of {} {} (algorithm {}) must reach the parent", name, n.key.key_tag(),
                              n.key.algorithm())
                : fmt::format("step 1/3: new {} {} made; its DS must reach the parent", name, n.key.key_tag()));
        status.operator_action = fmt::format(
            "submit this DS to the parent of {}: {}   then, once the parent serves it: rdnsprov keys ds-seen --zone {} "
            "--key {}   (the rollover waits for this; {} {} keeps signing meanwhile)",
            apex.to_text(), ds_text(n), apex.to_text(), n.key.key_tag(), old_name, old_tag);
      } else {
        std::int64_t swap = *n.state.ds_published + parent_wait;
        if (step == kStepCskDsSeen) swap = std::max(swap, n.state.dnskey_seen ? *n.state.dnskey_seen + dnskey_wait : swap);
        status.lines.push_back(fmt::format("step 1/3 done: DS of {} {} confirmed at the parent {}", name,
                                           n.key.key_tag(), rollover_time_text(*n.state.ds_published)));
        if (step == kStepKeysetDsSeen) {
          status.lines.push_back(fmt::format("step 2/3: every key outside the policy leaves the zone from {}, {} {} "
                                             "alone signing the DNSKEY RRset",
                                             when(swap, ""), name, n.key.key_tag()));
        } else {
          status.lines.push_back(fmt::format("step 2/3: {} {} replaces {} {} from {}", name, n.key.key_tag(),
                                             old_name, old_tag, when(swap, "")));
        }
        status.operator_action = fmt::format("keep both DS records ({} and {}) at the parent", old_tag, n.key.key_tag());
      }
    } else if (rolling_old && rolling_old->state.rollover_step == kStepKeysetSignaturesLast) {
      const StoredKey& o = *rolling_old;
      status.phase = o.state.rollover_step;
      status.lines.push_back(fmt::format(
          "key set rollover: old {} {} (algorithm {}) left the DNSKEY RRset {}; it signs the zone's data until caches "
          "let go of that RRset",
          name, o.key.key_tag(), o.key.algorithm(),
          o.state.dnskey_gone ? rollover_time_text(*o.state.dnskey_gone) : std::string("at the last run")));
      status.lines.push_back(fmt::format(
          "step 3/3: its signatures leave from {}", when(o.state.dnskey_gone ? std::optional(*o.state.dnskey_gone +
                                                                                              dnskey_wait)
                                                                          : std::nullopt,
                                                          "DNSKEY TTL + propagation after the first publication "
                                                          "without it")));
    } else if (rolling_old && rolling_old->state.rollover_step != kStepRolling) {
      const StoredKey& o = *rolling_old;
      status.phase = o.state.rollover_step;
      status.lines.push_back(fmt::format("{} rollover {} → {}: the new key signs since {}", name, o.key.key_tag(),
                                         o.state.successor.value_or(0),
                                         rollover_time_text(o.state.timing.inactive.value_or(now))));
      if (o.state.rollover_step == kStepDsRemoval) {
        status.lines.push_back(fmt::format(
            "step 3/3: the DS of old {} {} may be removed from the parent from {}", name, o.key.key_tag(),
            when(o.state.ds_removable, "DNSKEY TTL + propagation after the first publication without it")));
        status.operator_action = fmt::format(
            "{}keep the DS of {} {} at the parent until {}; then remove it ({})", if_served(o), name, o.key.key_tag(),
            o.state.ds_removable ? rollover_time_text(*o.state.ds_removable) : "the date shown after the next run",
            ds_text(o));
      } else {
        status.lines.push_back(fmt::format(
            "step 3/3: old {} {} leaves the DNSKEY RRset from {}", name, o.key.key_tag(),
            when(o.state.signatures_gone ? std::optional(*o.state.signatures_gone + signature_wait) : std::nullopt,
                 "its signatures' TTL + propagation after the first publication without them")));
        if (o.state.rollover_step == kStepCskRetiring) {
          status.operator_action = fmt::format(
              "{}keep the DS of CSK {} at the parent until {}", if_served(o), o.key.key_tag(),
              o.state.ds_removable ? rollover_time_text(*o.state.ds_removable) : "the date shown after the next run");
        }
      }
    } else if (presigning) {
      status.phase = std::string(kStepKeysetSignaturesFirst);
      const StoredKey* old_key = outside_policy_key(keys, role, policy, now);
      status.lines.push_back(fmt::format(
          "algorithm rollover{}: new {} {} (algorithm {}) {} since {}, before its DNSKEY is published",
          old_key ? " (" + keyset_change(*old_key, *presigning) + ")" : std::string(), name,
          presigning->key.key_tag(), presigning->key.algorithm(),
          signs_data(role) ? "signs the zone's data" : "made, waiting", rollover_time_text(key_start(*presigning))));
      status.lines.push_back(fmt::format(
          "its DNSKEY is published from {} (the largest signed TTL + propagation after the first publication with "
          "the new signatures); then the key set rollover goes on",
          when(presigning_ends(keys, signature_wait), "the date shown after the next run")));
    } else if (const StoredKey* old_key = outside_policy_key(keys, role, policy, now); current && old_key) {
      // A key set rollover before its DS step: the old keys and the policy's sign until caches hold the new ones.
      status.phase = "keyset-rollover";
      status.lines.push_back(fmt::format("key set rollover ({}): {} {} (algorithm {}) signs beside {} {} since {}",
                                         keyset_change(*old_key, *current), name, current->key.key_tag(),
                                         current->key.algorithm(), role_name(old_key->state.role),
                                         old_key->key.key_tag(),
                                         rollover_time_text(current->state.dnskey_seen.value_or(key_start(*current)))));
      if (!signs_dnskey(role)) {
        status.lines.push_back(fmt::format("old {} {} leaves the zone with the old KSK, at the end of the rollover",
                                           role_name(old_key->state.role), old_key->key.key_tag()));
      } else {
        status.lines.push_back(fmt::format(
            "step 1/3: its DS may replace the old one at the parent from {} (DNSKEY and signature TTLs + propagation "
            "after its first publication); run then asks for it",
            when(current->state.dnskey_seen ? std::optional(*current->state.dnskey_seen + signature_wait)
                                            : std::nullopt,
                 "the date shown after the next run")));
      }
    } else if (current) {
      std::uint32_t lifetime = lifetime_of(policy, role);
      if (current->state.rollover_requested) {
        status.phase = "rollover-requested";
        status.lines.push_back(fmt::format("{} {} active since {}; its rollover starts at the next run (asked for by "
                                           "the operator {})",
                                           name, current->key.key_tag(), rollover_time_text(key_start(*current)),
                                           rollover_time_text(*current->state.rollover_requested)));
      } else if (lifetime == 0) {
        status.phase = "no lifetime";
        status.lines.push_back(fmt::format("{} {} active since {}; no lifetime set: no automatic rollover", name,
                                           current->key.key_tag(), rollover_time_text(key_start(*current))));
      } else {
        status.phase = "idle";
        std::int64_t lead = role == KeyRole::kZsk ? dnskey_wait : 0;
        status.lines.push_back(fmt::format("{} {} active since {}; next rollover starts {}", name,
                                           current->key.key_tag(), rollover_time_text(key_start(*current)),
                                           when(key_start(*current) + lifetime - lead, "")));
      }
    } else {
      status.phase = "no active key";
      if (r < policy_roles) status.lines.push_back(fmt::format("no active {}: the next run makes one", name));
    }
    // A retired KSK whose DS may still be at the parent.
    for (const StoredKey& k : keys) {
      if (k.state.role == role && k.state.rollover_step == kStepRetired && k.state.ds_removable &&
          *k.state.ds_removable > now - 30 * 86400 && role != KeyRole::kZsk) {
        status.lines.push_back(fmt::format("retired {} {}: {}its DS may be removed from the parent since {} ({})", name,
                                           k.key.key_tag(), if_served(k), rollover_time_text(*k.state.ds_removable),
                                           ds_text(k)));
      }
    }
    if (r >= policy_roles && status.lines.empty()) continue;  // an old layout's role with nothing left to say
    if (r >= policy_roles && status.phase == "no active key") status.phase = "retired";
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace rdnsprov::signer
