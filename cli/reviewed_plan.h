// Reviewed plans in the commands: `diff --save-plan FILE` records the plan, `run --plan FILE` applies it only when
// the plan it computes is identical (safeguards/reviewed_plan.h says what is compared).
//
//   std::string sha = save_reviewed_plan(file, config, state, plan, overrides, rejects, placement_errors, now);
//   …
//   std::optional<safeguards::ReviewedPlanFile> reviewed;
//   std::string problem = open_reviewed_plan(file, sha, state.journal(), reviewed);   // journal lines carry "plan"
//   bool applies = apply_reviewed_plan(*reviewed, config, state, plan, now);          // false: held, journaled
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/config.h"
#include "safeguards/journal.h"
#include "safeguards/plan.h"
#include "safeguards/reviewed_plan.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::cli {

// Writes the plan file atomically and returns its SHA-256. Throws std::system_error naming the file.
std::string save_reviewed_plan(const std::filesystem::path& file, const Config& config,
                               const safeguards::StateDir& state, const safeguards::Plan& plan,
                               const std::vector<safeguards::DropOverride>& overrides, std::size_t rejects,
                               std::size_t placement_errors, std::time_t now);

// Reads and checks the plan file (its content against its SHA-256, and against `expected_sha256` when given).
// On success every later journal line carries "plan": SHA-256 and the result is set; otherwise the reason it is
// refused, also journaled ("plan-refused").
std::string open_reviewed_plan(const std::filesystem::path& file, const std::string& expected_sha256,
                               safeguards::Journal& journal, std::optional<safeguards::ReviewedPlanFile>& result);

// Compares the run's plan with the reviewed one and its age with [general] plan-max-age. Identical and young
// enough: true. Otherwise every difference is logged and journaled ("plan-check"), every zone the run would
// publish is held by the gate "reviewed-plan", and the result is false (the run exits "held").
bool apply_reviewed_plan(const safeguards::ReviewedPlanFile& reviewed, const Config& config,
                         safeguards::StateDir& state, safeguards::Plan& plan, std::time_t now);

}  // namespace rdnsprov::cli
