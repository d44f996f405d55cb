#include "cli/pipeline.h"

#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ingest/postgres_source.h"
#include "ingest/read_ahead.h"
#include "ingest/rpsl_reader.h"

namespace rdnsprov::cli {

ingest::IngestResult read_sources(const Config& config) {
  ingest::RegistryCollector collector;
  for (const SourceConfig& source : config.sources) {
    auto label = std::make_shared<const std::string>(source.name);
    std::uint64_t objects = 0;
    if (source.type == "rpsl") {
      auto file = std::make_shared<const std::string>(source.path.string());
      // The dump is read on a second core while this one checks the objects already read.
      ingest::ReadAhead reader(ingest::RpslReader::open_file(source.path));
      while (true) {
        std::span<const ingest::RpslObject> batch = reader.next_batch();
        if (batch.empty()) break;
        for (const ingest::RpslObject& object : batch) {
          collector.add(object, dns::Origin::in_file(label, file, object.line));
        }
        objects += batch.size();
      }
    } else {
      ingest::PostgresSource database(source.name, source.conninfo, source.query);
      ingest::RpslObject object;
      database.read([&](const std::string& row_id, const std::string& text) {
        ingest::RpslReader reader = ingest::RpslReader::from_text(text);
        dns::Origin origin = dns::Origin::in_row(label, row_id);
        bool any = false;
        while (reader.next(object)) {
          collector.add(object, origin);
          ++objects;
          any = true;
        }
        if (!any) {
          // An empty or NULL row is reported like any other unusable object, never silently skipped.
          ingest::RpslObject empty;
          empty.syntax_errors.emplace_back(0, "the row holds no RPSL object");
          collector.add(empty, origin);
          ++objects;
        }
      });
    }
    spdlog::info("source {}: {} objects read", source.name, objects);
  }
  return std::move(collector).finish();
}

builder::BuildResult build_configured_zones(const Config& config, const ingest::IngestResult& ingested,
                                            std::time_t now) {
  std::vector<builder::ZoneSpec> specs;
  specs.reserve(config.zones.size());
  for (const ZoneConfig& zone : config.zones) specs.push_back(zone.spec);
  builder::BuildResult built = builder::build_zones(specs, ingested.delegations, ingested.classless, dns::Serial(1));
  for (std::size_t i = 0; i < built.zones.size(); ++i) {
    for (const ZoneConfig& zone : config.zones) {
      if (zone.spec.apex == built.zones[i].zone.apex()) {
        built.zones[i].zone.set_serial(safeguards::policy_serial(zone.serial_policy, now));
      }
    }
  }
  return built;
}

void keep_until_exit(ingest::IngestResult&& ingested, builder::BuildResult&& built) {
  struct Kept {
    ingest::IngestResult ingested;
    builder::BuildResult built;
  };
  // Deliberately never freed (see pipeline.h). The static pointers keep it reachable, so leak checkers do not
  // count it as lost.
  static std::mutex mutex;
  static auto* kept = new std::vector<Kept*>();
  std::lock_guard lock(mutex);
  kept->push_back(new Kept{std::move(ingested), std::move(built)});
}

}  // namespace rdnsprov::cli
