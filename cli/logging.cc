#include "cli/logging.h"

#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rdnsprov::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("rdnsprov");
  if (stderr_is_terminal()) {
    logger->set_pattern("%^%-5l%$ %v");
  } else {
    // One line per event, machine-parsable: ts=… level=… msg="…"
    logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l pid=%P msg=\"%v\"", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace rdnsprov::cli
