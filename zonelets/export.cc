#include "zonelets/export.h"

#include <algorithm>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "zonelets/format.h"

namespace rdnsprov::zonelets {
namespace {

namespace fs = std::filesystem;

fs::path out_state_file(const fs::path& state_root, const std::string& peer) {
  return state_root / "zonelets" / "out" / (peer + ".json");
}

nlohmann::json read_out_state(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(dns::read_file(file), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::runtime_error(fmt::format("{} is not valid JSON: the size-drop gate of exports has nothing to "
                                         "compare with; restore it from a snapshot or remove it knowingly",
                                         file.string()));
  }
  return j;
}

bool inside_served(const dns::Name& name, const std::vector<dns::Name>& served) {
  return std::any_of(served.begin(), served.end(), [&](const dns::Name& apex) { return name.is_at_or_below(apex); });
}

void add_delegation_records(std::vector<dns::Record>& out, const dns::Delegation& d, std::uint32_t ttl) {
  for (const dns::Name& ns : d.nameservers) out.push_back({d.child, dns::RRType::kNs, ttl, dns::rdata::ns(ns)});
  for (const std::string& ds : d.ds) out.push_back({d.child, dns::RRType::kDs, ttl, ds});
  for (const dns::GlueAddress& g : d.glue) out.push_back({g.host, g.type, ttl, g.address});
}

// OUTGOING/<parent>.<serial>.zonelet: the serial of an export file of `parent`, when `name` is one.
std::optional<std::uint32_t> export_serial(const std::string& name, const std::string& parent_stem) {
  std::string prefix = parent_stem + ".";
  const std::string suffix = ".zonelet";
  if (!name.starts_with(prefix) || !name.ends_with(suffix) || name.size() <= prefix.size() + suffix.size()) {
    return std::nullopt;
  }
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 10 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned long long n = std::stoull(digits);
  if (n > 0xffffffffULL) return std::nullopt;
  return static_cast<std::uint32_t>(n);
}

}  // namespace

const char* export_action_name(ExportAction action) {
  switch (action) {
    case ExportAction::kWrite: return "write";
    case ExportAction::kHold: return "hold";
    case ExportAction::kNotDue: return "not-due";
  }
  return "?";
}

bool ExportPlan::any_held() const {
  return std::any_of(exports.begin(), exports.end(), [](const ZoneletExport& e) { return e.action == ExportAction::kHold; });
}
bool ExportPlan::any_written() const {
  return std::any_of(exports.begin(), exports.end(), [](const ZoneletExport& e) { return e.action == ExportAction::kWrite; });
}

std::vector<dns::Record> export_records(const dns::Name& parent, std::span<const dns::Delegation> delegations,
                                        std::span<const dns::ClasslessDelegation> classless,
                                        const std::vector<dns::Name>& served, std::uint32_t ttl,
                                        std::uint64_t& delegation_count) {
  std::vector<dns::Record> out;
  delegation_count = 0;
  auto belongs = [&](const dns::Name& child) { return child.is_below(parent) && !inside_served(child, served); };
  for (const dns::Delegation& d : delegations) {
    if (!belongs(d.child)) continue;
    add_delegation_records(out, d, ttl);
    ++delegation_count;
  }
  for (const dns::ClasslessDelegation& c : classless) {
    if (!belongs(c.delegation.child) || !belongs(c.block.prepend(std::to_string(c.first)).value())) continue;
    add_delegation_records(out, c.delegation, ttl);
    // RFC 2317 §4: a.Z.Y.X CNAME a.first-last.Z.Y.X for every address of the range.
    for (unsigned a = c.first; a <= c.last; ++a) {
      auto owner = c.block.prepend(std::to_string(a));
      auto target = c.delegation.child.prepend(std::to_string(a));
      if (owner && target) out.push_back({*owner, dns::RRType::kCname, ttl, dns::rdata::cname(*target)});
    }
    ++delegation_count;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ExportPlan plan_exports(const std::vector<PeerSpec>& peers, std::span<const dns::Delegation> delegations,
                        std::span<const dns::ClasslessDelegation> classless, const std::vector<dns::Name>& served,
                        const fs::path& state_root, std::time_t now, const std::string& registry,
                        const safeguards::GateSettings& gates, ExportWhen when,
                        const std::vector<std::string>& allow_drop, const std::string& reason) {
  ExportPlan plan;
  plan.now = now;
  for (const PeerSpec& peer : peers) {
    nlohmann::json last = read_out_state(out_state_file(state_root, peer.name));
    std::time_t last_export = last.value("last_export", static_cast<std::time_t>(0));
    // Due when the last export is at least export-interval old, less a tenth: an hourly cron run that starts a
    // few seconds early must not skip every other export.
    std::time_t interval = peer.export_interval;
    bool due = when == ExportWhen::kNow || last_export == 0 || now - last_export >= interval - interval / 10;
    bool overridden = std::find(allow_drop.begin(), allow_drop.end(), peer.name) != allow_drop.end();
    for (const dns::Name& parent : peer.export_zones) {
      ZoneletExport e;
      e.peer = peer.name;
      e.parent = parent;
      std::vector<dns::Record> records =
          export_records(parent, delegations, classless, served, peer.export_ttl, e.delegations);
      e.records = records.size();
      nlohmann::json previous = last.contains("zones") ? last["zones"].value(parent.to_text(), nlohmann::json())
                                                        : nlohmann::json();
      std::uint32_t previous_serial = 0;
      if (previous.is_object()) {
        e.previous_delegations = previous.value("delegations", std::uint64_t{0});
        previous_serial = previous.value("serial", std::uint32_t{0});
      }
      if (!due) {
        e.action = ExportAction::kNotDue;
        e.reason = fmt::format("last export {} ({} s ago); export-interval is {} s", utc_text(last_export),
                               now - last_export, peer.export_interval);
        plan.exports.push_back(std::move(e));
        continue;
      }
      // Serials move forward: the time of the export, or one past the last one if the clock went back.
      std::uint32_t serial = static_cast<std::uint32_t>(now);
      if (previous_serial && !dns::Serial(serial).is_after(dns::Serial(previous_serial))) serial = previous_serial + 1;
      e.serial = serial;
      std::optional<safeguards::Counts> before;
      if (e.previous_delegations) before = safeguards::Counts{*e.previous_delegations, 0};
      safeguards::GateResult empty = safeguards::empty_zone_gate(before, {e.delegations, e.records}, gates.allow_empty);
      empty.gate = "export-empty";
      safeguards::GateResult drop = safeguards::size_drop_gate("export-size-drop", "delegations",
                                                               e.previous_delegations.value_or(0), e.delegations,
                                                               gates.list_entries);
      e.gates = {empty, drop};
      e.action = ExportAction::kWrite;
      for (safeguards::GateResult& g : e.gates) {
        if (g.verdict == safeguards::Verdict::kPass) continue;
        if (overridden) {
          e.overrides.push_back(fmt::format("{} ({}): {}", g.gate, g.reason, reason));
          g.verdict = safeguards::Verdict::kPass;
          continue;
        }
        e.action = ExportAction::kHold;
        if (e.reason.empty()) e.reason = fmt::format("gate {}: {}", g.gate, g.reason);
      }
      if (e.action == ExportAction::kWrite) {
        ZoneletHeader header{registry, peer.name, parent, now, serial, 0, {}};
        e.text = write_zonelet(header, records);
        e.file = peer.outgoing / fmt::format("{}.{}.zonelet", parent.to_text_no_dot(), serial);
        e.reason = fmt::format("{} delegations, {} records (last export: {})", e.delegations, e.records,
                               e.previous_delegations ? std::to_string(*e.previous_delegations) : std::string("none"));
      }
      plan.exports.push_back(std::move(e));
    }
  }
  return plan;
}

void commit_exports(const ExportPlan& plan, const std::vector<PeerSpec>& peers, const fs::path& state_root) {
  for (const PeerSpec& peer : peers) {
    bool wrote = false;
    fs::path state_file = out_state_file(state_root, peer.name);
    nlohmann::json last = read_out_state(state_file);
    for (const ZoneletExport& e : plan.exports) {
      if (e.peer != peer.name || e.action != ExportAction::kWrite) continue;
      fs::create_directories(peer.outgoing);
      dns::write_file_atomically(e.file, e.text);
      last["zones"][e.parent.to_text()] = {{"delegations", e.delegations},
                                           {"records", e.records},
                                           {"serial", e.serial},
                                           {"generated", plan.now},
                                           {"file", e.file.string()},
                                           {"sha256", dns::to_hex(dns::sha256(e.text), false)}};
      wrote = true;
      // Retention: the newest export-keep files of this parent zone stay; older ones of ours go.
      std::vector<std::pair<std::uint32_t, fs::path>> files;
      std::string parent_stem = e.parent.to_text_no_dot();
      for (const auto& entry : fs::directory_iterator(peer.outgoing)) {
        if (auto serial = export_serial(entry.path().filename().string(), parent_stem)) {
          files.emplace_back(*serial, entry.path());
        }
      }
      std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return dns::Serial(a.first).is_after(dns::Serial(b.first));
      });
      for (std::size_t i = std::max<std::size_t>(peer.export_keep, 1); i < files.size(); ++i) {
        if (files[i].second != e.file) fs::remove(files[i].second);
      }
    }
    if (wrote) {
      last["last_export"] = plan.now;
      fs::create_directories(state_file.parent_path());
      dns::write_file_atomically(state_file, last.dump(2) + "\n");
    }
  }
}

nlohmann::json export_json(const ExportPlan& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (const ZoneletExport& e : plan.exports) {
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : e.gates) gates.push_back(g.to_json());
    out.push_back({{"peer", e.peer},
                   {"parent_zone", e.parent.to_text()},
                   {"action", export_action_name(e.action)},
                   {"reason", e.reason},
                   {"delegations", e.delegations},
                   {"previous_delegations", e.previous_delegations ? nlohmann::json(*e.previous_delegations)
                                                                   : nlohmann::json()},
                   {"serial", e.serial},
                   {"file", e.file.string()},
                   {"gates", gates},
                   {"overrides", e.overrides}});
  }
  return out;
}

std::string export_text(const ExportPlan& plan) {
  std::string out;
  std::string peer;
  for (const ZoneletExport& e : plan.exports) {
    if (e.peer != peer) {
      peer = e.peer;
      out += fmt::format("zonelets for peer {}:\n", peer);
    }
    std::string action = e.action == ExportAction::kWrite  ? "WOULD EXPORT"
                         : e.action == ExportAction::kHold ? "HELD"
                                                           : "not due";
    out += fmt::format("  {} {}: {}\n", e.parent.to_text(), action, e.reason);
    for (const std::string& o : e.overrides) out += fmt::format("    override: {}\n", o);
  }
  return out;
}

}  // namespace rdnsprov::zonelets
