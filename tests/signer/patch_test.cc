// The handed-over sign_zone (previous signed zone taken by std::optional&&) against the full path (previous zone
// pointed at): whatever the change between two versions of a zone, the keys, the time or the shape of the
// previous zone, both must give the same signed zone, record for record, and the same SignStats. The handed-over
// path may edit the previous zone in place, touching only the changed owners and their NSEC/NSEC3 neighbours;
// the full path rebuilds everything and is the reference. Ed25519 signatures are deterministic, so any
// difference in what was signed, reused or left out shows as a different record.
//
// Zones and edits are random but seeded: every failure names its seed, policy and case, and the same seed makes
// the same zones again.
#include "signer/signer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/serial.h"
#include "signer/verify.h"
#include "tests/signer/signer_test_zones.h"

namespace rdnsprov::signer {
namespace {

using dns::Name;
using dns::Record;
using dns::RRType;
using testing::make_keys;
using testing::name;

// A fixed clock: together with the seeds it decides everything a run does but the keys.
constexpr std::uint32_t kNow = 1700000000;
// The re-signing run comes a few hours after the first: every unchanged signature is still reusable.
constexpr std::uint32_t kLater = kNow + 6 * 3600;
// Two ip6.arpa zones and one in-addr.arpa zone (even and odd seeds), of about 700, 500 and 1,500 owners.
constexpr std::uint32_t kSeeds[] = {20261204, 7, 1999};

// ---- random but reproducible -------------------------------------------------------------------------------

class Random {
 public:
  explicit Random(std::uint32_t seed) : engine_(seed) {}
  // Modulo rather than std::uniform_int_distribution, whose results differ between standard libraries.
  std::size_t below(std::size_t n) { return engine_() % n; }
  bool percent(unsigned p) { return below(100) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& items) { return items[below(items.size())]; }

 private:
  std::mt19937 engine_;
};

// Where the random names grow: labels drawn from a small set so that names share their ancestors, many of which
// are then empty non-terminals. Delegations sit deep, as a registry's do (/40 to /48 in a /24, a /24 or a single
// address in a /8), so that each occludes a small part of the zone and most of it stays authoritative.
struct Shape {
  std::string_view apex;
  bool nibbles = false;  // ip6.arpa labels 0-f, otherwise in-addr.arpa octets
  std::size_t fanout = 0;
  std::size_t max_depth = 0;      // labels below the apex
  std::size_t min_cut_depth = 0;  // the shallowest delegation
};
constexpr Shape kV6Shape{"0.0.1.0.0.2.ip6.arpa", true, 8, 6, 4};
constexpr Shape kV4Shape{"10.in-addr.arpa", false, 64, 3, 2};

// ---- the unsigned zone while the test builds and edits it --------------------------------------------------

// Every owner of the unsigned zone, apex included, with its records; owners in canonical order.
struct Draft {
  Name apex;
  std::map<Name, std::vector<Record>> owners;
};

constexpr std::uint32_t kDelegationTtl = 86400;
constexpr std::uint32_t kAddressTtl = 3600;

bool has_type(const Draft& draft, const Name& owner, RRType type) {
  auto it = draft.owners.find(owner);
  if (it == draft.owners.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const Record& r) { return r.type == type; });
}

bool is_cut(const Draft& draft, const Name& n) { return n != draft.apex && has_type(draft, n, RRType::kNs); }

// True when `n` lies below a zone cut: glue or occluded data.
bool below_cut(const Draft& draft, const Name& n) {
  for (Name a = n.parent(); a.is_below(draft.apex); a = a.parent()) {
    if (is_cut(draft, a)) return true;
  }
  return false;
}

// The owners strictly below `n`: in canonical order they follow `n` directly (RFC 4034 §6.1).
std::vector<Name> owners_below(const Draft& draft, const Name& n) {
  std::vector<Name> out;
  for (auto it = draft.owners.upper_bound(n); it != draft.owners.end() && it->first.is_below(n); ++it) {
    out.push_back(it->first);
  }
  return out;
}

// Names between the apex and an owner that own nothing, outside every cut: the zone's empty non-terminals.
std::vector<Name> empty_non_terminals(const Draft& draft) {
  std::set<Name> found;
  for (const auto& [owner, records] : draft.owners) {
    for (Name a = owner.parent(); a.is_below(draft.apex); a = a.parent()) {
      if (!draft.owners.contains(a)) found.insert(a);
    }
  }
  std::vector<Name> out;
  for (const Name& n : found) {
    if (!below_cut(draft, n)) out.push_back(n);
  }
  return out;
}

std::vector<Name> names_where(const Draft& draft, auto keep) {
  std::vector<Name> out;
  for (const auto& [owner, records] : draft.owners) {
    if (owner != draft.apex && keep(owner)) out.push_back(owner);
  }
  return out;
}

// Adds `record` unless the owner holds it already; it takes the TTL of its RRset, which keeps one TTL.
void add_record(Draft& draft, Record record) {
  std::vector<Record>& records = draft.owners[record.owner];
  for (const Record& r : records) {
    if (r.type != record.type) continue;
    if (r.rdata == record.rdata) return;
    record.ttl = r.ttl;
  }
  records.push_back(std::move(record));
}

void remove_type(Draft& draft, const Name& owner, RRType type) {
  auto it = draft.owners.find(owner);
  if (it == draft.owners.end()) return;
  std::erase_if(it->second, [&](const Record& r) { return r.type == type; });
  if (it->second.empty()) draft.owners.erase(it);
}

// Removes `n` and everything below it.
void remove_subtree(Draft& draft, const Name& n) {
  for (const Name& below : owners_below(draft, n)) draft.owners.erase(below);
  draft.owners.erase(n);
}

dns::Zone to_zone(const Draft& draft) {
  dns::Zone zone(draft.apex);
  for (const auto& [owner, records] : draft.owners) {
    for (const Record& r : records) zone.add(r);
  }
  zone.canonicalise();
  return zone;
}

// ---- records -----------------------------------------------------------------------------------------------

std::string label(const Shape& shape, std::size_t value) {
  return shape.nibbles ? fmt::format("{:x}", value) : std::to_string(value);
}

Name random_name_below(const Name& base, const Shape& shape, Random& random, std::size_t depth) {
  Name n = base;
  for (std::size_t d = 0; d < depth; ++d) n = *n.prepend(label(shape, random.below(shape.fanout)));
  return n;
}

Name random_name(const Draft& draft, const Shape& shape, Random& random) {
  return random_name_below(draft.apex, shape, random, 1 + random.below(shape.max_depth));
}

// A name where a delegation may go: min_cut_depth to max_depth labels deep, or one label more when `deeper`
// (below the deepest names of the zone, with new empty non-terminals above it).
Name random_cut_name(const Draft& draft, const Shape& shape, Random& random, bool deeper = false) {
  std::size_t spread = shape.max_depth - shape.min_cut_depth + (deeper ? 2 : 1);
  return random_name_below(draft.apex, shape, random, shape.min_cut_depth + random.below(spread));
}

Record ns_record(const Name& owner, const Name& host) {
  return Record{owner, RRType::kNs, kDelegationTtl, dns::rdata::ns(host)};
}

Record ds_record(const Name& owner, std::uint16_t tag) {
  return Record{owner, RRType::kDs, kDelegationTtl,
                dns::rdata::ds(tag, dns::kAlgorithmEd25519, 2, dns::sha256(fmt::format("{}{}", owner.to_text(), tag)))};
}

Record address_record(const Name& owner, Random& random) {
  auto byte = [&] { return static_cast<std::uint8_t>(random.below(256)); };
  if (random.percent(50)) return Record{owner, RRType::kA, kAddressTtl, dns::rdata::a({192, 0, 2, byte()})};
  return Record{owner, RRType::kAaaa, kAddressTtl,
                dns::rdata::aaaa({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(), byte()})};
}

std::uint16_t random_tag(Random& random) { return static_cast<std::uint16_t>(random.below(65536)); }

Name out_of_zone_host(Random& random) { return name(fmt::format("ns{}.example.com", random.below(8))); }

// A delegation at `cut`: one or two nameservers, out of zone or in the child with glue (and sometimes an
// address record below the cut that is occluded data, not glue); a DS RRset of one or two records when
// `secure`.
void add_delegation(Draft& draft, const Name& cut, Random& random, bool secure) {
  std::size_t hosts = 1 + random.below(2);
  for (std::size_t i = 0; i < hosts; ++i) {
    if (random.percent(30)) {
      Name host = *cut.prepend(fmt::format("ns{}", i));
      add_record(draft, ns_record(cut, host));
      add_record(draft, address_record(host, random));
    } else {
      add_record(draft, ns_record(cut, out_of_zone_host(random)));
    }
  }
  if (random.percent(15)) add_record(draft, address_record(*cut.prepend("occluded"), random));
  if (secure) {
    std::size_t count = 1 + random.below(2);
    for (std::size_t i = 0; i < count; ++i) add_record(draft, ds_record(cut, random_tag(random)));
  }
}

// A zone of `items` random additions under the shape's apex: delegations (40% of them secure), address records
// and CNAMEs at names of any depth, some of them right above a delegation, and occluded data.
Draft random_zone(const Shape& shape, Random& random, std::size_t items) {
  Draft draft{name(shape.apex), {}};
  dns::rdata::Soa soa{name("ns1.example.net"), name("hostmaster.example.net"), 1, 3600, 900, 1209600, 600};
  add_record(draft, Record{draft.apex, RRType::kSoa, 3600, dns::rdata::soa(soa)});
  add_record(draft, ns_record(draft.apex, name("ns1.example.net")));
  add_record(draft, ns_record(draft.apex, name("ns2.example.net")));
  std::vector<Name> cuts;
  for (std::size_t i = 0; i < items; ++i) {
    unsigned kind = static_cast<unsigned>(random.below(10));
    if (kind < 4) {
      Name cut = random_cut_name(draft, shape, random);
      if (has_type(draft, cut, RRType::kCname)) continue;
      add_delegation(draft, cut, random, random.percent(40));
      cuts.push_back(cut);
    } else if (kind < 7) {
      Name n = random_name(draft, shape, random);
      if (!has_type(draft, n, RRType::kCname)) add_record(draft, address_record(n, random));
    } else if (kind < 8) {
      Name n = random_name(draft, shape, random);
      if (draft.owners.contains(n)) continue;  // CNAME and other data cannot share an owner (RFC 1034 §3.6.2)
      add_record(draft, Record{n, RRType::kCname, kAddressTtl, dns::rdata::cname(random_name(draft, shape, random))});
    } else if (!cuts.empty()) {
      // An authoritative name with data right above a delegation.
      Name parent = random.pick(cuts).parent();
      if (!has_type(draft, parent, RRType::kCname) && !is_cut(draft, parent)) {
        add_record(draft, address_record(parent, random));
      }
    }
  }
  return draft;
}

// ---- edits between two versions ----------------------------------------------------------------------------

enum Edit : std::size_t {
  kAddDelegation,
  kAddDelegationBelowEnt,         // deep below an existing empty non-terminal, creating new ones
  kRemoveDelegation,
  kRemoveLastDelegationBelowEnt,  // the empty non-terminal above it disappears
  kAddDs,                         // an insecure delegation becomes secure (joins an opt-out NSEC3 chain)
  kRemoveDs,                      // and the other way round
  kModifyDs,
  kChangeNs,
  kChangeTtl,
  kCutAboveAuthoritativeData,     // NS at an authoritative name with names below: they become occluded
  kRemoveCutAboveData,            // glue and occluded data below become authoritative
  kAddAddressAtOwner,
  kAddAddressAtNewName,
  kRemoveAddress,
  kAddCname,
  kRemoveCname,
  kAddApexNs,
  kEditCount,
};
constexpr std::string_view kEditNames[kEditCount] = {
    "add delegation",        "add delegation below an ENT",  "remove delegation",
    "remove last delegation below an ENT",                    "add DS",
    "remove DS",             "modify DS",                    "change NS",
    "change TTL",            "cut above authoritative data", "remove cut above data",
    "add address at owner",  "add address at new name",      "remove address",
    "add CNAME",             "remove CNAME",                 "add apex NS",
};

// Applies one edit of kind `edit` somewhere in the draft; false when the draft has no place for it.
bool apply_edit(Draft& draft, const Shape& shape, Random& random, Edit edit) {
  auto cuts = [&](bool secure) {
    return names_where(draft,
                       [&](const Name& n) { return is_cut(draft, n) && has_type(draft, n, RRType::kDs) == secure; });
  };
  auto all_cuts = [&] { return names_where(draft, [&](const Name& n) { return is_cut(draft, n); }); };
  // A name where a delegation or an address may go: authoritative, no CNAME, not the apex.
  auto free_for_data = [&](const Name& n) {
    return n != draft.apex && !below_cut(draft, n) && !has_type(draft, n, RRType::kCname);
  };
  // A new name for a new delegation: nothing there nor below (a cut above existing names is an edit of its own).
  auto free_for_cut = [&](const Name& n) {
    return !draft.owners.contains(n) && free_for_data(n) && owners_below(draft, n).empty();
  };
  switch (edit) {
    case kAddDelegation: {
      for (int attempt = 0; attempt < 20; ++attempt) {
        Name n = random_cut_name(draft, shape, random, true);
        if (!free_for_cut(n)) continue;
        add_delegation(draft, n, random, random.percent(50));
        return true;
      }
      return false;
    }
    case kAddDelegationBelowEnt: {
      std::vector<Name> ents = empty_non_terminals(draft);
      if (ents.empty()) return false;
      for (int attempt = 0; attempt < 20; ++attempt) {
        // Up to three labels down: a cut already there may cover the new name, which would then be occluded.
        Name n = random_name_below(random.pick(ents), shape, random, 1 + random.below(3));
        if (!free_for_cut(n)) continue;
        add_delegation(draft, n, random, random.percent(50));
        return true;
      }
      return false;
    }
    case kRemoveDelegation: {
      std::vector<Name> all = all_cuts();
      if (all.empty()) return false;
      remove_subtree(draft, random.pick(all));
      return true;
    }
    case kRemoveLastDelegationBelowEnt: {
      std::vector<Name> alone = names_where(draft, [&](const Name& n) {
        if (!is_cut(draft, n)) return false;
        Name parent = n.parent();
        if (parent == draft.apex || draft.owners.contains(parent)) return false;
        for (const Name& other : owners_below(draft, parent)) {
          if (!other.is_at_or_below(n)) return false;
        }
        return true;
      });
      if (alone.empty()) return false;
      remove_subtree(draft, random.pick(alone));
      return true;
    }
    case kAddDs: {
      std::vector<Name> insecure = cuts(false);
      if (insecure.empty()) return false;
      add_record(draft, ds_record(random.pick(insecure), random_tag(random)));
      return true;
    }
    case kRemoveDs: {
      std::vector<Name> secure = cuts(true);
      if (secure.empty()) return false;
      remove_type(draft, random.pick(secure), RRType::kDs);
      return true;
    }
    case kModifyDs: {
      std::vector<Name> secure = cuts(true);
      if (secure.empty()) return false;
      Name cut = random.pick(secure);
      // One DS replaced, or a second one added (a KSK rollover in the child).
      if (random.percent(50)) {
        std::vector<Record>& records = draft.owners[cut];
        auto ds = std::find_if(records.begin(), records.end(), [](const Record& r) { return r.type == RRType::kDs; });
        records.erase(ds);
      }
      add_record(draft, ds_record(cut, random_tag(random)));
      return true;
    }
    case kChangeNs: {
      std::vector<Name> all = all_cuts();
      if (all.empty()) return false;
      Name cut = random.pick(all);
      remove_type(draft, cut, RRType::kNs);
      add_record(draft, ns_record(cut, name(fmt::format("ns{}.changed.example", random.below(4)))));
      return true;
    }
    case kChangeTtl: {
      // Any RRset but the SOA, whose TTL would change every NSEC/NSEC3 TTL (RFC 9077).
      std::vector<Name> all = names_where(draft, [](const Name&) { return true; });
      all.push_back(draft.apex);
      Name owner = random.pick(all);
      std::vector<Record>& records = draft.owners[owner];
      const Record& chosen = records[random.below(records.size())];
      if (chosen.type == RRType::kSoa) return false;
      RRType type = chosen.type;
      constexpr std::uint32_t kTtls[] = {300, 7200, 43200};
      std::uint32_t ttl = kTtls[random.below(3)];
      if (ttl == chosen.ttl) ++ttl;
      for (Record& r : records) {
        if (r.type == type) r.ttl = ttl;
      }
      return true;
    }
    case kCutAboveAuthoritativeData: {
      // Above a dozen names at most: a small part of the zone, as for every other edit.
      auto few_below = [&](const Name& n) {
        std::size_t below = owners_below(draft, n).size();
        return below > 0 && below <= 12;
      };
      std::vector<Name> candidates =
          names_where(draft, [&](const Name& n) { return free_for_data(n) && !is_cut(draft, n) && few_below(n); });
      for (const Name& n : empty_non_terminals(draft)) {
        if (few_below(n)) candidates.push_back(n);
      }
      if (candidates.empty()) return false;
      add_record(draft, ns_record(random.pick(candidates), out_of_zone_host(random)));
      return true;
    }
    case kRemoveCutAboveData: {
      std::vector<Name> covering = names_where(draft, [&](const Name& n) {
        return is_cut(draft, n) && !owners_below(draft, n).empty();
      });
      if (covering.empty()) return false;
      Name cut = random.pick(covering);
      remove_type(draft, cut, RRType::kDs);  // a DS only ever sits at a cut (RFC 4035 §2.4)
      remove_type(draft, cut, RRType::kNs);
      return true;
    }
    case kAddAddressAtOwner: {
      std::vector<Name> owners = names_where(draft, [&](const Name& n) { return !has_type(draft, n, RRType::kCname); });
      if (owners.empty()) return false;
      add_record(draft, address_record(random.pick(owners), random));
      return true;
    }
    case kAddAddressAtNewName: {
      Name n = random_name_below(draft.apex, shape, random, 1 + random.below(shape.max_depth + 1));
      if (draft.owners.contains(n)) return false;
      add_record(draft, address_record(n, random));
      return true;
    }
    case kRemoveAddress: {
      std::vector<Name> owners = names_where(draft, [&](const Name& n) {
        return has_type(draft, n, RRType::kA) || has_type(draft, n, RRType::kAaaa);
      });
      if (owners.empty()) return false;
      std::vector<Record>& records = draft.owners[random.pick(owners)];
      auto address = std::find_if(records.begin(), records.end(),
                                  [](const Record& r) { return r.type == RRType::kA || r.type == RRType::kAaaa; });
      Name owner = address->owner;
      records.erase(address);
      if (records.empty()) draft.owners.erase(owner);
      return true;
    }
    case kAddCname: {
      Name n = random_name(draft, shape, random);
      if (draft.owners.contains(n)) return false;
      add_record(draft, Record{n, RRType::kCname, kAddressTtl, dns::rdata::cname(random_name(draft, shape, random))});
      return true;
    }
    case kRemoveCname: {
      std::vector<Name> aliases = names_where(draft, [&](const Name& n) { return has_type(draft, n, RRType::kCname); });
      if (aliases.empty()) return false;
      remove_type(draft, random.pick(aliases), RRType::kCname);
      return true;
    }
    case kAddApexNs:
      add_record(draft, ns_record(draft.apex, name(fmt::format("ns{}.example.org", random.below(100)))));
      return true;
    case kEditCount:
      break;
  }
  return false;
}

// Edits that move a zone cut over names already in the zone: what is occluded changes below the owner edited,
// not only at it. The others touch the owners they edit and, through the chain, their neighbours: what a patching
// signer handles in place, so they are also tried alone.
bool moves_cut_over_names(Edit edit) { return edit == kCutAboveAuthoritativeData || edit == kRemoveCutAboveData; }

// The next version of `base`, serial bumped: each kind of edit that touches only the owners it edits, with even
// chances, one to three times; with `move_cuts`, also one to three edits of each kind that moves a cut over
// existing names. `applied` counts what was done, so that a test can tell that every kind was exercised.
using EditCounts = std::array<std::size_t, kEditCount>;
dns::Zone edited_version(Draft draft, const Shape& shape, Random& random, EditCounts& applied, bool move_cuts = false) {
  for (std::size_t e = 0; e < kEditCount; ++e) {
    bool moves_cuts = moves_cut_over_names(static_cast<Edit>(e));
    if (moves_cuts ? !move_cuts : !random.percent(50)) continue;
    std::size_t times = 1 + random.below(3);
    for (std::size_t i = 0; i < times; ++i) {
      if (apply_edit(draft, shape, random, static_cast<Edit>(e))) ++applied[e];
    }
  }
  dns::Zone zone = to_zone(draft);
  zone.set_serial(zone.serial()->plus(1));
  return zone;
}

dns::Zone serial_bumped(const dns::Zone& zone) {
  dns::Zone out = zone;
  out.set_serial(zone.serial()->plus(1));
  return out;
}

// ---- comparing the two paths -------------------------------------------------------------------------------

// A record as a master-file line; rdata that is not well formed (junk from a previous zone) as hex.
std::string record_text(const Record& r) {
  if (!dns::rdata::check_wire(r.type, r.rdata)) {
    return fmt::format("{} {} {} <malformed rdata {}>", r.owner.to_text(), r.ttl, dns::rrtype_to_text(r.type),
                       dns::to_hex(r.rdata));
  }
  std::string line = dns::master_line(r);
  line.pop_back();  // the newline
  return line;
}

std::string stats_text(const SignStats& s) {
  return fmt::format("{} created, {} reused, {} RRsets signed, {} denial records", s.signatures_created,
                     s.signatures_reused, s.rrsets_signed, s.denial_records);
}

// Success when two zones hold the same records in the same order; otherwise the first record that differs, as
// each zone has it. A whole zone would drown the one line that matters.
::testing::AssertionResult same_records(const dns::Zone& expected, const dns::Zone& actual,
                                        std::string_view expected_label = "full",
                                        std::string_view actual_label = "handed-over") {
  const std::vector<Record>& a = expected.records();
  const std::vector<Record>& b = actual.records();
  auto line = [](std::string_view label, const std::vector<Record>& records, std::size_t i) {
    return fmt::format("\n  {:<13}{}", fmt::format("{}:", label),
                       i < records.size() ? record_text(records[i]) : "(end of zone)");
  };
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size() && i < b.size() && a[i] == b[i]) continue;
    return ::testing::AssertionFailure() << fmt::format("record {} differs ({} {} records, {} {})", i, expected_label,
                                                        a.size(), actual_label, b.size())
                                         << line(expected_label, a, i) << line(actual_label, b, i);
  }
  return ::testing::AssertionSuccess();
}

// Success when the handed-over path gave what the full path gave: the same records and the same stats.
::testing::AssertionResult same_signed_zone(const SignResult& full, const SignResult& handed) {
  if (auto records = same_records(full.zone, handed.zone); !records) return records;
  const SignStats& s = full.stats;
  const SignStats& t = handed.stats;
  if (s.signatures_created != t.signatures_created || s.signatures_reused != t.signatures_reused ||
      s.rrsets_signed != t.rrsets_signed || s.denial_records != t.denial_records) {
    return ::testing::AssertionFailure() << "same records, different stats\n  full:        " << stats_text(s)
                                         << "\n  handed-over: " << stats_text(t);
  }
  return ::testing::AssertionSuccess();
}

// Whether the handed-over path is expected to patch the previous zone or to rebuild in full.
enum class Expect { kPatched, kRebuilt };

// Signs `next` at `now` with the previous zone pointed at and with a copy of it handed over; expects the same
// result from both, the handed-over path to have patched (or rebuilt) as `expect` says, and, when `verify`, a
// zone that verifies (most of the run time: left out where the full path's own result is all that is checked
// again). Returns the full path's result for further checks.
SignResult expect_same_both_ways(const dns::Zone& next, std::span<const SigningKey> keys, const SigningPolicy& policy,
                                 std::uint32_t now, const dns::Zone& previous, dns::ThreadPool& pool,
                                 const std::string& what, bool verify = true, Expect expect = Expect::kPatched) {
  SignResult pointed = sign_zone(next, keys, policy, now, &previous, pool);
  std::optional<dns::Zone> handed(previous);
  SignResult taken = sign_zone(dns::Zone(next), keys, policy, now, std::move(handed), pool);
  EXPECT_TRUE(same_signed_zone(pointed, taken)) << what;
  EXPECT_FALSE(pointed.stats.owners_rewritten) << what << ": pointing at the previous zone never patches it";
  if (expect == Expect::kPatched) {
    EXPECT_TRUE(taken.stats.owners_rewritten) << what << ": rebuilt in full: " << taken.stats.rebuilt_because;
  } else {
    EXPECT_FALSE(taken.stats.owners_rewritten) << what << ": patched where a full rebuild was expected";
    EXPECT_FALSE(taken.stats.rebuilt_because.empty()) << what << ": a full rebuild names its reason";
  }
  if (!verify) return pointed;
  VerifyOptions options{.now = now, .require_zonemd = policy.zonemd};
  VerifyResult verified = verify_signed_zone(taken.zone, options, pool);
  EXPECT_TRUE(verified.ok) << what << ": " << verified.summary();
  return pointed;
}

// ---- policies ----------------------------------------------------------------------------------------------

struct PolicyCase {
  std::string label;
  SigningPolicy policy;
};

// Every denial mode, each with and without ZONEMD; CDS/CDNSKEY and a CSK in some.
std::vector<PolicyCase> policy_cases() {
  constexpr std::uint8_t kEd25519 = dns::kAlgorithmEd25519;
  const std::string salt("\xab\x12", 2);
  std::vector<PolicyCase> cases;
  for (bool zonemd : {false, true}) {
    std::string z = zonemd ? ", ZONEMD" : "";
    cases.push_back({"NSEC" + z, {.algorithm = kEd25519, .denial = Denial::kNsec, .zonemd = zonemd}});
    cases.push_back(
        {"NSEC3" + z, {.algorithm = kEd25519, .denial = Denial::kNsec3, .cds_cdnskey = zonemd, .zonemd = zonemd}});
    cases.push_back({"NSEC3 opt-out" + z,
                     {.algorithm = kEd25519, .denial = Denial::kNsec3, .nsec3_opt_out = true, .zonemd = zonemd}});
    cases.push_back({"NSEC3 salt ab12, 1 iteration, CSK" + z,
                     {.algorithm = kEd25519, .key_layout = KeyLayout::kCsk, .denial = Denial::kNsec3,
                      .nsec3_iterations = 1, .nsec3_salt = salt, .cds_cdnskey = !zonemd, .zonemd = zonemd}});
  }
  return cases;
}

const Shape& shape_of(std::uint32_t seed) { return seed % 2 == 0 ? kV6Shape : kV4Shape; }

// Somewhere between a few hundred and two thousand owners.
std::size_t items_of(std::uint32_t seed) { return 500 + seed % 1000; }

std::size_t owner_count(const dns::Zone& zone) {
  std::size_t owners = 0;
  const std::vector<Record>& records = zone.records();
  for (std::size_t i = 0; i < records.size(); ++i) owners += i == 0 || records[i].owner != records[i - 1].owner ? 1 : 0;
  return owners;
}

// The random zone of a seed, with the draft it was made from (edited versions start there) and the random stream
// that goes on to draw the edits; `stream` keeps the tests' streams apart.
struct RandomZone {
  const Shape& shape;
  Random random;
  Draft base;
  dns::Zone zone;
};
RandomZone random_zone_of(std::uint32_t seed, std::uint32_t stream) {
  const Shape& shape = shape_of(seed);
  Random random(seed + stream);
  Draft base = random_zone(shape, random, items_of(seed));
  dns::Zone zone = to_zone(base);
  return RandomZone{shape, std::move(random), std::move(base), std::move(zone)};
}

// A zone's keys for a policy, and the zone signed with them in full at kNow: the previous zone of a test.
struct FirstSigning {
  std::vector<SigningKey> keys;
  SignResult first;
};
FirstSigning sign_first(const dns::Zone& zone, const SigningPolicy& policy, dns::ThreadPool& pool) {
  std::vector<SigningKey> keys = make_keys(zone.apex(), policy);
  SignResult first = sign_zone(zone, keys, policy, kNow, nullptr, pool);
  return FirstSigning{std::move(keys), std::move(first)};
}

std::string_view denial_name(Denial denial) { return denial == Denial::kNsec ? "NSEC" : "NSEC3"; }

// ---- tests -------------------------------------------------------------------------------------------------

// The main equivalence: random zones, every policy, random edits of the owners edited only, then random edits
// that also move zone cuts over existing names; and the two edits that are no edit at all (the serial only, and
// nothing), where the handed-over path must still reuse exactly as much.
TEST(PatchSigningEquivalence, RandomEditsSignAsTheFullPathDoes) {
  dns::ThreadPool pool(2);
  EditCounts applied{};
  std::vector<PolicyCase> cases = policy_cases();
  for (std::uint32_t seed : kSeeds) {
    auto [shape, random, base, v1] = random_zone_of(seed, 0);
    for (std::size_t p = 0; p < cases.size(); ++p) {
      const SigningPolicy& policy = cases[p].policy;
      auto [keys, first] = sign_first(v1, policy, pool);
      // Read back from a file the previous zone would be canonicalised, and known to be canonical (the signer
      // then checks no order): every other policy hands it over so, the rest as the signer left it.
      if (p % 2 == 1) first.zone.canonicalise();
      if (policy.denial == Denial::kNsec) {
        // One NSEC per name outside the cuts: most of the zone must be authoritative, or it tests little.
        ASSERT_GT(first.stats.denial_records, owner_count(v1) * 2 / 3) << "seed " << seed << ": too much occluded";
      }
      // The edits differ from one policy to the next, so that more of them are tried.
      Random edits(seed * 31 + static_cast<std::uint32_t>(p));
      std::string what = fmt::format("seed {}, {}, {}", seed, shape.apex, cases[p].label);

      SignResult edited = expect_same_both_ways(edited_version(base, shape, edits, applied), keys, policy, kLater,
                                                first.zone, pool, what + ", random edits");
      EXPECT_GT(edited.stats.signatures_reused, 0u) << what << ", random edits";

      SignResult moved = expect_same_both_ways(edited_version(base, shape, edits, applied, true), keys, policy,
                                               kLater, first.zone, pool, what + ", random edits moving cuts");
      EXPECT_GT(moved.stats.signatures_reused, 0u) << what << ", random edits moving cuts";

      // Verified for one seed, with ZONEMD: otherwise the one new record is the SOA's signature.
      SignResult serial_only = expect_same_both_ways(serial_bumped(v1), keys, policy, kLater, first.zone, pool,
                                                     what + ", serial only", policy.zonemd && seed == kSeeds[0]);
      EXPECT_LE(serial_only.stats.signatures_created, 2u) << what << ": only the SOA and ZONEMD are signed anew";

      // Nothing changed: the first signed zone again, which needs no second verification.
      SignResult unchanged =
          expect_same_both_ways(v1, keys, policy, kLater, first.zone, pool, what + ", unchanged", false);
      EXPECT_EQ(unchanged.stats.signatures_created, 0u) << what << ": nothing changed, everything is reused";
      EXPECT_TRUE(same_records(first.zone, unchanged.zone, "first", "unchanged")) << what;
      if (::testing::Test::HasFailure()) return;  // one failing case is enough to read
    }
  }
  // The generator must still reach every kind of edit, or the test above proves less than it says.
  for (std::size_t e = 0; e < kEditCount; ++e) EXPECT_GT(applied[e], 0u) << kEditNames[e] << " never applied";
}

// Keys and time change, the zone too: a ZSK pre-published, a ZSK rollover (and the retired key then removed),
// time inside the refresh window of some signatures, and the previous zone under another denial mode.
TEST(PatchSigningKeysAndTime, SignAsTheFullPathDoes) {
  dns::ThreadPool pool(2);
  EditCounts applied{};
  const std::uint32_t seed = kSeeds[0];
  auto [shape, random, base, v1] = random_zone_of(seed, 1);
  SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = Denial::kNsec3, .nsec3_opt_out = true,
                       .cds_cdnskey = true, .zonemd = true};
  auto [keys, first] = sign_first(v1, policy, pool);
  dns::Zone v2 = edited_version(base, shape, random, applied);
  std::string what = fmt::format("seed {}, NSEC3 opt-out, ZONEMD", seed);

  // (a) A successor ZSK published, not yet active: only the DNSKEY RRset (and ZONEMD, SOA) is signed anew.
  auto prepublished = keys;
  prepublished.push_back({DnssecKey::generate(v1.apex(), policy.algorithm, KeyRole::kZsk), KeyRole::kZsk, false});
  SignResult a =
      expect_same_both_ways(v2, prepublished, policy, kLater, first.zone, pool, what + ", ZSK pre-published");
  EXPECT_GT(a.stats.signatures_reused, 0u) << what << ", ZSK pre-published";

  // (b) The rollover: the old ZSK inactive, the new one active; no zone signature can be reused...
  auto rolled = prepublished;
  rolled[1].active = false;
  rolled[2].active = true;
  // Every owner changes: rebuilt in full.
  SignResult b =
      expect_same_both_ways(v2, rolled, policy, kLater, a.zone, pool, what + ", ZSK rolled", true, Expect::kRebuilt);
  // ...but the CDS and CDNSKEY signatures by the unchanged KSK can.
  EXPECT_GT(b.stats.signatures_reused, 0u) << what << ", ZSK rolled";
  // and then the old key withdrawn, its signatures gone from the previous zone's use.
  std::vector<SigningKey> after_roll = {rolled[0], rolled[2]};
  expect_same_both_ways(serial_bumped(v2), after_roll, policy, kLater + 3600, b.zone, pool,
                        what + ", old ZSK withdrawn");

  // (c) Expirations are spread over [validity - jitter, validity]: half way into that spread, past the refresh
  //     point, about half of the signatures are due for replacement and the rest are reused.
  std::uint32_t halfway = kNow + policy.signature_validity - policy.refresh - policy.jitter / 2;
  SignResult c = expect_same_both_ways(v2, keys, policy, halfway, first.zone, pool, what + ", refresh window", true,
                                       Expect::kRebuilt);
  EXPECT_GT(c.stats.signatures_created, 0u) << what << ", refresh window";
  EXPECT_GT(c.stats.signatures_reused, 0u) << what << ", refresh window";

  // (d) The previous zone signed under another denial mode, or other NSEC3 parameters: its NSEC or NSEC3
  //     records and their signatures must all go.
  SigningPolicy nsec = policy;
  nsec.denial = Denial::kNsec;
  SigningPolicy nsec3_salted = policy;
  nsec3_salted.nsec3_opt_out = false;
  nsec3_salted.nsec3_salt = std::string("\xab\x12", 2);
  nsec3_salted.nsec3_iterations = 1;
  SignResult under_nsec = sign_zone(v1, keys, nsec, kNow, nullptr, pool);
  expect_same_both_ways(v2, keys, policy, kLater, under_nsec.zone, pool, what + ", previous zone under NSEC", true,
                        Expect::kRebuilt);
  expect_same_both_ways(v2, keys, nsec, kLater, first.zone, pool, what + ", NSEC3 to NSEC", true, Expect::kRebuilt);
  expect_same_both_ways(v2, keys, nsec3_salted, kLater, first.zone, pool, what + ", to other NSEC3 parameters", true,
                        Expect::kRebuilt);
  expect_same_both_ways(v1, keys, nsec, kLater, first.zone, pool, what + ", NSEC3 to NSEC, zone unchanged", true,
                        Expect::kRebuilt);
}

// The previous zone is read from disk or from another tool: it need not be in canonical order.
TEST(PatchSigningPreviousZone, OutOfOrderSignsAsInOrder) {
  dns::ThreadPool pool(2);
  EditCounts applied{};
  for (std::uint32_t seed : {kSeeds[0], kSeeds[1]}) {
    auto [shape, random, base, v1] = random_zone_of(seed, 2);
    for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
      SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = denial, .zonemd = true};
      auto [keys, first] = sign_first(v1, policy, pool);
      dns::Zone shuffled = first.zone;
      std::mt19937 shuffle(seed);
      std::shuffle(shuffled.mutable_records().begin(), shuffled.mutable_records().end(), shuffle);
      std::string what = fmt::format("seed {}, {}", seed, denial_name(denial));

      dns::Zone v2 = edited_version(base, shape, random, applied);
      SignResult in_order = sign_zone(v2, keys, policy, kLater, &first.zone, pool);
      SignResult out_of_order =
          expect_same_both_ways(v2, keys, policy, kLater, shuffled, pool, what + ", shuffled", true, Expect::kRebuilt);
      EXPECT_TRUE(same_records(in_order.zone, out_of_order.zone, "in order", "shuffled")) << what;
    }
  }
}

// The previous zone holds what the signer never writes: a duplicate record, a duplicate RRSIG, an RRSIG whose
// rdata is cut short inside its fixed fields. None of it may reach the new zone or change what is reused.
TEST(PatchSigningPreviousZone, JunkInItSignsAsTheFullPathDoes) {
  dns::ThreadPool pool(2);
  EditCounts applied{};
  const std::uint32_t seed = kSeeds[1];
  auto [shape, random, base, v1] = random_zone_of(seed, 3);
  for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
    SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = denial, .zonemd = true};
    auto [keys, first] = sign_first(v1, policy, pool);
    std::string what = fmt::format("seed {}, {}", seed, denial_name(denial));

    dns::Zone junk = first.zone;
    std::vector<Record>& records = junk.mutable_records();
    std::vector<Record> extra;
    std::size_t signatures = 0;
    std::size_t addresses = 0;
    for (const Record& r : first.zone.records()) {
      if (r.type == RRType::kRrsig && signatures++ % 50 == 0) {
        extra.push_back(r);  // the same signature twice
        extra.push_back(Record{r.owner, r.type, r.ttl, r.rdata.substr(0, 10)});  // cut inside its fixed fields
      }
      if ((r.type == RRType::kA || r.type == RRType::kAaaa) && addresses++ % 20 == 0) extra.push_back(r);
    }
    ASSERT_GT(signatures, 50u) << what;
    ASSERT_GT(addresses, 20u) << what;
    records.insert(records.end(), extra.begin(), extra.end());
    // Sorted, as a previous zone read back would be, but with the duplicates kept (canonicalise would merge them).
    std::sort(records.begin(), records.end());

    for (bool edited : {false, true}) {
      dns::Zone v2 = edited ? edited_version(base, shape, random, applied) : serial_bumped(v1);
      std::string which = what + (edited ? ", random edits" : ", serial only");
      SignResult clean = sign_zone(v2, keys, policy, kLater, &first.zone, pool);
      SignResult from_junk = expect_same_both_ways(v2, keys, policy, kLater, junk, pool, which);
      // An RRset with a record twice is not the RRset signed: its signature is made anew. Nothing else changes.
      EXPECT_EQ(clean.zone.records().size(), from_junk.zone.records().size()) << which;
      EXPECT_GT(from_junk.stats.signatures_created, clean.stats.signatures_created) << which;
    }
  }
}

// An RRSIG whose fixed fields are intact but whose signature lost its last byte: neither path reuses it (a
// signature must have the length of its algorithm's), so the RRset is signed anew and the zone verifies.
TEST(PatchSigningPreviousZone, SignatureCutShortIsSignedAnew) {
  dns::ThreadPool pool(2);
  dns::Zone v1 = testing::reverse_v4_zone();
  for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
    SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = denial};
    auto [keys, first] = sign_first(v1, policy, pool);
    dns::Zone damaged = first.zone;
    // The first signature over a CNAME (RRSIG rdata starts with the type covered, RFC 4034 §3.1).
    const std::string covers_cname("\0\5", 2);
    auto cname_signature = std::find_if(damaged.mutable_records().begin(), damaged.mutable_records().end(),
                                        [&](const Record& r) {
                                          return r.type == RRType::kRrsig && r.rdata.starts_with(covers_cname);
                                        });
    ASSERT_NE(cname_signature, damaged.mutable_records().end());
    cname_signature->rdata.pop_back();
    std::string what = fmt::format("reverse_v4_zone, {}, CNAME signature cut short",
                                   denial_name(denial));
    SignResult intact = sign_zone(serial_bumped(v1), keys, policy, kLater, &first.zone, pool);
    SignResult result = expect_same_both_ways(serial_bumped(v1), keys, policy, kLater, damaged, pool, what);
    EXPECT_EQ(result.stats.signatures_created, intact.stats.signatures_created + 1) << what;
  }
}

// An NSEC3 owner in the previous zone whose label is no SHA-1 hash in base32hex (a hand-edited file, another
// tool's junk): the chain cannot be looked up by hash, so the zone is rebuilt in full, as the full path gives it.
TEST(PatchSigningPreviousZone, Nsec3OwnerThatIsNoHashIsRebuiltInFull) {
  dns::ThreadPool pool(2);
  dns::Zone v1 = testing::reverse_v6_zone();
  SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = Denial::kNsec3};
  auto [keys, first] = sign_first(v1, policy, pool);
  dns::Zone junk = first.zone;
  std::vector<Record>& records = junk.mutable_records();
  auto nsec3 = std::find_if(records.begin(), records.end(), [](const Record& r) { return r.type == RRType::kNsec3; });
  ASSERT_NE(nsec3, records.end());
  const Name hashed = nsec3->owner;
  const Name renamed = *v1.apex().prepend(std::string(32, 'z'));  // 'z' is no base32hex digit
  for (Record& r : records) {
    if (r.owner == hashed) r.owner = renamed;
  }
  std::sort(records.begin(), records.end());
  expect_same_both_ways(serial_bumped(v1), keys, policy, kLater, junk, pool, "reverse_v6_zone, NSEC3 label no hash",
                        true, Expect::kRebuilt);
}

// The new zone handed in out of canonical order: the walk cannot patch, and the full rebuild sorts it.
TEST(PatchSigningNewZone, OutOfOrderIsRebuiltInFull) {
  dns::ThreadPool pool(2);
  dns::Zone v1 = testing::reverse_v6_zone();
  for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
    SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = denial};
    auto [keys, first] = sign_first(v1, policy, pool);
    dns::Zone reversed = serial_bumped(v1);
    std::vector<Record>& records = reversed.mutable_records();
    std::reverse(records.begin() + 1, records.end());  // the SOA stays first, the rest backwards
    std::string what = fmt::format("reverse_v6_zone backwards, {}", denial_name(denial));
    expect_same_both_ways(reversed, keys, policy, kLater, first.zone, pool, what, true, Expect::kRebuilt);
  }
}

// The previous zone starts with its apex but has two owners swapped further on: the walk finds it out and the
// zone is rebuilt in full, as the full path (which sorts a copy) would give it.
TEST(PatchSigningPreviousZone, OwnersSwappedInsideAreRebuiltInFull) {
  dns::ThreadPool pool(2);
  dns::Zone v1 = testing::reverse_v6_zone();
  for (Denial denial : {Denial::kNsec, Denial::kNsec3}) {
    SigningPolicy policy{.algorithm = dns::kAlgorithmEd25519, .denial = denial};
    auto [keys, first] = sign_first(v1, policy, pool);
    // The middle owner's records moved to the end.
    dns::Zone swapped = first.zone;
    std::vector<Record>& records = swapped.mutable_records();
    std::size_t middle = records.size() / 2;
    while (middle > 0 && records[middle - 1].owner == records[middle].owner) --middle;
    std::size_t end = middle;
    while (end < records.size() && records[end].owner == records[middle].owner) ++end;
    ASSERT_LT(end, records.size());
    std::rotate(records.begin() + static_cast<std::ptrdiff_t>(middle), records.begin() + static_cast<std::ptrdiff_t>(end),
                records.end());
    std::string what = fmt::format("reverse_v6_zone, {}, an owner moved to the end",
                                   denial_name(denial));
    expect_same_both_ways(serial_bumped(v1), keys, policy, kLater, swapped, pool, what, true, Expect::kRebuilt);
  }
}

}  // namespace
}  // namespace rdnsprov::signer
