// `rdnsprov sign` (any master file in, signed and verified master file out) and `rdnsprov keys list|generate|import`.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cctype>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <set>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/signing.h"
#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/rdata.h"
#include "dns/thread_pool.h"
#include "safeguards/lock.h"
#include "safeguards/state_dir.h"
#include "signer/key_store.h"
#include "signer/rollover.h"
#include "signer/signer.h"
#include "signer/verify.h"

namespace rdnsprov::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

std::string algorithm_text(std::uint8_t algorithm) {
  switch (algorithm) {
    case dns::kAlgorithmRsaSha256: return "RSASHA256(8)";
    case dns::kAlgorithmEcdsaP256Sha256: return "ECDSAP256SHA256(13)";
    case dns::kAlgorithmEd25519: return "ED25519(15)";
  }
  return fmt::format("algorithm {}", algorithm);
}

std::string time_or_dash(const std::optional<std::int64_t>& t) { return t ? utc_text(*t) : "-"; }

std::string journal_run_id(std::time_t now) { return fmt::format("{}-{}", utc_text(now), ::getpid()); }

Config load(const GlobalOptions& global) {
  Config config = load_config(global.config_file);
  if (global.log_level.empty()) spdlog::set_level(spdlog::level::from_str(config.log_level));
  return config;
}

dns::Name zone_argument(const std::string& text) {
  auto name = dns::Name::from_text(text);
  if (!name) throw po::error(fmt::format("--zone {}: {}", text, name.error()));
  return *name;
}

// The signed zones a keys subcommand works on: every one, or the one of --zone.
std::vector<const ZoneConfig*> signed_zones(const Config& config, const std::string& zone_text) {
  std::vector<const ZoneConfig*> out;
  std::optional<dns::Name> only;
  if (!zone_text.empty()) only = zone_argument(zone_text);
  for (const ZoneConfig& z : config.zones) {
    if (only && z.spec.apex != *only) continue;
    if (!zone_policy(config, z)) {
      if (only) throw po::error(fmt::format("zone {} has no dnssec-policy", only->to_text()));
      continue;
    }
    out.push_back(&z);
  }
  if (only && out.empty()) throw po::error(fmt::format("zone {} is not configured", only->to_text()));
  return out;
}

// active, presigning (an algorithm rollover's new key: a ZSK or CSK signing before its DNSKEY is published, a KSK
// waiting with them), leaving (a key set rollover's old ZSK or CSK, out of the DNSKEY RRset, signing until caches
// let go of it), published (in the DNSKEY RRset, not signing), waiting (made, not published yet: a KSK waiting
// for its DS or a key whose Publish time is ahead) or retired.
std::string_view key_state_text(const signer::StoredKey& k, std::time_t now) {
  if (k.active(now)) return "active";
  if (k.signs_unpublished()) {
    return k.state.rollover_step == signer::kStepKeysetSignaturesLast ? "leaving" : "presigning";
  }
  if (k.published(now)) return "published";
  const signer::KeyTiming& t = k.state.timing;
  if (t.deletion && *t.deletion <= now) return "retired";
  if (t.inactive && *t.inactive <= now) return "retired";
  return "waiting";
}

// The times `keys list` shows: the key's own, but for a key signing ahead of its DNSKEY (presigning), which is not
// published yet (its DNSKEY follows at the date keys status gives) and, as a KSK, signs nothing yet.
struct ShownTiming {
  std::optional<std::int64_t> publish, activate, inactive, deletion;
};
ShownTiming shown_timing(const signer::StoredKey& k) {
  const signer::KeyTiming& t = k.state.timing;
  ShownTiming shown{t.publish ? t.publish : t.activate, t.activate, t.inactive, t.deletion};
  if (k.state.rollover_step == signer::kStepKeysetSignaturesFirst) {
    shown.publish.reset();
    if (k.state.role == signer::KeyRole::kKsk) shown.activate.reset();
  }
  return shown;
}

void print_keys(const dns::Name& apex, const std::string& policy, const std::vector<signer::StoredKey>& keys,
                std::time_t now) {
  std::cout << fmt::format("zone {}  policy {}  {} keys\n", apex.to_text(), policy, keys.size());
  for (const signer::StoredKey& k : keys) {
    const ShownTiming t = shown_timing(k);
    std::cout << fmt::format("  {:05}  {:<19}  {:<3}  {:<9}  published {}  active {}  inactive {}  delete {}  {}\n",
                             k.key.key_tag(), algorithm_text(k.key.algorithm()), signer::key_role_to_text(k.state.role),
                             key_state_text(k, now), time_or_dash(t.publish), time_or_dash(t.activate),
                             time_or_dash(t.inactive), time_or_dash(t.deletion), k.key_file.filename().string());
  }
}

// The DS (SHA-256, RFC 4509) of a KSK or CSK as a parent takes it: "<zone> IN DS <rdata>".
std::string ds_record_text(const signer::StoredKey& k) {
  auto ds = dns::ds_rdata(k.key.zone(), k.key.dnskey_rdata(), 2);
  if (!ds) return {};
  return fmt::format("{} IN DS {}", k.key.zone().to_text(), dns::rdata::to_text(dns::RRType::kDs, *ds));
}

nlohmann::json time_json(const std::optional<std::int64_t>& t) { return t ? nlohmann::json(utc_text(*t)) : nlohmann::json(); }

// One key as `keys list|status --format json` shows it: what `keys list` prints, and the DS of a KSK or CSK.
nlohmann::json key_json(const signer::StoredKey& k, std::time_t now) {
  const ShownTiming t = shown_timing(k);
  nlohmann::json j{{"key_tag", k.key.key_tag()},
                   {"algorithm", k.key.algorithm()},
                   {"algorithm_name", algorithm_text(k.key.algorithm())},
                   {"role", signer::key_role_to_text(k.state.role)},
                   {"state", key_state_text(k, now)},
                   {"rollover_step", k.state.rollover_step.empty() ? nlohmann::json() : nlohmann::json(k.state.rollover_step)},
                   {"publish", time_json(t.publish)},
                   {"activate", time_json(t.activate)},
                   {"inactive", time_json(t.inactive)},
                   {"delete", time_json(t.deletion)},
                   {"file", k.key_file.string()}};
  if (k.state.role != signer::KeyRole::kZsk) j["ds"] = ds_record_text(k);
  return j;
}

nlohmann::json zone_keys_json(const dns::Name& apex, const std::string& policy,
                              const std::vector<signer::StoredKey>& keys, std::time_t now) {
  nlohmann::json list = nlohmann::json::array();
  for (const signer::StoredKey& k : keys) list.push_back(key_json(k, now));
  return {{"zone", apex.to_text()}, {"policy", policy}, {"keys", std::move(list)}};
}

// What the operator does at the parent, for automation: the DS records a rollover waits for (to submit, then
// confirm with `keys ds-seen`) and those that are to leave it (from a date; null until the next run knows it).
// The same keys as the ACTION lines and the retired keys `keys status` shows.
void add_parent_actions(nlohmann::json& zone, const std::vector<signer::StoredKey>& keys, std::time_t now) {
  nlohmann::json submit = nlohmann::json::array();
  nlohmann::json remove = nlohmann::json::array();
  for (const signer::StoredKey& k : keys) {
    if (k.state.role == signer::KeyRole::kZsk) continue;
    const std::string& step = k.state.rollover_step;
    if (signer::waits_for_ds(k)) {
      submit.push_back({{"key_tag", k.key.key_tag()},
                        {"ds", ds_record_text(k)},
                        {"confirm", fmt::format("rdnsprov keys ds-seen --zone {} --key {}", k.key.zone().to_text(),
                                                k.key.key_tag())}});
    }
    bool leaving = step == signer::kStepDsRemoval || step == signer::kStepCskRetiring;
    bool retired_lately = step == signer::kStepRetired && k.state.ds_removable && *k.state.ds_removable > now - 30 * 86400;
    if (leaving || retired_lately) {
      remove.push_back({{"key_tag", k.key.key_tag()},
                        {"ds", ds_record_text(k)},
                        {"from", time_json(k.state.ds_removable)},
                        {"confirmed", k.state.ds_published.has_value()},
                        {"now", k.state.ds_removable.has_value() && *k.state.ds_removable <= now}});
    }
  }
  zone["ds_to_submit"] = std::move(submit);
  zone["ds_to_remove"] = std::move(remove);
}

int keys_list(const GlobalOptions& global, const std::string& zone_text, bool json) {
  Config config = load(global);
  safeguards::StateDir state = safeguards::StateDir::open_read_only(config.state);
  int code = kExitOk;
  nlohmann::json zones = nlohmann::json::array();
  for (const ZoneConfig* z : signed_zones(config, zone_text)) {
    signer::KeyStore store(zone_keys_dir(state.keys_dir(), z->spec.apex), z->spec.apex);
    auto keys = store.load();
    if (!keys) {
      spdlog::error("keys of zone {}: {}", z->spec.apex.to_text(), keys.error());
      code = kExitError;
      continue;
    }
    if (json) {
      zones.push_back(zone_keys_json(z->spec.apex, z->dnssec_policy, *keys, global.now));
    } else {
      print_keys(z->spec.apex, z->dnssec_policy, *keys, global.now);
    }
  }
  if (json) std::cout << nlohmann::json{{"zones", std::move(zones)}}.dump(2) << "\n";
  return code;
}

int keys_generate(const GlobalOptions& global, const std::string& zone_text) {
  Config config = load(global);
  auto zones = signed_zones(config, zone_text);
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); no key generated", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  state.journal().set_context(journal_run_id(global.now), global.now);
  for (const ZoneConfig* z : zones) {
    signer::KeyStore store(zone_keys_dir(state.keys_dir(), z->spec.apex), z->spec.apex);
    auto before = store.load();
    if (!before) {
      spdlog::error("keys of zone {}: {}", z->spec.apex.to_text(), before.error());
      return kExitError;
    }
    std::set<std::uint16_t> old_tags;
    for (const auto& k : *before) old_tags.insert(k.key.key_tag());
    auto keys = store.ensure_keys(zone_policy(config, *z)->signing, global.now);
    if (!keys) {
      spdlog::error("keys of zone {}: {}", z->spec.apex.to_text(), keys.error());
      return kExitError;
    }
    std::size_t made = 0;
    for (const auto& k : *keys) {
      if (old_tags.count(k.key.key_tag())) continue;
      ++made;
      state.journal().append("key-generated", {{"zone", z->spec.apex.to_text()},
                                               {"key_tag", k.key.key_tag()},
                                               {"algorithm", k.key.algorithm()},
                                               {"role", signer::key_role_to_text(k.state.role)}});
    }
    std::cout << fmt::format("{} key{} generated\n", made, made == 1 ? "" : "s");
    print_keys(z->spec.apex, z->dnssec_policy, *keys, global.now);
  }
  return kExitOk;
}

// A zone without a dnssec-policy whose published version is signed, on its way to going unsigned: the parent's DS
// records that still point to its keys, and whether they were confirmed gone (`keys ds-gone`).
struct GoingUnsigned {
  std::set<std::string> parent_ds;  // DS rdata
  std::optional<std::time_t> confirmed_gone_at;
};
std::optional<GoingUnsigned> going_unsigned(const safeguards::StateDir& state, const dns::Name& apex,
                                            std::time_t now) {
  std::set<std::string> trusted = parent_ds(state, state.keys_dir(), apex, now);
  if (trusted.empty()) return std::nullopt;
  GoingUnsigned out{trusted, std::nullopt};
  std::optional<DsGone> gone = read_ds_gone(state.keys_dir(), apex);
  if (gone && std::includes(gone->ds.begin(), gone->ds.end(), trusted.begin(), trusted.end())) {
    out.confirmed_gone_at = gone->confirmed_at;
  }
  return out;
}

void print_going_unsigned(const dns::Name& apex, const GoingUnsigned& g) {
  std::string tags;
  for (const std::string& ds : g.parent_ds) tags += fmt::format("{}{}", tags.empty() ? "" : ", ", ds.substr(0, ds.find(' ')));
  std::cout << fmt::format("zone {}  no dnssec-policy; its published version is signed, the parent may serve the DS "
                           "of key {}\n",
                           apex.to_text(), tags);
  if (g.confirmed_gone_at) {
    std::cout << fmt::format("  the DS was confirmed gone from the parent at {}: the next run publishes the zone "
                             "unsigned\n",
                             utc_text(*g.confirmed_gone_at));
    return;
  }
  for (const std::string& ds : g.parent_ds) std::cout << fmt::format("  parent DS: {} IN DS {}\n", apex.to_text(), ds);
  std::cout << fmt::format("  ACTION: run holds the zone. Remove every one of these DS at the parent, wait until its "
                           "TTL has passed, then rdnsprov keys ds-gone --zone {}; or give the zone its dnssec-policy "
                           "back\n",
                           apex.to_text());
}

// Where each signed zone is in its rollovers, and what the operator must do; in JSON, with the DS records to submit
// to and remove from the parent as fields of their own.
int keys_status(const GlobalOptions& global, const std::string& zone_text, bool json) {
  Config config = load(global);
  safeguards::StateDir state = safeguards::StateDir::open_read_only(config.state);
  int code = kExitOk;
  // Zones without a policy are shown only when their published version is signed (going unsigned).
  std::optional<dns::Name> only;
  if (!zone_text.empty()) only = zone_argument(zone_text);
  std::vector<const ZoneConfig*> unsigned_zones;
  for (const ZoneConfig& z : config.zones) {
    if (!zone_policy(config, z) && (!only || z.spec.apex == *only)) unsigned_zones.push_back(&z);
  }
  bool only_unsigned = only && !unsigned_zones.empty();
  nlohmann::json zones = nlohmann::json::array();
  for (const ZoneConfig* z : only_unsigned ? std::vector<const ZoneConfig*>{} : signed_zones(config, zone_text)) {
    const PolicyConfig* policy = zone_policy(config, *z);
    signer::KeyStore store(zone_keys_dir(state.keys_dir(), z->spec.apex), z->spec.apex);
    auto keys = store.load();
    if (!keys) {
      spdlog::error("keys of zone {}: {}", z->spec.apex.to_text(), keys.error());
      code = kExitError;
      continue;
    }
    // A clock behind the last publication: the keys as run reads them, at that publication's time.
    std::time_t at = global.now;
    try {
      at = keys_time(state, z->spec.apex, global.now);
    } catch (const safeguards::StateError& e) {
      spdlog::error("keys of zone {}: {}", z->spec.apex.to_text(), e.what());
      code = kExitError;
      continue;
    }
    std::string clock_note;
    if (at > global.now) {
      clock_note = fmt::format("the clock ({}) is behind {}, the last publication or the time its keys were read at: "
                               "keys are shown as at then, and no rollover step is taken until the clock passes it",
                               utc_text(global.now), utc_text(at));
    }
    // A later version that reached only some targets: steps that wait for a publication wait for one that
    // reaches every target, so the dates shown come later than they say.
    std::string targets_note;
    try {
      if (auto meta = state.published_meta(z->spec.apex); meta && meta->partly_published_serial) {
        targets_note = fmt::format("serial {} reached only some targets (see the run's target errors): steps that wait "
                                   "for a publication wait until a version reaches every target, so they come later "
                                   "than shown",
                                   *meta->partly_published_serial);
      }
    } catch (const safeguards::StateError&) {
      // unreadable metadata: the run says so and republishes the zone
    }
    // The signing KSKs and CSKs whose DS nobody confirmed at the parent: until the parent serves one, the zone is
    // signed but insecure (validators treat it as unsigned).
    std::vector<const signer::StoredKey*> unconfirmed;
    for (const signer::StoredKey& k : *keys) {
      if (k.state.role != signer::KeyRole::kZsk && k.state.rollover_step.empty() && k.active(at) &&
          !k.state.ds_published) {
        unconfirmed.push_back(&k);
      }
    }
    bool any_confirmed = std::any_of(keys->begin(), keys->end(), [&](const signer::StoredKey& k) {
      return k.state.role != signer::KeyRole::kZsk && k.state.ds_published && k.active(at);
    });
    std::string ds_note;
    if (!any_confirmed && !unconfirmed.empty()) {
      const signer::StoredKey& k = *unconfirmed.front();
      ds_note = fmt::format("no DS of the zone's KSK {} is confirmed at the parent: if the parent does not serve {} "
                            "yet, the zone is signed but insecure (validators treat it as unsigned). Submit it; once "
                            "the parent serves it, rdnsprov keys ds-seen --zone {} --key {}",
                            k.key.key_tag(), ds_record_text(k), z->spec.apex.to_text(), k.key.key_tag());
    }
    // A parent that acts on CDS (policy cds) makes no change while the zone withholds them: the DS of this rollover
    // goes to and from the parent by hand, as the ACTION lines say.
    std::string cds_note;
    if (policy->signing.cds_cdnskey && signer::withholds_cds(*keys)) {
      cds_note = "CDS/CDNSKEY are withheld (none published, which asks the parent for no change) while the parent "
                 "should serve the DS of a KSK that is not in the DNSKEY RRset, which a CDS cannot name: submit and "
                 "remove the DS of this rollover by hand, as the ACTION lines say; CDS/CDNSKEY return once the old "
                 "DS may go";
    }
    std::vector<signer::RolloverStatus> rollovers =
        signer::rollover_status(z->spec.apex, *keys, policy->signing,
                                cached_rollover_timing(rollover_timing(*z, policy->signing), state, z->spec.apex,
                                                       global.now),
                                at);
    if (json) {
      nlohmann::json zone = zone_keys_json(z->spec.apex, z->dnssec_policy, *keys, at);
      if (!clock_note.empty()) zone["clock"] = clock_note;
      if (!targets_note.empty()) zone["targets"] = targets_note;
      if (!ds_note.empty()) zone["ds_unconfirmed"] = ds_note;
      if (!cds_note.empty()) zone["cds_withheld"] = cds_note;
      nlohmann::json list = nlohmann::json::array();
      for (const signer::RolloverStatus& r : rollovers) {
        list.push_back({{"role", signer::key_role_to_text(r.role)},
                        {"phase", r.phase},
                        {"lines", r.lines},
                        {"action", r.operator_action.empty() ? nlohmann::json() : nlohmann::json(r.operator_action)}});
      }
      zone["rollovers"] = std::move(list);
      add_parent_actions(zone, *keys, at);
      zones.push_back(std::move(zone));
      continue;
    }
    print_keys(z->spec.apex, z->dnssec_policy, *keys, at);
    if (!clock_note.empty()) std::cout << "  NOTE: " << clock_note << "\n";
    if (!targets_note.empty()) std::cout << "  NOTE: " << targets_note << "\n";
    if (!ds_note.empty()) std::cout << "  NOTE: " << ds_note << "\n";
    if (!cds_note.empty()) std::cout << "  NOTE: " << cds_note << "\n";
    for (const signer::RolloverStatus& s : rollovers) {
      std::cout << fmt::format("  {} rollover: {}\n", signer::key_role_to_text(s.role), s.phase);
      for (const std::string& line : s.lines) std::cout << "    " << line << "\n";
      if (!s.operator_action.empty()) std::cout << "    ACTION: " << s.operator_action << "\n";
    }
  }
  nlohmann::json unsigned_list = nlohmann::json::array();
  for (const ZoneConfig* z : unsigned_zones) {
    std::optional<GoingUnsigned> g;
    try {
      g = going_unsigned(state, z->spec.apex, global.now);
    } catch (const safeguards::StateError& e) {
      spdlog::error("zone {}: {}", z->spec.apex.to_text(), e.what());
      code = kExitError;
      continue;
    }
    if (!g) continue;
    if (!json) {
      print_going_unsigned(z->spec.apex, *g);
      continue;
    }
    nlohmann::json parent = nlohmann::json::array();
    for (const std::string& ds : g->parent_ds) parent.push_back(fmt::format("{} IN DS {}", z->spec.apex.to_text(), ds));
    unsigned_list.push_back({{"zone", z->spec.apex.to_text()},
                             {"parent_ds", std::move(parent)},
                             {"confirmed_gone_at", g->confirmed_gone_at ? nlohmann::json(utc_text(*g->confirmed_gone_at))
                                                                        : nlohmann::json()}});
  }
  if (json) {
    std::cout << nlohmann::json{{"zones", std::move(zones)}, {"going_unsigned", std::move(unsigned_list)}}.dump(2)
              << "\n";
  }
  return code;
}

// A step the operator takes on one key of a signed zone (keys ds-seen, keys rollover), under the run lock: `step`
// changes the key's state and returns the event that is journaled and printed, or an error naming what is wrong.
using KeyStep = std::function<dns::Result<signer::RolloverEvent>(const signer::KeyStore&, std::vector<signer::StoredKey>&,
                                                                  std::uint16_t, const signer::SigningPolicy&)>;
int keys_operator_step(const GlobalOptions& global, const std::string& verb, const std::string& zone_text, int key_tag,
                       const KeyStep& step) {
  if (zone_text.empty() || key_tag < 0 || key_tag > 65535) {
    throw po::error(fmt::format("keys {} needs --zone ZONE and --key TAG", verb));
  }
  Config config = load(global);
  const ZoneConfig* zone = signed_zones(config, zone_text).front();
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); nothing recorded", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  signer::KeyStore store(zone_keys_dir(state.keys_dir(), zone->spec.apex), zone->spec.apex);
  auto keys = store.load();
  if (!keys) {
    spdlog::error("keys of zone {}: {}", zone->spec.apex.to_text(), keys.error());
    return kExitError;
  }
  auto event = step(store, *keys, static_cast<std::uint16_t>(key_tag), zone_policy(config, *zone)->signing);
  if (!event) {
    spdlog::error("{}", event.error());
    return kExitError;
  }
  state.journal().set_context(journal_run_id(global.now), global.now);
  state.journal().append("key", key_event_json(zone->spec.apex, *event));
  std::cout << event->detail << "\n";
  try {
    if (std::time_t at = keys_time(state, zone->spec.apex, global.now); at > global.now) {
      std::cout << fmt::format("NOTE: the clock ({}) is behind {}, the time the zone's keys were last read at: they "
                               "are kept as they were then, and no rollover step is taken before a run after it\n",
                               utc_text(global.now), utc_text(at));
    }
  } catch (const safeguards::StateError& e) {
    spdlog::warn("keys of zone {}: {}", zone->spec.apex.to_text(), e.what());
  }
  return kExitOk;
}

// The operator saw the new DS of a rolling KSK (or CSK) at the parent: the rollover may go on.
int keys_ds_seen(const GlobalOptions& global, const std::string& zone_text, int key_tag) {
  return keys_operator_step(global, "ds-seen", zone_text, key_tag,
                            [&](const signer::KeyStore& store, std::vector<signer::StoredKey>& keys, std::uint16_t tag,
                                const signer::SigningPolicy&) { return signer::confirm_ds(store, keys, tag, global.now); });
}

// The operator asks for a rollover of a signing key now (a key that may have been exposed, or a planned change).
int keys_rollover(const GlobalOptions& global, const std::string& zone_text, int key_tag) {
  return keys_operator_step(global, "rollover", zone_text, key_tag,
                            [&](const signer::KeyStore& store, std::vector<signer::StoredKey>& keys, std::uint16_t tag,
                                const signer::SigningPolicy& policy) {
                              return signer::request_rollover(store, keys, tag, policy, global.now);
                            });
}

// The operator removed the zone's DS at the parent and saw it expire: a zone published signed may go out unsigned.
int keys_ds_gone(const GlobalOptions& global, const std::string& zone_text) {
  if (zone_text.empty()) throw po::error("keys ds-gone needs --zone ZONE");
  Config config = load(global);
  dns::Name apex = zone_argument(zone_text);
  if (std::none_of(config.zones.begin(), config.zones.end(), [&](const ZoneConfig& z) { return z.spec.apex == apex; })) {
    throw po::error(fmt::format("zone {} is not configured (no [zone.{}] section)", apex.to_text(), zone_text));
  }
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); nothing recorded", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  std::set<std::string> trusted = parent_ds(state, state.keys_dir(), apex, global.now);
  if (trusted.empty()) {
    std::cout << fmt::format("zone {}: its published version is not signed, no DS binds it; nothing recorded\n",
                             apex.to_text());
    return kExitOk;
  }
  write_ds_gone(state.keys_dir(), apex, DsGone{trusted, global.now});
  // The parent serves none of the zone's DS any more: the DS of no key outside a rollover counts as confirmed at
  // the parent (signed again, the zone's DS must be submitted and confirmed anew; keys status says so). A rollover's
  // own confirmation stays: its steps are timed from it.
  signer::KeyStore store(zone_keys_dir(state.keys_dir(), apex), apex);
  if (auto keys = store.load()) {
    for (signer::StoredKey& k : *keys) {
      if (!k.state.ds_published || !k.state.rollover_step.empty()) continue;
      k.state.ds_published.reset();
      store.save(k);
    }
  }
  std::vector<std::string> ds(trusted.begin(), trusted.end());
  state.journal().set_context(journal_run_id(global.now), global.now);
  state.journal().append("ds-gone", {{"zone", apex.to_text()}, {"ds", ds}});
  for (const std::string& d : ds) {
    std::cout << fmt::format("confirmed: the parent no longer serves {} IN DS {}\n", apex.to_text(), d);
  }
  std::cout << fmt::format("zone {} is published unsigned by the next run once it has no dnssec-policy\n",
                           apex.to_text());
  return kExitOk;
}

// Copies BIND key pairs K<zone>.+<alg>+<tag>.{key,private} from `from` into the zone's key directory, with a
// state file each. Every key is read and checked before anything is written.
int keys_import(const GlobalOptions& global, const std::string& zone_text, const fs::path& from) {
  if (zone_text.empty() || from.empty()) throw po::error("keys import needs --zone ZONE and --from DIR");
  Config config = load(global);
  const ZoneConfig* zone = signed_zones(config, zone_text).front();
  const PolicyConfig* policy = zone_policy(config, *zone);
  const dns::Name& apex = zone->spec.apex;
  std::string prefix = "K" + apex.to_text() + "+";
  std::vector<signer::StoredKey> imported;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(from)) {
    std::string name = entry.path().filename().string();
    // Key file names keep the zone's case; compare without it.
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string lower_prefix = prefix;
    std::transform(lower_prefix.begin(), lower_prefix.end(), lower_prefix.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower.starts_with(lower_prefix) && name.ends_with(".key")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    spdlog::error("no key file {}*.key in {}", prefix, from.string());
    return kExitError;
  }
  for (const fs::path& file : files) {
    signer::KeyTiming timing;
    auto key = signer::DnssecKey::load_bind_files(file, &timing);
    if (!key) {
      spdlog::error("{}: {}; nothing imported", file.string(), key.error());
      return kExitError;
    }
    if (key->zone() != apex) {
      spdlog::error("{}: a key of {}, not of {} (its DNSKEY record names that zone); nothing imported", file.string(),
                    key->zone().to_text(), apex.to_text());
      return kExitError;
    }
    // BIND's schedule for taking a key out (Inactive, Delete) would take it out without the waits of a rollover:
    // a ZSK made then would sign before caches hold its DNSKEY. rdnsprov retires keys by rollovers only.
    if (timing.inactive || timing.deletion) {
      spdlog::error("{}: its timing says {} (BIND's schedule); rdnsprov takes keys out by rollovers only, with the "
                    "waits resolvers' caches need (policy lifetimes, or rdnsprov keys rollover). Clear them "
                    "(dnssec-settime -I none -D none) and import again; nothing imported",
                    file.string(),
                    timing.inactive && timing.deletion
                        ? fmt::format("Inactive {} and Delete {}", utc_text(*timing.inactive), utc_text(*timing.deletion))
                        : timing.inactive ? fmt::format("Inactive {}", utc_text(*timing.inactive))
                                          : fmt::format("Delete {}", utc_text(*timing.deletion)));
      return kExitError;
    }
    // Keys of the policy's algorithm only: an imported key of another would be taken for an algorithm rollover's
    // old key without ever having been published. To move to another algorithm, import under the keys' algorithm,
    // publish, then change the policy's algorithm (a key set rollover).
    if (key->algorithm() != policy->signing.algorithm) {
      spdlog::error("{}: algorithm {}, but zone {} is signed with algorithm {} ([policy.{}] algorithm); set the "
                    "policy's algorithm to {} before importing (and change it once the zone is published with "
                    "these keys: rdnsprov then rolls the zone over); nothing imported",
                    file.string(), algorithm_text(key->algorithm()), apex.to_text(),
                    algorithm_text(policy->signing.algorithm), policy->name, key->algorithm());
      return kExitError;
    }
    signer::KeyState key_state;
    key_state.timing = timing;
    bool csk = policy->signing.key_layout == signer::KeyLayout::kCsk;
    key_state.role = key->is_sep() ? (csk ? signer::KeyRole::kCsk : signer::KeyRole::kKsk) : signer::KeyRole::kZsk;
    imported.push_back(signer::StoredKey{std::move(*key), key_state, file});
  }
  safeguards::StateDir state = safeguards::StateDir::open(config.state);
  auto lock = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
  if (!lock) {
    spdlog::error("another run holds the lock ({}); nothing imported", safeguards::RunLock::holder(state.lock_file()));
    return kExitLocked;
  }
  signer::KeyStore store(zone_keys_dir(state.keys_dir(), apex), apex);
  auto existing = store.load();
  if (!existing) {
    spdlog::error("keys of zone {}: {}; nothing imported", apex.to_text(), existing.error());
    return kExitError;
  }
  // A key the zone already has keeps its files and its state (the rollover step it is at): imported again, BIND's
  // timing lines would replace that state.
  std::vector<signer::StoredKey> fresh;
  for (signer::StoredKey& k : imported) {
    bool present = false;
    for (const signer::StoredKey& e : *existing) {
      if (e.key.key_tag() != k.key.key_tag()) continue;
      if (e.key.dnskey_rdata() != k.key.dnskey_rdata()) {
        spdlog::error("{}: key tag {} is already used by another key of zone {}; nothing imported",
                      k.key_file.string(), k.key.key_tag(), apex.to_text());
        return kExitError;
      }
      present = true;
    }
    if (present) {
      std::cout << fmt::format("{}: zone {} already has key {}; kept as it is (state and rollover step unchanged)\n",
                               k.key_file.string(), apex.to_text(), k.key.key_tag());
    } else {
      fresh.push_back(std::move(k));
    }
  }
  imported = std::move(fresh);
  fs::create_directories(store.directory());
  ::chmod(store.directory().c_str(), 0700);
  state.journal().set_context(journal_run_id(global.now), global.now);
  for (signer::StoredKey& k : imported) {
    k.key_file = k.key.write_bind_files(store.directory(), k.state.timing);
    store.save_state(k);
    state.journal().append("key-imported", {{"zone", apex.to_text()},
                                            {"key_tag", k.key.key_tag()},
                                            {"algorithm", k.key.algorithm()},
                                            {"role", signer::key_role_to_text(k.state.role)},
                                            {"from", from.string()}});
    std::cout << fmt::format("imported {} as {} {}\n", k.key.bind_file_stem(), signer::key_role_to_text(k.state.role),
                             algorithm_text(k.key.algorithm()));
  }
  auto keys = store.load();
  if (!keys) {
    spdlog::error("keys of zone {}: {}", apex.to_text(), keys.error());
    return kExitError;
  }
  print_keys(apex, zone->dnssec_policy, *keys, global.now);
  return kExitOk;
}

}  // namespace

namespace {

// Phase times at debug level: where a slow signing or verification spends its time (docs/BENCHMARKS.md).
// CPU time too: on a busy machine it says more than the wall time.
class PhaseClock {
 public:
  PhaseClock(std::string_view command, const dns::Name& apex) : command_(command), apex_(apex.to_text()) {}
  void done(std::string_view phase) {
    auto t = std::chrono::steady_clock::now();
    double cpu = cpu_seconds();
    spdlog::debug("{} {}: {} took {:.4f} s (CPU {:.4f} s)", command_, apex_, phase,
                  std::chrono::duration<double>(t - started_).count(), cpu - cpu_started_);
    started_ = t;
    cpu_started_ = cpu;
  }

 private:
  static double cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  std::string_view command_;
  std::string apex_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  double cpu_started_ = cpu_seconds();
};

// Reads the master file at `path` as zone `apex`, in canonical order. Bad lines are logged with their line
// numbers (the first 20 of them) and give nothing.
std::optional<dns::Zone> read_zone_file(const std::string& path, const dns::Name& apex, dns::ThreadPool& pool) {
  dns::MasterFile parsed = dns::read_master_file(dns::read_file(path), apex, pool, dns::Dialect::kOperator, path);
  if (!parsed.errors.empty()) {
    for (std::size_t i = 0; i < parsed.errors.size() && i < 20; ++i) {
      spdlog::error("{}:{}: {}", path, parsed.errors[i].line, parsed.errors[i].reason);
    }
    spdlog::error("{}: {} bad lines", path, parsed.errors.size());
    return std::nullopt;
  }
  dns::Zone zone(apex);
  zone.mutable_records() = std::move(parsed.records);
  // RFC 2181 §5.2: an RRset has one TTL; servers and signers take one of them (BIND the first, rdnsprov the smallest).
  for (const std::string& mixed : zone.canonicalise()) {
    spdlog::warn("{}: {}: read with the smallest, as one TTL (RFC 2181 §5.2)", path, mixed);
  }
  return zone;
}

// Whether the zone read from `path` keeps the rules of Zone::owner_problems (CNAME alone, DNAME occluding nothing,
// the zone's own RRsets at its apex);
// the problems are logged (the first 20 of them). The zone was read, but it is not one to sign or to trust.
bool keeps_owner_rules(const dns::Zone& zone, const std::string& path) {
  std::vector<std::string> problems = zone.owner_problems();
  for (std::size_t i = 0; i < problems.size() && i < 20; ++i) spdlog::error("{}: {}", path, problems[i]);
  if (!problems.empty()) spdlog::error("{}: {} problems of its names", path, problems.size());
  return problems.empty();
}

// The policy `rdnsprov sign` and `verify-zone` use: --policy NAME, else the zone's dnssec-policy, else the
// built-in defaults.
PolicyConfig chosen_policy(const std::optional<Config>& config, const std::string& policy_name, const dns::Name& apex) {
  PolicyConfig policy;
  policy.name = "built-in defaults";
  if (!policy_name.empty()) {
    auto found = config->policies.find(policy_name);
    if (found == config->policies.end()) throw po::error(fmt::format("--policy {}: no [policy.{}] section", policy_name, policy_name));
    return found->second;
  }
  if (config) {
    for (const ZoneConfig& z : config->zones) {
      if (z.spec.apex == apex && zone_policy(*config, z)) policy = *zone_policy(*config, z);
    }
  }
  return policy;
}

signer::VerifyOptions verify_options(const PolicyConfig& policy, std::uint32_t now) {
  signer::VerifyOptions verify;
  verify.now = now;
  verify.validity_margin = policy.validity_margin;
  verify.require_zonemd = policy.signing.zonemd;
  return verify;
}

void log_problems(const signer::VerifyResult& check) {
  for (const signer::VerifyProblem& p : check.problems) {
    spdlog::error("{}{}: {}", p.owner.to_text(), p.type.empty() ? "" : " " + p.type, p.reason);
  }
}

}  // namespace

int run_sign(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov sign");
  std::string zone_text, in, out, policy_name, keys_dir;
  options.add_options()("help,h", "this help")("zone", po::value(&zone_text)->required(), "the zone's apex")(
      "in", po::value(&in)->required(), "the master file to sign")(
      "out", po::value(&out)->required(), "where the signed master file goes (written atomically)")(
      "policy", po::value(&policy_name), "a [policy.NAME] of the configuration (default: the zone's dnssec-policy)")(
      "keys", po::value(&keys_dir), "key directory (default STATE/keys/<zone>/); keys the policy lacks are made")(
      "no-verify", "write the signed zone without verifying it (for a pipeline that runs `rdnsprov verify-zone` "
                   "or another verifier itself)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] sign --zone ZONE --in ZONEFILE --out SIGNED [--policy NAME]\n"
                 "                                    [--keys DIR] [--no-verify]\n"
                 "Signs any master file with the zone's keys and policy: DNSKEY, RRSIG, NSEC or NSEC3, and CDS/CDNSKEY\n"
                 "(of the keys `run` would name now: none while a KSK rollover withholds them) and ZONEMD when the\n"
                 "policy asks. It takes no rollover step. Keys come from STATE/keys/<zone>/ or --keys DIR and are\n"
                 "generated there when the policy lacks them. An existing SIGNED file is patched: what it holds\n"
                 "exactly as it would be signed now is kept, the rest is signed anew.\n"
                 "ZONEFILE may hold records of any type (DNSSEC records in it are replaced) and wildcard owners\n"
                 "(*.NAME): SOA, NS, A, AAAA, DS, CNAME, DNAME, PTR, MX, TXT, SRV, HINFO, RP, AFSDB, NAPTR, KX, SSHFP,\n"
                 "DHCID, TLSA, SMIMEA, OPENPGPKEY, SPF, URI and CAA in their usual form, any type in RFC 3597's\n"
                 "(TYPE65534 \\# 2 abcd; names in the data of the types above are lower-cased as signing needs). The\n"
                 "data of those types and of X25, ISDN, KEY, LOC, CERT, IPSECKEY, HIP, CSYNC, EUI48 and EUI64 is\n"
                 "checked against its type's structure (as named-checkzone checks it; CAA values are not), the data\n"
                 "of other types is signed as written; obsolete types holding names (MINFO, MB, …) are refused.\n"
                 "Text is read as BIND reads it: escapes (\\X, \\DDD) in and outside quotes, tabs and UTF-8 as they\n"
                 "are (other control bytes: write them \\DDD); it is written with every byte outside printable ASCII\n"
                 "as \\DDD. HIP, NULL, X25 and ISDN are written TYPEnnn (kzonecheck reads no such name). Data too\n"
                 "large to be served (a response holding it, its question and an RSA-4096 signature passes 65,535\n"
                 "octets: about 64,700 octets of data) is refused, naming the line.\n"
                 "$GENERATE lines are expanded as BIND expands them ($GENERATE 1-254 $ PTR host-$.example.net.;\n"
                 "${offset,width,base} with base d, o, x, X, n or N; data with blanks quoted), at most 2,097,152\n"
                 "records a file; a negative value and a literal '$' are refused. $INCLUDE FILE [ORIGIN] reads FILE,\n"
                 "named relative to the directory of the file that includes it (BIND: relative to its working\n"
                 "directory); after it the origin and the owner in force are those before it, and a $TTL it sets stays\n"
                 "(as in BIND). Its records and errors are those of the $INCLUDE line; at most 16 files deep.\n"
                 "Without $TTL, a record without a TTL has the last TTL stated (RFC 1035); a TTL-less SOA takes its\n"
                 "MINIMUM, which then stands for $TTL (as in BIND).\n"
                 "Refused, naming the line (and nothing is signed): meta and query types, types whose data holds\n"
                 "names (RP, AFSDB, NAPTR, ...) other than those above, and every bad line; and, naming the owner, a\n"
                 "CNAME beside other data or two of them, two DNAME records, a DNAME at a delegation point, names\n"
                 "below a DNAME (which it occludes, RFC 6672), and a SOA, DNSKEY or NSEC3PARAM RRset below the apex.\n"
                 "Names are written in lower case; they may hold '/' (RFC 2317's 0/26), not escapes.\n"
                 "The policy is --policy NAME, else the zone's dnssec-policy, else the built-in defaults (with --keys\n"
                 "and no configuration file). The result is verified independently before it is written (as\n"
                 "`rdnsprov verify-zone` does); when the zone patched from SIGNED does not verify, it is signed afresh\n"
                 "from ZONEFILE alone and verified again; SIGNED is left alone when verification fails. --no-verify\n"
                 "skips verification (and so that second chance).\n"
                 "Exit: 0 signed and written, 1 error (unreadable input, unusable key), 2 usage/config, 4 the signed\n"
                 "zone does not verify (nothing written), 5 locked (keys in STATE).\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  dns::Name apex = zone_argument(zone_text);
  bool verify = !vm.count("no-verify");

  std::optional<Config> config;
  if (!policy_name.empty() || keys_dir.empty() || fs::exists(global.config_file)) config = load(global);
  PolicyConfig policy = chosen_policy(config, policy_name, apex);

  std::optional<safeguards::RunLock> lock;
  fs::path directory;
  if (!keys_dir.empty()) {
    directory = keys_dir;
  } else {
    // Keys in the state: the run lock keeps a concurrent run from generating the same zone's keys.
    safeguards::StateDir state = safeguards::StateDir::open(config->state);
    auto acquired = safeguards::RunLock::try_acquire(state.lock_file(), global.now);
    if (!acquired) {
      spdlog::error("another run holds the lock ({}); nothing signed", safeguards::RunLock::holder(state.lock_file()));
      return kExitLocked;
    }
    lock.emplace(std::move(*acquired));
    directory = zone_keys_dir(state.keys_dir(), apex);
  }

  dns::ThreadPool pool;
  PhaseClock clock("sign", apex);
  std::optional<dns::Zone> zone = read_zone_file(in, apex, pool);
  if (!zone || !keeps_owner_rules(*zone, in)) {
    spdlog::error("{}: nothing signed", in);
    return kExitError;
  }
  clock.done("reading the input");
  std::optional<dns::Zone> previous;
  if (fs::exists(out)) {
    // The previous signed zone is only a source of reusable signatures: one that does not read is ignored.
    dns::MasterFile old = dns::read_master_file(dns::read_file(out), apex, pool, dns::Dialect::kOperator);
    if (old.errors.empty()) {
      previous.emplace(apex);
      previous->mutable_records() = std::move(old.records);
      previous->canonicalise();
    }
    clock.done("reading the previous signed zone");
  }

  signer::KeyStore store(directory, apex);
  auto keys = store.ensure_keys(policy.signing, global.now);
  if (!keys) {
    spdlog::error("keys of zone {} ({}): {}; nothing signed", apex.to_text(), directory.string(), keys.error());
    return kExitError;
  }
  std::uint32_t now = static_cast<std::uint32_t>(global.now);
  std::vector<signer::SigningKey> signing = signer::signing_keys(*keys, global.now);
  // CDS/CDNSKEY name the keys `run` would name now (none while a KSK rollover withholds them).
  signer::mark_cds_keys(signing, *keys, policy.signing, global.now);
  clock.done("loading the keys");
  std::optional<signer::SignResult> result;
  std::optional<signer::VerifyResult> check;
  std::string previous_refused;
  try {
    if (verify) {
      // Should the zone signed from the previous one not verify, it is signed again from the input, read again.
      bool first = true;
      auto input = [&]() -> dns::Zone {
        if (first) {
          first = false;
          return std::move(*zone);
        }
        std::optional<dns::Zone> again = read_zone_file(in, apex, pool);
        if (!again || !keeps_owner_rules(*again, in)) {
          throw std::runtime_error(fmt::format("{}: cannot read it again", in));
        }
        return std::move(*again);
      };
      VerifiedSigning signed_zone = sign_and_verify(input, signing, policy.signing, now, std::move(previous),
                                                    verify_options(policy, now), pool);
      result.emplace(std::move(signed_zone.result));
      check.emplace(std::move(signed_zone.check));
      previous_refused = std::move(signed_zone.previous_refused);
      zone.reset();
      clock.done("signing and verification");
    } else {
      result = signer::sign_zone(std::move(*zone), signing, policy.signing, now, std::move(previous), pool);
      clock.done("signing");
      // The previous zone's memory goes before the output is formatted (a large zone's peak stays lower).
      previous.reset();
      zone.reset();
      clock.done("freeing the input");
    }
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}: cannot sign: {}", in, e.what());
    return kExitError;
  }
  std::cout << fmt::format(
      "zone {}  policy {}  keys {}\n  {} records, {} RRsets signed, {} signatures created, {} reused, {} {} records\n",
      apex.to_text(), policy.name, directory.string(), result->zone.records().size(), result->stats.rrsets_signed,
      result->stats.signatures_created, result->stats.signatures_reused, result->stats.denial_records,
      policy.signing.denial == signer::Denial::kNsec3 ? "NSEC3" : "NSEC");
  if (result->stats.owners_rewritten) {
    std::cout << fmt::format("  previous signed zone patched: {} owners written afresh, the others kept\n",
                             *result->stats.owners_rewritten);
  } else if (!result->stats.rebuilt_because.empty()) {
    std::cout << fmt::format("  signed zone rebuilt in full: {}\n", result->stats.rebuilt_because);
  }
  if (!previous_refused.empty()) {
    spdlog::warn("{}: signed from the previous signed zone {}, it did not verify ({}); signed afresh instead", in,
                 out, previous_refused);
    std::cout << "  the previous signed zone gave a zone that does not verify: signed afresh\n";
  }
  if (check) {
    if (!check->ok) {
      log_problems(*check);
      spdlog::error("the signed zone does not verify ({} problems); {} not written", check->problem_count, out);
      return kExitHeld;
    }
  }
  dns::write_file_atomically(out, dns::master_file_pieces(result->zone, pool));
  clock.done("writing the output");
  if (check) {
    std::cout << fmt::format("  verified: {} signatures checked, {} chain complete\n", check->signatures_checked,
                             check->denial);
  } else {
    std::cout << "  not verified (--no-verify)\n";
  }
  std::cout << fmt::format("  written {}\n", out);
  return kExitOk;
}

int run_verify_zone(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov verify-zone");
  std::string zone_text, in, policy_name;
  options.add_options()("help,h", "this help")("zone", po::value(&zone_text)->required(), "the zone's apex")(
      "in", po::value(&in)->required(), "the signed master file to verify")(
      "policy", po::value(&policy_name),
      "a [policy.NAME] of the configuration: its validity-margin and zonemd (default: the zone's dnssec-policy, "
      "else the built-in defaults)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] verify-zone --zone ZONE --in SIGNED [--policy NAME]\n"
                 "Verifies a signed master file independently, as the dnssec gate does before every publication:\n"
                 "every RRSIG against the zone's own DNSKEY RRset, the validity of every signature (at least the\n"
                 "policy's validity-margin past now, and no expiry before the SOA EXPIRE interval has passed), the\n"
                 "whole NSEC or NSEC3 chain and its type bitmaps (each NSEC3 chain complete when a signer changing\n"
                 "the NSEC3 parameters serves two), ZONEMD (required when the policy publishes it), and\n"
                 "CDS/CDNSKEY as a parent takes them (signed by a KSK, naming the zone's DNSKEYs, alike, RFC 9975).\n"
                 "An RRSIG by a key the DNSKEY RRset lacks is passed over, as validators pass over it (a signer\n"
                 "pre-publishing signatures in an algorithm rollover makes them), and counted in the output. An RRSIG\n"
                 "by a revoked key (REVOKE flag, RFC 5011) counts for nothing but the revocation.\n"
                 "Prints the first problems. Works on files signed by any signer, read as `rdnsprov sign` reads its\n"
                 "input (names with escapes such as \\. or \\DDD are refused, naming the line; so is the data of\n"
                 "types whose presentation form sign --help does not list, such as LOC or SVCB, unless written as RFC\n"
                 "3597's \\# LENGTH HEX), with the\n"
                 "algorithms of RFC 8624 §3.1: RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384, ED25519 and\n"
                 "ED448 (a DNSKEY of RSASHA1 or another algorithm is reported); reads no key and writes nothing.\n"
                 "Exit: 0 the zone verifies, 1 unreadable input, 2 usage/config, 4 the zone does not verify (also:\n"
                 "a CNAME beside other data, names a DNAME occludes, a SOA, DNSKEY or NSEC3PARAM below the apex).\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  dns::Name apex = zone_argument(zone_text);
  std::optional<Config> config;
  if (!policy_name.empty() || fs::exists(global.config_file)) config = load(global);
  PolicyConfig policy = chosen_policy(config, policy_name, apex);

  dns::ThreadPool pool;
  PhaseClock clock("verify-zone", apex);
  std::optional<dns::Zone> zone = read_zone_file(in, apex, pool);
  if (!zone) {
    spdlog::error("{}: not verified", in);
    return kExitError;
  }
  clock.done("reading the input");
  if (!keeps_owner_rules(*zone, in)) {
    std::cout << fmt::format("zone {}  {}: does not verify: its names break the rules every zone keeps "
                             "(CNAME, DNAME, apex RRsets)\n",
                             apex.to_text(), in);
    return kExitHeld;
  }
  signer::VerifyOptions verify = verify_options(policy, static_cast<std::uint32_t>(global.now));
  verify.allow_unknown_signers = true;
  signer::VerifyResult check = signer::verify_signed_zone(*zone, verify, pool);
  clock.done("verification");
  if (!check.ok) {
    log_problems(check);
    std::cout << fmt::format("zone {}  {}: does not verify: {}\n", apex.to_text(), in, check.summary());
    return kExitHeld;
  }
  std::cout << fmt::format("zone {}  {}: verified, {} records, {} signatures checked, {} chain complete\n",
                           apex.to_text(), in, zone->records().size(), check.signatures_checked, check.denial);
  if (check.unchecked_signatures > 0) {
    std::cout << fmt::format("  {} RRSIGs by keys not in the DNSKEY RRset, not checked (validators pass over them): "
                             "key {}\n",
                             check.unchecked_signatures, fmt::join(check.unknown_signers, ", key "));
  }
  return kExitOk;
}

int run_keys(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov keys");
  std::string zone_text, from, format = "text";
  int key_tag = -1;
  options.add_options()("help,h", "this help")("zone", po::value(&zone_text), "one zone (default: every signed zone)")(
      "format", po::value(&format), "list, status: text (default) or json")(
      "key", po::value(&key_tag),
      "ds-seen: the key tag of the new KSK (or CSK) whose DS the parent serves; rollover: the key to roll")(
      "from", po::value(&from), "import: the directory holding BIND key files K<zone>.+<alg>+<tag>.{key,private}");
  bool help = args.empty() || args[0] == "--help" || args[0] == "-h";
  if (help) {
    std::cout << "Usage: rdnsprov [--config FILE] keys list [--zone ZONE] [--format text|json]\n"
                 "       rdnsprov [--config FILE] keys generate [--zone ZONE]\n"
                 "       rdnsprov [--config FILE] keys import --zone ZONE --from DIR\n"
                 "       rdnsprov [--config FILE] keys status [--zone ZONE] [--format text|json]\n"
                 "       rdnsprov [--config FILE] keys ds-seen --zone ZONE --key TAG\n"
                 "       rdnsprov [--config FILE] keys ds-gone --zone ZONE\n"
                 "       rdnsprov [--config FILE] keys rollover --zone ZONE --key TAG\n"
                 "DNSSEC keys of the signed zones, in STATE/keys/<zone>/ as BIND key files (.private mode 0600).\n"
                 "list: every key with its tag, algorithm, role, state and timing. generate: makes the keys each\n"
                 "zone's policy lacks (what run would make). import: copies BIND key pairs (dnssec-keygen's files)\n"
                 "into the zone's key directory with a state file each; a .private readable by others is refused.\n"
                 "status: the keys and where each zone is in its rollovers (ZSK pre-publication, KSK double-DS,\n"
                 "algorithm or key layout), with the dates of the next steps and what the operator must do (ACTION: the DS\n"
                 "to submit to the parent, when the old DS may be removed). run takes the steps when due. A zone whose\n"
                 "dnssec-policy was removed while its published version is signed is shown with the DS to remove.\n"
                 "--format json: the same as one JSON document; status adds per zone ds_to_submit (the DS a rollover\n"
                 "waits for, with the ds-seen command) and ds_to_remove (the DS that may leave the parent, from\n"
                 "when; confirmed: false when the parent was never confirmed to serve it).\n"
                 "ds-seen: confirms that the parent serves the DS of the new KSK TAG; a KSK, algorithm or key layout\n"
                 "rollover waits for it.\n"
                 "Of an active KSK (or CSK) outside a rollover, it tells the dnssec gate to trust that key to sign the\n"
                 "DNSKEY RRset though it did not sign the published one (a zone re-keyed on purpose).\n"
                 "ds-gone: confirms that the parent no longer serves any DS of the zone's published signed version\n"
                 "(removed there, its TTL passed): a zone without a dnssec-policy any more is then published unsigned.\n"
                 "rollover: starts a rollover of the signing key TAG at the next run, whatever the policy's lifetimes\n"
                 "(a key that may have been exposed); its steps then wait as in any rollover (keys status).\n"
                 "Exit: 0 ok, 1 error (unreadable or unusable key; nothing imported), 2 usage/config, 5 locked.\n\n"
              << options;
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  po::variables_map vm;
  po::store(po::command_line_parser(rest).options(options).run(), vm);
  po::notify(vm);
  const std::string& verb = args[0];
  if (format != "text" && format != "json") throw po::error("--format must be text or json");
  if (format == "json" && verb != "list" && verb != "status") throw po::error("--format json is for keys list and keys status");
  if (verb == "list") return keys_list(global, zone_text, format == "json");
  if (verb == "generate") return keys_generate(global, zone_text);
  if (verb == "import") return keys_import(global, zone_text, from);
  if (verb == "status") return keys_status(global, zone_text, format == "json");
  if (verb == "ds-seen") return keys_ds_seen(global, zone_text, key_tag);
  if (verb == "ds-gone") return keys_ds_gone(global, zone_text);
  if (verb == "rollover") return keys_rollover(global, zone_text, key_tag);
  throw po::error(
      fmt::format("keys: expected list, generate, import, status, ds-seen, ds-gone or rollover, not \"{}\"", verb));
}

}  // namespace rdnsprov::cli
