// The keys of [target.NAME] sections for server targets (bind, knot, nsd, pdns-bind); docs/CONFIG.md lists them.
//
//   for (auto& [key, apply] : server_target_keys(target, type, config_file)) rules[key] = …;   // in load_config
//   for (const std::string& problem : server_target_problems(target)) …;                      // after the section
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rdnsprov::cli {

struct TargetConfig;

// bind, knot, nsd or pdns-bind: a zone directory, a zone list and a reload command.
bool is_server_target_type(const std::string& type);

// The keys a target of `type` takes beyond `type` and `path`; each applies a value to `target.server` or returns
// what is wrong with it. Relative paths are relative to the configuration file.
std::map<std::string, std::function<std::string(const std::string&)>> server_target_keys(
    TargetConfig& target, const std::string& type, const std::filesystem::path& config_file);

// What is missing in a complete server target section (each problem without the location).
std::vector<std::string> server_target_problems(const TargetConfig& target);

}  // namespace rdnsprov::cli
