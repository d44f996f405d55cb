#include "cli/verification.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dns/zone.h"

namespace rdnsprov::cli {

publisher::VerifySettings verify_settings(const VerifyConfig& config) {
  publisher::VerifySettings s;
  s.servers = config.servers;
  s.query.timeout = std::chrono::seconds(config.timeout);
  s.query.retries = config.retries;
  s.deadline = std::chrono::seconds(config.deadline);
  s.read_back = config.read_back;
  return s;
}

LiveSerials ask_live_serials(const Config& config, safeguards::Journal* journal) {
  LiveSerials out;
  if (config.verify.servers.empty() || !config.verify.live_serials) return out;
  std::vector<dns::Name> zones;
  for (const ZoneConfig& z : config.zones) zones.push_back(z.spec.apex);
  for (const publisher::LiveSerial& live : publisher::live_serials(zones, verify_settings(config.verify))) {
    if (live.serial) {
      spdlog::debug("zone {}: {} serves serial {}", live.apex.to_text(), live.server, *live.serial);
      out[live.apex].emplace_back("server " + live.server, dns::Serial(*live.serial));
      continue;
    }
    spdlog::warn("live serial: {}; the serial moves forward of the others only", live.problem);
    if (journal) {
      journal->append("live-serial", {{"zone", live.apex.to_text()}, {"server", live.server}, {"problem", live.problem}});
    }
  }
  return out;
}

VerifyOutcome verify_published(const Config& config, const safeguards::StateDir& state,
                               const std::vector<dns::Name>& read_back, bool read_back_all,
                               safeguards::Journal* journal, std::ostream& out, bool print) {
  VerifyOutcome outcome;
  if (config.verify.servers.empty()) return outcome;
  publisher::VerifySettings settings = verify_settings(config.verify);
  std::vector<std::unique_ptr<dns::Zone>> parsed;  // kept alive for the read-back
  std::vector<publisher::ExpectedZone> expected;
  for (const ZoneConfig& zc : config.zones) {
    const dns::Name& apex = zc.spec.apex;
    auto published = state.published(apex);
    if (!published || !published->intact()) continue;  // never published, or damaged: run reports it (I-1)
    bool wants_content = settings.read_back &&
                         (read_back_all || std::find(read_back.begin(), read_back.end(), apex) != read_back.end());
    bool looks_signed = published->text.find("\tIN\tDNSKEY\t") != std::string::npos;
    publisher::ExpectedZone zone{apex, 0, {}, nullptr};
    if (wants_content || looks_signed) {
      dns::MasterFile file = dns::read_master_file(published->text, apex);
      if (!file.errors.empty()) {
        throw std::runtime_error(fmt::format("published copy of {} line {}: {}", apex.to_text(), file.errors[0].line,
                                             file.errors[0].reason));
      }
      auto z = std::make_unique<dns::Zone>(apex);
      for (dns::Record& r : file.records) {
        if (r.type == dns::RRType::kDnskey && r.owner == apex) zone.dnskeys.push_back(r);
        z->add(std::move(r));
      }
      z->canonicalise();
      if (wants_content) zone.published = z.get();
      parsed.push_back(std::move(z));
    }
    if (published->meta) {
      zone.serial = published->meta->serial;
    } else {
      continue;  // intact() implies metadata; never reached
    }
    expected.push_back(std::move(zone));
  }
  outcome.zones = expected.size();
  outcome.report = publisher::verify_servers(expected, settings);
  outcome.problems = outcome.report.problems();
  for (const publisher::ServerCheck& c : outcome.report.checks) {
    if (c.read_back == publisher::ReadBack::kRefused) {
      spdlog::info("zone {}: {} does not allow us to transfer it: not read back ({})", c.apex.to_text(), c.server,
                   c.read_back_note);
    }
    if (c.ok()) continue;
    spdlog::error("verify: {}", c.problem);
    if (journal) {
      journal->append("verify", {{"zone", c.apex.to_text()},
                                 {"server", c.server},
                                 {"state", publisher::server_state_name(c.state)},
                                 {"published_serial", c.expected},
                                 {"served_serial", c.served ? nlohmann::json(*c.served) : nlohmann::json()},
                                 {"problem", c.problem}});
    }
  }
  if (print || outcome.problems > 0) out << outcome.report.table();
  std::string summary = fmt::format("verified {} zones on {} servers in {} ms: {} zone × server pairs not current",
                                    outcome.zones, settings.servers.size(), outcome.report.elapsed.count(),
                                    outcome.problems);
  (outcome.problems ? spdlog::warn(summary) : spdlog::info(summary));
  return outcome;
}

}  // namespace rdnsprov::cli
