#include "cli/signing.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dns/dnssec.h"
#include "safeguards/zone_facts.h"
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
    return k.state.role == role && k.key.algorithm() == algorithm && k.active(now);
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

}  // namespace

std::string utc_text(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::filesystem::path zone_keys_dir(const std::filesystem::path& keys_root, const dns::Name& apex) {
  return keys_root / apex.to_text_no_dot();
}

ZoneKeyring load_zone_keys(const Config& config, const std::filesystem::path& keys_root, std::time_t now,
                           KeyAccess access) {
  ZoneKeyring keyring;
  for (const ZoneConfig& zone : config.zones) {
    const PolicyConfig* policy = zone_policy(config, zone);
    if (!policy) continue;
    ZoneKeys entry;
    entry.policy = policy;
    entry.directory = zone_keys_dir(keys_root, zone.spec.apex);
    signer::KeyStore store(entry.directory, zone.spec.apex);
    auto existing = store.load();
    if (existing && access == KeyAccess::kCreate && layout_incomplete(*existing, policy->signing, now)) {
      std::set<std::uint16_t> before;
      for (const signer::StoredKey& k : *existing) before.insert(k.key.key_tag());
      existing = store.ensure_keys(policy->signing, now);
      if (existing) {
        for (const signer::StoredKey& k : *existing) {
          if (!before.count(k.key.key_tag())) entry.generated.push_back(k.key.key_tag());
        }
      }
    }
    if (!existing) {
      throw std::runtime_error(fmt::format("DNSSEC keys of zone {} ({}): {}", zone.spec.apex.to_text(),
                                           entry.directory.string(), existing.error()));
    }
    entry.keys = std::move(*existing);
    entry.timing = rollover_timing(zone, policy->signing);
    entry.would_generate = access == KeyAccess::kReadOnly && layout_incomplete(entry.keys, policy->signing, now);
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

void advance_key_rollovers(const Config& config, ZoneKeyring& keyring, const safeguards::StateDir& state,
                           std::time_t now) {
  for (const ZoneConfig& zone : config.zones) {
    auto entry = keyring.find(zone.spec.apex);
    if (entry == keyring.end()) continue;
    ZoneKeys& keys = entry->second;
    std::optional<signer::PublishedKeyFacts> facts;
    std::optional<safeguards::PublishedZone> copy = state.published(zone.spec.apex);
    if (copy && copy->meta) {
      if (std::optional<dns::Zone> parsed = published_zone(state, zone.spec.apex)) {
        facts = signer::published_key_facts(*parsed, copy->meta->published_at);
      }
    }
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
  std::optional<safeguards::PublishedZone> published = state.published(apex);
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
  bool has_nsec3param = false;
  std::string nsec3param;
  std::optional<bool> opt_out;
  bool has_cds = false;
  bool has_zonemd = false;
  std::set<std::uint16_t> signing_tags;
  for (const dns::Record& r : published.records()) {
    if (!safeguards::is_dnssec_type(r.type)) continue;
    has_dnssec = true;
    bool at_apex = r.owner == published.apex();
    switch (r.type) {
      case RRType::kRrsig:
        has_rrsig = true;
        if (r.rdata.size() >= 18) signing_tags.insert(static_cast<std::uint16_t>(read_u32(r.rdata, 14) & 0xffff));
        if (r.rdata.size() >= 12) {
          std::uint32_t expiration = read_u32(r.rdata, 8);
          if (!earliest_expiration || seconds_until(expiration, now) < seconds_until(*earliest_expiration, now)) {
            earliest_expiration = expiration;
          }
        }
        break;
      case RRType::kDnskey:
        if (at_apex) dnskeys.insert(r.rdata);
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
      case RRType::kZonemd:
        if (at_apex) has_zonemd = true;
        break;
      default:
        break;
    }
  }
  auto keys = keyring.find(zone.spec.apex);
  if (keys == keyring.end()) {
    return has_dnssec ? "dnssec-policy removed: the zone is republished unsigned (remove its DS from the parent first)"
                      : std::string();
  }
  const signer::SigningPolicy& policy = keys->second.policy->signing;
  if (!has_rrsig) return fmt::format("dnssec-policy {}: the zone is signed for the first time", zone.dnssec_policy);
  if (earliest_expiration && seconds_until(*earliest_expiration, now) <= static_cast<std::int64_t>(policy.refresh)) {
    return fmt::format("signatures expire from {}, within the refresh window of {} days: re-signed",
                       utc_text(now + seconds_until(*earliest_expiration, now)), policy.refresh / 86400.0);
  }
  if (keys->second.would_generate) return "keys would be generated for the zone's policy";
  std::set<std::string> expected;
  for (const signer::StoredKey& k : signer::published_keys(keys->second.keys, now)) expected.insert(k.key.dnskey_rdata());
  if (expected != dnskeys) return "the set of published DNSKEYs changes (key generated, imported or retired)";
  std::set<std::uint16_t> active;
  for (const signer::StoredKey& k : signer::active_keys(keys->second.keys, now)) active.insert(k.key.key_tag());
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
  if (has_cds != policy.cds_cdnskey) return policy.cds_cdnskey ? "CDS/CDNSKEY are added" : "CDS/CDNSKEY are removed";
  if (has_zonemd != policy.zonemd) return policy.zonemd ? "ZONEMD is added" : "ZONEMD is removed";
  return {};
}

VerifiedSigning sign_and_verify(const std::function<dns::Zone()>& unsigned_zone,
                                const std::vector<signer::SigningKey>& keys, const signer::SigningPolicy& policy,
                                std::uint32_t now, std::optional<dns::Zone>&& previous,
                                const signer::VerifyOptions& verify, dns::ThreadPool& pool) {
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

void sign_planned_zones(const ZoneKeyring& keyring, const safeguards::StateDir& published_state,
                        safeguards::Plan& plan, std::time_t now, const SigningOptions& options,
                        dns::ThreadPool& pool) {
  for (safeguards::ZonePlan& z : plan.zones) {
    bool wanted = z.action == Action::kPublish || (options.sign_unchanged && z.action == Action::kUnchanged);
    auto keys = keyring.find(z.apex);
    if (!wanted || keys == keyring.end()) continue;
    const PolicyConfig& policy = *keys->second.policy;
    if (keys->second.would_generate) {
      safeguards::hold(z, GateResult{"dnssec", Verdict::kPass,
                                     fmt::format("not signed in this dry run: keys would be generated in {}",
                                                 keys->second.directory.string()),
                                     {{"signed", false}}});
      continue;
    }
    std::optional<dns::Zone> previous = published_zone(published_state, z.apex);
    std::vector<signer::SigningKey> signing = signer::signing_keys(keys->second.keys, now);
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
      bool was_unchanged = z.action == Action::kUnchanged;
      safeguards::hold(z, GateResult{"dnssec", Verdict::kError, fmt::format("cannot sign: {}", e.what()),
                                     {{"policy", policy.name}}});
      if (was_unchanged) z.action = Action::kHold;
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
      bool was_unchanged = z.action == Action::kUnchanged;
      safeguards::hold(z, GateResult{"dnssec", Verdict::kHold,
                                     "the signed zone does not verify: " + problems_text(check, 5), figures});
      if (was_unchanged) z.action = Action::kHold;
      continue;
    }
    safeguards::hold(z, GateResult{"dnssec", Verdict::kPass,
                                   fmt::format("{} signatures verified ({} created, {} reused), {} chain complete",
                                               check.signatures_checked, result.stats.signatures_created,
                                               result.stats.signatures_reused, check.denial),
                                   figures});
    z.candidate = std::move(result.zone);
  }
}

}  // namespace rdnsprov::cli
