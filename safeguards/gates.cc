#include "safeguards/gates.h"

#include <fmt/format.h>

namespace rdnsprov::safeguards {

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kHold: return "hold";
    case Verdict::kError: return "error";
  }
  return "?";
}

nlohmann::json GateResult::to_json() const {
  return {{"gate", gate}, {"verdict", verdict_name(verdict)}, {"reason", reason}, {"figures", figures}};
}

GateResult empty_zone_gate(const std::optional<Counts>& published, const Counts& candidate, bool allow_empty) {
  GateResult r{"empty-zone", Verdict::kPass, "", {}};
  r.figures = {{"delegations", candidate.delegations},
               {"published_delegations", published ? nlohmann::json(published->delegations) : nlohmann::json()}};
  if (candidate.delegations > 0) {
    r.reason = fmt::format("{} delegations", candidate.delegations);
  } else if (published && published->delegations == 0) {
    r.reason = "no delegations, as in the published copy";
  } else if (!published && allow_empty) {
    r.reason = "no delegations; empty zones are allowed ([gates] allow-empty)";
  } else {
    r.verdict = Verdict::kHold;
    r.reason = published ? fmt::format("the candidate has no delegations; the published copy has {}",
                                       published->delegations)
                         : "the candidate has no delegations and the zone was never published "
                           "([gates] allow-empty = yes publishes it)";
  }
  return r;
}

GateResult size_drop_gate(const std::string& gate, const std::string& what, std::uint64_t before, std::uint64_t after,
                          const DropLimit& limit) {
  GateResult r{gate, Verdict::kPass, "", {}};
  double percent = before == 0 ? 0.0 : 100.0 * (static_cast<double>(before) - static_cast<double>(after)) /
                                           static_cast<double>(before);
  r.figures = {{"what", what}, {"before", before}, {"after", after}, {"drop_percent", percent},
               {"limit_percent", limit.percent}, {"limit_absolute", limit.absolute}};
  if (after >= before) {
    r.reason = fmt::format("{} {} → {}", what, before, after);
    return r;
  }
  std::uint64_t drop = before - after;
  if (percent > limit.percent && drop >= limit.absolute) {
    r.verdict = Verdict::kHold;
    r.reason = fmt::format("{} {} → {} (−{}, −{:.1f}%): more than {:.1f}% and at least {} gone", what, before, after,
                           drop, percent, limit.percent, limit.absolute);
  } else {
    r.reason = fmt::format("{} {} → {} (−{}, −{:.1f}%), within {:.1f}% or under {}", what, before, after, drop,
                           percent, limit.percent, limit.absolute);
  }
  return r;
}

GateResult serial_gate(dns::Serial serial, const std::optional<dns::Serial>& published,
                       const std::vector<std::pair<std::string, dns::Serial>>& live) {
  GateResult r{"serial", Verdict::kPass, "", {}};
  r.figures["serial"] = serial.value();
  if (published) r.figures["published"] = published->value();
  nlohmann::json live_json = nlohmann::json::object();
  for (const auto& [server, s] : live) live_json[server] = s.value();
  r.figures["live"] = live_json;
  std::vector<std::string> behind;
  if (published && !serial.is_after(*published)) {
    behind.push_back(fmt::format("the published serial {}", published->value()));
  }
  for (const auto& [server, s] : live) {
    if (!serial.is_after(s)) behind.push_back(fmt::format("{} serving {}", server, s.value()));
  }
  if (!behind.empty()) {
    r.verdict = Verdict::kHold;
    r.reason = fmt::format("serial {} does not move forward (RFC 1982) of ", serial.value());
    for (std::size_t i = 0; i < behind.size(); ++i) r.reason += (i ? ", " : "") + behind[i];
  } else {
    r.reason = fmt::format("serial {} moves forward{}", serial.value(),
                           published ? fmt::format(" of {}", published->value()) : std::string(" (first publication)"));
  }
  return r;
}

GateResult completeness_gate(const ZoneFacts& candidate, std::span<const dns::Delegation> expected,
                             std::span<const dns::ClasslessDelegation> expected_classless) {
  GateResult r{"completeness", Verdict::kPass, "", {}};
  std::vector<std::string> missing;
  std::uint64_t checked = 0;
  std::uint64_t cnames_checked = 0;
  auto check = [&](const dns::Delegation& d) {
    ++checked;
    auto found = candidate.delegations.find(d.child);
    if (found == candidate.delegations.end()) {
      missing.push_back(fmt::format("{} ({}) is missing", d.child.to_text(), d.origin.to_string()));
    } else if (!(found->second == expected_facts(d))) {
      missing.push_back(fmt::format("{} ({}) differs from its source", d.child.to_text(), d.origin.to_string()));
    }
  };
  for (const dns::Delegation& d : expected) check(d);
  for (const dns::ClasslessDelegation& c : expected_classless) {
    check(c.delegation);
    for (unsigned a = c.first; a <= c.last; ++a) {
      ++cnames_checked;
      auto owner = c.block.prepend(std::to_string(a));
      auto target = c.delegation.child.prepend(std::to_string(a));
      auto found = owner ? candidate.cnames.find(*owner) : candidate.cnames.end();
      if (found == candidate.cnames.end() || !target || found->second != *target) {
        missing.push_back(fmt::format("RFC 2317 CNAME {}.{} → {}.{} ({}) is missing", a, c.block.to_text(), a,
                                      c.delegation.child.to_text(), c.delegation.origin.to_string()));
      }
    }
  }
  r.figures = {{"delegations_checked", checked}, {"cnames_checked", cnames_checked}, {"missing", missing.size()}};
  if (missing.empty()) {
    r.reason = fmt::format("all {} delegations and {} RFC 2317 CNAMEs are in the candidate", checked, cnames_checked);
  } else {
    r.verdict = Verdict::kHold;
    r.reason = fmt::format("{} of {} expected delegations/CNAMEs are missing or differ, first: {}", missing.size(),
                           checked + cnames_checked, missing.front());
    nlohmann::json examples = nlohmann::json::array();
    for (std::size_t i = 0; i < missing.size() && i < 20; ++i) examples.push_back(missing[i]);
    r.figures["examples"] = examples;
  }
  return r;
}

}  // namespace rdnsprov::safeguards
