// Export: per peer and parent zone the peer serves, a zonelet of our own delegations inside that zone, written
// atomically into the peer's outgoing directory, gated like a zone, older exports pruned.
//
//   ExportPlan plan = plan_exports(peers, ingested.delegations, ingested.classless, served, state_root, now,
//                                  registry, gates, ExportWhen::kWhenDue);   // reads state, writes nothing
//   commit_exports(plan, state_root);   // OUTGOING/<parent>.<serial>.zonelet, STATE/zonelets/out/<peer>.json
//
// Only delegations from our own sources are exported (never a peer's, never one inside a zone we serve
// ourselves). An export is held, and no file written, when it is empty while the last export was not (or it
// would be the first and empty), or when it shrinks past the size-drop limits of [gates] list-*: a peer that
// receives an empty export removes every delegation it held for us (I-5). A run whose sources failed never gets
// this far.
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/delegation.h"
#include "dns/record.h"
#include "safeguards/gates.h"
#include "zonelets/peer.h"

namespace rdnsprov::zonelets {

enum class ExportWhen { kWhenDue, kNow };
enum class ExportAction { kWrite, kHold, kNotDue };
const char* export_action_name(ExportAction action);

struct ZoneletExport {
  std::string peer;
  dns::Name parent;
  ExportAction action = ExportAction::kNotDue;
  std::string reason;
  std::uint64_t delegations = 0;
  std::uint64_t records = 0;
  std::optional<std::uint64_t> previous_delegations;   // the last export's
  std::uint32_t serial = 0;
  std::filesystem::path file;                           // OUTGOING/<parent>.<serial>.zonelet
  std::string text;
  std::vector<safeguards::GateResult> gates;
  std::vector<std::string> overrides;                   // gates overridden (--allow-drop), with the reason
};

struct ExportPlan {
  std::vector<ZoneletExport> exports;  // by peer (config order), then parent zone
  std::time_t now = 0;
  bool any_held() const;
  bool any_written() const;
};

// The records of our delegations strictly inside `parent` (not at or below a zone in `served`): NS, DS, glue and
// the RFC 2317 CNAMEs of classless ranges, in canonical order, with `ttl`.
std::vector<dns::Record> export_records(const dns::Name& parent, std::span<const dns::Delegation> delegations,
                                        std::span<const dns::ClasslessDelegation> classless,
                                        const std::vector<dns::Name>& served, std::uint32_t ttl,
                                        std::uint64_t& delegation_count);

// `allow_drop`: peers whose empty/size-drop holds become passes, recorded with `reason`.
ExportPlan plan_exports(const std::vector<PeerSpec>& peers, std::span<const dns::Delegation> delegations,
                        std::span<const dns::ClasslessDelegation> classless, const std::vector<dns::Name>& served,
                        const std::filesystem::path& state_root, std::time_t now, const std::string& registry,
                        const safeguards::GateSettings& gates, ExportWhen when,
                        const std::vector<std::string>& allow_drop = {}, const std::string& reason = {});

// Writes every export whose action is kWrite (atomically), records its counts in STATE/zonelets/out/<peer>.json
// and prunes older exports beyond the peer's export-keep. Throws std::system_error naming the path.
void commit_exports(const ExportPlan& plan, const std::vector<PeerSpec>& peers, const std::filesystem::path& state_root);

nlohmann::json export_json(const ExportPlan& plan);
std::string export_text(const ExportPlan& plan);

}  // namespace rdnsprov::zonelets
