// Reports written by `check` and `build`: the rejects report and the machine-readable summary.
//
//   std::string text = rejects_report(ingested.rejects, built.placement_errors);   // one line per reject
//   nlohmann::json summary = build_summary(ingested, built);                         // counts per zone, rejects
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/builder.h"
#include "ingest/registry.h"

namespace rdnsprov::cli {

// One line per reject: ORIGIN <TAB> KEY <TAB> REASON. Control bytes in keys or reasons (which come from outside)
// are shown as \xNN so that one reject is always one line.
std::string rejects_report(const std::vector<dns::Reject>& rejects, const std::vector<dns::Reject>& placement_errors);

// Counts per zone (delegations, classless ranges, CNAMEs, DS, glue, records, serial), ingest counts, rejects by
// category.
nlohmann::json build_summary(const ingest::IngestResult& ingested, const builder::BuildResult& built);

// A short stable category of a reject for counting ("too-many-octets", "glue-outside", "below-delegation", …).
std::string reject_category(const dns::Reject& reject);

}  // namespace rdnsprov::cli
