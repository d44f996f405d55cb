// Fuzzes the value rules of a domain object (ingest/domain_object): the key, `nserver` ("host" or "host address",
// glue rules) and `ds-rdata` ("keytag algorithm digesttype digest"), reached directly with any bytes, not only
// the ones the RPSL reader lets through (a database row hands values over as they are stored).
//
// Input: the first line is the domain key; each further line is an attribute: "n" + value is an nserver,
// "d" + value a ds-rdata, anything else an attribute of another name. Checks: a reject reason is one report line;
// an accepted delegation gives inert master-file lines that read back as the same records, and written back as
// RPSL it is accepted again with the same content; glue only for nameservers inside the delegated name.
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/zone.h"
#include "ingest/domain_object.h"
#include "ingest/registry.h"
#include "tests/fuzz/fuzz_checks.h"

using namespace rdnsprov;
using fuzz::fuzz_require;

namespace {

const dns::Delegation* delegation_of(const ingest::ObjectVerdict& v) {
  if (v.kind == ingest::ObjectVerdict::Kind::kDelegation) return &v.delegation;
  if (v.kind == ingest::ObjectVerdict::Kind::kClassless) return &v.classless.delegation;
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ingest::RpslObject object;
  object.line = 1;
  std::uint64_t line = 0;
  for (std::size_t start = 0; start <= input.size();) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view text = input.substr(start, end - start);
    ++line;
    ingest::RpslAttribute a;
    a.line = line;
    if (line == 1) {
      a.name = "domain";
      a.value = std::string(text);
    } else if (!text.empty() && text.front() == 'n') {
      a.name = "nserver";
      a.value = std::string(text.substr(1));
    } else if (!text.empty() && text.front() == 'd') {
      a.name = "ds-rdata";
      a.value = std::string(text.substr(1));
    } else {
      a.name = "remarks";
      a.value = std::string(text);
    }
    object.attributes.push_back(std::move(a));
    start = end + 1;
  }

  auto source = std::make_shared<const std::string>("fuzz");
  dns::Origin origin = dns::Origin::in_row(source, "1");
  ingest::DomainCheck check = ingest::check_domain_object(object, origin);
  const ingest::ObjectVerdict& verdict = check.verdict;
  fuzz_require(fuzz::one_report_line(verdict.reason), "a reject reason spans report lines", input, verdict.reason);
  for (const std::string& w : verdict.warnings) {
    fuzz_require(fuzz::one_report_line(w), "a warning spans report lines", input, w);
  }
  // The collector's entry point must agree with the per-object one.
  ingest::ObjectVerdict direct = ingest::validate_domain_object(object, origin);
  fuzz_require(direct.kind == verdict.kind && direct.reason == verdict.reason,
               "validate_domain_object and check_domain_object disagree", input);

  const dns::Delegation* d = delegation_of(verdict);
  if (!d) return 0;
  fuzz_require(check.name.has_value() && *check.name == d->child, "the checked name is not the delegated name",
               input);
  for (const dns::GlueAddress& g : d->glue) {
    fuzz_require(g.host.is_at_or_below(d->child.parent()) || g.host.is_at_or_below(d->child),
                 "glue accepted for a nameserver outside the delegation", input, g.host.to_text());
    fuzz_require(g.address.size() == (g.type == dns::RRType::kA ? 4u : 16u), "glue of the wrong length", input);
  }

  std::string master;
  std::vector<dns::Record> records;
  for (const dns::Name& ns : d->nameservers) records.push_back({d->child, dns::RRType::kNs, 60, dns::rdata::ns(ns)});
  for (const std::string& ds : d->ds) records.push_back({d->child, dns::RRType::kDs, 60, ds});
  for (const dns::GlueAddress& g : d->glue) records.push_back({g.host, g.type, 60, g.address});
  for (const dns::Record& r : records) {
    std::string text = dns::master_line(r);
    fuzz_require(fuzz::one_master_line(text), "an accepted value gives a master-file line that is not inert", input,
                 text);
    master += text;
  }
  dns::MasterFile back = dns::read_master_file(master, dns::Name());
  fuzz_require(back.errors.empty() && back.records == records, "master-file lines of accepted values read back "
               "differently", input, master);

  // Written back as RPSL values, read again: the same delegation.
  ingest::RpslObject again;
  again.line = 1;
  again.attributes.push_back({"domain", object.attributes.front().value, 1});
  std::uint64_t n = 1;
  for (const dns::Name& ns : d->nameservers) {
    bool glued = false;
    for (const dns::GlueAddress& g : d->glue) {
      if (g.host != ns) continue;
      again.attributes.push_back(
          {"nserver", fmt::format("{} {}", ns.to_text(), dns::rdata::to_text(g.type, g.address)), ++n});
      glued = true;
    }
    if (!glued) again.attributes.push_back({"nserver", ns.to_text(), ++n});
  }
  for (const std::string& ds : d->ds) {
    again.attributes.push_back({"ds-rdata", dns::rdata::to_text(dns::RRType::kDs, ds), ++n});
  }
  ingest::ObjectVerdict second = ingest::validate_domain_object(again, origin);
  const dns::Delegation* d2 = delegation_of(second);
  fuzz_require(d2 != nullptr, "accepted values, written back, are rejected", input, second.reason);
  fuzz_require(d2->same_content(*d), "accepted values, written back, read differently", input);
  return 0;
}
