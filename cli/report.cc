#include "cli/report.h"

#include <map>

#include <fmt/format.h>

namespace rdnsprov::cli {

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string rejects_report(const std::vector<dns::Reject>& rejects, const std::vector<dns::Reject>& placement_errors) {
  std::string out;
  for (const auto* list : {&rejects, &placement_errors}) {
    for (const dns::Reject& r : *list) {
      out += printable(r.origin.to_string());
      out += '\t';
      out += printable(r.key);
      out += '\t';
      out += printable(r.reason);
      out += '\n';
    }
  }
  return out;
}

nlohmann::json build_summary(const ingest::IngestResult& ingested, const builder::BuildResult& built) {
  nlohmann::json zones = nlohmann::json::array();
  for (const builder::BuiltZone& z : built.zones) {
    auto serial = z.zone.serial();
    zones.push_back({{"zone", z.zone.apex().to_text_no_dot()},
                     {"file", z.zone.apex().to_text_no_dot() + ".zone"},
                     {"serial", serial ? serial->value() : 0},
                     {"delegations", z.counts.delegations},
                     {"classless", z.counts.classless},
                     {"cnames", z.counts.cnames},
                     {"ds", z.counts.ds},
                     {"glue", z.counts.glue},
                     {"records", z.counts.records}});
  }
  std::map<std::string, std::uint64_t> by_reason;
  for (const dns::Reject& r : ingested.rejects) by_reason[r.code.empty() ? "other" : r.code]++;
  std::map<std::string, std::uint64_t> placement_by_reason;
  for (const dns::Reject& r : built.placement_errors) placement_by_reason[r.code.empty() ? "other" : r.code]++;
  const ingest::IngestCounts& c = ingested.counts;
  return {
      {"ingest",
       {{"objects", c.objects},
        {"domain_objects", c.domain_objects},
        {"other_classes", c.other_classes},
        {"delegations", c.delegations},
        {"classless", c.classless},
        {"enum_skipped", c.enum_skipped},
        {"without_nserver", c.without_nserver},
        {"rejected", c.rejected},
        {"warnings", ingested.warnings.size()}}},
      {"rejects", {{"total", ingested.rejects.size()}, {"by_reason", by_reason}}},
      {"placement_errors", {{"total", built.placement_errors.size()}, {"by_reason", placement_by_reason}}},
      {"zones", zones},
  };
}

}  // namespace rdnsprov::cli
