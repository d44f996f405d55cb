#include "safeguards/diff.h"

#include <algorithm>

#include <fmt/format.h>

namespace rdnsprov::safeguards {
namespace {

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string describe(const DelegationFacts& f) {
  std::string out = "NS " + join(f.nameservers);
  if (!f.ds.empty()) out += "; DS " + join(f.ds);
  if (!f.glue.empty()) out += "; glue " + join(f.glue);
  return out;
}

std::string set_change(const char* label, const std::set<std::string>& before, const std::set<std::string>& after) {
  std::string out;
  for (const auto& x : after) {
    if (!before.count(x)) out += fmt::format(" +{} {}", label, x);
  }
  for (const auto& x : before) {
    if (!after.count(x)) out += fmt::format(" -{} {}", label, x);
  }
  return out;
}

nlohmann::json facts_json(const DelegationFacts& f) {
  return {{"nameservers", f.nameservers}, {"ds", f.ds}, {"glue", f.glue}};
}

}  // namespace

std::uint64_t ZoneDiff::added() const {
  return static_cast<std::uint64_t>(std::count_if(changes.begin(), changes.end(), [](const auto& c) {
    return c.kind == DelegationChange::Kind::kAdded;
  }));
}
std::uint64_t ZoneDiff::removed() const {
  return static_cast<std::uint64_t>(std::count_if(changes.begin(), changes.end(), [](const auto& c) {
    return c.kind == DelegationChange::Kind::kRemoved;
  }));
}
std::uint64_t ZoneDiff::changed() const {
  return static_cast<std::uint64_t>(std::count_if(changes.begin(), changes.end(), [](const auto& c) {
    return c.kind == DelegationChange::Kind::kChanged;
  }));
}

ZoneDiff diff_zone(const ZoneFacts* published, const ZoneFacts& candidate, std::span<const dns::Delegation> placed,
                   std::span<const dns::ClasslessDelegation> placed_classless) {
  ZoneDiff diff;
  std::map<dns::Name, std::string> origins;
  for (const dns::Delegation& d : placed) origins[d.child] = d.origin.to_string();
  for (const dns::ClasslessDelegation& c : placed_classless) {
    origins[c.delegation.child] = c.delegation.origin.to_string();
  }
  static const ZoneFacts kNothing;
  const ZoneFacts& before = published ? *published : kNothing;
  diff.delegations_before = before.delegations.size();
  diff.delegations_after = candidate.delegations.size();
  diff.records_before = before.records;
  diff.records_after = candidate.records;
  diff.content_changed = !published || published->content_sha256 != candidate.content_sha256;

  auto b = before.delegations.begin();
  auto a = candidate.delegations.begin();
  while (b != before.delegations.end() || a != candidate.delegations.end()) {
    if (a == candidate.delegations.end() || (b != before.delegations.end() && b->first < a->first)) {
      diff.changes.push_back({DelegationChange::Kind::kRemoved, b->first, b->second, {}, {}});
      ++b;
    } else if (b == before.delegations.end() || a->first < b->first) {
      diff.changes.push_back({DelegationChange::Kind::kAdded, a->first, {}, a->second, origins[a->first]});
      ++a;
    } else {
      if (!(a->second == b->second)) {
        diff.changes.push_back({DelegationChange::Kind::kChanged, a->first, b->second, a->second, origins[a->first]});
      }
      ++a;
      ++b;
    }
  }
  for (const auto& [owner, target] : candidate.cnames) {
    auto old = before.cnames.find(owner);
    if (old == before.cnames.end() || old->second != target) diff.cnames.push_back({true, owner, target});
  }
  for (const auto& [owner, target] : before.cnames) {
    auto now = candidate.cnames.find(owner);
    if (now == candidate.cnames.end() || now->second != target) diff.cnames.push_back({false, owner, target});
  }
  std::sort(diff.cnames.begin(), diff.cnames.end(),
            [](const CnameChange& x, const CnameChange& y) { return x.owner < y.owner || (x.owner == y.owner && !x.added && y.added); });
  return diff;
}

std::string diff_text(const ZoneDiff& diff, std::size_t max_lines) {
  std::string out;
  std::size_t lines = 0;
  auto line = [&](std::string text) {
    if (max_lines && lines == max_lines) out += "  …\n";
    if (max_lines && lines >= max_lines) {
      ++lines;
      return;
    }
    out += text + "\n";
    ++lines;
  };
  for (const DelegationChange& c : diff.changes) {
    switch (c.kind) {
      case DelegationChange::Kind::kAdded:
        line(fmt::format("  + {}  {}  [{}]", c.child.to_text(), describe(c.after), c.origin));
        break;
      case DelegationChange::Kind::kRemoved:
        line(fmt::format("  - {}  (was {})", c.child.to_text(), describe(c.before)));
        break;
      case DelegationChange::Kind::kChanged:
        line(fmt::format("  ~ {} {}{}{}  [{}]", c.child.to_text(), set_change("NS", c.before.nameservers, c.after.nameservers),
                         set_change("DS", c.before.ds, c.after.ds), set_change("glue", c.before.glue, c.after.glue),
                         c.origin));
        break;
    }
  }
  for (const CnameChange& c : diff.cnames) {
    line(fmt::format("  {} CNAME {} → {}", c.added ? '+' : '-', c.owner.to_text(), c.target.to_text()));
  }
  return out;
}

nlohmann::json diff_json(const ZoneDiff& diff) {
  nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array(), changed = nlohmann::json::array();
  for (const DelegationChange& c : diff.changes) {
    switch (c.kind) {
      case DelegationChange::Kind::kAdded:
        added.push_back({{"child", c.child.to_text()}, {"after", facts_json(c.after)}, {"origin", c.origin}});
        break;
      case DelegationChange::Kind::kRemoved:
        removed.push_back({{"child", c.child.to_text()}, {"before", facts_json(c.before)}});
        break;
      case DelegationChange::Kind::kChanged:
        changed.push_back({{"child", c.child.to_text()},
                           {"before", facts_json(c.before)},
                           {"after", facts_json(c.after)},
                           {"origin", c.origin}});
        break;
    }
  }
  nlohmann::json cnames_added = nlohmann::json::array(), cnames_removed = nlohmann::json::array();
  for (const CnameChange& c : diff.cnames) {
    (c.added ? cnames_added : cnames_removed).push_back({{"owner", c.owner.to_text()}, {"target", c.target.to_text()}});
  }
  return {{"added", added},
          {"removed", removed},
          {"changed", changed},
          {"cnames_added", cnames_added},
          {"cnames_removed", cnames_removed},
          {"delegations_before", diff.delegations_before},
          {"delegations_after", diff.delegations_after},
          {"records_before", diff.records_before},
          {"records_after", diff.records_after},
          {"content_changed", diff.content_changed}};
}

}  // namespace rdnsprov::safeguards
