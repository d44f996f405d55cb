// The publication targets of a run, made from the [target.NAME] sections of the configuration.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/config.h"
#include "publisher/target.h"

namespace rdnsprov::cli {

// One Target per [target.NAME], in configuration order. `list_drop_overrides` maps a target name to the reason
// an operator gave for letting its zone list shrink this once (run --allow-list-drop). Throws std::runtime_error
// naming the section when a target cannot be set up.
std::vector<std::unique_ptr<publisher::Target>> make_targets(
    const Config& config, const std::map<std::string, std::string>& list_drop_overrides = {});

}  // namespace rdnsprov::cli
