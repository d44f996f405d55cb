// Logging setup: human-readable lines on a terminal, one structured (logfmt) line per event otherwise, on stderr.
//
//   setup_logging("info");          // once, in main
//   spdlog::info("read {} objects", n);
#pragma once

#include <string>

namespace rdnsprov::cli {

void setup_logging(const std::string& level);
// True when stderr is a terminal (progress and colours are for people, not for cron).
bool stderr_is_terminal();

}  // namespace rdnsprov::cli
