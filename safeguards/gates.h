// Gates: named checks between a candidate and what is published. Each returns pass, hold or error with a reason an
// operator reads and the figures it used. A held zone keeps serving its last published version (I-3).
//
//   GateSettings settings;                                    // from [gates] (docs/CONFIG.md)
//   GateResult r = size_drop_gate("size-drop", before, after, settings.zone_drop);
//   if (r.verdict == Verdict::kHold) …                        // r.reason: "delegations 1000 → 600 (−40.0%) …"
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/delegation.h"
#include "dns/serial.h"
#include "safeguards/zone_facts.h"

namespace rdnsprov::safeguards {

enum class Verdict { kPass, kHold, kError };
const char* verdict_name(Verdict verdict);

struct GateResult {
  std::string gate;          // "empty-zone", "size-drop", "serial", "completeness", "backup", "freeze", "dnssec", …
  Verdict verdict = Verdict::kPass;
  std::string reason;
  nlohmann::json figures = nlohmann::json::object();
  nlohmann::json to_json() const;
};

// A drop is held when it is larger than `percent` of the old count AND at least `absolute` items: small zones
// may lose a few delegations without a hold; large ones may not lose many.
struct DropLimit {
  double percent = 10.0;
  std::uint64_t absolute = 20;
};

struct GateSettings {
  DropLimit zone_delegations{10.0, 20};     // per zone, delegations
  DropLimit zone_records{10.0, 100};        // per zone, every record
  DropLimit total_delegations{5.0, 100};    // over all zones together
  DropLimit list_entries{10.0, 2};          // server zone lists and zonelet exports
  bool allow_empty = false;                 // a zone with no delegation may be published for the first time
};

struct Counts {
  std::uint64_t delegations = 0;
  std::uint64_t records = 0;
};

// empty-zone: a candidate without any delegation is held, unless its published copy had none either (a zone that
// has always been empty) or empty zones are allowed.
GateResult empty_zone_gate(const std::optional<Counts>& published, const Counts& candidate, bool allow_empty);
// size-drop: delegations and records (per zone), or any counted items (zone lists, exports, all zones).
GateResult size_drop_gate(const std::string& gate, const std::string& what, std::uint64_t before, std::uint64_t after,
                          const DropLimit& limit);
// serial: `serial` must move forward (RFC 1982) of the last published serial and of every live serial observed.
GateResult serial_gate(dns::Serial serial, const std::optional<dns::Serial>& published,
                       const std::vector<std::pair<std::string, dns::Serial>>& live);
// completeness: every delegation and RFC 2317 CNAME expected in the zone is there, with exactly its NS, DS and glue.
GateResult completeness_gate(const ZoneFacts& candidate, std::span<const dns::Delegation> expected,
                             std::span<const dns::ClasslessDelegation> expected_classless);

}  // namespace rdnsprov::safeguards
