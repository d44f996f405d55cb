#include "safeguards/reviewed_plan.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/record.h"

namespace rdnsprov::safeguards {

namespace {

using json = nlohmann::json;

// Key material and parameters that signing adds and that do not change from one signing to the next.
bool is_key_material(dns::RRType type) {
  return type == dns::RRType::kDnskey || type == dns::RRType::kCds || type == dns::RRType::kCdnskey ||
         type == dns::RRType::kNsec3param;
}

std::string dnssec_sha256(const dns::Zone& zone) {
  std::vector<dns::Record> keys;
  for (const dns::Record& r : zone.records()) {
    if (is_key_material(r.type)) keys.push_back(r);
  }
  if (keys.empty()) return "";
  std::sort(keys.begin(), keys.end());
  std::string text;
  for (const dns::Record& r : keys) dns::append_master_line(text, r);
  return dns::to_hex(dns::sha256(text), false);
}

// The SHA-256 of the published master file, from its metadata (the zone file itself is not read again).
std::string published_file_sha256(const StateDir& state, const dns::Name& apex) {
  std::filesystem::path meta = state.published_dir() / (StateDir::zone_file_stem(apex) + ".json");
  std::error_code ec;
  if (!std::filesystem::exists(meta, ec)) return "";
  try {
    return PublishedMeta::from_json(json::parse(dns::read_file(meta))).file_sha256;
  } catch (const std::exception&) {
    return "(unreadable metadata)";
  }
}

std::string gate_key(const GateResult& g) {
  if (g.figures.is_object() && g.figures.contains("what") && g.figures["what"].is_string()) {
    return fmt::format("{}[{}]", g.gate, g.figures["what"].get<std::string>());
  }
  return g.gate;
}

bool follows_clock(const std::string& policy) { return policy == "unixtime" || policy == "date"; }

std::string short_hash(const std::string& h) { return h.empty() ? "(none)" : h.substr(0, 16) + "…"; }

std::string optional_serial(const std::optional<std::uint32_t>& s) {
  return s ? fmt::format("{}", *s) : std::string("(none: first publication)");
}

}  // namespace

json ReviewedPlan::to_json() const {
  json zs = json::array();
  for (const ReviewedZone& z : zones) {
    json gs = json::array();
    for (const auto& [gate, verdict] : z.gates) gs.push_back({{"gate", gate}, {"verdict", verdict}});
    zs.push_back({{"zone", z.zone},
                  {"action", z.action},
                  {"serial_policy", z.serial_policy},
                  {"published_serial", z.published_serial ? json(*z.published_serial) : json()},
                  {"published_sha256", z.published_sha256},
                  {"serial", z.serial},
                  {"delegations_before", z.delegations_before},
                  {"delegations_after", z.delegations_after},
                  {"records_before", z.records_before},
                  {"records_after", z.records_after},
                  {"added", z.added},
                  {"removed", z.removed},
                  {"changed", z.changed},
                  {"content_sha256", z.content_sha256},
                  {"dnssec_sha256", z.dnssec_sha256},
                  {"gates", gs},
                  {"overrides", z.overrides}});
  }
  json os = json::array();
  for (const DropOverride& o : overrides) os.push_back({{"zone", o.zone.to_text()}, {"reason", o.reason}});
  return {{"created", static_cast<std::int64_t>(created)},
          {"state", state},
          {"config", config},
          {"zones", zs},
          {"total_drop", total_drop},
          {"unconfigured", unconfigured},
          {"overrides", os},
          {"rejects", rejects},
          {"placement_errors", placement_errors}};
}

ReviewedPlan ReviewedPlan::from_json(const json& j) {
  ReviewedPlan p;
  p.created = static_cast<std::time_t>(j.at("created").get<std::int64_t>());
  p.state = j.at("state").get<std::string>();
  p.config = j.at("config").get<std::string>();
  p.total_drop = j.at("total_drop").get<std::string>();
  p.unconfigured = j.at("unconfigured").get<std::vector<std::string>>();
  p.rejects = j.at("rejects").get<std::uint64_t>();
  p.placement_errors = j.at("placement_errors").get<std::uint64_t>();
  for (const json& o : j.at("overrides")) {
    auto name = dns::Name::from_text(o.at("zone").get<std::string>());
    if (!name) throw json::other_error::create(501, "override zone: " + name.error(), &o);
    p.overrides.push_back({*name, o.at("reason").get<std::string>()});
  }
  for (const json& zj : j.at("zones")) {
    ReviewedZone z;
    z.zone = zj.at("zone").get<std::string>();
    z.action = zj.at("action").get<std::string>();
    z.serial_policy = zj.at("serial_policy").get<std::string>();
    if (!zj.at("published_serial").is_null()) z.published_serial = zj.at("published_serial").get<std::uint32_t>();
    z.published_sha256 = zj.at("published_sha256").get<std::string>();
    z.serial = zj.at("serial").get<std::uint32_t>();
    z.delegations_before = zj.at("delegations_before").get<std::uint64_t>();
    z.delegations_after = zj.at("delegations_after").get<std::uint64_t>();
    z.records_before = zj.at("records_before").get<std::uint64_t>();
    z.records_after = zj.at("records_after").get<std::uint64_t>();
    z.added = zj.at("added").get<std::uint64_t>();
    z.removed = zj.at("removed").get<std::uint64_t>();
    z.changed = zj.at("changed").get<std::uint64_t>();
    z.content_sha256 = zj.at("content_sha256").get<std::string>();
    z.dnssec_sha256 = zj.at("dnssec_sha256").get<std::string>();
    for (const json& g : zj.at("gates")) {
      z.gates.emplace_back(g.at("gate").get<std::string>(), g.at("verdict").get<std::string>());
    }
    z.overrides = zj.at("overrides").get<std::vector<std::string>>();
    p.zones.push_back(std::move(z));
  }
  return p;
}

ReviewedPlan review_plan(const Plan& plan, const StateDir& state, const std::vector<DropOverride>& overrides,
                         const std::filesystem::path& config_file, std::time_t now) {
  ReviewedPlan r;
  r.created = now;
  std::error_code ec;
  std::filesystem::path root = std::filesystem::weakly_canonical(state.root(), ec);
  r.state = (ec ? state.root() : root).string();
  r.config = std::filesystem::absolute(config_file).lexically_normal().string();
  r.total_drop = verdict_name(plan.total_drop.verdict);
  r.unconfigured = plan.unconfigured;
  r.overrides = overrides;
  for (const ZonePlan& z : plan.zones) {
    ReviewedZone rz;
    rz.zone = z.apex.to_text();
    rz.action = action_name(z.action);
    rz.serial_policy = serial_policy_name(z.serial_policy);
    if (z.published_serial) rz.published_serial = z.published_serial->value();
    rz.published_sha256 = published_file_sha256(state, z.apex);
    rz.serial = z.serial.value();
    rz.delegations_before = z.diff.delegations_before;
    rz.delegations_after = z.diff.delegations_after;
    rz.records_before = z.diff.records_before;
    rz.records_after = z.diff.records_after;
    rz.added = z.diff.added();
    rz.removed = z.diff.removed();
    rz.changed = z.diff.changed();
    rz.content_sha256 = z.content_sha256;
    rz.dnssec_sha256 = dnssec_sha256(z.candidate);
    for (const GateResult& g : z.gates) rz.gates.emplace_back(gate_key(g), verdict_name(g.verdict));
    rz.overrides = z.overrides;
    r.zones.push_back(std::move(rz));
  }
  return r;
}

std::string plan_sha256(const ReviewedPlan& plan) {
  return dns::to_hex(dns::sha256(plan.to_json().dump(-1, ' ', true)), false);
}

std::string write_plan_file(const std::filesystem::path& file, const ReviewedPlan& plan) {
  std::string sha = plan_sha256(plan);
  json doc = {{"format", kPlanFormat}, {"sha256", sha}, {"plan", plan.to_json()}};
  dns::write_file_atomically(file, doc.dump(2, ' ', true) + "\n", 0644);
  return sha;
}

ReviewedPlanFile read_plan_file(const std::filesystem::path& file, const std::string& expected_sha256) {
  std::string text;
  try {
    text = dns::read_file(file);
  } catch (const std::system_error& e) {
    throw PlanFileError(fmt::format("cannot read the plan: {}", e.what()));
  }
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw PlanFileError(fmt::format("{}: not a plan written by rdnsprov diff --save-plan (not a JSON object)",
                                    file.string()));
  }
  if (!doc.contains("format") || doc["format"] != kPlanFormat) {
    throw PlanFileError(fmt::format("{}: not a plan this rdnsprov reads (\"format\" is not \"{}\")", file.string(),
                                    kPlanFormat));
  }
  if (!doc.contains("sha256") || !doc["sha256"].is_string() || !doc.contains("plan") || !doc["plan"].is_object()) {
    throw PlanFileError(fmt::format("{}: \"sha256\" or \"plan\" is missing", file.string()));
  }
  std::string recorded = doc["sha256"].get<std::string>();
  std::string actual = dns::to_hex(dns::sha256(doc["plan"].dump(-1, ' ', true)), false);
  if (recorded != actual) {
    throw PlanFileError(fmt::format(
        "{}: the plan's content does not match its SHA-256 (recorded {}, content {}): it was edited or damaged after "
        "rdnsprov diff --save-plan wrote it; make and review a new plan",
        file.string(), recorded, actual));
  }
  if (!expected_sha256.empty()) {
    std::string lower = expected_sha256;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.size() != 64 || lower.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw PlanFileError(fmt::format("--plan-sha256 {}: expected 64 hexadecimal digits", expected_sha256));
    }
    if (lower != actual) {
      throw PlanFileError(fmt::format("{}: plan {} is not the reviewed plan {}", file.string(), actual, lower));
    }
  }
  ReviewedPlanFile out;
  out.sha256 = actual;
  try {
    out.plan = ReviewedPlan::from_json(doc["plan"]);
  } catch (const json::exception& e) {
    throw PlanFileError(fmt::format("{}: a field of the plan is missing or has the wrong type: {}", file.string(),
                                    e.what()));
  }
  return out;
}

std::vector<std::string> plan_differences(const ReviewedPlan& reviewed, const ReviewedPlan& now) {
  std::vector<std::string> out;
  if (reviewed.state != now.state) {
    out.push_back(fmt::format("state directory: {} in the plan, {} now", reviewed.state, now.state));
  }
  std::map<std::string, const ReviewedZone*> current;
  for (const ReviewedZone& z : now.zones) current[z.zone] = &z;
  std::map<std::string, const ReviewedZone*> planned;
  for (const ReviewedZone& z : reviewed.zones) planned[z.zone] = &z;
  for (const ReviewedZone& p : reviewed.zones) {
    auto it = current.find(p.zone);
    if (it == current.end()) {
      out.push_back(fmt::format("zone {}: in the plan, no longer configured", p.zone));
      continue;
    }
    const ReviewedZone& n = *it->second;
    auto differ = [&](const std::string& what, const std::string& a, const std::string& b) {
      if (a != b) out.push_back(fmt::format("zone {}: {} {} in the plan, {} now", p.zone, what, a, b));
    };
    differ("action", p.action, n.action);
    differ("serial policy", p.serial_policy, n.serial_policy);
    if (p.published_serial != n.published_serial) {
      out.push_back(fmt::format("zone {}: published serial {} in the plan, {} now (a version was published since the "
                                "plan was made)",
                                p.zone, optional_serial(p.published_serial), optional_serial(n.published_serial)));
    } else if (p.published_sha256 != n.published_sha256) {
      out.push_back(fmt::format("zone {}: the published copy changed since the plan was made (file SHA-256 {} in the "
                                "plan, {} now)",
                                p.zone, short_hash(p.published_sha256), short_hash(n.published_sha256)));
    }
    bool serial_ok = p.serial == n.serial;
    if (!serial_ok && follows_clock(p.serial_policy) && p.action != "unchanged" && n.action != "unchanged") {
      serial_ok = dns::Serial(n.serial).is_after(dns::Serial(p.serial));
    }
    if (!serial_ok) out.push_back(fmt::format("zone {}: serial {} in the plan, {} now", p.zone, p.serial, n.serial));
    differ("delegations", fmt::format("{} → {}", p.delegations_before, p.delegations_after),
           fmt::format("{} → {}", n.delegations_before, n.delegations_after));
    differ("records", fmt::format("{} → {}", p.records_before, p.records_after),
           fmt::format("{} → {}", n.records_before, n.records_after));
    differ("delegations added/removed/changed", fmt::format("+{} −{} ~{}", p.added, p.removed, p.changed),
           fmt::format("+{} −{} ~{}", n.added, n.removed, n.changed));
    if (p.content_sha256 != n.content_sha256) {
      out.push_back(fmt::format("zone {}: content SHA-256 {} in the plan, {} now", p.zone, p.content_sha256,
                                n.content_sha256));
    }
    if (p.dnssec_sha256 != n.dnssec_sha256) {
      out.push_back(fmt::format("zone {}: DNSSEC keys and parameters (DNSKEY, CDS, CDNSKEY, NSEC3PARAM) SHA-256 {} in "
                                "the plan, {} now",
                                p.zone, short_hash(p.dnssec_sha256), short_hash(n.dnssec_sha256)));
    }
    std::map<std::string, std::string> pg(p.gates.begin(), p.gates.end());
    std::map<std::string, std::string> ng(n.gates.begin(), n.gates.end());
    for (const auto& [gate, verdict] : pg) {
      auto g = ng.find(gate);
      differ("gate " + gate, verdict, g == ng.end() ? std::string("(not evaluated)") : g->second);
    }
    for (const auto& [gate, verdict] : ng) {
      if (!pg.count(gate)) differ("gate " + gate, "(not evaluated)", verdict);
    }
    if (p.overrides != n.overrides) {
      auto list = [](const std::vector<std::string>& v) {
        std::string s;
        for (const std::string& o : v) s += (s.empty() ? "" : "; ") + o;
        return s.empty() ? std::string("(none)") : "[" + s + "]";
      };
      differ("overrides", list(p.overrides), list(n.overrides));
    }
  }
  for (const ReviewedZone& n : now.zones) {
    if (!planned.count(n.zone)) out.push_back(fmt::format("zone {}: configured now, not in the plan", n.zone));
  }
  if (reviewed.total_drop != now.total_drop) {
    out.push_back(fmt::format("gate size-drop-total: {} in the plan, {} now", reviewed.total_drop, now.total_drop));
  }
  if (reviewed.unconfigured != now.unconfigured) {
    out.push_back("the zones published but no longer configured are not those of the plan");
  }
  return out;
}

std::string plan_age_problem(const ReviewedPlan& reviewed, std::time_t now, std::uint32_t max_age) {
  if (reviewed.created > now) {
    return fmt::format("the plan was made at {}, after now ({}): check the clock", reviewed.created, now);
  }
  std::time_t age = now - reviewed.created;
  if (age > static_cast<std::time_t>(max_age)) {
    return fmt::format("the plan is {} s old, older than plan-max-age ({} s): make and review a new plan", age,
                       max_age);
  }
  return "";
}

}  // namespace rdnsprov::safeguards
