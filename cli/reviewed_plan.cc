#include "cli/reviewed_plan.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace rdnsprov::cli {

std::string save_reviewed_plan(const std::filesystem::path& file, const Config& config,
                               const safeguards::StateDir& state, const safeguards::Plan& plan,
                               const std::vector<safeguards::DropOverride>& overrides, std::size_t rejects,
                               std::size_t placement_errors, std::time_t now) {
  safeguards::ReviewedPlan reviewed = safeguards::review_plan(plan, state, overrides, config.file, now);
  reviewed.rejects = rejects;
  reviewed.placement_errors = placement_errors;
  std::string sha = safeguards::write_plan_file(file, reviewed);
  spdlog::info("plan saved to {}: sha256 {}", file.string(), sha);
  return sha;
}

std::string open_reviewed_plan(const std::filesystem::path& file, const std::string& expected_sha256,
                               safeguards::Journal& journal, std::optional<safeguards::ReviewedPlanFile>& result) {
  try {
    result = safeguards::read_plan_file(file, expected_sha256);
  } catch (const safeguards::PlanFileError& e) {
    spdlog::error("reviewed plan refused: {}; nothing was published", e.what());
    journal.append("plan-refused", {{"file", file.string()}, {"reason", e.what()}});
    return e.what();
  }
  journal.add_context("plan", result->sha256);
  spdlog::info("applying reviewed plan {} ({}), made at {}", result->sha256, file.string(), result->plan.created);
  return "";
}

bool apply_reviewed_plan(const safeguards::ReviewedPlanFile& reviewed, const Config& config,
                         safeguards::StateDir& state, safeguards::Plan& plan, std::time_t now) {
  safeguards::ReviewedPlan current = safeguards::review_plan(plan, state, reviewed.plan.overrides, config.file, now);
  std::vector<std::string> problems;
  if (std::string age = safeguards::plan_age_problem(reviewed.plan, now, config.plan_max_age); !age.empty()) {
    problems.push_back(age);
  }
  for (std::string& d : safeguards::plan_differences(reviewed.plan, current)) problems.push_back(std::move(d));
  state.journal().append("plan-check", {{"sha256", reviewed.sha256},
                                        {"created", reviewed.plan.created},
                                        {"verdict", problems.empty() ? "pass" : "hold"},
                                        {"differences", problems}});
  if (problems.empty()) {
    spdlog::info("the plan computed now is identical to the reviewed plan {}", reviewed.sha256);
    return true;
  }
  spdlog::warn("the plan computed now differs from the reviewed plan {}: nothing is published", reviewed.sha256);
  for (const std::string& p : problems) spdlog::warn("  {}", p);
  std::string reason = fmt::format("the plan differs from the reviewed plan {}: {}", reviewed.sha256, problems.front());
  if (problems.size() > 1) reason += fmt::format(" (and {} more)", problems.size() - 1);
  for (safeguards::ZonePlan& z : plan.zones) {
    if (z.action != safeguards::Action::kPublish) continue;
    safeguards::hold(z, {"reviewed-plan", safeguards::Verdict::kHold, reason, {{"plan", reviewed.sha256}}});
  }
  return false;
}

}  // namespace rdnsprov::cli
