#include "zonelets/check.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "dns/rdata.h"

namespace rdnsprov::zonelets {
namespace {

bool allowed_type(dns::RRType type) {
  return type == dns::RRType::kNs || type == dns::RRType::kDs || type == dns::RRType::kA ||
         type == dns::RRType::kAaaa || type == dns::RRType::kCname;
}

dns::Name name_from_rdata(const std::string& rdata) {
  std::size_t offset = 0;
  auto name = dns::Name::from_wire(rdata, offset);
  return name ? *name : dns::Name();
}

// "first-last" of an RFC 2317 range label, when it is one.
bool range_label(std::string_view label, unsigned& first, unsigned& last) {
  std::size_t dash = label.find('-');
  if (dash == std::string_view::npos) return false;
  auto number = [](std::string_view s, unsigned& out) {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
    out = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + static_cast<unsigned>(c - '0');
    }
    return out <= 255;
  };
  return number(label.substr(0, dash), first) && number(label.substr(dash + 1), last) && first < last;
}

}  // namespace

ZoneletContent check_zonelet(const ParsedZonelet& parsed, const PeerSpec& peer,
                             const std::shared_ptr<const std::string>& source,
                             const std::shared_ptr<const std::string>& file) {
  ZoneletContent out;
  out.records = parsed.records.size();
  const dns::Name& parent = parsed.parent;
  auto origin = [&](std::uint64_t line) { return dns::Origin::in_file(source, file, line); };
  std::vector<std::pair<std::uint64_t, dns::Reject>> rejects;  // (line, reject), sorted at the end
  auto reject = [&](std::uint64_t line, const dns::Name& owner, std::string code, std::string reason) {
    rejects.emplace_back(line, dns::Reject{origin(line), owner.to_text_no_dot(), std::move(reason), std::move(code)});
  };
  for (const dns::MasterFileError& e : parsed.errors) {
    rejects.emplace_back(e.line, dns::Reject{origin(e.line), fmt::format("line {}", e.line), e.reason, "syntax"});
  }

  // Delegated names of the zonelet: owners of NS records that pass the name checks.
  std::map<dns::Name, std::uint64_t> delegated;  // child → line of its first NS
  std::set<dns::Name> tainted;                   // names whose delegation is left out (a record of it was bad)
  std::vector<bool> ok(parsed.records.size(), false);
  std::set<std::pair<dns::Name, dns::Name>> nameservers_of;  // (child, nameserver)

  // Pass 1: checks on each record alone.
  for (std::size_t i = 0; i < parsed.records.size(); ++i) {
    const dns::Record& r = parsed.records[i];
    std::uint64_t line = parsed.lines[i];
    if (!allowed_type(r.type)) {
      reject(line, r.owner, "type-not-allowed",
             fmt::format("record type {} is not allowed in a zonelet (NS, DS, A/AAAA glue and RFC 2317 CNAME only)",
                         dns::rrtype_to_text(r.type)));
      tainted.insert(r.owner);
      continue;
    }
    if (r.owner == parent) {
      reject(line, r.owner, "at-apex",
             fmt::format("{} record at the apex of {}: a peer never changes our apex", dns::rrtype_to_text(r.type),
                         parent.to_text()));
      continue;
    }
    if (!r.owner.is_below(parent)) {
      reject(line, r.owner, "outside-parent", fmt::format("outside the parent zone {}", parent.to_text()));
      continue;
    }
    if (r.ttl < peer.min_ttl || r.ttl > peer.max_ttl) {
      reject(line, r.owner, "ttl",
             fmt::format("TTL {} is outside the bounds {}..{} set for peer {}", r.ttl, peer.min_ttl, peer.max_ttl,
                         peer.name));
      tainted.insert(r.owner);
      continue;
    }
    bool name_record = r.type == dns::RRType::kNs || r.type == dns::RRType::kDs || r.type == dns::RRType::kCname;
    if (name_record && !peer.owns(r.owner)) {
      reject(line, r.owner, "outside-peer-space",
             fmt::format("{} is outside the address space configured for peer {}", r.owner.to_text(), peer.name));
      continue;
    }
    ok[i] = true;
    if (r.type == dns::RRType::kNs) {
      delegated.emplace(r.owner, line);
      nameservers_of.emplace(r.owner, name_from_rdata(r.rdata));
    }
  }

  // RFC 2317 ranges delegated by the zonelet, by their /24: names below a.Z.Y.X belong to the range holding a
  // (RPSL.md "Inside").
  std::multimap<dns::Name, std::tuple<unsigned, unsigned, const dns::Name*>> ranges;
  for (const auto& [child, line] : delegated) {
    unsigned first = 0, last = 0;
    if (range_label(child.first_label(), first, last)) ranges.emplace(child.parent(), std::tuple{first, last, &child});
  }
  // The delegation a name belongs to: the closest delegated name at or above it.
  auto delegation_of = [&](const dns::Name& name) -> const dns::Name* {
    for (dns::Name n = name; n.is_below(parent); n = n.parent()) {
      if (auto found = delegated.find(n); found != delegated.end()) return &found->first;
      auto [begin, end] = ranges.equal_range(n.parent());
      for (auto it = begin; it != end; ++it) {
        std::string_view label = n.first_label();
        if (label.empty() || label.size() > 3 || !std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; })) break;
        unsigned a = static_cast<unsigned>(std::stoul(std::string(label)));
        auto [first, last, child] = it->second;
        if (a >= first && a <= last) return child;
      }
    }
    return nullptr;
  };

  // Pass 2: records that depend on the zonelet's delegations.
  std::map<dns::Name, dns::Delegation> delegations;
  for (const auto& [child, line] : delegated) {
    dns::Delegation& d = delegations[child];
    d.child = child;
    d.origin = origin(line);
  }
  for (std::size_t i = 0; i < parsed.records.size(); ++i) {
    if (!ok[i]) continue;
    const dns::Record& r = parsed.records[i];
    std::uint64_t line = parsed.lines[i];
    switch (r.type) {
      case dns::RRType::kNs:
        delegations[r.owner].nameservers.push_back(name_from_rdata(r.rdata));
        break;
      case dns::RRType::kDs:
        if (!delegated.count(r.owner)) {
          reject(line, r.owner, "ds-without-ns", "DS record where the zonelet delegates nothing (no NS)");
        } else {
          delegations[r.owner].ds.push_back(r.rdata);
        }
        break;
      case dns::RRType::kA:
      case dns::RRType::kAaaa: {
        const dns::Name* child = delegation_of(r.owner);
        bool is_nameserver = child && nameservers_of.count({*child, r.owner});
        if (!child || !is_nameserver) {
          reject(line, r.owner, "not-glue",
                 fmt::format("{} record for {}, which is not a nameserver inside a delegation of this zonelet: not glue",
                             dns::rrtype_to_text(r.type), r.owner.to_text()));
          if (child) tainted.insert(*child);
        } else {
          delegations[*child].glue.push_back(dns::GlueAddress{r.owner, r.type, r.rdata});
        }
        break;
      }
      case dns::RRType::kCname: {
        // RFC 2317 §4: a.Z.Y.X CNAME a.first-last.Z.Y.X, the range delegated by this zonelet.
        dns::Name target = name_from_rdata(r.rdata);
        unsigned first = 0, last = 0, address = 256;
        std::string_view a = r.owner.first_label();
        bool numeric = !a.empty() && a.size() <= 3 && std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (numeric) address = static_cast<unsigned>(std::stoul(std::string(a)));
        bool fits = numeric && target.label_count() == r.owner.label_count() + 1 && target.first_label() == a &&
                    target.parent().parent() == r.owner.parent() && delegated.count(target.parent()) &&
                    range_label(target.parent().first_label(), first, last) && address >= first && address <= last;
        if (!fits) {
          reject(line, r.owner, "not-rfc2317",
                 fmt::format("CNAME {} → {} is not the RFC 2317 CNAME of a range this zonelet delegates",
                             r.owner.to_text(), target.to_text()));
          if (const dns::Name* child = delegation_of(target)) tainted.insert(*child);
        }
        break;
      }
      default:
        break;
    }
  }

  for (auto& [child, d] : delegations) {
    // A named reference, not the structured binding, is captured: clang 14 (the fuzz build) cannot capture one.
    const dns::Name& delegated_name = child;
    bool bad = std::any_of(tainted.begin(), tainted.end(), [&](const dns::Name& t) { return t.is_at_or_below(delegated_name); });
    if (bad) {
      reject(d.origin.line, child, "delegation-left-out",
             fmt::format("delegation {} left out whole: one of its records was refused", child.to_text()));
      continue;
    }
    d.normalise();
    unsigned first = 0, last = 0;
    if (range_label(child.first_label(), first, last)) {
      dns::ClasslessDelegation c;
      c.delegation = std::move(d);
      c.block = child.parent();
      c.first = static_cast<std::uint8_t>(first);
      c.last = static_cast<std::uint8_t>(last);
      out.classless.push_back(std::move(c));
    } else {
      out.delegations.push_back(std::move(d));
    }
  }
  std::stable_sort(rejects.begin(), rejects.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [line, r] : rejects) out.rejects.push_back(std::move(r));
  return out;
}

}  // namespace rdnsprov::zonelets
