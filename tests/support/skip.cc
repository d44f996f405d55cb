#include "tests/support/skip.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string_view>

#include "tests/support/support.h"

namespace rdnsprov::testing {

namespace {

// The Debian packages ops/setup installs, by the programs the tests run.
std::string package_of(std::string_view program) {
  static const std::map<std::string, std::string, std::less<>> packages = {
      {"knotd", "knot"},
      {"knotc", "knot"},
      {"keymgr", "knot"},
      {"kdig", "knot-dnsutils"},
      {"kzonecheck", "knot-dnssecutils"},
      {"kzonesign", "knot-dnssecutils"},
      {"dig", "bind9-dnsutils"},
      {"named", "bind9"},
      {"tsig-keygen", "bind9"},
      {"rndc", "bind9-utils"},
      {"named-checkzone", "bind9-utils"},
      {"dnssec-verify", "bind9-utils"},
      {"dnssec-dsfromkey", "bind9-utils"},
      {"dnssec-keygen", "bind9-utils"},
      {"dnssec-revoke", "bind9-utils"},
      {"dnssec-signzone", "bind9-utils"},
      {"ldns-verify-zone", "ldnsutils"},
      {"ldns-signzone", "ldnsutils"},
      {"unbound", "unbound"},
      {"unbound-control", "unbound"},
      {"nsd", "nsd"},
      {"nsd-control", "nsd"},
      {"nsd-control-setup", "nsd"},
      {"pdns_server", "pdns-server"},
      {"pdns_control", "pdns-server"},
      {"pdnsutil", "pdns-server"},
      {"psql", "postgresql-client"},
      {"prometheus-node-exporter", "prometheus-node-exporter"},
  };
  std::string_view name = program.substr(program.rfind('/') == std::string_view::npos ? 0 : program.rfind('/') + 1);
  auto it = packages.find(name);
  return it == packages.end() ? "a Debian package, see ops/setup" : "Debian package " + it->second;
}

}  // namespace

std::string missing_programs(const std::vector<std::string>& programs) {
  std::string out;
  for (const std::string& program : programs) {
    if (have_program(program)) continue;
    if (!out.empty()) out += ", ";
    out += program + " (" + package_of(program) + ", installed by ops/setup)";
  }
  return out;
}

std::string missing_file(const std::string& path, const std::string& package) {
  if (std::filesystem::exists(path)) return {};
  return path + " (Debian package " + package + ", installed by ops/setup)";
}

bool everything_required() {
  const char* value = std::getenv("RDNSPROV_TESTS_REQUIRE_ALL");
  return value != nullptr && std::string_view(value) == "1";
}

}  // namespace rdnsprov::testing
