// `rdnsprov check` and `rdnsprov build --out DIR`: ingest and build without any state, for inspection.
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config.h"
#include "cli/exit_codes.h"
#include "cli/pipeline.h"
#include "cli/zonelets_step.h"
#include "cli/report.h"
#include "dns/atomic_file.h"
#include "dns/thread_pool.h"

namespace rdnsprov::cli {
namespace {

namespace po = boost::program_options;

void print_counts(const ingest::IngestResult& ingested, const builder::BuildResult& built) {
  const ingest::IngestCounts& c = ingested.counts;
  std::cout << fmt::format(
      "objects read: {} ({} domain, {} of other classes skipped)\n"
      "accepted: {} delegations, {} classless ranges; {} e164.arpa skipped; {} without nserver\n"
      "rejected: {} objects; {} placement errors; {} warnings\n",
      c.objects, c.domain_objects, c.other_classes, c.delegations, c.classless, c.enum_skipped, c.without_nserver,
      c.rejected, built.placement_errors.size(), ingested.warnings.size());
  std::cout << fmt::format("{:<40} {:>12} {:>10} {:>9} {:>10} {:>11}\n", "zone", "delegations", "classless",
                           "CNAMEs", "DS", "records");
  for (const builder::BuiltZone& z : built.zones) {
    std::cout << fmt::format("{:<40} {:>12} {:>10} {:>9} {:>10} {:>11}\n", z.zone.apex().to_text(),
                             z.counts.delegations, z.counts.classless, z.counts.cnames, z.counts.ds,
                             z.counts.records);
  }
}

}  // namespace

int run_check(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov check");
  options.add_options()("help,h", "this help")("strict", "exit 1 when any object is rejected or cannot be placed")(
      "rejects", "print every reject (origin, key, reason)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] check [--strict] [--rejects]\n"
                 "Reads the configuration and every source, builds every zone in memory, and prints the counts.\n"
                 "Writes nothing. Exit: 0 ok, 1 a source cannot be read (or --strict and rejects), 2 usage or "
                 "configuration error.\n\n"
              << options;
    return kExitOk;
  }
  Config config = load_config(global.config_file);
  ingest::IngestResult ingested = read_sources(config);
  prepare_zonelets(config, config.state, global.now, ingested);  // peers' zonelets, as run would build with them
  builder::BuildResult built = build_configured_zones(config, ingested, global.now);
  print_counts(ingested, built);
  if (vm.count("rejects")) std::cout << rejects_report(ingested.rejects, built.placement_errors);
  bool any_reject = !ingested.rejects.empty() || !built.placement_errors.empty();
  if (any_reject && !vm.count("rejects")) {
    std::cout << "(rdnsprov check --rejects lists them)\n";
  }
  return vm.count("strict") && any_reject ? kExitError : kExitOk;
}

int run_build(const GlobalOptions& global, const std::vector<std::string>& args) {
  po::options_description options("rdnsprov build");
  std::string out;
  options.add_options()("help,h", "this help")("out", po::value(&out)->required(), "output directory");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << "Usage: rdnsprov [--config FILE] build --out DIR\n"
                 "Builds every configured zone (unsigned) from the sources and writes DIR/<zone>.zone (one master "
                 "file per zone),\nDIR/summary.json (counts per zone, rejects by reason) and DIR/rejects.txt (one line "
                 "per reject: origin, key, reason).\nEvery file is written atomically. Touches no state.\n"
                 "Exit: 0 ok, 1 a source or the output cannot be read or written, 2 usage or configuration error.\n\n"
              << options;
    return kExitOk;
  }
  po::notify(vm);
  Config config = load_config(global.config_file);
  ingest::IngestResult ingested = read_sources(config);
  prepare_zonelets(config, config.state, global.now, ingested);  // peers' zonelets, as run would build with them
  builder::BuildResult built = build_configured_zones(config, ingested, global.now);
  std::filesystem::path dir(out);
  std::filesystem::create_directories(dir);
  // Zones are independent: each is turned into text and written on its own core.
  dns::ThreadPool pool;
  pool.parallel_for(built.zones.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const dns::Zone& zone = built.zones[i].zone;
      dns::write_file_atomically(dir / (zone.apex().to_text_no_dot() + ".zone"), dns::to_master_file(zone));
    }
  });
  dns::write_file_atomically(dir / "summary.json", build_summary(ingested, built).dump(2) + "\n");
  dns::write_file_atomically(dir / "rejects.txt", rejects_report(ingested.rejects, built.placement_errors));
  spdlog::info("wrote {} zones to {} ({} rejects, {} placement errors)", built.zones.size(), dir.string(),
               ingested.rejects.size(), built.placement_errors.size());
  // Every file is written and synced: the process ends now, and freeing a million delegations one by one would
  // only delay that.
  keep_until_exit(std::move(ingested), std::move(built));
  return kExitOk;
}

}  // namespace rdnsprov::cli
