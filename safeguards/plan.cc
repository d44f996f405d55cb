#include "safeguards/plan.h"

#include <algorithm>

#include <fmt/format.h>

namespace rdnsprov::safeguards {

const char* action_name(Action action) {
  switch (action) {
    case Action::kUnchanged: return "unchanged";
    case Action::kPublish: return "publish";
    case Action::kHold: return "hold";
  }
  return "?";
}

bool Plan::any_publish() const {
  return std::any_of(zones.begin(), zones.end(), [](const ZonePlan& z) { return z.action == Action::kPublish; });
}
bool Plan::any_hold() const {
  return std::any_of(zones.begin(), zones.end(), [](const ZonePlan& z) { return z.action == Action::kHold; });
}

void hold(ZonePlan& zone, GateResult gate) {
  if (gate.verdict != Verdict::kPass && zone.action == Action::kPublish) zone.action = Action::kHold;
  zone.gates.push_back(std::move(gate));
}

namespace {

// Applies an override to a hold of a drop gate; returns true when overridden.
bool overridden(GateResult& gate, const std::vector<DropOverride>& overrides, const dns::Name& apex,
                std::vector<std::string>& record) {
  if (gate.verdict != Verdict::kHold) return false;
  for (const DropOverride& o : overrides) {
    if (o.zone != apex) continue;
    gate.verdict = Verdict::kPass;
    gate.figures["overridden"] = o.reason;
    gate.reason += fmt::format(" — overridden by --allow-drop: {}", o.reason);
    record.push_back(fmt::format("{}: {}", gate.gate, o.reason));
    return true;
  }
  return false;
}

}  // namespace

Plan make_plan(const StateDir& state, const std::vector<ZoneCandidate>& candidates, const GateSettings& settings,
               const std::vector<DropOverride>& overrides, std::time_t now) {
  Plan plan;
  std::uint64_t total_before = 0;
  std::uint64_t total_after = 0;
  std::vector<dns::Name> configured;
  for (const ZoneCandidate& c : candidates) {
    const builder::BuiltZone& built = *c.built;
    ZonePlan z;
    z.apex = built.zone.apex();
    configured.push_back(z.apex);
    z.candidate = built.zone;
    z.serial_policy = c.serial_policy;
    ZoneFacts after = zone_facts(built.zone);
    z.content_sha256 = after.content_sha256;

    std::optional<ZoneFacts> before;
    std::optional<PublishedZone> published = state.published(z.apex);
    std::optional<dns::Serial> text_serial;
    if (published) {
      z.published_problem = published->problem;
      if (published->zone_file_present) {
        dns::MasterFile parsed = dns::read_master_file(published->text, z.apex);
        if (!parsed.errors.empty() && z.published_problem.empty()) {
          z.published_problem = fmt::format("the published copy does not parse: line {}: {}",
                                            parsed.errors.front().line, parsed.errors.front().reason);
        }
        dns::Zone old_zone(z.apex);
        for (auto& r : parsed.records) old_zone.add(std::move(r));
        old_zone.canonicalise();
        text_serial = old_zone.serial();
        if (parsed.errors.empty()) before = zone_facts(old_zone);
      }
      // Every serial ever written counts, even from a damaged copy, so the next one moves forward of it.
      std::optional<dns::Serial> meta_serial;
      if (published->meta) meta_serial = dns::Serial(published->meta->serial);
      z.published_serial = meta_serial ? meta_serial : text_serial;
      if (meta_serial && text_serial && text_serial->is_after(*meta_serial)) z.published_serial = text_serial;
      if (!published->intact()) before.reset();
    }
    z.first_publication = !published;
    z.diff = diff_zone(before ? &*before : nullptr, after, built.delegations, built.classless);

    bool unchanged = before && published->intact() && published->meta->content_sha256 == after.content_sha256 &&
                     c.republish_reason.empty();
    if (before && published->intact()) z.republish_reason = c.republish_reason;
    if (unchanged) {
      z.action = Action::kUnchanged;
      z.serial = *z.published_serial;
      z.candidate.set_serial(z.serial);
      z.diff.content_changed = false;
      total_before += before->delegations.size();
      total_after += after.delegations.size();
      plan.zones.push_back(std::move(z));
      continue;
    }
    z.action = Action::kPublish;

    // Serial.
    std::vector<dns::Serial> live;
    for (const auto& [server, s] : c.live_serials) live.push_back(s);
    auto serial = next_serial(c.serial_policy, now, z.published_serial, live);
    if (serial) {
      z.serial = *serial;
      z.candidate.set_serial(z.serial);
      z.gates.push_back(serial_gate(z.serial, z.published_serial, c.live_serials));
    } else {
      GateResult g{"serial", Verdict::kError,
                   "no serial moves forward of the published serial and every live serial at once (they span half "
                   "the serial space): align the servers first",
                   {}};
      z.gates.push_back(g);
    }

    // Drops are measured against the last published copy that can be read.
    std::optional<Counts> old_counts;
    if (before) old_counts = Counts{before->delegations.size(), before->records};
    Counts new_counts{after.delegations.size(), after.records};
    GateResult empty = empty_zone_gate(old_counts, new_counts, settings.allow_empty);
    overridden(empty, overrides, z.apex, z.overrides);
    z.gates.push_back(empty);
    if (old_counts) {
      GateResult d = size_drop_gate("size-drop", "delegations", old_counts->delegations, new_counts.delegations,
                                    settings.zone_delegations);
      overridden(d, overrides, z.apex, z.overrides);
      z.gates.push_back(d);
      GateResult r =
          size_drop_gate("size-drop", "records", old_counts->records, new_counts.records, settings.zone_records);
      overridden(r, overrides, z.apex, z.overrides);
      z.gates.push_back(r);
      total_before += old_counts->delegations;
      total_after += new_counts.delegations;
    }
    z.gates.push_back(completeness_gate(after, built.delegations, built.classless));
    for (const GateResult& g : z.gates) {
      if (g.verdict != Verdict::kPass) z.action = Action::kHold;
    }
    plan.zones.push_back(std::move(z));
  }

  // Over all zones: a drop spread thinly over many zones is as bad as one large drop.
  plan.total_drop = size_drop_gate("size-drop-total", "delegations over all zones", total_before, total_after,
                                   settings.total_delegations);
  if (plan.total_drop.verdict == Verdict::kHold) {
    for (ZonePlan& z : plan.zones) {
      if (z.action != Action::kPublish || z.diff.delegations_after >= z.diff.delegations_before) continue;
      GateResult g = plan.total_drop;
      if (!overridden(g, overrides, z.apex, z.overrides)) {
        g.reason = "this zone loses delegations while " + g.reason;
        hold(z, g);
      }
    }
  }
  for (const dns::Name& apex : state.published_zones()) {
    if (std::find(configured.begin(), configured.end(), apex) == configured.end()) {
      plan.unconfigured.push_back(apex.to_text());
    }
  }
  return plan;
}

nlohmann::json plan_json(const Plan& plan) {
  nlohmann::json zones = nlohmann::json::array();
  for (const ZonePlan& z : plan.zones) {
    nlohmann::json gates = nlohmann::json::array();
    for (const GateResult& g : z.gates) gates.push_back(g.to_json());
    zones.push_back({{"zone", z.apex.to_text()},
                     {"action", action_name(z.action)},
                     {"first_publication", z.first_publication},
                     {"published_problem", z.published_problem},
                     {"republish_reason", z.republish_reason},
                     {"published_serial", z.published_serial ? nlohmann::json(z.published_serial->value()) : nlohmann::json()},
                     {"serial", z.serial.value()},
                     {"diff", diff_json(z.diff)},
                     {"gates", gates},
                     {"overrides", z.overrides}});
  }
  return {{"zones", zones}, {"total_drop", plan.total_drop.to_json()}, {"unconfigured", plan.unconfigured}};
}

std::string plan_text(const Plan& plan, std::size_t max_diff_lines) {
  std::string out;
  for (const ZonePlan& z : plan.zones) {
    std::string serial = z.published_serial
                             ? (z.action == Action::kUnchanged ? fmt::format("{}", z.serial.value())
                                                               : fmt::format("{} → {}", z.published_serial->value(),
                                                                             z.serial.value()))
                             : fmt::format("(new) → {}", z.serial.value());
    out += fmt::format("zone {}  {}  serial {}  delegations {} → {}  (+{} −{} ~{})\n", z.apex.to_text(),
                       z.action == Action::kPublish ? "WOULD PUBLISH"
                       : z.action == Action::kHold  ? "HELD"
                                                    : "unchanged",
                       serial, z.diff.delegations_before, z.diff.delegations_after, z.diff.added(), z.diff.removed(),
                       z.diff.changed());
    if (!z.published_problem.empty()) out += fmt::format("  ! published copy: {} — it is rebuilt\n", z.published_problem);
    if (!z.republish_reason.empty()) out += fmt::format("  republished: {}\n", z.republish_reason);
    out += diff_text(z.diff, max_diff_lines);
    for (const GateResult& g : z.gates) {
      if (g.verdict != Verdict::kPass || z.action != Action::kUnchanged) {
        out += fmt::format("  gate {:<16} {:<5} {}\n", g.gate, verdict_name(g.verdict), g.reason);
      }
    }
  }
  out += fmt::format("gate size-drop-total  {:<5} {}\n", verdict_name(plan.total_drop.verdict), plan.total_drop.reason);
  for (const std::string& z : plan.unconfigured) {
    out += fmt::format("! {} was published earlier but is no longer configured: left as it is\n", z);
  }
  return out;
}

}  // namespace rdnsprov::safeguards
