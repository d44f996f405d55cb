#include "cli/run_metrics.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/signing.h"
#include "dns/atomic_file.h"
#include "signer/key_store.h"
#include "signer/policy.h"
#include "signer/rollover.h"

namespace rdnsprov::cli {

namespace {

// The gates every zone reports, held or not, so that each series exists from the first run on.
constexpr const char* kZoneGates[] = {"completeness", "empty-zone", "serial", "size-drop", "size-drop-total"};

std::optional<safeguards::PublishedMeta> published_meta(const safeguards::StateDir& state, const dns::Name& apex) {
  try {
    return state.published_meta(apex);
  } catch (const std::exception& e) {
    spdlog::warn("metrics: {}", e.what());
    return std::nullopt;
  }
}

}  // namespace

publisher::RunMetrics run_metrics(const Config& config, const safeguards::StateDir& state, const RunOutcome& outcome) {
  publisher::RunMetrics m;
  m.command = outcome.command;
  m.exit_code = outcome.exit_code;
  m.finished_at = outcome.now;
  m.duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - outcome.started).count();
  for (const ZoneConfig& zc : config.zones) {
    const dns::Name& apex = zc.spec.apex;
    publisher::ZoneMetrics z;
    z.zone = apex.to_text_no_dot();
    if (auto meta = published_meta(state, apex)) {
      z.published = true;
      z.serial = meta->serial;
      z.delegations = meta->delegations;
      z.records = meta->records;
      z.published_at = meta->published_at;
      z.signatures_expire_at = meta->signatures_expire_at;
    }
    const safeguards::ZonePlan* planned = nullptr;
    if (outcome.plan) {
      for (const safeguards::ZonePlan& p : outcome.plan->zones) {
        if (p.apex == apex) planned = &p;
      }
    }
    if (planned) {
      z.held = planned->held();
      for (const char* gate : kZoneGates) z.gates_held[gate] = false;
      if (!zc.dnssec_policy.empty()) z.gates_held["dnssec"] = false;
      for (const safeguards::GateResult& g : planned->gates) {
        if (g.verdict != safeguards::Verdict::kPass) z.gates_held[g.gate] = true;
        else z.gates_held.try_emplace(g.gate, false);
      }
    }
    if (zone_policy(config, zc)) {
      signer::KeyStore store(zone_keys_dir(state.keys_dir(), apex), apex);
      if (auto keys = store.load()) {
        z.ds_confirmation_pending = std::any_of(keys->begin(), keys->end(), signer::waits_for_ds);
      } else {
        spdlog::warn("metrics: keys of zone {}: {}", apex.to_text(), keys.error());
      }
    }
    if (auto lag = outcome.lagging_servers.find(apex); lag != outcome.lagging_servers.end()) {
      z.lagging_servers = lag->second;
    }
    m.zones.push_back(std::move(z));
  }
  return m;
}

std::vector<std::string> check_published_signatures(const Config& config, const safeguards::StateDir& state,
                                                    std::time_t now) {
  std::vector<std::string> messages;
  for (const ZoneConfig& zc : config.zones) {
    auto meta = published_meta(state, zc.spec.apex);
    if (!meta || !meta->signatures_expire_at) continue;
    const PolicyConfig* policy = zone_policy(config, zc);
    std::int64_t refresh = policy ? policy->signing.refresh : signer::SigningPolicy{}.refresh;
    std::int64_t left = static_cast<std::int64_t>(*meta->signatures_expire_at) - static_cast<std::int64_t>(now);
    if (left > refresh) continue;
    std::string since = fmt::format("serial {}, published {}", meta->serial, utc_text(meta->published_at));
    if (left <= 0) {
      messages.push_back(fmt::format(
          "zone {}: signatures of the published version ({}) expired at {}: validating resolvers fail the zone "
          "(SERVFAIL) until a run publishes it",
          zc.spec.apex.to_text(), since, utc_text(*meta->signatures_expire_at)));
      spdlog::error("{}", messages.back());
    } else {
      messages.push_back(fmt::format(
          "zone {}: signatures of the published version ({}) expire from {}, in {:.1f} days, within the refresh "
          "window of {:.1f} days: validating resolvers fail the zone from then on unless a run publishes it",
          zc.spec.apex.to_text(), since, utc_text(*meta->signatures_expire_at), left / 86400.0, refresh / 86400.0));
      spdlog::warn("{}", messages.back());
    }
  }
  return messages;
}

void write_run_metrics(const Config& config, const safeguards::StateDir& state, const RunOutcome& outcome) {
  if (config.metrics_file.empty()) return;
  try {
    publisher::write_metrics_file(config.metrics_file, run_metrics(config, state, outcome));
  } catch (const std::exception& e) {
    spdlog::warn("metrics-file: {}", e.what());
  }
}

}  // namespace rdnsprov::cli
