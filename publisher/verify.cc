#include "publisher/verify.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/wire.h"

namespace rdnsprov::publisher {
namespace {

using Clock = std::chrono::steady_clock;

std::string key_tags(const std::vector<std::string>& rdatas) {
  std::vector<std::uint16_t> tags;
  for (const std::string& r : rdatas) tags.push_back(dns::key_tag(r));
  std::sort(tags.begin(), tags.end());
  std::string out;
  for (std::uint16_t t : tags) out += (out.empty() ? "" : " ") + std::to_string(t);
  return out.empty() ? "none" : out;
}

std::vector<std::string> sorted_rdata(const std::vector<dns::Record>& records) {
  std::vector<std::string> out;
  for (const dns::Record& r : records) out.push_back(r.rdata);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string canonical_digest(const dns::Zone& zone) {
  std::string text;
  for (const dns::Record& r : zone.records()) dns::append_master_line(text, r);
  return dns::to_hex(dns::sha256(text), false);
}

// Checks one zone on a server that serves its serial: DNSKEY set, then the read-back.
void check_current(DnsClient& client, const ExpectedZone& zone, const VerifySettings& settings, ServerCheck& check) {
  check.state = ServerState::kCurrent;
  if (!zone.dnskeys.empty()) {
    try {
      std::vector<std::string> served = sorted_rdata(client.dnskeys(zone.apex));
      std::vector<std::string> published = sorted_rdata(zone.dnskeys);
      if (served != published) {
        check.state = ServerState::kDnskeyMismatch;
        check.problem = fmt::format("zone {} on {}: serves serial {} with DNSKEY key tags {}, published {}",
                                    zone.apex.to_text(), check.server, check.expected, key_tags(served),
                                    key_tags(published));
        return;
      }
    } catch (const DnsError& e) {
      check.state = ServerState::kDnskeyMismatch;
      check.problem = fmt::format("zone {}: DNSKEY: {}", zone.apex.to_text(), e.what());
      return;
    }
  }
  if (!settings.read_back || zone.published == nullptr) return;
  if (!zone.dnskeys.empty()) {
    QueryOptions with_do = settings.query;
    with_do.edns = true;
    with_do.dnssec_ok = true;  // RFC 3225: without DO no proofs come back
    DnsClient dnssec(client.server(), with_do);
    std::vector<std::string> problems = check_denial(dnssec, *zone.published, nonexistent_sample(*zone.published, 8));
    if (!problems.empty()) {
      check.state = ServerState::kDenialMismatch;
      check.problem = fmt::format("zone {} on {}: denial of existence: {}", zone.apex.to_text(), check.server, problems[0]);
      for (std::size_t i = 1; i < problems.size() && i < 3; ++i) check.problem += "; " + problems[i];
      return;
    }
  }
  try {
    dns::Zone served = client.axfr(zone.apex);
    ZoneComparison cmp = compare_zones(*zone.published, served);
    if (cmp.equal) {
      check.read_back = ReadBack::kEqual;
      return;
    }
    check.read_back = ReadBack::kFailed;
    check.state = ServerState::kContentMismatch;
    std::string lines;
    for (const std::string& d : cmp.differences) lines += "\n    " + d;
    check.problem = fmt::format(
        "zone {} on {}: serial {} but the transferred zone differs from the published one ({} records only "
        "published, {} only served; SHA-256 of the canonical form {} published, {} served); first differences:{}",
        zone.apex.to_text(), check.server, check.expected, cmp.published_only, cmp.served_only,
        cmp.published_sha256.substr(0, 16), cmp.served_sha256.substr(0, 16), lines);
    check.read_back_note = "differs";
  } catch (const AxfrRefused& e) {
    check.read_back = ReadBack::kRefused;
    check.read_back_note = e.what();
  } catch (const DnsError& e) {
    check.read_back = ReadBack::kFailed;
    check.state = ServerState::kContentMismatch;
    check.read_back_note = e.what();
    check.problem = fmt::format("zone {}: read-back: {}", zone.apex.to_text(), e.what());
  }
}

}  // namespace

const char* server_state_name(ServerState state) {
  switch (state) {
    case ServerState::kCurrent: return "current";
    case ServerState::kLagging: return "lagging";
    case ServerState::kAhead: return "ahead";
    case ServerState::kUnreachable: return "unreachable";
    case ServerState::kError: return "error";
    case ServerState::kDnskeyMismatch: return "dnskey-mismatch";
    case ServerState::kContentMismatch: return "content-mismatch";
    case ServerState::kDenialMismatch: return "denial-mismatch";
  }
  return "?";
}

std::size_t VerifyReport::problems() const {
  return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(), [](const ServerCheck& c) { return !c.ok(); }));
}

std::string VerifyReport::table() const {
  std::size_t zone_width = 4, server_width = 6;
  for (const ServerCheck& c : checks) {
    zone_width = std::max(zone_width, c.apex.to_text().size());
    server_width = std::max(server_width, c.server.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>10}  {:>10}  {:<16}  {}\n", "zone", zone_width, "server", server_width,
                                "published", "served", "state", "read-back");
  for (const ServerCheck& c : checks) {
    std::string served = c.served ? std::to_string(*c.served) : "-";
    std::string state = server_state_name(c.state);
    if (c.state == ServerState::kLagging && c.served) {
      // How far behind, in serial steps (RFC 1982 arithmetic): for unixtime serials these are seconds.
      state = fmt::format("lagging {}", static_cast<std::uint32_t>(c.expected - *c.served));
    }
    const char* read_back = c.read_back == ReadBack::kEqual     ? "equal"
                            : c.read_back == ReadBack::kRefused ? "refused"
                            : c.read_back == ReadBack::kFailed  ? "FAILED"
                                                                : "-";
    out += fmt::format("{:<{}}  {:<{}}  {:>10}  {:>10}  {:<16}  {}\n", c.apex.to_text(), zone_width, c.server,
                       server_width, c.expected, served, state, read_back);
  }
  for (const ServerCheck& c : checks) {
    if (!c.ok() && !c.problem.empty()) out += "  " + c.problem + "\n";
  }
  return out;
}

VerifyReport verify_servers(const std::vector<ExpectedZone>& zones, const VerifySettings& settings) {
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + settings.deadline;
  VerifyReport report;
  std::vector<DnsClient> clients;
  for (const ServerAddress& s : settings.servers) clients.emplace_back(s, settings.query);
  struct Pending {
    std::size_t check;
    std::size_t zone;
    std::size_t client;
  };
  std::vector<Pending> pending;
  for (std::size_t z = 0; z < zones.size(); ++z) {
    for (std::size_t s = 0; s < clients.size(); ++s) {
      ServerCheck c;
      c.apex = zones[z].apex;
      c.server = clients[s].server().text();
      c.expected = zones[z].serial;
      pending.push_back({report.checks.size(), z, s});
      report.checks.push_back(std::move(c));
    }
  }
  while (!pending.empty()) {
    std::vector<Pending> still;
    std::map<std::size_t, std::string> unreachable;  // client → why, for this round
    for (const Pending& p : pending) {
      ServerCheck& check = report.checks[p.check];
      const ExpectedZone& zone = zones[p.zone];
      if (auto u = unreachable.find(p.client); u != unreachable.end()) {
        check.state = ServerState::kUnreachable;
        check.problem = fmt::format("zone {}: not asked: {}", zone.apex.to_text(), u->second);
        still.push_back(p);
        continue;
      }
      try {
        std::uint32_t serial = clients[p.client].soa_serial(zone.apex);
        check.served = serial;
        if (serial == zone.serial) {
          check.problem.clear();
          check_current(clients[p.client], zone, settings, check);
          continue;  // settled: current, or a DNSKEY / content mismatch that waiting does not change
        }
        bool ahead = dns::Serial(serial).is_after(dns::Serial(zone.serial));
        check.state = ahead ? ServerState::kAhead : ServerState::kLagging;
        check.problem = fmt::format("zone {} on {}: serves serial {}, published {}", zone.apex.to_text(), check.server,
                                    serial, zone.serial);
      } catch (const DnsUnreachable& e) {
        check.state = ServerState::kUnreachable;
        check.problem = fmt::format("zone {}: {}", zone.apex.to_text(), e.what());
        unreachable[p.client] = e.what();
      } catch (const DnsError& e) {
        check.state = ServerState::kError;
        check.problem = fmt::format("zone {}: {}", zone.apex.to_text(), e.what());
      }
      still.push_back(p);
    }
    pending = std::move(still);
    if (pending.empty()) break;
    Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_until(std::min(deadline, now + settings.interval));
  }
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return report;
}

std::vector<LiveSerial> live_serials(const std::vector<dns::Name>& zones, const VerifySettings& settings) {
  std::vector<LiveSerial> out;
  for (const ServerAddress& server : settings.servers) {
    DnsClient client(server, settings.query);
    std::string unreachable;
    for (const dns::Name& apex : zones) {
      LiveSerial live{apex, server.text(), std::nullopt, {}};
      if (!unreachable.empty()) {
        live.problem = fmt::format("zone {}: not asked: {}", apex.to_text(), unreachable);
      } else {
        try {
          live.serial = client.soa_serial(apex);
        } catch (const DnsUnreachable& e) {
          unreachable = e.what();
          live.problem = fmt::format("zone {}: {}", apex.to_text(), e.what());
        } catch (const DnsError& e) {
          live.problem = fmt::format("zone {}: {}", apex.to_text(), e.what());
        }
      }
      out.push_back(std::move(live));
    }
  }
  return out;
}

ZoneComparison compare_zones(const dns::Zone& published, const dns::Zone& served, std::size_t max_lines) {
  dns::Zone a = published;
  dns::Zone b = served;
  a.canonicalise();
  b.canonicalise();
  ZoneComparison out;
  out.published_sha256 = canonical_digest(a);
  out.served_sha256 = canonical_digest(b);
  out.equal = out.published_sha256 == out.served_sha256;
  if (out.equal) return out;
  const auto& x = a.records();
  const auto& y = b.records();
  std::size_t i = 0, j = 0;
  auto note = [&](const char* side, const dns::Record& r) {
    if (out.differences.size() < max_lines) {
      std::string line = dns::master_line(r);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      out.differences.push_back(side + line);
    }
  };
  // Both in canonical order, TTL last: a merge walk finds what only one side holds.
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && x[i] < y[j])) {
      ++out.published_only;
      note("- ", x[i++]);
    } else if (i == x.size() || y[j] < x[i]) {
      ++out.served_only;
      note("+ ", y[j++]);
    } else {
      ++i;
      ++j;
    }
  }
  return out;
}

std::vector<dns::Name> nonexistent_sample(const dns::Zone& zone, std::size_t count) {
  std::vector<dns::Name> out;
  std::vector<dns::Name> cuts = zone.delegation_points();
  for (std::size_t i = 0; i < count && i < cuts.size(); ++i) {
    const dns::Name& cut = cuts[i * cuts.size() / std::min(count, cuts.size())];
    std::string label = std::string(cut.first_label()) + "-nx";
    if (label.size() > dns::Name::kMaxLabelLength) continue;
    if (auto name = cut.parent().prepend(label)) out.push_back(*name);
  }
  if (out.empty()) {
    if (auto name = zone.apex().prepend("rdnsprov-nx")) out.push_back(*name);
  }
  return out;
}

std::vector<std::string> check_denial(DnsClient& client, const dns::Zone& published, const std::vector<dns::Name>& sample) {
  std::vector<std::string> problems;
  std::set<std::string> published_proofs;  // owner, type and rdata of every NSEC, NSEC3 and RRSIG
  auto key = [](const dns::Record& r) {
    std::string k(r.owner.wire());
    dns::put16(k, dns::rrtype_code(r.type));
    return k + r.rdata;
  };
  std::optional<dns::Record> nsec3param;
  for (const dns::Record& r : published.records()) {
    if (r.type == dns::RRType::kNsec || r.type == dns::RRType::kNsec3 || r.type == dns::RRType::kRrsig) {
      published_proofs.insert(key(r));
    }
    if (r.type == dns::RRType::kNsec3param && r.owner == published.apex()) nsec3param = r;
  }
  for (const dns::Name& name : sample) {
    Response response;
    try {
      response = client.query(name, dns::rrtype_code(dns::RRType::kA));
    } catch (const DnsError& e) {
      problems.push_back(e.what());
      continue;
    }
    if (response.rcode != kRcodeNxDomain) {
      problems.push_back(fmt::format("{}: {} where NXDOMAIN was due", name.to_text(), rcode_text(response.rcode)));
      continue;
    }
    bool covered = false;
    std::string foreign;
    for (const WireRecord& w : response.authority) {
      if (!w.known) continue;
      const dns::Record& r = w.record;
      if (r.type != dns::RRType::kNsec && r.type != dns::RRType::kNsec3 && r.type != dns::RRType::kRrsig) continue;
      if (!published_proofs.count(key(r)) && foreign.empty()) {
        std::string line = dns::master_line(r);
        if (!line.empty() && line.back() == '\n') line.pop_back();
        foreign = line;
      }
      if (r.type == dns::RRType::kNsec) {
        std::size_t offset = 0;
        auto next = dns::Name::from_wire(r.rdata, offset);
        if (!next) continue;
        // RFC 4035 §5.4: owner < name < next, the last NSEC wrapping round to the apex.
        bool last = *next == published.apex();
        if (r.owner < name && (name < *next || last)) covered = true;
      }
    }
    if (nsec3param && !covered) {
      // RFC 5155 §8.4: the closest encloser is an ancestor whose hash owns one of the NSEC3 records served; the
      // next closer name (one label longer, towards the name) must hash into the span of one of them.
      std::uint16_t iterations = dns::get16(nsec3param->rdata, 2);
      std::size_t salt_length = static_cast<unsigned char>(nsec3param->rdata[4]);
      std::string salt = nsec3param->rdata.substr(5, salt_length);
      auto hashed = [&](const dns::Name& n) {
        std::string h = dns::to_base32hex(dns::nsec3_hash(n, salt, iterations));
        std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
        return h;
      };
      std::vector<std::pair<std::string, std::string>> spans;  // owner hash, next hash
      for (const WireRecord& w : response.authority) {
        if (!w.known || w.record.type != dns::RRType::kNsec3 || w.record.rdata.size() < 5) continue;
        const std::string& rd = w.record.rdata;
        std::size_t pos = 5 + static_cast<unsigned char>(rd[4]);
        if (pos >= rd.size()) continue;
        std::string next = dns::to_base32hex(rd.substr(pos + 1, static_cast<unsigned char>(rd[pos])));
        std::transform(next.begin(), next.end(), next.begin(), [](unsigned char c) { return std::tolower(c); });
        spans.emplace_back(std::string(w.record.owner.first_label()), next);
      }
      std::optional<dns::Name> next_closer;
      for (dns::Name ancestor = name.parent(); ancestor.is_at_or_below(published.apex()); ancestor = ancestor.parent()) {
        std::string h = hashed(ancestor);
        if (std::any_of(spans.begin(), spans.end(), [&](const auto& sp) { return sp.first == h; })) {
          next_closer = name.suffix(ancestor.label_count() + 1);
          break;
        }
        if (ancestor == published.apex()) break;
      }
      if (next_closer) {
        std::string h = hashed(*next_closer);
        for (const auto& [owner, next] : spans) {
          bool wraps = next <= owner;
          if ((owner < h && h < next) || (wraps && (h > owner || h < next))) covered = true;
        }
      }
    }
    if (!foreign.empty()) {
      problems.push_back(fmt::format("{}: served a proof record that was not published: {}", name.to_text(), foreign));
    } else if (!covered) {
      problems.push_back(fmt::format("{}: NXDOMAIN without an NSEC/NSEC3 record covering it", name.to_text()));
    }
  }
  return problems;
}

}  // namespace rdnsprov::publisher
