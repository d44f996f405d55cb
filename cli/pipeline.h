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

// Takes what was ingested and built out of the caller's hands and never frees it. For a command that ends the
// process right after its output is written, flushed and synced: handing millions of small allocations back to
// the allocator one by one takes seconds (about 2 s for a million delegations) and gives nothing back that the
// end of the process would not. Only memory is left behind; never call it before every file is complete.
void keep_until_exit(ingest::IngestResult&& ingested, builder::BuildResult&& built);

}  // namespace rdnsprov::cli
