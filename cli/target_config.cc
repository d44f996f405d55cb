#include "cli/target_config.h"

#include <fmt/format.h>

#include "cli/config.h"
#include "dns/rdata.h"

namespace rdnsprov::cli {
namespace {

using Apply = std::function<std::string(const std::string&)>;

// A path written into a server's configuration between double quotes: no quote, backslash or line break.
Apply path_key(std::filesystem::path& field, const std::filesystem::path& config_file) {
  return [&field, config_file](const std::string& v) {
    if (v.empty() || v.find_first_of("\"\\\n\r") != std::string::npos) {
      return std::string("expected a path without double quotes or backslashes");
    }
    std::filesystem::path p(v);
    field = p.is_absolute() ? p.lexically_normal()
                            : (std::filesystem::absolute(config_file).parent_path() / p).lexically_normal();
    return std::string();
  };
}

Apply path_text_key(std::string& field, const std::filesystem::path& config_file) {
  return [&field, config_file](const std::string& v) {
    std::filesystem::path p;
    std::string problem = path_key(p, config_file)(v);
    if (problem.empty()) field = p.string();
    return problem;
  };
}

// A name written into a server's configuration (a Knot template id, an NSD pattern, an rndc server).
Apply word_key(std::string& field) {
  return [&field](const std::string& v) {
    if (v.empty() || v.find_first_of(" \t\"\\;{}#") != std::string::npos) {
      return std::string("expected one word without quotes, backslashes, ';', '{', '}' or '#'");
    }
    field = v;
    return std::string();
  };
}

Apply command_key(std::optional<publisher::CommandTemplate>& field) {
  return [&field](const std::string& v) {
    std::string error;
    field = publisher::CommandTemplate::parse(v, &error);
    return field ? std::string() : error;
  };
}

}  // namespace

bool is_server_target_type(const std::string& type) {
  return type == "bind" || type == "knot" || type == "nsd" || type == "pdns-bind";
}

std::map<std::string, Apply> server_target_keys(TargetConfig& target, const std::string& type,
                                                const std::filesystem::path& config_file) {
  std::map<std::string, Apply> keys;
  if (!is_server_target_type(type)) return keys;
  publisher::ServerTargetSettings& s = target.server;
  keys["zone-list"] = path_key(s.zone_list, config_file);
  keys["server-path"] = path_key(s.server_directory, config_file);
  keys["reload-command"] = command_key(s.reload_command);
  keys["reconfig-command"] = command_key(s.reconfig_command);
  keys["reload-timeout"] = [&s](const std::string& v) {
    auto seconds = dns::rdata::ttl_from_text(v);
    if (!seconds || *seconds == 0 || *seconds > 3600) return std::string("expected 1 second to 1 hour (e.g. 30, 2m)");
    s.reload_timeout = std::chrono::seconds(*seconds);
    return std::string();
  };
  if (type == "bind") {
    keys["rndc-server"] = word_key(s.rndc_server);
    keys["rndc-port"] = [&s](const std::string& v) {
      if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) == 0 ||
          std::stoul(v) > 65535) {
        return std::string("expected a port from 1 to 65535");
      }
      s.rndc_port = v;
      return std::string();
    };
    keys["rndc-key-file"] = path_text_key(s.rndc_key_file, config_file);
    keys["rndc-config"] = path_text_key(s.rndc_config, config_file);
  } else if (type == "knot") {
    keys["knotc-socket"] = path_text_key(s.knotc_socket, config_file);
    keys["knot-template"] = word_key(s.knot_template);
  } else if (type == "nsd") {
    keys["nsd-control-config"] = path_text_key(s.nsd_control_config, config_file);
    keys["nsd-pattern"] = word_key(s.nsd_pattern);
  } else if (type == "pdns-bind") {
    keys["pdns-socket-dir"] = path_text_key(s.pdns_socket_dir, config_file);
    keys["pdns-config-dir"] = path_text_key(s.pdns_config_dir, config_file);
  }
  return keys;
}

std::vector<std::string> server_target_problems(const TargetConfig& target) {
  std::vector<std::string> problems;
  if (!is_server_target_type(target.type)) return problems;
  if (target.path.empty()) problems.push_back(fmt::format("type {} needs \"path\" (the zone directory)", target.type));
  if (target.path.string().find_first_of("\"\\\n\r") != std::string::npos) {
    problems.push_back("path: a server target's path must not contain double quotes or backslashes");
  }
  return problems;
}

}  // namespace rdnsprov::cli
