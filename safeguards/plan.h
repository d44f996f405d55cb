// Plan: per zone, what a run would do — leave it, publish it, or hold it — with the new serial, the diff against
// the published copy and every gate's verdict. `diff` prints a plan; `run` carries it out.
//
//   std::vector<ZoneCandidate> candidates = …;             // built zones, serial policy, live serials
//   Plan plan = make_plan(state, candidates, settings, overrides, now);
//   for (ZonePlan& z : plan.zones) if (z.action == Action::kPublish) publish(z.candidate);
//
// Rules (INCIDENTS.md): a zone whose content did not change keeps its serial and is not published (idempotent
// runs); a changed zone gets a serial from its policy moved forward of the published and live serials (I-4);
// empty-zone, size-drop (per zone and over all zones) and completeness gates may hold it (I-3, I-6); a zone whose
// published copy is missing or damaged is rebuilt and published, and says so (I-1). A held zone keeps serving its
// last published version.
#pragma once

#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/builder.h"
#include "dns/zone.h"
#include "safeguards/diff.h"
#include "safeguards/gates.h"
#include "safeguards/serial_policy.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::safeguards {

struct ZoneCandidate {
  const builder::BuiltZone* built = nullptr;      // the candidate and what was placed in it
  SerialPolicy serial_policy = SerialPolicy::kUnixtime;
  std::vector<std::pair<std::string, dns::Serial>> live_serials;  // server → serial it serves now
  // Non-empty: publish even if the content is unchanged (signatures due for refresh, keys or signing policy
  // changed); the serial moves forward as for a change.
  std::string republish_reason;
};

enum class Action { kUnchanged, kPublish, kHold };
const char* action_name(Action action);

struct ZonePlan {
  dns::Name apex;
  Action action = Action::kUnchanged;
  bool first_publication = false;
  std::string published_problem;           // the published copy is missing or damaged (I-1)
  std::string republish_reason;            // published although its content is unchanged, and why
  std::optional<dns::Serial> published_serial;
  dns::Serial serial;                      // the serial it gets (the published one when unchanged)
  SerialPolicy serial_policy = SerialPolicy::kUnixtime;
  std::string content_sha256;              // ZoneFacts::content_sha256 of the candidate (unsigned content)
  ZoneDiff diff;
  std::vector<GateResult> gates;
  std::vector<std::string> overrides;      // gates overridden by --allow-drop, with the reason
  dns::Zone candidate{dns::Name()};        // with `serial` set
  bool held() const { return action == Action::kHold; }
};

struct Plan {
  std::vector<ZonePlan> zones;             // canonical order of apex
  GateResult total_drop;                   // size-drop over all zones
  std::vector<std::string> unconfigured;   // zones published earlier but no longer configured (left alone, reported)
  bool any_publish() const;
  bool any_hold() const;
};

// --allow-drop ZONE --reason TEXT: ZONE's empty-zone and size-drop holds become passes, recorded.
struct DropOverride {
  dns::Name zone;
  std::string reason;
};

Plan make_plan(const StateDir& state, const std::vector<ZoneCandidate>& candidates, const GateSettings& settings,
               const std::vector<DropOverride>& overrides, std::time_t now);

// Marks a planned publication as held by an extra gate (dnssec, …) and records the gate.
void hold(ZonePlan& zone, GateResult gate);

nlohmann::json plan_json(const Plan& plan);
std::string plan_text(const Plan& plan, std::size_t max_diff_lines);

}  // namespace rdnsprov::safeguards
