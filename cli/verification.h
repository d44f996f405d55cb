// The nameservers of [verify] in the commands: live serials before publishing (I-4), verification after it (I-7).
//
//   LiveSerials live = ask_live_serials(config, &state.journal());   // zone → (server, serial it serves now)
//   prepare(..., live);                                                // the serial gate moves forward of them
//   ...publish, finish targets...
//   VerifyOutcome v = verify_published(config, state, published_now, &state.journal(), std::cout);
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/config.h"
#include "dns/name.h"
#include "dns/serial.h"
#include "publisher/verify.h"
#include "safeguards/journal.h"
#include "safeguards/state_dir.h"

namespace rdnsprov::cli {

// Zone → (label naming the server, serial it serves now).
using LiveSerials = std::map<dns::Name, std::vector<std::pair<std::string, dns::Serial>>>;

publisher::VerifySettings verify_settings(const VerifyConfig& config);

// Asks every [verify] server for the serial of every configured zone. A server that does not answer or does not
// serve a zone yet is a warning (logged; journaled as "live-serial" when `journal` is given), never a stop.
LiveSerials ask_live_serials(const Config& config, safeguards::Journal* journal);

struct VerifyOutcome {
  std::size_t zones = 0;      // zones checked (configured, with an intact published copy)
  std::size_t problems = 0;   // zone × server pairs that lag, cannot be asked, or serve other content
  publisher::VerifyReport report;
};

// Checks every configured zone with a published copy on every [verify] server: the published serial, the
// published DNSKEY set of signed zones, and (with read-back on) the content of the zones in `read_back` (all of
// them when `read_back_all`). Journals one "verify" event per pair that is not current when `journal` is given.
// Prints the table to `out` when `print` or when something is wrong. Throws when the published copies cannot be
// read.
VerifyOutcome verify_published(const Config& config, const safeguards::StateDir& state,
                               const std::vector<dns::Name>& read_back, bool read_back_all,
                               safeguards::Journal* journal, std::ostream& out, bool print);

}  // namespace rdnsprov::cli
