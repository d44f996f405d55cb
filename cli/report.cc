#include "cli/report.h"

#include <map>

#include <fmt/format.h>

#include "ingest/printable.h"

namespace rdnsprov::cli {

std::string reject_category(const dns::Reject& reject) {
  if (!reject.code.empty()) return reject.code;
  // Ordered: the first phrase found names the category. Reasons are written by ingest/ and builder/.
  static const std::pair<const char*, const char*> kPhrases[] = {
      {"duplicate of", "duplicate-key"},
      {"range overlaps", "overlapping-ranges"},
      {"too many octets", "too-many-octets"},
      {"too many labels", "too-many-nibbles"},
      {"invalid use of dash notation", "dash-notation"},
      {"needs a glue address", "glue-missing"},
      {"given for", "glue-outside"},
      {"octets, this one has", "ds-digest-length"},
      {"ds-rdata", "ds-rdata"},
      {"is not allowed", "unsafe-or-invalid-character"},
      {"invalid name", "invalid-name"},
      {"not a reverse DNS name", "not-reverse"},
      {"nserver", "nserver"},
      {"not inside any served zone", "outside-served-zones"},
      {"apex of", "at-apex"},
      {"below the delegation", "below-delegation"},
      {"collide", "collision"},
      {"domain (line", "domain-key"},
      {"line ", "syntax"},
  };
  for (const auto& [phrase, code] : kPhrases) {
    if (reject.reason.find(phrase) != std::string::npos) return code;
  }
  return "other";
}

std::string rejects_report(const std::vector<dns::Reject>& rejects, const std::vector<dns::Reject>& placement_errors) {
  std::string out;
  for (const auto* list : {&rejects, &placement_errors}) {
    for (const dns::Reject& r : *list) {
      out += ingest::printable_excerpt(r.origin.to_string(), 4096);
      out += '\t';
      out += ingest::printable_excerpt(r.key, 4096);
      out += '\t';
      out += ingest::printable_excerpt(r.reason, 4096);
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
  for (const dns::Reject& r : ingested.rejects) by_reason[reject_category(r)]++;
  std::map<std::string, std::uint64_t> placement_by_reason;
  for (const dns::Reject& r : built.placement_errors) placement_by_reason[reject_category(r)]++;
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
