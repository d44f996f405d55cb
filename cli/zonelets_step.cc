#include "cli/zonelets_step.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace rdnsprov::cli {
namespace {

bool inside(const dns::Name& name, const std::vector<dns::Name>& apexes) {
  return std::any_of(apexes.begin(), apexes.end(), [&](const dns::Name& apex) { return name.is_at_or_below(apex); });
}

std::vector<dns::Name> peer_export_zones(const Config& config) {
  std::vector<dns::Name> out;
  for (const PeerConfig& peer : config.peers) out.insert(out.end(), peer.spec.export_zones.begin(), peer.spec.export_zones.end());
  return out;
}

std::vector<zonelets::PeerSpec> peer_specs(const Config& config) {
  std::vector<zonelets::PeerSpec> out;
  for (const PeerConfig& peer : config.peers) out.push_back(peer.spec);
  return out;
}

void log_imports(const zonelets::ImportPlan& plan) {
  for (const std::string& problem : plan.problems) spdlog::warn("zonelets: {}", problem);
  for (const zonelets::ZoneletImport& z : plan.zonelets) {
    std::string what = fmt::format("zonelet of peer {} for {}", z.peer, z.parent.to_text());
    if (z.status == zonelets::ImportStatus::kRefused) {
      spdlog::warn("{} refused ({}): {}", what, z.file.string(), z.reason);
    } else if (z.status == zonelets::ImportStatus::kAccepted) {
      spdlog::info("{} accepted from {}: {}", what, z.file.string(), z.reason);
    }
    for (const dns::Reject& r : z.rejects) spdlog::warn("{} {}: refused: {}", r.origin.to_string(), r.key, r.reason);
    if (z.stale) spdlog::warn("{}", z.stale_warning);
  }
}

}  // namespace

std::vector<dns::Name> served_apexes(const Config& config) {
  std::vector<dns::Name> out;
  for (const ZoneConfig& zone : config.zones) out.push_back(zone.spec.apex);
  return out;
}

ZoneletStep prepare_zonelets(const Config& config, const std::filesystem::path& state_root, std::time_t now,
                             ingest::IngestResult& ingested) {
  ZoneletStep step;
  if (config.peers.empty()) return step;
  std::vector<dns::Name> served = served_apexes(config);
  std::vector<dns::Name> exported = peer_export_zones(config);
  auto for_peers_only = [&](const dns::Name& child) { return inside(child, exported) && !inside(child, served); };
  // Ours for peers only: exported, never a placement error "outside every served zone".
  auto& d = ingested.delegations;
  auto split = std::stable_partition(d.begin(), d.end(), [&](const dns::Delegation& x) { return !for_peers_only(x.child); });
  step.for_peers.assign(std::make_move_iterator(split), std::make_move_iterator(d.end()));
  d.erase(split, d.end());
  auto& c = ingested.classless;
  auto split_c = std::stable_partition(c.begin(), c.end(), [&](const dns::ClasslessDelegation& x) {
    return !for_peers_only(x.delegation.child);
  });
  step.for_peers_classless.assign(std::make_move_iterator(split_c), std::make_move_iterator(c.end()));
  c.erase(split_c, c.end());

  step.imports = zonelets::plan_imports(peer_specs(config), served, state_root, now, config.registry);
  log_imports(step.imports);
  // Peer delegations join the build like registry ones; the builder reports any collision with both origins.
  if (!step.imports.delegations.empty()) {
    d.insert(d.end(), step.imports.delegations.begin(), step.imports.delegations.end());
    std::stable_sort(d.begin(), d.end(), [](const auto& x, const auto& y) { return x.child < y.child; });
  }
  if (!step.imports.classless.empty()) {
    c.insert(c.end(), step.imports.classless.begin(), step.imports.classless.end());
    std::stable_sort(c.begin(), c.end(), [](const auto& x, const auto& y) { return x.delegation.child < y.delegation.child; });
  }
  return step;
}

bool replaces_accepted_zonelet(const ZoneletStep& step) {
  return std::any_of(step.imports.zonelets.begin(), step.imports.zonelets.end(), [](const zonelets::ZoneletImport& z) {
    return z.status == zonelets::ImportStatus::kAccepted && z.have_stored;
  });
}

void commit_zonelet_imports(const ZoneletStep& step, safeguards::StateDir& state) {
  zonelets::commit_imports(step.imports, state.root());
  for (const zonelets::ZoneletImport& z : step.imports.zonelets) {
    nlohmann::json rejects = nlohmann::json::array();
    for (std::size_t i = 0; i < z.rejects.size() && i < 20; ++i) {
      rejects.push_back(fmt::format("{} {}: {}", z.rejects[i].origin.to_string(), z.rejects[i].key, z.rejects[i].reason));
    }
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : z.gates) gates.push_back(g.to_json());
    std::size_t added = 0, removed = 0, changed = 0;
    for (const auto& ch : z.changes) (ch.kind == '+' ? added : ch.kind == '-' ? removed : changed)++;
    state.journal().append("zonelet-import", {{"peer", z.peer},
                                              {"parent_zone", z.parent.to_text()},
                                              {"status", zonelets::import_status_name(z.status)},
                                              {"reason", z.reason},
                                              {"file", z.file.string()},
                                              {"delegations", z.content.delegation_count()},
                                              {"added", added},
                                              {"removed", removed},
                                              {"changed", changed},
                                              {"records_refused", z.rejects.size()},
                                              {"refused_examples", rejects},
                                              {"gates", gates}});
    if (z.stale) {
      state.journal().append("zonelet-stale", {{"peer", z.peer}, {"parent_zone", z.parent.to_text()},
                                               {"warning", z.stale_warning}});
    }
  }
  for (const std::string& problem : step.imports.problems) state.journal().append("zonelet-problem", {{"problem", problem}});
}

zonelets::ExportPlan plan_zonelet_exports(const Config& config, const ZoneletStep& step,
                                          const std::filesystem::path& state_root, std::time_t now,
                                          zonelets::ExportWhen when, const std::vector<std::string>& allow_drop,
                                          const std::string& reason) {
  std::vector<zonelets::PeerSpec> peers;
  for (const PeerConfig& peer : config.peers) {
    if (!peer.spec.outgoing.empty()) peers.push_back(peer.spec);
  }
  return zonelets::plan_exports(peers, step.for_peers, step.for_peers_classless, served_apexes(config), state_root,
                                now, config.registry, config.gates, when, allow_drop, reason);
}

bool export_zonelets(const Config& config, const ZoneletStep& step, safeguards::StateDir& state, std::time_t now,
                     zonelets::ExportWhen when, const std::vector<std::string>& allow_drop, const std::string& reason) {
  zonelets::ExportPlan plan = plan_zonelet_exports(config, step, state.root(), now, when, allow_drop, reason);
  std::vector<zonelets::PeerSpec> peers = peer_specs(config);
  zonelets::commit_exports(plan, peers, state.root());
  for (const zonelets::ZoneletExport& e : plan.exports) {
    if (e.action == zonelets::ExportAction::kNotDue) continue;
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : e.gates) gates.push_back(g.to_json());
    state.journal().append("zonelet-export", {{"peer", e.peer},
                                              {"parent_zone", e.parent.to_text()},
                                              {"action", zonelets::export_action_name(e.action)},
                                              {"reason", e.reason},
                                              {"file", e.file.string()},
                                              {"serial", e.serial},
                                              {"delegations", e.delegations},
                                              {"gates", gates}});
    for (const std::string& o : e.overrides) {
      state.journal().append("override", {{"peer", e.peer}, {"parent_zone", e.parent.to_text()}, {"override", o}});
    }
    if (e.action == zonelets::ExportAction::kHold) {
      spdlog::warn("zonelet export for peer {} of {} held: {}", e.peer, e.parent.to_text(), e.reason);
    } else {
      spdlog::info("zonelet export for peer {} of {}: {} ({})", e.peer, e.parent.to_text(), e.file.string(), e.reason);
    }
  }
  return plan.any_held();
}

}  // namespace rdnsprov::cli
