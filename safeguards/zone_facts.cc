#include "safeguards/zone_facts.h"

#include <algorithm>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"

namespace rdnsprov::safeguards {

bool is_dnssec_type(dns::RRType type) {
  switch (type) {
    case dns::RRType::kRrsig:
    case dns::RRType::kNsec:
    case dns::RRType::kNsec3:
    case dns::RRType::kNsec3param:
    case dns::RRType::kDnskey:
    case dns::RRType::kCds:
    case dns::RRType::kCdnskey:
    case dns::RRType::kZonemd:
      return true;
    default:
      return false;
  }
}

ZoneFacts zone_facts(const dns::Zone& zone) {
  ZoneFacts facts;
  facts.apex = zone.apex();
  facts.serial = zone.serial();
  std::vector<const dns::Record*> data;
  data.reserve(zone.records().size());
  for (const dns::Record& r : zone.records()) {
    if (!is_dnssec_type(r.type)) data.push_back(&r);
  }
  std::vector<std::pair<dns::Name, std::string>> unattached;  // addresses not below any cut
  // Delegation points first, so glue can be attached to the cut above it.
  for (const dns::Record* r : data) {
    if (r->type == dns::RRType::kNs && r->owner != zone.apex()) {
      facts.delegations[r->owner].nameservers.insert(dns::rdata::to_text(r->type, r->rdata));
    }
  }
  for (const dns::Record* r : data) {
    if (r->type == dns::RRType::kDs) {
      facts.delegations[r->owner].ds.insert(dns::rdata::to_text(r->type, r->rdata));
    } else if (r->type == dns::RRType::kCname) {
      std::size_t offset = 0;
      auto target = dns::Name::from_wire(r->rdata, offset);
      if (target) facts.cnames.emplace(r->owner, *target);
    } else if (r->type == dns::RRType::kA || r->type == dns::RRType::kAaaa) {
      std::string glue = r->owner.to_text() + " " + std::string(dns::rrtype_to_text(r->type)) + " " +
                         dns::rdata::to_text(r->type, r->rdata);
      // Glue belongs to the closest delegation at or above its owner.
      bool attached = false;
      for (dns::Name n = r->owner; n.is_below(zone.apex()); n = n.parent()) {
        auto cut = facts.delegations.find(n);
        if (cut != facts.delegations.end()) {
          cut->second.glue.insert(glue);
          attached = true;
          break;
        }
      }
      // The nameserver of an RFC 2317 range lies inside the range's addresses (ns.100.Z.Y.X for 64-127.Z.Y.X),
      // not below the range's own cut: its address is authoritative data of this zone, for the range's sake.
      if (!attached) unattached.push_back({r->owner, std::move(glue)});
    }
  }
  if (!unattached.empty()) {
    std::map<dns::Name, std::vector<DelegationFacts*>> by_host;
    for (auto& [child, f] : facts.delegations) {
      for (const std::string& ns : f.nameservers) {
        auto host = dns::Name::from_text(ns);
        if (host) by_host[*host].push_back(&f);
      }
    }
    for (const auto& [owner, glue] : unattached) {
      auto users = by_host.find(owner);
      if (users == by_host.end()) continue;
      for (DelegationFacts* f : users->second) f->glue.insert(glue);
    }
  }
  // Canonical digest of the data with the serial zeroed: "did the content change?"
  std::string canonical;
  std::vector<dns::Record> sorted;
  sorted.reserve(data.size());
  for (const dns::Record* r : data) sorted.push_back(*r);
  std::sort(sorted.begin(), sorted.end());
  for (dns::Record& r : sorted) {
    if (r.type == dns::RRType::kSoa) {
      auto soa = dns::rdata::parse_soa(r.rdata);
      if (soa) {
        soa->serial = 0;
        r.rdata = dns::rdata::soa(*soa);
      }
    }
    canonical.append(r.owner.wire());
    canonical.push_back(static_cast<char>(dns::rrtype_code(r.type) >> 8));
    canonical.push_back(static_cast<char>(dns::rrtype_code(r.type) & 0xff));
    for (int shift = 24; shift >= 0; shift -= 8) canonical.push_back(static_cast<char>((r.ttl >> shift) & 0xff));
    canonical.push_back(static_cast<char>(r.rdata.size() >> 8));
    canonical.push_back(static_cast<char>(r.rdata.size() & 0xff));
    canonical.append(r.rdata);
  }
  facts.records = data.size();
  facts.content_sha256 = dns::to_hex(dns::sha256(canonical), false);
  return facts;
}

DelegationFacts expected_facts(const dns::Delegation& delegation) {
  DelegationFacts facts;
  for (const dns::Name& ns : delegation.nameservers) facts.nameservers.insert(ns.to_text());
  for (const std::string& ds : delegation.ds) facts.ds.insert(dns::rdata::to_text(dns::RRType::kDs, ds));
  for (const dns::GlueAddress& g : delegation.glue) {
    facts.glue.insert(g.host.to_text() + " " + std::string(dns::rrtype_to_text(g.type)) + " " +
                      dns::rdata::to_text(g.type, g.address));
  }
  return facts;
}

}  // namespace rdnsprov::safeguards
