// Fuzzes the zonelet import: what `rdnsprov zonelets import` (and `run`) does with the bytes of a peer's file
// (zonelets/import.h incoming_parent and check_incoming, through the reader of zonelets/format.h and the record
// checks of zonelets/check.h), for one peer with a fixed address space.
//
// The first input byte chooses how the rest arrives:
//   % 3 == 0  a file named 193.in-addr.arpa.zonelet (a plain fragment's parent zone comes from the file name)
//   % 3 == 1  a file named incoming.txt (a plain fragment's parent zone comes from its first record)
//   % 3 == 2  the body of a zonelet, to which the harness adds our header with the right digest and record count
//             for one of our zones (chosen by the same byte): mutations almost never keep a digest right, and
//             without this the record checks of a zonelet with a header would only ever see the seeds
//
// Checks, beyond no crash and no sanitizer finding:
//   - a refused file's reason is one report line that names a line of the input or a header field, and a zonelet
//     with a header refused for lines that are not records names the first of them;
//   - every refused record names a line of the input, on one report line;
//   - every accepted delegation lies in a zone we serve, strictly below it (nothing at our apex), inside the
//     peer's space; it has nameservers; its glue is for its own nameservers inside it; a range stays in its /24;
//   - the accepted delegations written as master-file lines (export_records, as an export writes them) give inert
//     lines that read back as the same records;
//   - written as a zonelet with our header (write_zonelet), they are accepted again whole, nothing refused, as
//     the same delegations.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dns/record.h"
#include "dns/zone.h"
#include "tests/fuzz/fuzz_checks.h"
#include "zonelets/export.h"
#include "zonelets/format.h"
#include "zonelets/import.h"
#include "zonelets/peer.h"

using namespace rdnsprov;
using fuzz::fuzz_require;

namespace {

constexpr const char* kRegistry = "TEST-RIR";
constexpr std::time_t kGenerated = 1800000000;

const zonelets::PeerSpec& peer() {
  static const zonelets::PeerSpec spec = [] {
    zonelets::PeerSpec p;
    p.name = "PEER-RIR";
    // A whole /16, parts of two others (so that names straddle the edge of the space) and an IPv6 /36.
    for (const char* prefix : {"193.0.0.0/16", "193.5.0.0/17", "193.200.0.0/17", "2001:db8:1000::/36"}) {
      p.space.push_back(*zonelets::AddressPrefix::from_text(prefix));
    }
    return p;
  }();
  return spec;
}

// Our zones: the peer's space lies in two of them; 0.194.in-addr.arpa is ours alone.
const std::vector<dns::Name>& served() {
  static const std::vector<dns::Name> zones{*dns::Name::from_text("193.in-addr.arpa"),
                                            *dns::Name::from_text("0.194.in-addr.arpa"),
                                            *dns::Name::from_text("8.b.d.0.1.0.0.2.ip6.arpa")};
  return zones;
}

std::uint64_t line_count(std::string_view text) {
  return static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// "line N" somewhere in `text`, with N a line of the input (`lines` lines); `wanted` (when not 0) must be that N.
bool names_line(const std::string& text, std::uint64_t lines, std::uint64_t wanted = 0) {
  for (std::size_t pos = text.find("line "); pos != std::string::npos; pos = text.find("line ", pos + 1)) {
    std::uint64_t n = 0;
    std::size_t i = pos + 5;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && n < (1ull << 40); ++i) n = n * 10 + (text[i] - '0');
    if (i > pos + 5 && n >= 1 && n <= lines && (wanted == 0 || n == wanted)) return true;
  }
  return false;
}

bool names_header_field(const std::string& text) {
  for (const char* field : {"rdnsprov-zonelet", "sender", "receiver", "parent-zone", "parent zone", "generated",
                            "serial", "records", "sha256", "SHA-256"}) {
    if (text.find(field) != std::string::npos) return true;
  }
  return false;
}

// The glue of `d` is for its own nameservers and lies inside what it delegates: at or below the delegated name,
// or for an RFC 2317 range at or below one of the range's addresses.
bool glue_inside(const dns::Delegation& d, const dns::ClasslessDelegation* range) {
  for (const dns::GlueAddress& g : d.glue) {
    if (std::find(d.nameservers.begin(), d.nameservers.end(), g.host) == d.nameservers.end()) return false;
    if (g.address.size() != (g.type == dns::RRType::kA ? 4u : 16u)) return false;
    bool inside = g.host.is_at_or_below(d.child);
    for (unsigned a = range ? range->first : 1; range && a <= range->last && !inside; ++a) {
      auto address = range->block.prepend(std::to_string(a));
      inside = address && g.host.is_at_or_below(*address);
    }
    if (!inside) return false;
  }
  return true;
}

void check_delegation(const dns::Delegation& d, const dns::Name& parent, const dns::ClasslessDelegation* range,
                      std::string_view input) {
  std::string child = d.child.to_text();
  fuzz_require(d.child != parent, "a delegation at our apex was accepted", input, child);
  fuzz_require(d.child.is_below(parent), "a delegation outside the parent zone was accepted", input, child);
  fuzz_require(peer().owns(d.child), "a delegation outside the peer's space was accepted", input, child);
  fuzz_require(!d.nameservers.empty(), "a delegation without nameservers was accepted", input, child);
  fuzz_require(glue_inside(d, range), "glue that is not for a nameserver inside the delegation was accepted", input,
               child);
  if (range) {
    fuzz_require(range->first < range->last && range->delegation.child.parent() == range->block,
                 "a classless range that is not first < last inside its /24 was accepted", input, child);
    fuzz_require(range->block.is_below(parent) && peer().owns(range->block.prepend(std::to_string(range->first)).value()),
                 "a classless range whose addresses are not the peer's was accepted", input, child);
  }
}

bool same_delegations(const zonelets::ZoneletContent& a, const zonelets::ZoneletContent& b) {
  if (a.delegations.size() != b.delegations.size() || a.classless.size() != b.classless.size()) return false;
  for (std::size_t i = 0; i < a.delegations.size(); ++i) {
    if (!a.delegations[i].same_content(b.delegations[i])) return false;
  }
  for (std::size_t i = 0; i < a.classless.size(); ++i) {
    const auto& x = a.classless[i];
    const auto& y = b.classless[i];
    if (!x.delegation.same_content(y.delegation) || x.block != y.block || x.first != y.first || x.last != y.last) {
      return false;
    }
  }
  return true;
}

std::string describe(const zonelets::ZoneletContent& content) {
  std::string out;
  for (const auto& d : content.delegations) out += d.child.to_text() + " ";
  for (const auto& c : content.classless) out += c.delegation.child.to_text() + " ";
  for (const auto& r : content.rejects) out += "\n! " + r.origin.to_string() + " " + r.key + ": " + r.reason;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  unsigned choice = static_cast<unsigned char>(input.front());
  std::string text(input.substr(1));
  std::string file_name = choice % 3 == 1 ? "incoming.txt" : "193.in-addr.arpa.zonelet";
  if (choice % 3 == 2) {
    const dns::Name& zone = served()[(choice / 3) % served().size()];
    std::size_t records = dns::read_master_file(text, zone).records.size();
    text = fmt::format("; rdnsprov-zonelet: 1\n; sender: {}\n; receiver: {}\n; parent-zone: {}\n"
                       "; generated: {}\n; serial: 1\n; records: {}\n; sha256: {}\n",
                       peer().name, kRegistry, zone.to_text(), zonelets::utc_text(kGenerated), records,
                       zonelets::record_lines_sha256(text)) +
           text;
  }
  const std::uint64_t lines = line_count(text);

  std::optional<zonelets::ZoneletHeader> header;
  std::optional<dns::Name> parent = zonelets::incoming_parent(file_name, text, served(), header);
  if (!parent) return 0;  // plan_imports reports the file as one whose parent zone cannot be told
  auto source = std::make_shared<const std::string>("peer " + peer().name);
  auto file = std::make_shared<const std::string>(file_name);
  zonelets::IncomingCheck check =
      zonelets::check_incoming(text, *parent, peer(), served(), kRegistry, source, file);

  if (!check.refusal.empty()) {
    fuzz_require(fuzz::one_report_line(check.refusal), "a refusal spans report lines", input, check.refusal);
    fuzz_require(names_line(check.refusal, lines) || names_header_field(check.refusal),
                 "a refusal names neither a line nor a header field", input, check.refusal);
    const zonelets::ParsedZonelet& parsed = check.parsed;
    if (parsed.header && !parsed.errors.empty() && check.refusal.find("SHA-256") == std::string::npos &&
        !check.refusal.starts_with("malformed header")) {
      fuzz_require(names_line(check.refusal, lines, parsed.errors.front().line),
                   "a zonelet refused for a line that is not a record does not name that line", input, check.refusal);
    }
    return 0;
  }

  const zonelets::ZoneletContent& content = check.content;
  fuzz_require(std::find(served().begin(), served().end(), check.parsed.parent) != served().end(),
               "a zonelet for a zone we do not serve was accepted", input, check.parsed.parent.to_text());
  fuzz_require(content.records == check.parsed.records.size(), "the record count of a zonelet is not what was read",
               input);
  for (const dns::Reject& r : content.rejects) {
    std::string shown = r.origin.to_string() + " " + r.key + ": " + r.reason;
    fuzz_require(r.origin.line >= 1 && r.origin.line <= lines, "a refused record names a line outside the input",
                 input, shown);
    fuzz_require(r.origin.file == file && r.origin.source == source, "a refused record names another file", input,
                 shown);
    fuzz_require(fuzz::one_report_line(r.reason) && fuzz::one_report_line(r.key), "a refused record spans report lines",
                 input, shown);
  }
  for (const dns::Delegation& d : content.delegations) {
    check_delegation(d, check.parsed.parent, nullptr, input);
    fuzz_require(d.origin.line >= 1 && d.origin.line <= lines, "a delegation names a line outside the input", input,
                 d.origin.to_string());
  }
  for (const dns::ClasslessDelegation& c : content.classless) check_delegation(c.delegation, check.parsed.parent, &c, input);

  // As an export writes them: NS, DS, glue and the RFC 2317 CNAMEs, one inert line each, reading back the same.
  std::uint64_t delegation_count = 0;
  std::vector<dns::Record> records = zonelets::export_records(check.parsed.parent, content.delegations,
                                                              content.classless, {}, 86400, delegation_count);
  fuzz_require(delegation_count == content.delegation_count(), "not every accepted delegation is written", input,
               describe(content));
  std::string master;
  for (const dns::Record& r : records) {
    std::string line = dns::master_line(r);
    fuzz_require(fuzz::one_master_line(line), "an accepted delegation gives a master-file line that is not inert",
                 input, line);
    master += line;
  }
  dns::MasterFile back = dns::read_master_file(master, dns::Name());
  fuzz_require(back.errors.empty(), "the lines of accepted delegations do not read back", input,
               master + (back.errors.empty() ? "" : back.errors.front().reason));
  fuzz_require(back.records == records, "the lines of accepted delegations read back differently", input, master);

  // Re-serialised with our header, sent again: the same delegations, nothing refused.
  zonelets::ZoneletHeader again_header{peer().name, kRegistry, check.parsed.parent, kGenerated, 2, 0, {}};
  std::string again = zonelets::write_zonelet(again_header, records);
  std::optional<zonelets::ZoneletHeader> read_again;
  std::optional<dns::Name> again_parent = zonelets::incoming_parent("again.zonelet", again, served(), read_again);
  fuzz_require(again_parent == check.parsed.parent && read_again.has_value(),
               "a re-serialised zonelet is not read with its header", input, again);
  zonelets::IncomingCheck second =
      zonelets::check_incoming(again, *again_parent, peer(), served(), kRegistry, source, file);
  fuzz_require(second.refusal.empty(), "a re-serialised zonelet is refused", input, again + "\n" + second.refusal);
  fuzz_require(second.content.rejects.empty(), "a re-serialised zonelet has refused records", input,
               again + describe(second.content));
  fuzz_require(same_delegations(content, second.content), "a re-serialised zonelet reads back differently", input,
               again + "\nfirst: " + describe(content) + "\nagain: " + describe(second.content));
  return 0;
}
