// Metrics: after each run a Prometheus textfile for node_exporter's textfile collector (text exposition format
// 0.0.4), written atomically so that a scrape never reads half a file.
//
//   RunMetrics m;
//   m.command = "run"; m.exit_code = 0; m.finished_at = now; m.duration_seconds = 12.5;
//   m.zones.push_back({.zone = "193.in-addr.arpa", .published = true, .serial = 1800000000, …});
//   m.zones.back().gates_held["size-drop"] = true;          // the zone was held by size-drop in this run
//   m.zones.back().lagging_servers = 1;                      // filled by SOA verification; 0 by default
//   write_metrics_file("/var/lib/prometheus/node-exporter/rdnsprov.prom", m);   // throws std::system_error
//
// Every metric is a gauge named rdnsprov_*, with HELP and TYPE lines; label values are escaped as the exposition
// format requires (backslash, double quote, newline). Zones appear in the order given (callers pass canonical
// order), gates in name order: the same run gives the same bytes.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rdnsprov::publisher {

struct ZoneMetrics {
  std::string zone;                    // apex without the trailing dot, as in file names
  bool published = false;              // a published version exists: the four figures below are set
  std::uint32_t serial = 0;            // SOA serial of the published version
  std::uint64_t delegations = 0;
  std::uint64_t records = 0;
  std::time_t published_at = 0;        // when that version was published
  std::optional<std::time_t> signatures_expire_at;  // signed zones: when that version's first signature expires
  bool held = false;                   // this run held the zone (it keeps serving the version above)
  std::map<std::string, bool> gates_held;  // gate → it held (or errored) the zone in this run; every gate evaluated
  std::uint64_t lagging_servers = 0;   // nameservers not serving `serial` after this run (SOA verification)
  // Signed zones: whether a key rollover waits for the operator to confirm a new DS at the parent (keys ds-seen).
  std::optional<bool> ds_confirmation_pending;
};

struct RunMetrics {
  std::string command = "run";         // run | rebuild
  int exit_code = 0;
  std::time_t finished_at = 0;         // the run's clock when it ended
  double duration_seconds = 0;         // wall-clock duration of the run
  std::vector<ZoneMetrics> zones;
};

// Label value escaping of the text exposition format: \ → \\, " → \", newline → \n.
std::string escape_label_value(const std::string& value);

// The textfile: HELP and TYPE lines followed by the samples of each metric family.
std::string metrics_text(const RunMetrics& metrics);

// Writes metrics_text atomically (mode 0644: node_exporter reads it as another user). Throws std::system_error
// naming the file.
void write_metrics_file(const std::filesystem::path& file, const RunMetrics& metrics);

}  // namespace rdnsprov::publisher
