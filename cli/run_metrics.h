// The Prometheus textfile of a run ([general] metrics-file): what the last run did to each configured zone.
//
//   RunOutcome outcome{.command = "run", .exit_code = code, .now = global.now, .started = started, .plan = &plan};
//   outcome.lagging_servers[apex] = 2;            // SOA verification: servers not serving the new serial
//   write_run_metrics(config, state, outcome);    // logs a warning on failure; never changes the run's outcome
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "cli/config.h"
#include "dns/name.h"
#include "publisher/metrics.h"
#include "safeguards/plan.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::cli {

struct RunOutcome {
  std::string command = "run";                      // run | rebuild
  int exit_code = 0;
  std::time_t now = 0;                              // the run's clock (--now)
  std::chrono::steady_clock::time_point started;    // for the duration
  const safeguards::Plan* plan = nullptr;           // gate verdicts; null or empty when the run ended before
  std::map<dns::Name, std::uint64_t> lagging_servers;  // from SOA verification; a zone not listed lags nowhere
};

// The metrics of every configured zone: its published version as the state records it after the run, and the
// gates of `outcome.plan`.
publisher::RunMetrics run_metrics(const Config& config, const safeguards::StateDir& state, const RunOutcome& outcome);

// Signed zones whose published version's first signature expires within the zone policy's refresh window, or
// has expired. A run that publishes a signed zone re-signs whatever expires within that window, so this is a zone
// that has not been published for a while (held by a gate, frozen, a target failing): one message per zone,
// logged as a warning (an error once a signature has expired), and returned. Every `run` ends with it.
std::vector<std::string> check_published_signatures(const Config& config, const safeguards::StateDir& state,
                                                    std::time_t now);

// Writes config.metrics_file when it is set. A failure is logged, not thrown: metrics never change a run's outcome.
void write_run_metrics(const Config& config, const safeguards::StateDir& state, const RunOutcome& outcome);

}  // namespace rdnsprov::cli
