#include "cli/signing.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/rdata.h"
#include "safeguards/json_fields.h"
#include "safeguards/zone_facts.h"
#include "signer/continuity.h"
#include "signer/signer.h"
#include "signer/verify.h"

namespace rdnsprov::cli {
namespace {

using dns::RRType;
using dns::seconds_until;
using safeguards::Action;
using safeguards::GateResult;
using safeguards::Verdict;

std::uint32_t read_u32(std::string_view wire, std::size_t offset) {
  return (std::uint32_t{static_cast<unsigned char>(wire[offset])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(wire[offset + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(wire[offset + 2])} << 8) |
         std::uint32_t{static_cast<unsigned char>(wire[offset + 3])};
}

bool has_active(const std::vector<signer::StoredKey>& keys, signer::KeyRole role, std::uint8_t algorithm,
                std::time_t now) {
  return std::any_of(keys.begin(), keys.end(), [&](const signer::StoredKey& k) {
    return k.state.role == role && k.key.algorithm() == algorithm && k.in_service(now);
  });
}

// The keys ensure_keys would add: the same rule as signer::KeyStore::ensure_keys, without writing.
bool layout_incomplete(const std::vector<signer::StoredKey>& keys, const signer::SigningPolicy& policy,
                       std::time_t now) {
  if (policy.key_layout == signer::KeyLayout::kCsk) return !has_active(keys, signer::KeyRole::kCsk, policy.algorithm, now);
  return !has_active(keys, signer::KeyRole::kKsk, policy.algorithm, now) ||
         !has_active(keys, signer::KeyRole::kZsk, policy.algorithm, now);
}

std::string problems_text(const signer::VerifyResult& result, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < result.problems.size() && i < count; ++i) {
    const signer::VerifyProblem& p = result.problems[i];
    out += fmt::format("{}{}{}: {}", i ? "; " : "", p.owner.to_text(), p.type.empty() ? "" : " " + p.type, p.reason);
  }
  if (result.problem_count > count) out += fmt::format("; … {} problems in all", result.problem_count);
  return out;
}

// The DNSKEYs (rdata) of the apex DNSKEY RRset of `zone` whose signatures cover that RRset: the keys a resolver
// that knows one of them (through the parent's DS) starts from.
std::set<std::string> dnskey_rrset_signers(const dns::Zone& zone) {
  std::vector<const std::string*> dnskeys;
  std::set<std::pair<std::uint16_t, std::uint8_t>> signatures;  // key tag, algorithm
  for (const dns::Record& r : zone.records()) {
    if (r.owner != zone.apex()) continue;
    if (r.type == RRType::kDnskey && r.rdata.size() >= 4) {
      dnskeys.push_back(&r.rdata);
    } else if (r.type == RRType::kRrsig && r.rdata.size() >= 18 &&
               (read_u32(r.rdata, 0) >> 16) == dns::rrtype_code(RRType::kDnskey)) {
      signatures.emplace(static_cast<std::uint16_t>(read_u32(r.rdata, 14) & 0xffff),
                         static_cast<std::uint8_t>(r.rdata[2]));
    }
  }
  std::set<std::string> out;
  for (const std::string* k : dnskeys) {
    if (signatures.count({dns::key_tag(*k), static_cast<std::uint8_t>((*k)[3])})) out.insert(*k);
  }
  return out;
}

// DS (SHA-256) presentation text of a DNSKEY of `apex`, "23192 13 2 451AC7…": how the parent knows a key.
std::string ds_of(const dns::Name& apex, const std::string& dnskey) {
  auto ds = dns::ds_rdata(apex, dnskey, 2);
  return ds ? dns::rdata::to_text(RRType::kDs, *ds) : "(no DS: " + ds.error() + ")";
}

std::string tags_text(const std::set<std::string>& ds) {
  std::string out;
  for (const std::string& d : ds) out += fmt::format("{}{}", out.empty() ? "" : ", ", d.substr(0, d.find(' ')));
  return out;
}

// The keys (as DS texts) a resolver may start from when it follows the parent's DS to the zone's published
// version: those recorded when it was published, or, for a version recorded before they were, the keys signing
// its DNSKEY RRset. Empty when the published version is unsigned (or there is none): nothing binds then.
std::set<std::string> published_trust(const dns::Name& apex, const std::optional<safeguards::PublishedZone>& published,
                                      const std::optional<dns::Zone>& published_zone) {
  if (published && published->meta && published->meta->trusted_ds) {
    return {published->meta->trusted_ds->begin(), published->meta->trusted_ds->end()};
  }
  std::set<std::string> out;
  if (published_zone) {
    for (const std::string& k : dnskey_rrset_signers(*published_zone)) out.insert(ds_of(apex, k));
  }
  return out;
}

// What a signed zone whose DNSKEY RRset `new_signers` sign may be published with: the DS texts of those signers a
// resolver trusts through the parent — the ones in `trusted` (carried from the published version) or whose DS the
// operator confirmed (`keys ds-seen`: a KSK rollover's new key, a zone re-keyed on purpose). With nothing to go
// by (`trusted` empty: first signing), all of them. Empty when none is trusted: the zone must not be published.
std::set<std::string> carried_trust(const dns::Name& apex, const std::set<std::string>& trusted,
                                    const std::set<std::string>& new_signers, const std::vector<signer::StoredKey>& keys) {
  std::set<std::string> confirmed = trusted;
  for (const signer::StoredKey& k : keys) {
    if (k.state.ds_published) confirmed.insert(ds_of(apex, k.key.dnskey_rdata()));
  }
  std::set<std::string> out;
  for (const std::string& k : new_signers) {
    std::string ds = ds_of(apex, k);
    if (trusted.empty() || confirmed.count(ds)) out.insert(ds);
  }
  return out;
}

// Why a zone whose DNSKEY RRset `new_signers` sign must not be published after one resolvers reach through
// `trusted`, and what to do.
std::string trust_break(const dns::Name& apex, const std::set<std::string>& trusted,
                        const std::set<std::string>& new_signers) {
  if (new_signers.empty()) {
    return fmt::format(
        "new keys, which no DS at the parent points to, would sign the DNSKEY RRset in place of key {}: validating "
        "resolvers that follow the parent's DS would fail the whole zone (SERVFAIL). If the zone's keys were lost, "
        "put the files of key {} back into its key directory from the key backup (snapshots keep no private keys); "
        "if the zone is re-keyed on purpose, run makes the keys and holds the zone until the new KSK's DS is "
        "confirmed with rdnsprov keys ds-seen",
        tags_text(trusted), tags_text(trusted));
  }
  std::set<std::string> signers;
  for (const std::string& k : new_signers) signers.insert(ds_of(apex, k));
  std::string suggested = tags_text({*signers.begin()});
  return fmt::format(
      "the DNSKEY RRset would be signed by key {} only, none of which is a key the parent's DS points to (key {}) "
      "or has its DS confirmed: validating resolvers that follow the parent's DS would fail the whole zone "
      "(SERVFAIL). If the zone's keys were lost or replaced, put the files of key {} back into its key directory "
      "from the key backup (snapshots keep no private keys); if the parent serves the DS of key {} ({} IN DS {}), "
      "or has no DS for the zone, confirm it: rdnsprov keys ds-seen --zone {} --key {}",
      tags_text(signers), tags_text(trusted), tags_text(trusted), suggested, apex.to_text(), *signers.begin(),
      apex.to_text(), suggested);
}

}  // namespace

std::string utc_text(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  // A time read from a damaged state file may lie past what a date can spell: it is shown as the number it is.
  if (!gmtime_r(&t, &tm) || tm.tm_year > 9999 - 1900 || tm.tm_year < -1900) {
    return fmt::format("{} seconds after 1970-01-01T00:00:00Z", seconds);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::filesystem::path zone_keys_dir(const std::filesystem::path& keys_root, const dns::Name& apex) {
  return keys_root / apex.to_text_no_dot();
}

bool clock_behind(const safeguards::StateDir& state, const dns::Name& apex, std::time_t now) {
  try {
    std::optional<safeguards::PublishedMeta> meta = state.published_meta(apex);
    return meta && meta->published_at > now;
  } catch (const safeguards::StateError&) {
    return false;  // unreadable metadata: the zone is rebuilt (make_plan says why)
  }
}

namespace {

std::filesystem::path keys_at_file(const std::filesystem::path& keys_root, const dns::Name& apex) {
  return zone_keys_dir(keys_root, apex) / "keys-at.json";
}

std::optional<std::time_t> readable_published_at(const safeguards::StateDir& state, const dns::Name& apex) {
  try {
    if (std::optional<safeguards::PublishedMeta> meta = state.published_meta(apex)) return meta->published_at;
  } catch (const safeguards::StateError&) {
    // unreadable metadata: the zone is rebuilt (make_plan says why)
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::time_t> read_keys_at(const std::filesystem::path& keys_root, const dns::Name& apex) {
  std::filesystem::path file = keys_at_file(keys_root, apex);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  try {
    std::time_t at = safeguards::integer_field<std::time_t>(nlohmann::json::parse(dns::read_file(file)), "keys_at_unix");
    if (at < 0) throw std::invalid_argument("keys_at_unix is negative");
    return at;
  } catch (const std::exception& e) {
    throw safeguards::StateError(fmt::format("{} is damaged ({}): it says up to when the keys' rollover steps were "
                                         "taken; put it back from a backup, or write the time of the zone's last "
                                         "publication in it",
                                         file.string(), e.what()));
  }
}

void write_keys_at(const std::filesystem::path& keys_root, const dns::Name& apex, std::time_t at) {
  std::filesystem::path file = keys_at_file(keys_root, apex);
  std::filesystem::create_directories(file.parent_path());
  nlohmann::json j{{"zone", apex.to_text()}, {"keys_at", utc_text(at)}, {"keys_at_unix", at}};
  dns::write_file_atomically(file, j.dump(2) + "\n");
}

std::time_t keys_time(const safeguards::StateDir& state, const dns::Name& apex, std::time_t now) {
  std::time_t at = std::max(now, readable_published_at(state, apex).value_or(now));
  return std::max(at, read_keys_at(state.keys_dir(), apex).value_or(now));
}

std::time_t published_ahead(const safeguards::StateDir& state, const dns::Name& apex, std::time_t now) {
  // An accepted clock leaves the publication behind keys_at: only a publication after the clock holds. Without
  // readable metadata nothing shows an acceptance, and keys read after the clock hold the zone.
  std::time_t at = readable_published_at(state, apex).value_or(read_keys_at(state.keys_dir(), apex).value_or(0));
  return at > now ? at : 0;
}

namespace {

// The acceptance of the clock left by a run whose version reached only some targets, while the clock (`now`) is
// behind the publication `ahead` it was given for and not behind the time it was given.
std::optional<safeguards::PublishedMeta::AcceptedClock> remembered_acceptance(const safeguards::StateDir& state,
                                                                              const dns::Name& apex,
                                                                              std::time_t ahead, std::time_t now) {
  std::optional<safeguards::PublishedMeta> meta;
  try {
    meta = state.published_meta(apex);
  } catch (const safeguards::StateError&) {
    return std::nullopt;  // unreadable metadata: nothing shows an acceptance
  }
  if (!ahead || !meta || !meta->accepted_clock || meta->published_at != ahead) return std::nullopt;
  if (meta->accepted_clock->at > now) {
    spdlog::warn("zone {}: the clock ({}) is behind the time it was accepted at ({}, --accept-clock: {}): that "
                 "acceptance no longer holds",
                 apex.to_text(), utc_text(now), utc_text(meta->accepted_clock->at), meta->accepted_clock->reason);
    return std::nullopt;
  }
  return meta->accepted_clock;
}

}  // namespace

ZoneKeyring load_zone_keys(const Config& config, const std::filesystem::path& keys_root, std::time_t now,
                           KeyAccess access, const safeguards::StateDir* published) {
  ZoneKeyring keyring;
  for (const ZoneConfig& zone : config.zones) {
    const PolicyConfig* policy = zone_policy(config, zone);
    if (!policy) continue;
    ZoneKeys entry;
    entry.policy = policy;
    entry.directory = zone_keys_dir(keys_root, zone.spec.apex);
    signer::KeyStore store(entry.directory, zone.spec.apex);
    auto existing = store.load();
    entry.keys_at = now;
    try {
      if (published) {
        entry.keys_at = keys_time(*published, zone.spec.apex, now);
        entry.published_ahead = published_ahead(*published, zone.spec.apex, now);
        entry.accepted_clock = remembered_acceptance(*published, zone.spec.apex, entry.published_ahead, now);
      }
    } catch (const std::exception& e) {
      existing = dns::error(e.what());
    }
    bool frozen = entry.keys_at > now;
    if (existing && access == KeyAccess::kCreate && !frozen && layout_incomplete(*existing, policy->signing, now)) {
      std::set<std::uint16_t> before;
      for (const signer::StoredKey& k : *existing) before.insert(k.key.key_tag());
      existing = store.ensure_keys(policy->signing, now);
      if (existing) {
        for (const signer::StoredKey& k : *existing) {
          if (!before.count(k.key.key_tag())) entry.generated.push_back(k.key.key_tag());
        }
      }
    }
    entry.timing = rollover_timing(zone, policy->signing);
    if (!existing) {
      entry.error = fmt::format("the DNSSEC keys in {} cannot be used: {}", entry.directory.string(), existing.error());
      spdlog::error("zone {}: {}; the zone is held with its published version", zone.spec.apex.to_text(), entry.error);
      keyring.emplace(zone.spec.apex, std::move(entry));
      continue;
    }
    entry.keys = std::move(*existing);
    entry.would_generate =
        access == KeyAccess::kReadOnly && layout_incomplete(entry.keys, policy->signing, entry.keys_at);
    keyring.emplace(zone.spec.apex, std::move(entry));
  }
  return keyring;
}

signer::RolloverTiming rollover_timing(const ZoneConfig& zone, const signer::SigningPolicy& policy) {
  const builder::ZoneSpec& spec = zone.spec;
  signer::RolloverTiming timing;
  timing.dnskey_ttl = policy.dnskey_ttl.value_or(spec.soa_ttl);
  // Signed RRsets: SOA, apex NS, DS, RFC 2317 CNAMEs, DNSKEY and the denial records (whose TTL is at most the
  // SOA's, RFC 9077). Delegation NS and glue carry no signature.
  timing.max_signed_ttl = std::max({spec.soa_ttl, spec.ns_ttl, spec.ds_ttl, spec.cname_ttl,
                                    static_cast<std::uint32_t>(timing.dnskey_ttl), policy.nsec_ttl.value_or(0)});
  timing.propagation_delay = policy.propagation_delay;
  timing.parent_ds_ttl = policy.parent_ds_ttl;
  timing.parent_propagation_delay = policy.parent_propagation_delay;
  return timing;
}

signer::RolloverTiming cached_rollover_timing(signer::RolloverTiming timing, const safeguards::StateDir& state,
                                              const dns::Name& apex, std::time_t now) {
  std::optional<safeguards::PublishedMeta> meta;
  try {
    meta = state.published_meta(apex);
  } catch (const safeguards::StateError& e) {
    spdlog::warn("zone {}: {}; key rollovers wait with the configured TTLs", apex.to_text(), e.what());
  }
  if (!meta) return timing;
  dns::ServedTtls served;
  if (meta->ttls) {
    served = *meta->ttls;
  } else if (std::optional<dns::Zone> zone = published_zone(state, apex)) {
    served = dns::served_ttls(zone->records(), apex);
  }
  std::int64_t dnskey = std::max<std::int64_t>(timing.dnskey_ttl, served.dnskey);
  std::int64_t signed_rrsets = std::max<std::int64_t>(timing.max_signed_ttl, served.signed_rrsets);
  for (const safeguards::PublishedMeta::EarlierTtls& e : meta->earlier_ttls) {
    if (e.still_served || e.replaced_at + e.ttls.dnskey + timing.propagation_delay > now) {
      dnskey = std::max<std::int64_t>(dnskey, e.ttls.dnskey);
    }
    if (e.still_served || e.replaced_at + e.ttls.signed_rrsets + timing.propagation_delay > now) {
      signed_rrsets = std::max<std::int64_t>(signed_rrsets, e.ttls.signed_rrsets);
    }
  }
  timing.dnskey_ttl = dnskey;
  timing.max_signed_ttl = std::max(signed_rrsets, dnskey);
  return timing;
}

void advance_key_rollovers(const Config& config, ZoneKeyring& keyring, const safeguards::StateDir& state,
                           std::time_t now) {
  for (const ZoneConfig& zone : config.zones) {
    auto entry = keyring.find(zone.spec.apex);
    if (entry == keyring.end()) continue;
    ZoneKeys& keys = entry->second;
    if (!keys.error.empty()) continue;
    if (clock_behind(state, zone.spec.apex, now)) {
      spdlog::warn("zone {}: the clock ({}) is behind its last publication ({}): no key is made and no rollover step "
                   "taken, and the zone is not signed, until the clock has passed it; check the system clock (NTP)",
                   zone.spec.apex.to_text(), utc_text(now),
                   utc_text(state.published_meta(zone.spec.apex)->published_at));
      continue;
    }
    if (keys.keys_at > now) {
      spdlog::warn("zone {}: its keys stay as they were at {} (published with a clock ahead of the one accepted since): "
                   "no key is made and no rollover step taken until the clock ({}) has passed it",
                   zone.spec.apex.to_text(), utc_text(keys.keys_at), utc_text(now));
      continue;
    }
    std::optional<signer::PublishedKeyFacts> facts;
    std::optional<safeguards::PublishedZone> copy = state.published(zone.spec.apex);
    if (copy && copy->meta) {
      if (std::optional<dns::Zone> parsed = published_zone(state, zone.spec.apex)) {
        facts = signer::published_key_facts(*parsed, copy->meta->published_at);
      }
    }
    keys.timing = cached_rollover_timing(keys.timing, state, zone.spec.apex, now);
    signer::KeyStore store(keys.directory, zone.spec.apex);
    std::vector<signer::RolloverEvent> events =
        signer::advance_rollovers(store, keys.keys, keys.policy->signing, keys.timing, facts, now);
    for (const signer::RolloverEvent& e : events) {
      spdlog::info("zone {}: key {} ({}): {}: {}", zone.spec.apex.to_text(), e.key_tag, signer::key_role_to_text(e.role),
                   e.step.empty() ? "active" : e.step, e.detail);
    }
    keys.rollover_events.insert(keys.rollover_events.end(), events.begin(), events.end());
  }
}

nlohmann::json key_event_json(const dns::Name& apex, const signer::RolloverEvent& event) {
  nlohmann::json j{{"zone", apex.to_text()},
                   {"key_tag", event.key_tag},
                   {"role", signer::key_role_to_text(event.role)},
                   {"step", event.step.empty() ? "active" : event.step},
                   {"detail", event.detail}};
  if (event.other) j["other_key"] = *event.other;
  return j;
}

void journal_key_events(safeguards::Journal& journal, const ZoneKeyring& keyring) {
  for (const auto& [apex, keys] : keyring) {
    for (const signer::RolloverEvent& e : keys.rollover_events) journal.append("key", key_event_json(apex, e));
  }
}

std::optional<dns::Zone> published_zone(const safeguards::StateDir& state, const dns::Name& apex) {
  return published_zone(state.published(apex), apex);
}

std::optional<dns::Zone> published_zone(const std::optional<safeguards::PublishedZone>& published,
                                        const dns::Name& apex) {
  if (!published || !published->intact()) return std::nullopt;
  dns::MasterFile parsed = dns::read_master_file(published->text, apex);
  if (!parsed.errors.empty()) return std::nullopt;
  dns::Zone zone(apex);
  zone.reserve(parsed.records.size());
  for (dns::Record& r : parsed.records) zone.add(std::move(r));
  zone.canonicalise();
  return zone;
}

std::string republish_reason(const ZoneConfig& zone, const ZoneKeyring& keyring, const dns::Zone& published,
                             std::time_t now) {
  bool has_dnssec = false;
  bool has_rrsig = false;
  std::optional<std::uint32_t> earliest_expiration;
  std::set<std::string> dnskeys;
  std::optional<std::uint32_t> dnskey_ttl;
  bool has_nsec3param = false;
  std::string nsec3param;
  std::optional<bool> opt_out;
  bool has_cds = false;
  std::set<std::string> cdnskeys;
  bool has_zonemd = false;
  std::set<std::uint16_t> signing_tags;
  std::optional<std::uint32_t> future_inception;  // the latest inception after `now` (a clock ahead then)
  for (const dns::Record& r : published.records()) {
    if (!safeguards::is_dnssec_type(r.type)) continue;
    has_dnssec = true;
    bool at_apex = r.owner == published.apex();
    switch (r.type) {
      case RRType::kRrsig:
        has_rrsig = true;
        if (r.rdata.size() >= 18) signing_tags.insert(static_cast<std::uint16_t>(read_u32(r.rdata, 14) & 0xffff));
        if (r.rdata.size() >= 12) {
          std::uint32_t inception = read_u32(r.rdata, 12);
          if (seconds_until(inception, now) > 0 &&
              (!future_inception || seconds_until(inception, now) > seconds_until(*future_inception, now))) {
            future_inception = inception;
          }
          std::uint32_t expiration = read_u32(r.rdata, 8);
          if (!earliest_expiration || seconds_until(expiration, now) < seconds_until(*earliest_expiration, now)) {
            earliest_expiration = expiration;
          }
        }
        break;
      case RRType::kDnskey:
        if (at_apex) dnskeys.insert(r.rdata);
        if (at_apex) dnskey_ttl = r.ttl;
        break;
      case RRType::kNsec3param:
        if (at_apex) {
          has_nsec3param = true;
          nsec3param = r.rdata;
        }
        break;
      case RRType::kNsec3:
        if (!opt_out && r.rdata.size() >= 2) opt_out = (static_cast<unsigned char>(r.rdata[1]) & 1) != 0;
        break;
      case RRType::kCds:
        if (at_apex) has_cds = true;
        break;
      case RRType::kCdnskey:
        if (at_apex) cdnskeys.insert(r.rdata);
        break;
      case RRType::kZonemd:
        if (at_apex) has_zonemd = true;
        break;
      default:
        break;
    }
  }
  auto keys = keyring.find(zone.spec.apex);
  if (keys == keyring.end()) {
    return has_dnssec ? "dnssec-policy removed: the zone is republished unsigned once its DS is confirmed gone (keys ds-gone)"
                      : std::string();
  }
  if (!keys->second.error.empty()) return keys->second.error;
  const signer::SigningPolicy& policy = keys->second.policy->signing;
  if (!has_rrsig) return fmt::format("dnssec-policy {}: the zone is signed for the first time", zone.dnssec_policy);
  if (earliest_expiration && seconds_until(*earliest_expiration, now) <= static_cast<std::int64_t>(policy.refresh)) {
    return fmt::format("signatures expire from {}, within the refresh window of {} days: re-signed",
                       utc_text(now + seconds_until(*earliest_expiration, now)), policy.refresh / 86400.0);
  }
  if (future_inception) {
    return fmt::format("signatures are not valid before {} (made with a clock ahead): re-signed",
                       utc_text(now + seconds_until(*future_inception, now)));
  }
  if (keys->second.would_generate) return "keys would be generated for the zone's policy";
  const std::time_t keys_at = keys->second.keys_at ? keys->second.keys_at : now;
  std::set<std::string> expected;
  for (const signer::StoredKey& k : signer::published_keys(keys->second.keys, keys_at)) {
    expected.insert(k.key.dnskey_rdata());
  }
  if (expected != dnskeys) return "the set of published DNSKEYs changes (key generated, imported or retired)";
  std::set<std::uint16_t> active;
  for (const signer::SigningKey& k : signer::signing_keys(keys->second.keys, keys_at)) {
    if (k.active) active.insert(k.key.key_tag());  // with those that sign before they are published
  }
  for (std::uint16_t tag : signing_tags) {
    if (!active.count(tag)) return fmt::format("key {} no longer signs (key rollover): its signatures are replaced", tag);
  }
  for (std::uint16_t tag : active) {
    if (!signing_tags.count(tag)) return fmt::format("key {} starts signing (key rollover)", tag);
  }
  if ((policy.denial == signer::Denial::kNsec3) != has_nsec3param) {
    return fmt::format("denial of existence changes to {}", policy.denial == signer::Denial::kNsec3 ? "NSEC3" : "NSEC");
  }
  if (has_nsec3param) {
    std::string wanted{'\x01', '\x00', static_cast<char>(policy.nsec3_iterations >> 8),
                       static_cast<char>(policy.nsec3_iterations & 0xff), static_cast<char>(policy.nsec3_salt.size())};
    wanted += policy.nsec3_salt;
    if (nsec3param != wanted) return "NSEC3 parameters (iterations or salt) change";
    if (opt_out && *opt_out != policy.nsec3_opt_out) return "NSEC3 opt-out changes";
  }
  // The one TTL of the policy's (the others are the zone's content, which the plan compares): the zone serves it
  // from the next run. Key rollovers wait with the larger of the old and the new TTL meanwhile
  // (cached_rollover_timing).
  std::uint32_t wanted_dnskey_ttl = policy.dnskey_ttl.value_or(zone.spec.soa_ttl);
  if (dnskey_ttl && *dnskey_ttl != wanted_dnskey_ttl) {
    return fmt::format("the DNSKEY TTL changes from {} to {} seconds", *dnskey_ttl, wanted_dnskey_ttl);
  }
  if (has_cds && !policy.cds_cdnskey) return "CDS/CDNSKEY are removed";
  if (policy.cds_cdnskey) {
    // The keys whose DS the parent should serve change without a change of the DNSKEY RRset (a key set rollover's
    // DS step): an automated parent reads them from CDS/CDNSKEY. None while a KSK rollover withholds them.
    std::vector<signer::SigningKey> signing = signer::signing_keys(keys->second.keys, keys_at);
    signer::mark_cds_keys(signing, keys->second.keys, policy, keys_at);
    std::set<std::string> wanted;
    for (const signer::SigningKey& k : signing) {
      if (k.role != signer::KeyRole::kZsk && k.in_dnskey && k.in_cds) wanted.insert(k.key.dnskey_rdata());
    }
    if (has_cds && wanted.empty()) {
      return "CDS/CDNSKEY are withheld: the parent should serve the DS of a KSK that is not in the DNSKEY RRset "
             "(KSK rollover)";
    }
    if (!has_cds && !wanted.empty()) return "CDS/CDNSKEY are added";
    if (wanted != cdnskeys) return "the keys CDS/CDNSKEY name change (the DS the parent should serve)";
  }
  if (has_zonemd != policy.zonemd) return policy.zonemd ? "ZONEMD is added" : "ZONEMD is removed";
  return {};
}

VerifiedSigning sign_and_verify(const std::function<dns::Zone()>& unsigned_zone,
                                const std::vector<signer::SigningKey>& keys, const signer::SigningPolicy& policy,
                                std::uint32_t now, std::optional<dns::Zone>&& previous,
                                const signer::VerifyOptions& options, dns::ThreadPool& pool) {
  signer::VerifyOptions verify = options;
  for (const signer::SigningKey& k : keys) {
    if (!k.in_dnskey) verify.unpublished_keys.push_back(k.key.dnskey_rdata());
  }
  bool from_previous = previous.has_value();
  std::optional<signer::SignResult> result;
  result.emplace(signer::sign_zone(unsigned_zone(), keys, policy, now, std::move(previous), pool));
  signer::VerifyResult check = signer::verify_signed_zone(result->zone, verify, pool);
  if (check.ok || !from_previous) return {std::move(*result), std::move(check), {}};
  std::string refused = problems_text(check, 3);
  result.reset();  // its memory goes before the fresh signing
  result.emplace(signer::sign_zone(unsigned_zone(), keys, policy, now, std::nullopt, pool));
  check = signer::verify_signed_zone(result->zone, verify, pool);
  return {std::move(*result), std::move(check), std::move(refused)};
}

std::set<std::string> published_trust(const safeguards::StateDir& state, const dns::Name& apex) {
  std::optional<safeguards::PublishedZone> published = state.published(apex);
  if (!published) return {};
  if (published->meta && published->meta->trusted_ds) return published_trust(apex, published, std::nullopt);
  // A version recorded before the trusted DS were: the keys signing its DNSKEY RRset (a cheap look first).
  if (published->text.find("\tIN\tRRSIG\t") == std::string::npos) return {};
  return published_trust(apex, published, published_zone(published, apex));
}

namespace {

std::filesystem::path ds_gone_file(const std::filesystem::path& keys_root, const dns::Name& apex) {
  return zone_keys_dir(keys_root, apex) / "ds-gone.json";
}

}  // namespace

std::optional<DsGone> read_ds_gone(const std::filesystem::path& keys_root, const dns::Name& apex) {
  std::filesystem::path file = ds_gone_file(keys_root, apex);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(dns::read_file(file));
    DsGone gone;
    for (const std::string& ds : j.at("ds").get<std::vector<std::string>>()) gone.ds.insert(ds);
    gone.confirmed_at = safeguards::integer_field<std::int64_t>(j, "confirmed_at_unix");
    return gone;
  } catch (const std::exception& e) {
    spdlog::warn("{}: unreadable ({}); no DS counts as confirmed gone", file.string(), e.what());
    return std::nullopt;
  }
}

void write_ds_gone(const std::filesystem::path& keys_root, const dns::Name& apex, const DsGone& gone) {
  std::filesystem::path file = ds_gone_file(keys_root, apex);
  std::filesystem::create_directories(file.parent_path());
  nlohmann::json j{{"zone", apex.to_text()},
                   {"ds", std::vector<std::string>(gone.ds.begin(), gone.ds.end())},
                   {"confirmed_at", utc_text(gone.confirmed_at)},
                   {"confirmed_at_unix", gone.confirmed_at}};
  dns::write_file_atomically(file, j.dump(2) + "\n");
}

void clear_ds_gone(const std::filesystem::path& keys_root, const dns::Name& apex) {
  std::error_code ec;
  std::filesystem::remove(ds_gone_file(keys_root, apex), ec);
  if (ec) spdlog::warn("{}: cannot remove it: {}", ds_gone_file(keys_root, apex).string(), ec.message());
}

std::set<std::string> parent_ds(const safeguards::StateDir& state, const std::filesystem::path& keys_root,
                                const dns::Name& apex, std::time_t now) {
  std::set<std::string> out = published_trust(state, apex);
  if (out.empty()) return out;
  signer::KeyStore store(zone_keys_dir(keys_root, apex), apex);
  auto keys = store.load();
  if (!keys) throw safeguards::StateError(fmt::format("the keys of zone {} cannot be read: {}", apex.to_text(), keys.error()));
  for (const signer::StoredKey& k : *keys) {
    if (k.state.role == signer::KeyRole::kZsk) continue;
    bool removable_lately = k.state.ds_removable && *k.state.ds_removable > now - 30 * 86400;
    bool retired_long_ago = k.state.rollover_step == signer::kStepRetired && !removable_lately;
    if ((k.state.ds_published && !retired_long_ago) || signer::waits_for_ds(k) || removable_lately) {
      out.insert(ds_of(apex, k.key.dnskey_rdata()));
    }
  }
  return out;
}

void hold_zones_going_unsigned(const ZoneKeyring& keyring, const std::filesystem::path& keys_root,
                               const safeguards::StateDir& published_state, safeguards::Plan& plan, std::time_t now) {
  for (safeguards::ZonePlan& z : plan.zones) {
    if (z.action != Action::kPublish || keyring.count(z.apex)) continue;
    std::set<std::string> trusted;
    try {
      trusted = parent_ds(published_state, keys_root, z.apex, now);
    } catch (const safeguards::StateError& e) {
      safeguards::hold(z, GateResult{"dnssec", Verdict::kError,
                                     fmt::format("the zone has no dnssec-policy any more and its published version is "
                                                 "signed, but which DS the parent may serve cannot be told: {}",
                                                 e.what()),
                                     {{"signed", false}}});
      continue;
    }
    if (trusted.empty()) continue;
    std::optional<DsGone> gone = read_ds_gone(keys_root, z.apex);
    nlohmann::json figures{{"signed", false},
                           {"published_trusted_ds", std::vector<std::string>(trusted.begin(), trusted.end())}};
    if (gone && std::includes(gone->ds.begin(), gone->ds.end(), trusted.begin(), trusted.end())) {
      safeguards::hold(z, GateResult{"dnssec", Verdict::kPass,
                                     fmt::format("published unsigned: the operator confirmed at {} that the parent no "
                                                 "longer serves the DS of key {}",
                                                 utc_text(gone->confirmed_at), tags_text(trusted)),
                                     figures});
      continue;
    }
    safeguards::hold(
        z, GateResult{"dnssec", Verdict::kHold,
                      fmt::format("the zone has no dnssec-policy any more, but its published version is signed and the "
                                  "parent may serve the DS of key {}: published unsigned, validating resolvers that "
                                  "follow any of them would fail the whole zone (SERVFAIL). Give the zone its "
                                  "dnssec-policy back, or remove every one of them at the parent, wait until the "
                                  "parent's DS TTL has passed, then confirm: rdnsprov keys ds-gone --zone {}",
                                  tags_text(trusted), z.apex.to_text()),
                      figures});
  }
}

namespace {

// Holds `z` with the dnssec gate's `result`; a zone that was unchanged is marked held too, so that the run reports
// it (its published version stays).
void hold_signed_zone(safeguards::ZonePlan& z, GateResult result) {
  bool was_unchanged = z.action == Action::kUnchanged;
  safeguards::hold(z, std::move(result));
  if (was_unchanged) z.action = Action::kHold;
}

}  // namespace

void sign_planned_zones(const ZoneKeyring& keyring, const safeguards::StateDir& published_state,
                        safeguards::Plan& plan, std::time_t now, const SigningOptions& options,
                        dns::ThreadPool& pool) {
  for (safeguards::ZonePlan& z : plan.zones) {
    bool wanted = z.action == Action::kPublish || (options.sign_unchanged && z.action == Action::kUnchanged);
    auto keys = keyring.find(z.apex);
    if (!wanted || keys == keyring.end()) continue;
    const PolicyConfig& policy = *keys->second.policy;
    if (!keys->second.error.empty()) {
      // Nothing is signed with keys that may have been exposed or damaged: this zone keeps its published version.
      hold_signed_zone(z, GateResult{"dnssec", Verdict::kError, "cannot sign: " + keys->second.error,
                                     {{"policy", policy.name}}});
      continue;
    }
    std::optional<safeguards::PublishedZone> published = published_state.published(z.apex);
    // The clock behind this zone's last publication (stepped back, or ahead until then): the key steps taken since
    // would read as not yet reached, and a key whose signatures caches hold could leave the DNSKEY RRset. Nothing
    // is signed until the clock has passed that publication.
    const std::time_t keys_at = keys->second.keys_at ? keys->second.keys_at : now;
    // The acceptance of the clock: given to this run, or remembered from a run whose version reached only some
    // targets (the zone is published again now, under the same acceptance).
    std::optional<safeguards::PublishedMeta::AcceptedClock> accepted = keys->second.accepted_clock;
    if (!options.accept_clock_reason.empty()) accepted = {now, options.accept_clock_reason};
    if (std::time_t at = keys->second.published_ahead; at && accepted) {
      // The operator says the clock is right now: signed with the keys as they were last published (no rollover
      // step was taken, none is undone) and signatures valid from the clock on.
      std::string by = options.accept_clock_reason.empty()
                           ? fmt::format(" at {} by a run whose version reached only some targets", utc_text(accepted->at))
                           : std::string();
      std::string text = fmt::format("the clock ({}) is {} s behind this zone's last publication ({}), accepted{} "
                                     "(--accept-clock: {}): signed with the keys as at {}",
                                     utc_text(now), at - now, utc_text(at), by, accepted->reason, utc_text(keys_at));
      if (!by.empty()) spdlog::warn("zone {}: {}", z.apex.to_text(), text);
      safeguards::hold(z, GateResult{"dnssec", Verdict::kPass, text,
                                     {{"accept_clock", accepted->reason},
                                      {"accepted_at", accepted->at},
                                      {"published_at", at},
                                      {"keys_at", keys_at}}});
    } else if (at) {
      hold_signed_zone(
          z, GateResult{"dnssec", Verdict::kHold,
                        fmt::format("the clock ({}) is {} s behind this zone's last publication ({}): signing now could "
                                    "undo key rollover steps that resolvers' caches already hold. Check the system "
                                    "clock (NTP); the zone is signed and published again once the clock has passed {} "
                                    "(or now, if the clock is right and was ahead then: run --accept-clock --reason "
                                    "TEXT)",
                                    utc_text(now), at - now, utc_text(at), utc_text(at)),
                        {{"policy", policy.name}, {"published_at", at}}});
      continue;
    }
    std::optional<dns::Zone> previous = published_zone(published, z.apex);
    std::set<std::string> trusted = published_trust(z.apex, published, previous);
    published.reset();
    // What resolvers may cache of the version served now (before the signer takes the previous zone over).
    std::optional<signer::KeyContinuity> cached;
    if (options.served && options.served != &published_state) {
      if (std::optional<dns::Zone> served = published_zone(*options.served, z.apex)) {
        if (!served->is_canonical()) served->canonicalise();
        cached = signer::key_continuity(*served);
      }
    } else if (previous) {
      if (!previous->is_canonical()) previous->canonicalise();
      cached = signer::key_continuity(*previous);
    }
    if (keys->second.would_generate) {
      // The keys there now that would sign the DNSKEY RRset (new ones would not be trusted).
      std::set<std::string> existing;
      for (const signer::StoredKey& k : signer::active_keys(keys->second.keys, keys_at)) {
        if (k.state.role != signer::KeyRole::kZsk) existing.insert(k.key.dnskey_rdata());
      }
      if (!trusted.empty() && carried_trust(z.apex, trusted, existing, keys->second.keys).empty()) {
        std::string broken = trust_break(z.apex, trusted, existing);
        hold_signed_zone(z, GateResult{"dnssec", Verdict::kHold, "keys would be generated: " + broken,
                                       {{"policy", policy.name}, {"signed", false}}});
        continue;
      }
      safeguards::hold(z, GateResult{"dnssec", Verdict::kPass,
                                     fmt::format("not signed in this dry run: keys would be generated in {}",
                                                 keys->second.directory.string()),
                                     {{"signed", false}}});
      continue;
    }
    std::vector<signer::SigningKey> signing = signer::signing_keys(keys->second.keys, keys_at);
    signer::mark_cds_keys(signing, keys->second.keys, policy.signing, keys_at);
    signer::VerifyOptions verify;
    verify.now = static_cast<std::uint32_t>(now);
    verify.validity_margin = policy.validity_margin;
    verify.require_zonemd = policy.signing.zonemd;
    std::optional<VerifiedSigning> signed_zone;
    try {
      // The candidate stays in the plan (a copy is signed); the previous signed zone is taken over.
      signed_zone = sign_and_verify([&] { return dns::Zone(z.candidate); }, signing, policy.signing,
                                    static_cast<std::uint32_t>(now), std::move(previous), verify, pool);
    } catch (const std::invalid_argument& e) {
      // No usable key for a role, a zone the signer cannot take: this zone keeps its published version.
      hold_signed_zone(z, GateResult{"dnssec", Verdict::kError, fmt::format("cannot sign: {}", e.what()),
                                     {{"policy", policy.name}}});
      continue;
    }
    signer::SignResult& result = signed_zone->result;
    const signer::VerifyResult& check = signed_zone->check;
    if (!signed_zone->previous_refused.empty()) {
      spdlog::warn("zone {}: signed from the published version, it did not verify ({}); signed afresh instead",
                   z.apex.to_text(), signed_zone->previous_refused);
    }
    nlohmann::json figures{{"policy", policy.name},
                           {"denial", check.denial},
                           {"signatures_checked", check.signatures_checked},
                           {"signatures_created", result.stats.signatures_created},
                           {"signatures_reused", result.stats.signatures_reused},
                           {"denial_records", result.stats.denial_records},
                           {"problems", check.problem_count}};
    if (result.stats.owners_rewritten) figures["owners_rewritten"] = *result.stats.owners_rewritten;
    if (!result.stats.rebuilt_because.empty()) figures["rebuilt_because"] = result.stats.rebuilt_because;
    if (!signed_zone->previous_refused.empty()) figures["previous_refused"] = signed_zone->previous_refused;
    if (!check.ok) {
      hold_signed_zone(z, GateResult{"dnssec", Verdict::kHold,
                                     "the signed zone does not verify: " + problems_text(check, 5), figures});
      continue;
    }
    // The chain of trust from the parent: a zone that verifies in itself but under keys no DS points to is bogus.
    std::set<std::string> new_signers = dnskey_rrset_signers(result.zone);
    std::set<std::string> carried = carried_trust(z.apex, trusted, new_signers, keys->second.keys);
    figures["trusted_ds"] = std::vector<std::string>(carried.begin(), carried.end());
    if (carried.empty()) {
      hold_signed_zone(z, GateResult{"dnssec", Verdict::kHold, trust_break(z.apex, trusted, new_signers), figures});
      continue;
    }
    // Key continuity with the version served now: a key state changed outside a rollover (a key lost, imported,
    // or restored from an older backup) would fail resolvers holding that version's keys or signatures.
    if (cached) {
      std::vector<std::string> breaks = signer::continuity_breaks(*cached, signer::key_continuity(result.zone));
      if (!breaks.empty()) {
        figures["key_continuity"] = breaks;
        std::string first = breaks.size() > 1 ? fmt::format("{} (and {} more)", breaks[0], breaks.size() - 1)
                                              : breaks[0];
        if (!options.allow_key_break.count(z.apex)) {
          hold_signed_zone(
              z, GateResult{"dnssec", Verdict::kHold,
                            fmt::format("key continuity: {}. The keys changed outside a rollover (a key lost, "
                                        "imported, or restored from an older backup): put back the files of the keys "
                                        "the published version uses from the key backup (ops/RUNBOOK.md); if they are "
                                        "gone for good, run --allow-key-break {} --reason TEXT publishes it, and "
                                        "resolvers holding the old keys or signatures fail the zone until their "
                                        "caches let go of them",
                                        first, z.apex.to_text()),
                            figures});
          continue;
        }
        figures["allow_key_break"] = options.allow_key_break_reason;
        spdlog::warn("zone {}: key continuity breaks, published all the same (--allow-key-break: {}): {}",
                     z.apex.to_text(), options.allow_key_break_reason, first);
      }
    }
    safeguards::hold(z, GateResult{"dnssec", Verdict::kPass,
                                   fmt::format("{} signatures verified ({} created, {} reused), {} chain complete{}",
                                               check.signatures_checked, result.stats.signatures_created,
                                               result.stats.signatures_reused, check.denial,
                                               figures.contains("allow_key_break")
                                                   ? "; key continuity broken, accepted (--allow-key-break: " +
                                                         options.allow_key_break_reason + ")"
                                                   : std::string()),
                                   figures});
    z.candidate = std::move(result.zone);
  }
}

}  // namespace rdnsprov::cli
