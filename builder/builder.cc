#include "builder/builder.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "builder/canonical_order.h"
#include "builder/placement.h"
#include "builder/served_zones.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/thread_pool.h"

namespace rdnsprov::builder {
namespace {

// "[config] zone 193.in-addr.arpa": the origin of a problem with a zone's own configuration.
dns::Origin zone_origin(const dns::Name& apex) {
  static const auto kConfig = std::make_shared<const std::string>("config");
  return dns::Origin::in_file(kConfig, std::make_shared<const std::string>("zone " + apex.to_text_no_dot()), 0);
}

// Records are collected in two lists: `in_order` gets what is already in canonical order because the plain
// delegations come in canonical order of child (each delegation's NS and DS, then its glue, which lies below
// it); `others` gets the rest (apex records, classless ranges with their RFC 2317 CNAMEs and glue). Merging the
// two is linear, where sorting a million records label by label is not.
struct ZoneRecords {
  std::vector<dns::Record> in_order;
  std::vector<dns::Record> others;
};

// A delegation's NS, DS and glue, appended to `out` in canonical order (after a normalise()).
void add_delegation_records(std::vector<dns::Record>& out, const ZoneSpec& spec, const dns::Delegation& delegation,
                            ZoneCounts& counts) {
  // Within an RRset canonical order is by rdata octets (RFC 4034 §6.3), not by the nameservers' name order.
  std::size_t first_ns = out.size();
  for (const dns::Name& nameserver : delegation.nameservers) {
    out.push_back(dns::Record{delegation.child, dns::RRType::kNs, spec.delegation_ttl, dns::rdata::ns(nameserver)});
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first_ns), out.end(),
            [](const dns::Record& a, const dns::Record& b) { return a.rdata < b.rdata; });
  for (const std::string& ds : delegation.ds) {  // normalise() sorted them by octets
    out.push_back(dns::Record{delegation.child, dns::RRType::kDs, spec.ds_ttl, ds});
  }
  for (const dns::GlueAddress& glue : delegation.glue) {  // normalise() sorted them by host, type, address
    out.push_back(dns::Record{glue.host, glue.type, spec.glue_ttl, glue.address});
  }
  ++counts.delegations;
  counts.ds += delegation.ds.size();
  counts.glue += delegation.glue.size();
}

// RFC 2317 §4: a.Z.Y.X.in-addr.arpa. CNAME a.A-B.Z.Y.X.in-addr.arpa. for every address a of the range.
void add_classless_cnames(std::vector<dns::Record>& out, const ZoneSpec& spec, const dns::ClasslessDelegation& range,
                          ZoneCounts& counts) {
  for (unsigned octet = range.first; octet <= range.last; ++octet) {
    std::string label = std::to_string(octet);
    auto owner = range.block.prepend(label);
    auto target = range.delegation.child.prepend(label);
    // Placement checked that the range's name matches its block, so both names are valid.
    assert(owner.ok() && target.ok());
    out.push_back(dns::Record{std::move(*owner), dns::RRType::kCname, spec.cname_ttl, dns::rdata::cname(*target)});
    ++counts.cnames;
  }
}

std::size_t record_estimate(const ZoneSpec& spec, std::span<const dns::Delegation* const> delegations,
                            std::span<const dns::ClasslessDelegation* const> classless) {
  std::size_t n = 1 + spec.nameservers.size() + spec.nameserver_addresses.size();
  for (const dns::Delegation* d : delegations) n += d->nameservers.size() + d->ds.size() + d->glue.size();
  for (const dns::ClasslessDelegation* c : classless) {
    const dns::Delegation& d = c->delegation;
    n += d.nameservers.size() + d.ds.size() + d.glue.size() + (c->last - c->first + 1u);
  }
  return n;
}

BuiltZone build_zone(const ZoneSpec& spec, std::span<const dns::Delegation* const> delegations,
                     std::span<const dns::ClasslessDelegation* const> classless, dns::Serial serial,
                     std::vector<dns::Reject>& errors) {
  BuiltZone built{dns::Zone(spec.apex), {}, {}, {}};
  ZoneRecords records;
  records.in_order.reserve(record_estimate(spec, delegations, classless));
  std::vector<dns::Record>& apex_records = records.others;

  dns::rdata::Soa soa{spec.soa_mname, spec.soa_rname, serial.value(), spec.soa_refresh, spec.soa_retry,
                      spec.soa_expire, spec.soa_minimum};
  apex_records.push_back(dns::Record{spec.apex, dns::RRType::kSoa, spec.soa_ttl, dns::rdata::soa(soa)});

  std::string apex_text = spec.apex.to_text_no_dot();
  if (spec.nameservers.empty()) {
    errors.push_back(dns::Reject{zone_origin(spec.apex), apex_text, "the zone has no apex nameserver"});
  }
  for (const dns::Name& nameserver : spec.nameservers) {
    apex_records.push_back(dns::Record{spec.apex, dns::RRType::kNs, spec.ns_ttl, dns::rdata::ns(nameserver)});
    if (!nameserver.is_at_or_below(spec.apex)) continue;
    bool has_address = std::any_of(spec.nameserver_addresses.begin(), spec.nameserver_addresses.end(),
                                   [&](const dns::GlueAddress& address) { return address.host == nameserver; });
    if (!has_address) {
      errors.push_back(dns::Reject{
          zone_origin(spec.apex), apex_text,
          fmt::format("apex nameserver {} is inside the zone and has no address", nameserver.to_text_no_dot())});
    }
  }
  // Addresses of apex nameservers outside the zone belong to other zones: only those inside are served here.
  for (const dns::GlueAddress& address : spec.nameserver_addresses) {
    if (address.host.is_at_or_below(spec.apex)) {
      apex_records.push_back(dns::Record{address.host, address.type, spec.ns_ttl, address.address});
    }
  }

  built.delegations.reserve(delegations.size());
  for (const dns::Delegation* placed : delegations) {
    dns::Delegation& delegation = built.delegations.emplace_back(*placed);
    delegation.normalise();
    add_delegation_records(records.in_order, spec, delegation, built.counts);
  }
  built.classless.reserve(classless.size());
  for (const dns::ClasslessDelegation* placed : classless) {
    dns::ClasslessDelegation& range = built.classless.emplace_back(*placed);
    range.delegation.normalise();
    add_delegation_records(records.others, spec, range.delegation, built.counts);
    add_classless_cnames(records.others, spec, range, built.counts);
    ++built.counts.classless;
  }

  // Handing canonicalise records already in order leaves it only duplicates and TTLs to merge (and, until it
  // checks for sorted input, a sort that finds nothing to move).
  built.zone.mutable_records() = merge_canonically(std::move(records.in_order), std::move(records.others));
  built.zone.canonicalise();
  built.counts.records = built.zone.records().size();
  return built;
}

// Same input in any order, same report: by key, then origin, then reason.
void sort_errors(std::vector<dns::Reject>& errors) {
  std::vector<std::string> origins;
  origins.reserve(errors.size());
  for (const dns::Reject& e : errors) origins.push_back(e.origin.to_string());
  std::vector<std::size_t> order(errors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(errors[a].key, origins[a], errors[a].reason) <
           std::tie(errors[b].key, origins[b], errors[b].reason);
  });
  std::vector<dns::Reject> sorted;
  sorted.reserve(errors.size());
  for (std::size_t i : order) sorted.push_back(std::move(errors[i]));
  errors = std::move(sorted);
}

}  // namespace

BuildResult build_zones(std::span<const ZoneSpec> specs, std::span<const dns::Delegation> delegations,
                        std::span<const dns::ClasslessDelegation> classless, dns::Serial serial) {
  BuildResult result;

  // Served zones in canonical order of apex; a second spec for the same apex is a configuration error.
  std::vector<std::size_t> order(specs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return specs[a].apex < specs[b].apex; });
  std::vector<const ZoneSpec*> served_specs;
  std::vector<dns::Name> apexes;
  served_specs.reserve(specs.size());
  apexes.reserve(specs.size());
  for (std::size_t i : order) {
    const ZoneSpec& spec = specs[i];
    if (!apexes.empty() && apexes.back() == spec.apex) {
      result.placement_errors.push_back(dns::Reject{
          zone_origin(spec.apex), spec.apex.to_text_no_dot(),
          "the zone is configured more than once: only the first configuration is built"});
      continue;
    }
    served_specs.push_back(&spec);
    apexes.push_back(spec.apex);
  }

  ServedZones served(apexes);
  Placement placement = place_delegations(served, delegations, classless);
  result.placement_errors.insert(result.placement_errors.end(), std::make_move_iterator(placement.errors.begin()),
                                 std::make_move_iterator(placement.errors.end()));

  // Zones are independent once placed: they are built on every core, the largest first so that the last one
  // to start is a small one. Each zone keeps its own errors; all of them are sorted below, so the report does not
  // depend on which core finished first.
  const std::size_t count = served_specs.size();
  std::vector<std::size_t> by_size(count);
  std::iota(by_size.begin(), by_size.end(), 0);
  auto weight = [&](std::size_t zone) { return placement.delegations[zone].size() + placement.classless[zone].size(); };
  std::stable_sort(by_size.begin(), by_size.end(), [&](std::size_t a, std::size_t b) { return weight(a) > weight(b); });
  std::vector<std::optional<BuiltZone>> zones(count);
  std::vector<std::vector<dns::Reject>> zone_errors(count);
  dns::ThreadPool pool;
  pool.parallel_for(count, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t n = begin; n < end; ++n) {
      std::size_t zone = by_size[n];
      zones[zone].emplace(build_zone(*served_specs[zone], placement.delegations[zone], placement.classless[zone],
                                     serial, zone_errors[zone]));
    }
  });
  result.zones.reserve(count);
  for (std::size_t zone = 0; zone < count; ++zone) {
    result.zones.push_back(std::move(*zones[zone]));
    result.placement_errors.insert(result.placement_errors.end(), std::make_move_iterator(zone_errors[zone].begin()),
                                   std::make_move_iterator(zone_errors[zone].end()));
  }
  sort_errors(result.placement_errors);
  return result;
}

}  // namespace rdnsprov::builder
