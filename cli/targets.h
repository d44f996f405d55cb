// The publication targets of a run, made from the [target.NAME] sections of the configuration.
#pragma once

#include <memory>
#include <vector>

#include "cli/config.h"
#include "publisher/target.h"

namespace rdnsprov::cli {

// One Target per [target.NAME], in configuration order. Throws std::runtime_error naming the section when a
// target cannot be set up.
std::vector<std::unique_ptr<publisher::Target>> make_targets(const Config& config);

}  // namespace rdnsprov::cli
