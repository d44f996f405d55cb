// The stages wired together: every configured source read into one collector, then the zones built.
//
//   ingest::IngestResult ingested = read_sources(config);          // throws on a broken source (names it)
//   builder::BuildResult built = build_zones(config, ingested, now);
//
// This file only connects stages; the rules live in ingest/ and builder/.
#pragma once

#include <cstdint>
#include <ctime>

#include "builder/builder.h"
#include "cli/config.h"
#include "ingest/registry.h"

namespace rdnsprov::cli {

// Reads every [source.NAME] in order. Throws std::system_error (file) or ingest::SourceError (database), each
// naming the source; bad objects are rejects in the result, never exceptions.
ingest::IngestResult read_sources(const Config& config);

// Builds every configured zone from what was ingested; each zone's serial from its policy at `now`.
builder::BuildResult build_configured_zones(const Config& config, const ingest::IngestResult& ingested,
                                            std::time_t now);

}  // namespace rdnsprov::cli
