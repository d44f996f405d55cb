// Reviewed plans: what `rdnsprov diff --save-plan FILE` records, so that `rdnsprov run --plan FILE` publishes
// exactly what an operator reviewed, or nothing.
//
//   ReviewedPlan reviewed = review_plan(plan, state, overrides, config_file, now);       // after diff's make_plan
//   std::string sha256 = write_plan_file("/tmp/plan.json", reviewed);                     // printed for the review
//   …
//   ReviewedPlanFile file = read_plan_file("/tmp/plan.json");       // throws PlanFileError when edited or damaged
//   ReviewedPlan now = review_plan(run_plan, state, file.plan.overrides, config_file, run_now);
//   std::vector<std::string> differences = plan_differences(file.plan, now);   // empty: publish
//
// The file is JSON: {"format": "rdnsprov-plan/1", "sha256": H, "plan": {…}} where H is the SHA-256 of the compact
// serialisation of "plan" (keys sorted, ASCII only). A file whose "plan" does not hash to H was edited or damaged
// and is refused; the hash is also what the operator approves (run --plan-sha256 H).
//
// What "identical" means, per zone (docs/CONFIG.md "Reviewed plans"): the same action (unchanged, publish, hold);
// the same published copy underneath (serial and SHA-256 of its file); the same serial policy; the same
// SHA-256 of the canonical unsigned content (every record except DNSSEC ones, SOA serial zeroed); the same
// delegation and record counts and diff sizes; the same verdict of every gate; the same DNSSEC key material
// (DNSKEY, CDS, CDNSKEY, NSEC3PARAM). The new serial must be the planned one, except under the unixtime and date
// policies, whose serial follows the clock: there it may only have moved forward of the planned one. Signatures
// (RRSIG), NSEC/NSEC3 chains and ZONEMD are not compared: signatures are randomised and dated at signing time, and
// the chains and digest follow from the content that is compared.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "safeguards/plan.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::safeguards {

inline constexpr const char* kPlanFormat = "rdnsprov-plan/1";

// A plan file that cannot be used: the message names the file and what is wrong with it.
class PlanFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReviewedZone {
  std::string zone;                              // apex, with the trailing dot
  std::string action;                            // unchanged | publish | hold
  std::string serial_policy;                     // unixtime | date | counter
  std::optional<std::uint32_t> published_serial;
  std::string published_sha256;                  // SHA-256 of the published master file the plan was made against
  std::uint32_t serial = 0;                      // the serial it would get
  std::uint64_t delegations_before = 0, delegations_after = 0;
  std::uint64_t records_before = 0, records_after = 0;
  std::uint64_t added = 0, removed = 0, changed = 0;
  std::string content_sha256;                    // canonical unsigned content, SOA serial zeroed
  std::string dnssec_sha256;                     // DNSKEY, CDS, CDNSKEY, NSEC3PARAM of the signed zone; "" unsigned
  std::vector<std::pair<std::string, std::string>> gates;  // "gate" or "gate[what]" → verdict, in plan order
  std::vector<std::string> overrides;            // gates overridden by --allow-drop
};

struct ReviewedPlan {
  std::time_t created = 0;                       // the clock of the diff that made it
  std::string state;                             // the state directory it was made against
  std::string config;                            // the configuration file (informative)
  std::vector<ReviewedZone> zones;               // canonical order of apex
  std::string total_drop;                        // verdict of size-drop-total
  std::vector<std::string> unconfigured;
  std::vector<DropOverride> overrides;           // --allow-drop of the diff: run --plan applies the same
  std::uint64_t rejects = 0, placement_errors = 0;  // informative

  nlohmann::json to_json() const;
  static ReviewedPlan from_json(const nlohmann::json& j);  // throws nlohmann::json::exception on bad input
};

struct ReviewedPlanFile {
  std::string sha256;   // the plan's content address
  ReviewedPlan plan;
};

// The comparable record of `plan` (after signing).
ReviewedPlan review_plan(const Plan& plan, const StateDir& state, const std::vector<DropOverride>& overrides,
                         const std::filesystem::path& config_file, std::time_t now);

// The content address of a plan: SHA-256 (hex) of its compact JSON.
std::string plan_sha256(const ReviewedPlan& plan);

// Writes FILE atomically; returns its SHA-256. Throws std::system_error naming the file.
std::string write_plan_file(const std::filesystem::path& file, const ReviewedPlan& plan);

// Reads and checks FILE; with `expected_sha256` also that it is that plan. Throws PlanFileError.
ReviewedPlanFile read_plan_file(const std::filesystem::path& file, const std::string& expected_sha256 = "");

// Every way `now` differs from `reviewed`, one line each, naming the zone and both values; empty when identical.
std::vector<std::string> plan_differences(const ReviewedPlan& reviewed, const ReviewedPlan& now);

// Why a plan made at `reviewed.created` cannot be applied at `now` (older than `max_age` seconds, or made in the
// future); empty when it can.
std::string plan_age_problem(const ReviewedPlan& reviewed, std::time_t now, std::uint32_t max_age);

}  // namespace rdnsprov::safeguards
