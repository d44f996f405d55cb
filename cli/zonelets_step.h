// The zonelet steps of run, diff and `rdnsprov zonelets`: imports joined to the build, exports after publication.
//
//   ingest::IngestResult ingested = read_sources(config);
//   ZoneletStep step = prepare_zonelets(config, state.root(), now, ingested);   // imports joined, peer-only set aside
//   builder::BuildResult built = build_configured_zones(config, ingested, now);
//   …publish…
//   commit_zonelet_imports(step, state);                                         // accepted zonelets stored
//   int code = export_zonelets(config, step, state, now, ExportWhen::kWhenDue);  // exports due, gated, journaled
//
// This file only connects stages; the rules live in zonelets/.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/config.h"
#include "ingest/registry.h"
#include "safeguards/state_dir.h"
#include "zonelets/export.h"
#include "zonelets/import.h"

namespace rdnsprov::cli {

struct ZoneletStep {
  zonelets::ImportPlan imports;
  // Our own delegations inside a zone a peer serves and outside every zone we serve: exported, not built.
  std::vector<dns::Delegation> for_peers;
  std::vector<dns::ClasslessDelegation> for_peers_classless;
};

std::vector<dns::Name> served_apexes(const Config& config);

// Plans the imports (reads the peers' incoming directories and STATE/zonelets/in; writes nothing), appends the
// accepted (or last accepted) peer delegations to `ingested`, and moves our delegations meant for peers only out
// of it. Logs refusals, refused records and staleness.
ZoneletStep prepare_zonelets(const Config& config, const std::filesystem::path& state_root, std::time_t now,
                             ingest::IngestResult& ingested);

// True when an accepted zonelet would replace one accepted earlier (a snapshot should hold the old one first).
bool replaces_accepted_zonelet(const ZoneletStep& step);

// Stores the accepted zonelets and journals every import decision. Throws std::system_error naming the path.
void commit_zonelet_imports(const ZoneletStep& step, safeguards::StateDir& state);

// Plans the exports from `step`, without writing anything.
zonelets::ExportPlan plan_zonelet_exports(const Config& config, const ZoneletStep& step,
                                          const std::filesystem::path& state_root, std::time_t now,
                                          zonelets::ExportWhen when, const std::vector<std::string>& allow_drop = {},
                                          const std::string& reason = {});

// Plans, writes and journals the exports; returns true when one was held by a gate.
bool export_zonelets(const Config& config, const ZoneletStep& step, safeguards::StateDir& state, std::time_t now,
                     zonelets::ExportWhen when, const std::vector<std::string>& allow_drop = {},
                     const std::string& reason = {});

}  // namespace rdnsprov::cli
