// rdnsprov-gen-registry: a deterministic, registry-scale `domain` split dump and an rdnsprov config serving it.
//
//   rdnsprov-gen-registry --objects 1000000 --seed 1 --out /tmp/b/registry.db.domain.gz
//                         --config /tmp/b/rdnsprov.conf --summary-json /tmp/b/expected.json
//   rdnsprov build --config /tmp/b/rdnsprov.conf --out /tmp/b/zones
//
// Same options, same bytes: every choice comes from xoshiro256** seeded by --seed; no random_device, no clock, no
// hash-map order, and no std:: distributions (their results differ between standard libraries).
//
// Profiles (shares and counts can be overridden one by one):
//   registry  one RIR's reverse tree (default): /24 and /16 in-addr.arpa delegations under 40 served /8 zones,
//             ip6.arpa /32-/48 delegations under served /12-/32 zones, RFC 2317 dash ranges, 15% with DS, some
//             in-zone nameservers with glue, a few e164.arpa and nserver-less objects, 0.1% bad objects of every
//             kind rdnsprov must reject or refuse to place.
//   inaddr8   one /8 zone, 193.in-addr.arpa, with all 65,536 /24s delegated (the signer's in-addr.arpa zone).
//   ip6       one ip6.arpa zone, 0.a.2.ip6.arpa (2a00::/12), with --objects delegations (the signer's big zone).
// --change F writes the same data set with a fraction F of the good delegations changed (other nameservers, DS
// added, dropped or rolled) or deleted: the input of incremental re-build and re-signing benchmarks.
//
// What is good is decided here, independently of ingest/ and builder/: good objects have unique keys, no good
// delegation lies below another one, dash ranges sit in /24s that are not delegated (under /16s that are not
// either), and every good delegation lies inside a served zone of the generated config. --summary-json writes
// the counts rdnsprov should report for the data set.
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

namespace rdnsprov::bench {
namespace {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------------------ random numbers

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A well-mixed 64-bit value of two inputs: seeds of independent streams (plan, each object's content, changes).
std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a ^ (b * 0xd6e8feb86659fd93ULL);
  splitmix64(state);
  return splitmix64(state);
}

double unit_interval(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// xoshiro256** (Blackman and Vigna), seeded through splitmix64 as its authors recommend.
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (std::uint64_t& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, n), n > 0. The modulo bias (at most n / 2^64) does not matter for test data.
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // Uniform in [low, high].
  std::uint64_t between(std::uint64_t low, std::uint64_t high) { return low + below(high - low + 1); }
  bool chance(double p) { return unit_interval(next()) < p; }

 private:
  std::array<std::uint64_t, 4> state_{};
};

constexpr std::uint64_t kPlanSalt = 0x706c616e;      // "plan"
constexpr std::uint64_t kContentSalt = 0x636f6e74;   // "cont"
constexpr std::uint64_t kChangeSalt = 0x6368616e;    // "chan"

// ------------------------------------------------------------------------------------------------ served zones

struct Ip6Prefix {
  std::uint64_t prefix = 0;  // the first 16 nibbles of the address, first nibble in the top 4 bits
  unsigned nibbles = 0;      // prefix length in nibbles
};

struct ServedZone {
  std::string apex;  // without the trailing dot
  bool ip6 = false;
  std::uint32_t octet = 0;  // in-addr.arpa: the /8
  Ip6Prefix prefix;         // ip6.arpa
};

// A registry's /8s (RIPE NCC's, as it happens); further zones, when asked for, come from the rest of 1-223.
constexpr std::array<std::uint32_t, 40> kRegistrySlash8s = {
    2,  5,  31, 37, 46, 51, 62, 77, 78, 79, 80, 81, 82, 83, 84,  85,  86,  87,  88,  89,
    90, 91, 92, 93, 94, 95, 109, 141, 145, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217};
constexpr std::size_t kMaxV4Zones = 200;

// Parent zones as an RIR holds them: two /12s from IANA, a /20, three /24s of early allocations and one /32.
constexpr std::array<Ip6Prefix, 7> kRegistryIp6Zones = {{
    {0x2a00'0000'0000'0000ULL, 3},   // 2a00::/12     0.a.2.ip6.arpa
    {0x2a10'0000'0000'0000ULL, 3},   // 2a10::/12     1.a.2.ip6.arpa
    {0x2001'4000'0000'0000ULL, 5},   // 2001:4000::/20
    {0x2001'0600'0000'0000ULL, 6},   // 2001:600::/24
    {0x2001'0800'0000'0000ULL, 6},   // 2001:800::/24
    {0x2001'1400'0000'0000ULL, 6},   // 2001:1400::/24
    {0x2001'0db8'0000'0000ULL, 8},   // 2001:db8::/32 8.b.d.0.1.0.0.2.ip6.arpa (delegations /36-/48 only)
}};
// Outside every zone above: the home of the "outside-served" ip6.arpa objects.
constexpr Ip6Prefix kUnservedIp6 = {0x2c0f'0000'0000'0000ULL, 4};

constexpr unsigned kMaxDelegationNibbles = 12;  // /48
constexpr std::string_view kHexLower = "0123456789abcdef";
constexpr std::string_view kHexUpper = "0123456789ABCDEF";

unsigned nibble_at(std::uint64_t prefix, unsigned index) {
  return static_cast<unsigned>(prefix >> (60 - 4 * index)) & 0xf;
}

void append_ip6_name(std::string& out, Ip6Prefix p, bool upper = false) {
  const std::string_view hex = upper ? kHexUpper : kHexLower;
  for (unsigned i = p.nibbles; i-- > 0;) {
    out += hex[nibble_at(p.prefix, i)];
    out += '.';
  }
  out += upper ? "IP6.ARPA" : "ip6.arpa";
}

void append_uint(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, result.ptr);
}

// "a.b.c.d" from a /24 in (a << 16) | (b << 8) | c form and a host byte.
void append_ipv4(std::string& out, std::uint32_t slash24, std::uint64_t host) {
  append_uint(out, slash24 >> 16);
  out += '.';
  append_uint(out, (slash24 >> 8) & 0xff);
  out += '.';
  append_uint(out, slash24 & 0xff);
  out += '.';
  append_uint(out, host);
}

// The first 64 bits as four hex groups, then `::` and `suffix` ("2a00:1234:5600:0::53"), or `::/len`.
void append_ip6_text(std::string& out, std::uint64_t upper_half, std::string_view suffix) {
  for (int group = 0; group < 4; ++group) {
    const unsigned value = static_cast<unsigned>(upper_half >> (48 - 16 * group)) & 0xffff;
    char digits[8];
    const auto result = std::to_chars(std::begin(digits), std::end(digits), value, 16);
    out.append(digits, result.ptr);
    out += group < 3 ? ":" : "::";
  }
  out += suffix;
}

// "c.b.a.in-addr.arpa" (labels = 3) or "b.a.in-addr.arpa" (labels = 2).
void append_v4_name(std::string& out, std::uint32_t v4, int labels) {
  if (labels == 3) {
    append_uint(out, v4 & 0xff);
    out += '.';
  }
  append_uint(out, (v4 >> 8) & 0xff);
  out += '.';
  append_uint(out, v4 >> 16);
  out += ".in-addr.arpa";
}

// ------------------------------------------------------------------------------------------------ the plan

enum class Kind : std::uint8_t { kSlash24, kSlash16, kClassless, kIp6, kEnum, kWithoutNserver, kBad };

enum class Bad : std::uint8_t {
  kTooManyOctets,
  kBadOctet,
  kDash0To255,
  kDashReversed,
  kOverlappingRanges,
  kDuplicateKey,
  kDsDigestLength,
  kDsAlgorithmZero,
  kGlueOutside,
  kGlueMissing,
  kInjection,
  kBadNserver,
  kBadIp6,
  kNotReverse,
  kOutsideServed,
  kCovered,
  kAtApex,
};
constexpr std::size_t kBadKinds = 17;

struct BadKindInfo {
  std::string_view name;
  bool placement;   // accepted by ingest, refused by the builder (not placed)
  bool pair;        // made two objects at a time, both bad
  bool needs_slash24;  // keyed on a fresh /24 of a served /8
};

constexpr std::array<BadKindInfo, kBadKinds> kBadKindInfo = {{
    {"too-many-octets", false, false, true},
    {"bad-octet", false, false, true},
    {"dash-0-255", false, false, true},
    {"dash-reversed", false, false, true},
    {"overlapping-ranges", false, true, true},
    {"duplicate-key", false, true, true},
    {"ds-digest-length", false, false, true},
    {"ds-algorithm-zero", false, false, true},
    {"glue-outside", false, false, true},
    {"glue-missing", false, false, true},
    {"injection", false, false, true},
    {"bad-nserver", false, false, true},
    {"bad-ip6-name", false, false, false},
    {"not-reverse", false, false, false},
    {"outside-served", true, false, false},
    {"covered", true, false, false},
    {"at-apex", true, false, false},
}};

const BadKindInfo& info(Bad kind) { return kBadKindInfo[static_cast<std::size_t>(kind)]; }

struct PlannedObject {
  Kind kind = Kind::kSlash24;
  Bad bad = Bad::kTooManyOctets;
  std::uint8_t first = 0;    // dash ranges: first address
  std::uint8_t last = 0;     // dash ranges: last address
  std::uint8_t nibbles = 0;  // ip6: prefix length in nibbles
  std::uint8_t member = 0;   // pairs of bad objects: 0 or 1
  std::uint16_t zone = 0;    // good objects: index of the served zone they land in
  std::uint32_t v4 = 0;      // (a << 16) | (b << 8) | c of the /24 (or /16 with c = 0)
  std::uint32_t serial = 0;  // bad, e164: the k-th object of its kind (unique keys, variants)
  std::uint64_t ip6 = 0;     // ip6: the prefix, first nibble in the top 4 bits
};

struct Mix {
  double ip6 = 0;
  double slash16 = 0;
  double classless = 0;
  double bad = 0;
  double enum_objects = 0;
  double without_nserver = 0;
  double ds = 0;    // of good delegations and dash ranges
  double glue = 0;  // of good delegations and dash ranges: one nameserver inside the delegation, with glue
};

struct Settings {
  std::string profile;
  std::uint64_t objects = 0;
  std::uint64_t seed = 1;
  std::vector<std::uint32_t> v4_octets;
  std::vector<Ip6Prefix> ip6_zones;
  Mix mix;
  double change = 0;
  std::uint64_t change_seed = 1;
  bool modified_remarks = false;
};

struct Plan {
  std::vector<ServedZone> zones;           // in-addr.arpa zones (ascending /8) first, then ip6.arpa zones
  std::vector<PlannedObject> objects;      // in dump order
  std::vector<std::uint32_t> delegated16;  // the /16 delegations (for "covered" objects)
  std::uint64_t host_pool = 0;             // hosting operators whose nameservers objects use
};

class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Draws items without replacement, in random order: a Fisher-Yates shuffle done one step per draw.
template <typename T>
class ShuffledPool {
 public:
  ShuffledPool(std::vector<T> items, Random& rng) : items_(std::move(items)), rng_(rng) {}

  std::optional<T> take() {
    if (next_ == items_.size()) return std::nullopt;
    const std::size_t pick = next_ + rng_.below(items_.size() - next_);
    std::swap(items_[next_], items_[pick]);
    return items_[next_++];
  }
  T take(std::string_view what) {
    std::optional<T> item = take();
    if (!item) throw PlanError(fmt::format("not enough {} for this data set ({} available)", what, items_.size()));
    return *item;
  }

 private:
  std::vector<T> items_;
  std::size_t next_ = 0;
  Random& rng_;
};

std::uint64_t share_of(std::uint64_t objects, double share) {
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(objects) * share));
}

class Planner {
 public:
  explicit Planner(const Settings& settings) : settings_(settings), rng_(mix(settings.seed, kPlanSalt)) {}

  Plan make() && {
    add_zones();
    const std::uint64_t n = settings_.objects;
    const Mix& m = settings_.mix;
    const std::uint64_t bad = share_of(n, m.bad);
    const std::uint64_t enum_objects = share_of(n, m.enum_objects);
    const std::uint64_t without_nserver = share_of(n, m.without_nserver);
    const std::uint64_t classless = share_of(n, m.classless);
    const std::uint64_t slash16 = share_of(n, m.slash16);
    const std::uint64_t ip6 = share_of(n, m.ip6);
    const std::uint64_t others = bad + enum_objects + without_nserver + classless + slash16 + ip6;
    if (others > n) throw PlanError("the shares add up to more than all objects");
    const std::uint64_t slash24 = n - others;
    plan_.objects.reserve(n);
    plan_.host_pool = std::max<std::uint64_t>(64, n / 25);

    plan_v4(slash24, slash16, classless, without_nserver);
    plan_ip6(ip6);
    for (std::uint64_t k = 0; k < enum_objects; ++k) {
      plan_.objects.push_back({.kind = Kind::kEnum, .serial = static_cast<std::uint32_t>(k)});
    }
    plan_bad(bad);

    // Dump order is creation order, which has nothing to do with the names.
    std::vector<PlannedObject>& objects = plan_.objects;
    for (std::size_t i = objects.size(); i > 1; --i) std::swap(objects[i - 1], objects[rng_.below(i)]);
    return std::move(plan_);
  }

 private:
  void add_zones() {
    std::vector<std::uint32_t> octets = settings_.v4_octets;
    std::sort(octets.begin(), octets.end());
    for (std::uint32_t octet : octets) {
      zone_of_octet_[octet] = static_cast<int>(plan_.zones.size());
      plan_.zones.push_back({.apex = fmt::format("{}.in-addr.arpa", octet), .octet = octet});
    }
    for (Ip6Prefix prefix : settings_.ip6_zones) {
      ServedZone zone{.ip6 = true, .prefix = prefix};
      append_ip6_name(zone.apex, prefix);
      plan_.zones.push_back(std::move(zone));
    }
  }

  std::uint16_t v4_zone(std::uint32_t v4) const { return static_cast<std::uint16_t>(zone_of_octet_[v4 >> 16]); }

  // /16 delegations use a few /16s of each /8 set aside for them; /24 delegations, dash ranges and every
  // /24-keyed bad object draw from all the other /24s, so no /24 ever lies below a delegated /16.
  void plan_v4(std::uint64_t slash24, std::uint64_t slash16, std::uint64_t classless, std::uint64_t without_nserver) {
    const std::vector<std::uint32_t> octets = served_octets();
    if (octets.empty()) {
      if (slash24 + slash16 + classless + without_nserver > 0) {
        throw PlanError("in-addr.arpa objects asked for, but no in-addr.arpa zone is served (--v4-zones)");
      }
      return;
    }
    const std::uint64_t reserved_per_zone = (slash16 + octets.size() - 1) / octets.size();
    if (reserved_per_zone > 255) throw PlanError("too many /16 delegations for the served /8s (--v4-zones)");
    std::vector<std::uint32_t> reserved16;
    std::vector<std::uint32_t> free24;
    free24.reserve(octets.size() * (256 - reserved_per_zone) * 256);
    for (std::uint32_t octet : octets) {
      std::array<std::uint32_t, 256> labels;
      for (std::uint32_t b = 0; b < 256; ++b) labels[b] = b;
      for (std::uint32_t i = 0; i < reserved_per_zone; ++i) std::swap(labels[i], labels[i + rng_.below(256 - i)]);
      std::array<bool, 256> reserved{};
      for (std::uint32_t i = 0; i < reserved_per_zone; ++i) {
        reserved[labels[i]] = true;
        reserved16.push_back((octet << 16) | (labels[i] << 8));
      }
      for (std::uint32_t b = 0; b < 256; ++b) {
        if (reserved[b]) continue;
        for (std::uint32_t c = 0; c < 256; ++c) free24.push_back((octet << 16) | (b << 8) | c);
      }
    }
    ShuffledPool<std::uint32_t> pool16(std::move(reserved16), rng_);
    for (std::uint64_t i = 0; i < slash16; ++i) {
      const std::uint32_t v4 = pool16.take("/16s");
      plan_.delegated16.push_back(v4);
      plan_.objects.push_back({.kind = Kind::kSlash16, .zone = v4_zone(v4), .v4 = v4});
    }
    pool24_.emplace(std::move(free24), rng_);
    for (std::uint64_t i = 0; i < slash24; ++i) {
      const std::uint32_t v4 = pool24_->take("/24s (raise --v4-zones)");
      plan_.objects.push_back({.kind = Kind::kSlash24, .zone = v4_zone(v4), .v4 = v4});
    }
    for (std::uint64_t made = 0; made < classless;) {
      const std::uint32_t v4 = pool24_->take("/24s for dash ranges");
      for (auto [first, last] : dash_ranges(classless - made)) {
        plan_.objects.push_back({.kind = Kind::kClassless,
                                 .first = first,
                                 .last = last,
                                 .zone = v4_zone(v4),
                                 .v4 = v4});
        ++made;
      }
    }
    for (std::uint64_t i = 0; i < without_nserver; ++i) {
      const std::uint32_t v4 = pool24_->take("/24s");
      plan_.objects.push_back({.kind = Kind::kWithoutNserver, .zone = v4_zone(v4), .v4 = v4});
    }
  }

  // The served /8s, ascending.
  std::vector<std::uint32_t> served_octets() const {
    std::vector<std::uint32_t> octets;
    for (const ServedZone& zone : plan_.zones) {
      if (!zone.ip6) octets.push_back(zone.octet);
    }
    return octets;
  }

  // 1 to 3 disjoint ranges for one /24 (never 0-255): CIDR-aligned blocks as RFC 2317 describes them, or
  // arbitrary runs of addresses, which registries accept too.
  std::vector<std::pair<std::uint8_t, std::uint8_t>> dash_ranges(std::uint64_t at_most) {
    std::vector<std::pair<std::uint8_t, std::uint8_t>> ranges;
    const unsigned wanted = static_cast<unsigned>(std::min<std::uint64_t>(at_most, 1 + rng_.below(3)));
    if (rng_.chance(0.6)) {
      static constexpr std::array<unsigned, 6> kSizes = {128, 64, 32, 16, 8, 4};
      const unsigned size = kSizes[rng_.below(kSizes.size())];
      const unsigned blocks = 256 / size;
      std::vector<unsigned> chosen;
      while (chosen.size() < std::min(wanted, blocks)) {
        const unsigned block = static_cast<unsigned>(rng_.below(blocks));
        if (std::find(chosen.begin(), chosen.end(), block) == chosen.end()) chosen.push_back(block);
      }
      for (unsigned block : chosen) {
        ranges.emplace_back(static_cast<std::uint8_t>(block * size), static_cast<std::uint8_t>(block * size + size - 1));
      }
    } else {
      std::vector<unsigned> cuts;
      while (cuts.size() < 2 * wanted) {
        const unsigned cut = static_cast<unsigned>(rng_.below(256));
        if (std::find(cuts.begin(), cuts.end(), cut) == cuts.end()) cuts.push_back(cut);
      }
      std::sort(cuts.begin(), cuts.end());
      if (cuts.front() == 0 && cuts.back() == 255 && wanted == 1) cuts.back() = 254;
      for (unsigned i = 0; i < cuts.size(); i += 2) {
        ranges.emplace_back(static_cast<std::uint8_t>(cuts[i]), static_cast<std::uint8_t>(cuts[i + 1]));
      }
    }
    return ranges;
  }

  // ip6.arpa: each served zone is cut into allocation units (/32s, or /36s inside a /32 zone); an allocation
  // holds either one delegation of the unit itself or a few longer ones (/36 ... /48) of one length, so no good
  // delegation is ever below another.
  void plan_ip6(std::uint64_t count) {
    if (count == 0) return;
    std::vector<std::uint64_t> units;  // unit prefix | zone index in the low 16 bits
    for (std::size_t z = 0; z < plan_.zones.size(); ++z) {
      const ServedZone& zone = plan_.zones[z];
      if (!zone.ip6) continue;
      const unsigned unit = unit_nibbles(zone.prefix);
      const std::uint64_t capacity = std::uint64_t{1} << (4 * (unit - zone.prefix.nibbles));
      for (std::uint64_t i = 0; i < capacity; ++i) units.push_back(zone.prefix.prefix | (i << (64 - 4 * unit)) | z);
    }
    if (units.empty()) throw PlanError("ip6.arpa objects asked for, but no ip6.arpa zone is served");
    ShuffledPool<std::uint64_t> pool(std::move(units), rng_);
    for (std::uint64_t made = 0; made < count;) {
      const std::uint64_t entry = pool.take("ip6.arpa allocation units");
      const auto zone = static_cast<std::uint16_t>(entry & 0xffff);
      const unsigned unit = unit_nibbles(plan_.zones[zone].prefix);
      const std::uint64_t unit_prefix = entry & ~std::uint64_t{0xffff};
      unsigned length = unit;
      const std::uint64_t roll = rng_.below(100);
      if (roll >= 45) length = kMaxDelegationNibbles;
      if (roll >= 75 && kMaxDelegationNibbles - unit > 1) {
        length = unit + 1 + static_cast<unsigned>(rng_.below(kMaxDelegationNibbles - unit - 1));
      }
      const std::uint64_t space = std::uint64_t{1} << (4 * (length - unit));
      std::uint64_t delegations = 1;
      if (length > unit) {
        const std::uint64_t most = std::min<std::uint64_t>(48, space);
        while (delegations < most && rng_.chance(0.7)) ++delegations;
      }
      delegations = std::min(delegations, count - made);
      std::vector<std::uint64_t> suffixes;
      while (suffixes.size() < delegations) {
        const std::uint64_t suffix = rng_.below(space);
        if (std::find(suffixes.begin(), suffixes.end(), suffix) == suffixes.end()) suffixes.push_back(suffix);
      }
      for (std::uint64_t suffix : suffixes) {
        plan_.objects.push_back({.kind = Kind::kIp6,
                                 .nibbles = static_cast<std::uint8_t>(length),
                                 .zone = zone,
                                 .ip6 = unit_prefix | (suffix << (64 - 4 * length))});
        ++made;
      }
    }
  }

  static unsigned unit_nibbles(Ip6Prefix zone) { return std::max(8u, zone.nibbles + 1); }

  // Bad objects cycle through the kinds, so every kind appears once there are a few dozen of them.
  void plan_bad(std::uint64_t count) {
    std::array<std::uint32_t, kBadKinds> made_of_kind{};
    std::size_t cursor = 0;
    std::size_t misses = 0;
    for (std::uint64_t made = 0; made < count;) {
      const auto kind = static_cast<Bad>(cursor++ % kBadKinds);
      const std::uint64_t added = add_bad(kind, made_of_kind[static_cast<std::size_t>(kind)], count - made);
      if (added == 0) {
        if (++misses > kBadKinds) throw PlanError("cannot make that many bad objects with these zones");
        continue;
      }
      misses = 0;
      made_of_kind[static_cast<std::size_t>(kind)] += 1;
      made += added;
    }
  }

  std::uint64_t add_bad(Bad kind, std::uint32_t serial, std::uint64_t room) {
    const BadKindInfo& kind_info = info(kind);
    if (kind_info.pair && room < 2) return 0;
    PlannedObject object{.kind = Kind::kBad, .bad = kind, .serial = serial};
    if (kind_info.needs_slash24) {
      if (!pool24_) return 0;
      const std::optional<std::uint32_t> v4 = pool24_->take();
      if (!v4) return 0;
      object.v4 = *v4;
    }
    switch (kind) {
      case Bad::kOverlappingRanges: {
        const auto first = static_cast<unsigned>(rng_.below(150));
        const auto last = first + 10 + static_cast<unsigned>(rng_.below(60));
        const auto second_first = first + 1 + static_cast<unsigned>(rng_.below(last - first));
        const auto second_last = std::min(255u, last + 1 + static_cast<unsigned>(rng_.below(40)));
        object.first = static_cast<std::uint8_t>(first);
        object.last = static_cast<std::uint8_t>(last);
        plan_.objects.push_back(object);
        object.member = 1;
        object.first = static_cast<std::uint8_t>(second_first);
        object.last = static_cast<std::uint8_t>(second_last);
        plan_.objects.push_back(object);
        return 2;
      }
      case Bad::kDuplicateKey:
        plan_.objects.push_back(object);
        object.member = 1;
        plan_.objects.push_back(object);
        return 2;
      case Bad::kOutsideServed:
        if (serial % 2 == 0) {
          const std::optional<std::uint32_t> octet = unserved_octet();
          if (!octet || serial / 2 > 0xffff) return 0;
          object.v4 = (*octet << 16) | (serial / 2);
        } else if (serial / 2 > 0xffff) {
          return 0;
        }
        break;
      case Bad::kCovered: {
        const std::size_t n16 = plan_.delegated16.size();
        if (n16 == 0 || serial >= n16 * 256) return 0;
        object.v4 = plan_.delegated16[serial % n16] | ((serial / n16) & 0xff);
        break;
      }
      case Bad::kAtApex:
        if (serial >= plan_.zones.size()) return 0;
        break;
      default:
        break;
    }
    plan_.objects.push_back(object);
    return 1;
  }

  std::optional<std::uint32_t> unserved_octet() const {
    for (std::uint32_t octet = 1; octet < 224; ++octet) {
      if (octet != 10 && octet != 127 && zone_of_octet_[octet] < 0) return octet;
    }
    return std::nullopt;
  }

  const Settings& settings_;
  Random rng_;
  Plan plan_;
  std::array<int, 256> zone_of_octet_ = [] {
    std::array<int, 256> none{};
    none.fill(-1);
    return none;
  }();
  std::optional<ShuffledPool<std::uint32_t>> pool24_;
};

// ------------------------------------------------------------------------------------------------ output files

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
struct GzCloser {
  void operator()(gzFile file) const { gzclose(file); }
};

std::system_error io_error(const fs::path& path, std::string_view what, int error = errno) {
  return {error, std::generic_category(), fmt::format("{} {}", what, path.string())};
}

// Makes a finished temporary file durable and gives it its final name.
void commit_file(const fs::path& temporary, const fs::path& target) {
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error(temporary, "cannot open");
  const bool synced = ::fsync(fd) == 0;
  const int sync_error = errno;
  ::close(fd);
  if (!synced) throw io_error(temporary, "cannot fsync", sync_error);
  if (std::rename(temporary.c_str(), target.c_str()) != 0) throw io_error(target, "cannot rename onto");
  fs::path directory = target.parent_path();
  if (directory.empty()) directory = ".";
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

// A text file written through a large in-memory buffer; gzip-compressed when its name ends in ".gz".
// Written under a temporary name and renamed when finished, so a killed run never leaves a half dump behind.
// An empty path discards the text (the counts of a dump are wanted without the dump). Full buffers are
// compressed and written by a second thread while the next one fills, one chunk at a time and in order.
class OutputFile {
 public:
  OutputFile(fs::path path, int gzip_level) : path_(std::move(path)), temporary_(path_) {
    temporary_ += ".tmp";
    buffer_.reserve(kFlushAt + (1 << 16));
    if (path_.empty()) return;
    if (std::error_code error; path_.has_parent_path()) {
      fs::create_directories(path_.parent_path(), error);
      if (error) throw io_error(path_.parent_path(), "cannot create the directory", error.value());
    }
    if (path_.extension() == ".gz") {
      const std::string mode = fmt::format("wb{}", gzip_level);
      gz_.reset(gzopen(temporary_.c_str(), mode.c_str()));
      if (!gz_) throw io_error(temporary_, "cannot create");
      if (gzbuffer(gz_.get(), 1 << 20) != 0) throw io_error(temporary_, "cannot set the gzip buffer of");
    } else {
      plain_.reset(std::fopen(temporary_.c_str(), "wb"));
      if (!plain_) throw io_error(temporary_, "cannot create");
    }
  }

  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (pending_.valid()) pending_.wait();  // an exception is on its way already; the .tmp file stays behind
  }

  // The buffer to append text to; the same object for the file's whole life.
  std::string& buffer() { return buffer_; }
  void flush_if_full() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  std::uint64_t bytes() const { return written_ + buffer_.size(); }

  void finish() {
    flush();
    if (pending_.valid()) pending_.get();
    if (path_.empty()) return;
    if (gz_) {
      const int status = gzclose(gz_.release());
      if (status != Z_OK) throw io_error(temporary_, "cannot finish writing", status == Z_ERRNO ? errno : EIO);
    } else {
      const bool failed = std::fflush(plain_.get()) != 0 || std::ferror(plain_.get());
      if (std::fclose(plain_.release()) != 0 || failed) throw io_error(temporary_, "cannot finish writing");
    }
    commit_file(temporary_, path_);
  }

 private:
  static constexpr std::size_t kFlushAt = 8 << 20;

  // Hands the buffer to the writing thread (after the previous chunk is written) and takes an empty one.
  void flush() {
    if (buffer_.empty()) return;
    std::string spare;
    if (pending_.valid()) spare = pending_.get();  // rethrows the previous chunk's write error
    written_ += buffer_.size();
    std::string chunk = std::exchange(buffer_, std::move(spare));
    buffer_.clear();
    buffer_.reserve(kFlushAt + (1 << 16));
    pending_ = std::async(std::launch::async, [this, chunk = std::move(chunk)]() mutable {
      write_chunk(chunk);
      return std::move(chunk);
    });
  }

  void write_chunk(std::string_view chunk) {
    if (gz_) {
      if (gzwrite(gz_.get(), chunk.data(), static_cast<unsigned>(chunk.size())) != static_cast<int>(chunk.size())) {
        int zlib_error = 0;
        const char* message = gzerror(gz_.get(), &zlib_error);
        throw std::system_error(zlib_error == Z_ERRNO ? errno : EIO, std::generic_category(),
                                fmt::format("cannot write {}: {}", temporary_.string(), message));
      }
    } else if (plain_ && std::fwrite(chunk.data(), 1, chunk.size(), plain_.get()) != chunk.size()) {
      throw io_error(temporary_, "cannot write");
    }
  }

  fs::path path_;
  fs::path temporary_;
  std::unique_ptr<gzFile_s, GzCloser> gz_;
  std::unique_ptr<std::FILE, FileCloser> plain_;
  std::string buffer_;
  std::uint64_t written_ = 0;  // bytes handed to the writing thread
  std::future<std::string> pending_;  // the chunk being written; gives its buffer back for reuse
};

void write_text_file(const fs::path& path, std::string_view text) {
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  OutputFile file(path, 0);
  file.buffer() = text;
  file.finish();
}

// ------------------------------------------------------------------------------------------------ the dump

struct ZoneTally {
  std::uint64_t delegations = 0;
  std::uint64_t classless = 0;
  std::uint64_t with_ds = 0;
  std::uint64_t ds_records = 0;
};

struct Tally {
  std::uint64_t objects = 0;
  std::uint64_t slash24 = 0;
  std::uint64_t slash16 = 0;
  std::uint64_t ip6 = 0;
  std::array<std::uint64_t, kMaxDelegationNibbles + 1> ip6_by_nibbles{};
  std::uint64_t classless = 0;
  std::uint64_t enum_objects = 0;
  std::uint64_t without_nserver = 0;
  std::uint64_t with_ds = 0;
  std::uint64_t ds_records = 0;
  std::uint64_t with_glue = 0;
  std::uint64_t changed = 0;
  std::uint64_t deleted = 0;
  std::array<std::uint64_t, kBadKinds> bad{};
  std::vector<ZoneTally> zones;

  std::uint64_t bad_total() const {
    std::uint64_t total = 0;
    for (std::uint64_t n : bad) total += n;
    return total;
  }
  std::uint64_t bad_placement() const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < kBadKinds; ++i) total += kBadKindInfo[i].placement ? bad[i] : 0;
    return total;
  }
};

constexpr std::array<std::string_view, 8> kTlds = {"net", "com", "org", "de", "nl", "eu", "fr", "co.uk"};
constexpr std::string_view kDummyHandle = "DUMY-RIR";

void append_two_digits(std::string& out, std::int64_t value) {
  out += static_cast<char>('0' + value / 10);
  out += static_cast<char>('0' + value % 10);
}

// "2004-03-11T09:21:44Z" (UTC); days since 1970-01-01 to a civil date by Howard Hinnant's algorithm.
void append_timestamp(std::string& out, std::int64_t seconds) {
  const std::int64_t days = seconds / 86400;
  const std::int64_t in_day = seconds % 86400;
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  append_two_digits(out, year / 100);
  append_two_digits(out, year % 100);
  out += '-';
  append_two_digits(out, month);
  out += '-';
  append_two_digits(out, day);
  out += 'T';
  append_two_digits(out, in_day / 3600);
  out += ':';
  append_two_digits(out, in_day / 60 % 60);
  out += ':';
  append_two_digits(out, in_day % 60);
  out += 'Z';
}

constexpr std::int64_t kFirstCreated = 725846400;   // 1993-01-01
constexpr std::int64_t kLastCreated = 1735689599;   // 2024-12-31
constexpr std::int64_t kLastModified = 1751327999;  // 2025-06-30

class DumpWriter {
 public:
  DumpWriter(const Settings& settings, const Plan& plan, OutputFile& file)
      : settings_(settings), plan_(plan), file_(file), out_(file.buffer()) {
    tally_.zones.resize(plan.zones.size());
  }

  Tally write() && {
    write_header();
    const std::uint64_t content_seed = mix(settings_.seed, kContentSalt);
    const std::uint64_t change_salt = mix(settings_.change_seed, kChangeSalt);
    for (std::size_t index = 0; index < plan_.objects.size(); ++index) {
      const PlannedObject& object = plan_.objects[index];
      std::uint64_t seed = mix(content_seed, index);
      if (settings_.change > 0 && is_good_delegation(object)) {
        const double roll = unit_interval(mix(change_salt, index));
        if (roll < settings_.change / 4) {
          ++tally_.deleted;
          continue;
        }
        if (roll < settings_.change) {
          ++tally_.changed;
          seed = mix(seed, change_salt);
        }
      }
      Random rng(seed);
      write_object(object, rng);
      file_.flush_if_full();
    }
    return std::move(tally_);
  }

 private:
  static bool is_good_delegation(const PlannedObject& object) {
    return object.kind == Kind::kSlash24 || object.kind == Kind::kSlash16 || object.kind == Kind::kIp6 ||
           object.kind == Kind::kClassless;
  }

  void write_header() {
    out_ += "% Synthetic EXAMPLE-RIR split dump, class domain, for benchmarking rdnsprov.\n";
    out_ += fmt::format("% rdnsprov-gen-registry --profile {} --objects {} --seed {}", settings_.profile,
                        settings_.objects, settings_.seed);
    if (settings_.change > 0) out_ += fmt::format(" --change {} --change-seed {}", settings_.change, settings_.change_seed);
    out_ += "\n%\n% Personal data has been removed; every name, handle and digest here is made up.\n\n";
  }

  // ---- one object

  void write_object(const PlannedObject& object, Random& rng) {
    ++tally_.objects;
    key_.clear();
    switch (object.kind) {
      case Kind::kSlash24:
      case Kind::kSlash16:
      case Kind::kClassless:
      case Kind::kIp6:
        write_delegation(object, rng);
        return;
      case Kind::kEnum: {
        ++tally_.enum_objects;
        const std::string number = fmt::format("4930{:06}", object.serial);
        for (std::size_t i = number.size(); i-- > 0;) {
          key_ += number[i];
          key_ += '.';
        }
        key_ += "e164.arpa";
        const std::uint64_t host = begin_object(rng, "ENUM delegation");
        write_nservers(host, 2, rng);
        end_object(host, rng);
        return;
      }
      case Kind::kWithoutNserver: {
        ++tally_.without_nserver;
        append_v4_name(key_, object.v4, 3);
        const std::uint64_t host = begin_object(rng, "Reverse delegation withdrawn, object kept for its contacts");
        end_object(host, rng);
        return;
      }
      case Kind::kBad:
        ++tally_.bad[static_cast<std::size_t>(object.bad)];
        write_bad(object, rng);
        return;
    }
  }

  void write_delegation(const PlannedObject& object, Random& rng) {
    ZoneTally& zone = tally_.zones[object.zone];
    descr_.clear();
    switch (object.kind) {
      case Kind::kSlash24:
        ++tally_.slash24;
        ++zone.delegations;
        append_v4_name(key_, object.v4, 3);
        append_ipv4(descr_, object.v4, 0);
        descr_ += "/24";
        break;
      case Kind::kSlash16:
        ++tally_.slash16;
        ++zone.delegations;
        append_v4_name(key_, object.v4, 2);
        append_ipv4(descr_, object.v4, 0);
        descr_ += "/16";
        break;
      case Kind::kClassless:
        ++tally_.classless;
        ++zone.classless;
        append_uint(key_, object.first);
        key_ += '-';
        append_uint(key_, object.last);
        key_ += '.';
        append_v4_name(key_, object.v4, 3);
        append_ipv4(descr_, object.v4, object.first);
        descr_ += " - ";
        append_ipv4(descr_, object.v4, object.last);
        break;
      default:  // Kind::kIp6
        ++tally_.ip6;
        ++tally_.ip6_by_nibbles[object.nibbles];
        ++zone.delegations;
        // Nibbles compare case-insensitively (RPSL.md); a few registrants type them in capitals.
        append_ip6_name(key_, {object.ip6, object.nibbles}, rng.chance(0.002));
        append_ip6_text(descr_, object.ip6, "/");
        append_uint(descr_, 4 * object.nibbles);
        break;
    }
    const std::uint64_t host = begin_object(rng, descr_);
    const unsigned count = nameserver_count(rng);
    unsigned out_of_zone = count;
    if (rng.chance(settings_.mix.glue)) {
      ++tally_.with_glue;
      write_in_zone_nserver(object, rng);
      out_of_zone = count - 1;
    }
    write_nservers(host, out_of_zone, rng, count - out_of_zone);
    if (rng.chance(settings_.mix.ds)) {
      const unsigned records = write_ds_set(rng);
      ++tally_.with_ds;
      ++zone.with_ds;
      tally_.ds_records += records;
      zone.ds_records += records;
    }
    end_object(host, rng);
  }

  static unsigned nameserver_count(Random& rng) {
    const std::uint64_t roll = rng.below(100);
    if (roll < 2) return 1;
    if (roll < 72) return 2;
    if (roll < 92) return 3;
    return 4;
  }

  // A nameserver named inside the delegation, with its glue address (RPSL.md "nserver").
  void write_in_zone_nserver(const PlannedObject& object, Random& rng) {
    attribute("nserver");
    if (object.kind == Kind::kClassless && rng.chance(0.2)) {
      // Inside a dash range also means below one of the addresses it holds.
      const std::uint64_t address = rng.between(object.first, object.last);
      out_ += "ns.";
      append_uint(out_, address);
      out_ += '.';
      append_v4_name(out_, object.v4, 3);
      out_ += ' ';
      append_ipv4(out_, object.v4, address);
    } else {
      out_ += "ns1.";
      out_ += key_;
      out_ += ' ';
      switch (object.kind) {
        case Kind::kSlash24:
          append_ipv4(out_, object.v4, rng.between(1, 254));
          break;
        case Kind::kSlash16:
          append_ipv4(out_, object.v4 | static_cast<std::uint32_t>(rng.below(256)), rng.between(1, 254));
          break;
        case Kind::kClassless:
          append_ipv4(out_, object.v4, rng.between(object.first, object.last));
          break;
        default:
          append_ip6_text(out_, object.ip6, "53");
          if (rng.chance(0.15)) {
            // The same host again with an IPv4 address: several nserver lines may name one host.
            out_ += '\n';
            attribute("nserver");
            out_ += "ns1.";
            out_ += key_;
            out_ += " 198.51.100.";
            append_uint(out_, rng.between(1, 254));
          }
          break;
      }
    }
    out_ += '\n';
  }

  // `count` out-of-zone nameservers of one hosting operator, numbered after `skip` in-zone ones.
  void write_nservers(std::uint64_t host, unsigned count, Random& rng, unsigned skip = 0) {
    for (unsigned i = 0; i < count; ++i) {
      std::uint64_t operator_index = host;
      if (i + 1 == count && count > 1 && rng.chance(0.15)) operator_index = rng.below(plan_.host_pool);
      const std::size_t line_start = out_.size();
      attribute("nserver");
      const std::size_t name_start = out_.size();
      out_ += "ns";
      append_uint(out_, skip + i + 1);
      out_ += ".example-";
      append_uint(out_, operator_index);
      out_ += '.';
      out_ += kTlds[operator_index % kTlds.size()];
      if (rng.chance(0.005)) {
        std::transform(out_.begin() + static_cast<std::ptrdiff_t>(name_start), out_.end(),
                       out_.begin() + static_cast<std::ptrdiff_t>(name_start),
                       [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
      }
      if (rng.chance(0.01)) out_ += '.';  // a trailing dot is allowed
      out_ += '\n';
      if (rng.chance(0.002)) {  // the same line twice: duplicates are merged
        const std::string line = out_.substr(line_start);
        out_ += line;
      }
    }
  }

  // One DS, two during a KSK rollover; returns how many.
  unsigned write_ds_set(Random& rng) {
    const bool upper = rng.chance(0.8);
    const unsigned count = rng.chance(0.1) ? 2 : 1;
    for (unsigned i = 0; i < count; ++i) write_ds(rng.below(65536), 13, 2, 32, upper, rng);
    return count;
  }

  // The digest as registrants paste it: in one piece, with blanks, across a continuation line, in parentheses.
  void write_ds(std::uint64_t key_tag, unsigned algorithm, unsigned digest_type, unsigned digest_octets, bool upper,
                Random& rng) {
    digest_.clear();
    const std::string_view hex = upper ? kHexUpper : kHexLower;
    for (unsigned i = 0; i < digest_octets; ++i) {
      const auto octet = static_cast<unsigned>(rng.below(256));
      digest_ += hex[octet >> 4];
      digest_ += hex[octet & 0xf];
    }
    const std::string_view digest = digest_;
    const std::string_view head = digest.substr(0, digest.size() / 2);
    const std::string_view tail = digest.substr(digest.size() / 2);
    attribute("ds-rdata");
    append_uint(out_, key_tag);
    out_ += ' ';
    append_uint(out_, algorithm);
    out_ += ' ';
    append_uint(out_, digest_type);
    out_ += ' ';
    const std::uint64_t style = rng.below(100);
    if (style < 70) {
      out_ += digest;
    } else if (style < 80) {
      out_ += head;
      out_ += ' ';
      out_ += tail;
    } else if (style < 90) {
      out_ += head;
      out_ += '\n';
      continuation(rng);
      out_ += tail;
    } else {
      out_ += "( ";
      out_ += head;
      out_ += '\n';
      continuation(rng);
      out_ += tail;
      out_ += " )";
    }
    out_ += '\n';
  }

  // A continuation line's first character: mostly spaces, as dumps pad values to column 17; tab and '+' too.
  void continuation(Random& rng) {
    const std::uint64_t roll = rng.below(100);
    if (roll < 80) {
      out_.append(16, ' ');
    } else if (roll < 90) {
      out_ += '\t';
    } else {
      out_ += '+';
      out_.append(15, ' ');
    }
  }

  // ---- bookkeeping around the data rdnsprov uses

  // `name:` padded to column 17, as the RIPE Database writes its dumps.
  void attribute(std::string_view name) {
    out_ += name;
    out_ += ':';
    out_.append(name.size() + 1 < 16 ? 15 - name.size() : 1, ' ');
  }

  // Writes the key and the lines before the nameservers; returns the hosting operator of the object.
  std::uint64_t begin_object(Random& rng, std::string_view description) {
    const std::uint64_t host = rng.below(plan_.host_pool);
    attribute("domain");
    out_ += key_;
    out_ += '\n';
    attribute("descr");
    const std::uint64_t style = rng.below(1000);
    if (style < 500) {
      out_ += "Reverse delegation for ";
      out_ += description;
    } else {
      // Free text may be UTF-8 (newer dumps) or ISO-8859-1 (older ones); rdnsprov must take both.
      if (style < 503) {
        out_ += "Soci\xc3\xa9t\xc3\xa9 Exemple R\xc3\xa9seaux ";
      } else if (style < 504) {
        out_ += "M\xfcller Netzwerke ";
      } else {
        out_ += "Example Networks ";
      }
      append_uint(out_, host);
    }
    out_ += '\n';
    if (rng.chance(0.1)) {
      attribute("org");
      out_ += "ORG-EX";
      append_uint(out_, host);
      out_ += "-RIR\n";
    }
    for (std::string_view contact : {"admin-c", "tech-c", "zone-c"}) {
      attribute(contact);
      out_ += kDummyHandle;
      out_ += '\n';
    }
    return host;
  }

  void end_object(std::uint64_t host, Random& rng) {
    if (rng.chance(0.04)) {
      attribute("remarks");
      out_ += "Managed by Example Networks ";
      append_uint(out_, host);
      out_ += " # ticket ";
      append_uint(out_, rng.below(1000000));
      out_ += '\n';
      if (rng.chance(0.3)) {
        out_.append(16, ' ');
        out_ += "Contact the NOC before changing the nameservers.\n";
      }
    }
    if (settings_.modified_remarks) {
      for (std::string_view line :
           {"****************************", "* THIS OBJECT IS MODIFIED",
            "* Please note that all data that is generally regarded as personal",
            "* data has been removed from this object.",
            "* To view the original object, please query the EXAMPLE-RIR Database at:",
            "* https://www.example-rir.net/whois", "****************************"}) {
        attribute("remarks");
        out_ += line;
        out_ += '\n';
      }
    }
    attribute("mnt-by");
    out_ += "EXAMPLE-";
    append_uint(out_, host);
    out_ += "-MNT\n";
    const auto created = static_cast<std::int64_t>(rng.between(kFirstCreated, kLastCreated));
    const auto modified = static_cast<std::int64_t>(rng.between(static_cast<std::uint64_t>(created), kLastModified));
    attribute("created");
    append_timestamp(out_, created);
    out_ += '\n';
    attribute("last-modified");
    append_timestamp(out_, modified);
    out_ += '\n';
    attribute("source");
    out_ += "EXAMPLE-RIR\n\n";
    if (rng.chance(0.0001)) out_ += "# end of a batch\n\n";  // comments between objects
  }

  // ---- bad objects: each breaks exactly one rule of RPSL.md (placement ones: a rule of the builder)

  void write_bad(const PlannedObject& object, Random& rng) {
    const std::uint32_t serial = object.serial;
    std::uint64_t host = 0;
    switch (object.bad) {
      case Bad::kTooManyOctets:
        append_uint(key_, rng.between(1, 254));
        key_ += '.';
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "a single address");
        write_nservers(host, 2, rng);
        break;
      case Bad::kBadOctet:
        if (serial % 2 == 0) {
          key_ += '0';  // leading zero
          append_uint(key_, object.v4 & 0xff);
        } else {
          append_uint(key_, 256 + (object.v4 & 0xff));
        }
        key_ += '.';
        append_v4_name(key_, object.v4, 2);
        host = begin_object(rng, "a bad octet");
        write_nservers(host, 2, rng);
        break;
      case Bad::kDash0To255:
        key_ += "0-255.";
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "a whole /24 in dash notation");
        write_nservers(host, 2, rng);
        break;
      case Bad::kDashReversed: {
        const std::uint64_t low = rng.below(200);
        const std::uint64_t high = serial % 2 == 0 ? low + 1 + rng.below(55) : low;
        append_uint(key_, high);
        key_ += '-';
        append_uint(key_, low);
        key_ += '.';
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "a reversed range");
        write_nservers(host, 2, rng);
        break;
      }
      case Bad::kOverlappingRanges:
        append_uint(key_, object.first);
        key_ += '-';
        append_uint(key_, object.last);
        key_ += '.';
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "overlapping ranges");
        write_nservers(host, 2, rng);
        break;
      case Bad::kDuplicateKey:
        append_v4_name(key_, object.v4, 3);
        if (object.member == 1 && serial % 2 == 1) {
          key_.replace(key_.size() - 12, 12, "IN-ADDR.ARPA");  // keys compare case-insensitively
        }
        host = begin_object(rng, "a duplicate key");
        write_nservers(host, 2, rng);
        break;
      case Bad::kDsDigestLength: {
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "a DS digest of the wrong length");
        write_nservers(host, 2, rng);
        static constexpr std::array<std::array<unsigned, 2>, 4> kWrong = {{{2, 31}, {2, 33}, {1, 32}, {4, 32}}};
        const auto [type, octets] = kWrong[serial % kWrong.size()];
        write_ds(rng.below(65536), 13, type, octets, true, rng);
        break;
      }
      case Bad::kDsAlgorithmZero:
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "a DS with algorithm or digest type 0");
        write_nservers(host, 2, rng);
        write_ds(rng.below(65536), serial % 2 == 0 ? 0 : 13, serial % 2 == 0 ? 2 : 0, 32, true, rng);
        break;
      case Bad::kGlueOutside:
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "glue outside the delegation");
        attribute("nserver");
        out_ += fmt::format("ns1.example-{}.{} 192.0.2.{}\n", host, kTlds[host % kTlds.size()], rng.between(1, 254));
        write_nservers(host, 1, rng, 1);
        break;
      case Bad::kGlueMissing:
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "an in-zone nameserver without glue");
        attribute("nserver");
        out_ += "ns1.";
        out_ += key_;
        out_ += '\n';
        write_nservers(host, 1, rng, 1);
        break;
      case Bad::kInjection:
        host = write_injection(object, rng);
        break;
      case Bad::kBadNserver: {
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "no usable nameserver");
        const std::string tld(kTlds[host % kTlds.size()]);
        switch (serial % 3) {
          case 0:
            out_ += fmt::format("nserver:        ns1..example-{0}.{1}\nnserver:        ns2..example-{0}.{1}\n", host, tld);
            break;
          case 1:
            out_ += fmt::format("nserver:        {0}.example-{1}.{2}\nnserver:        ns2.{0}.example-{1}.{2}\n",
                                std::string(64, 'n'), host, tld);
            break;
          default:
            out_ += fmt::format("nserver:        ns1.{} ", key_);
            append_ipv4(out_, object.v4, 256 + rng.below(100));
            out_ += '\n';
            break;
        }
        break;
      }
      case Bad::kBadIp6: {
        const std::string digits = fmt::format("{:05x}", serial);
        switch (serial % 3) {
          case 0:
            key_ += "g.";
            for (std::size_t i = digits.size(); i-- > 0;) key_ += fmt::format("{}.", digits[i]);
            key_ += "0.a.2.ip6.arpa";
            break;
          case 1:
            for (std::size_t i = digits.size(); i-- > 0;) key_ += fmt::format("{}.", digits[i]);
            key_ += "10.a.2.ip6.arpa";
            break;
          default:  // 33 nibbles
            for (std::size_t i = digits.size(); i-- > 0;) key_ += fmt::format("{}.", digits[i]);
            for (int i = 0; i < 25; ++i) key_ += "0.";
            key_ += "0.0.a.2.ip6.arpa";
            break;
        }
        host = begin_object(rng, "a bad ip6.arpa name");
        write_nservers(host, 2, rng);
        break;
      }
      case Bad::kNotReverse:
        switch (serial % 3) {
          case 0:
            key_ = fmt::format("example-{}.com", serial);
            break;
          case 1:
            key_ = fmt::format("{}.in-addr.arpa.example.net", serial % 256);
            break;
          default:
            key_ = fmt::format("{}.{}.in-addr", serial % 256, serial / 256 % 256);
            break;
        }
        host = begin_object(rng, "not a reverse name");
        write_nservers(host, 2, rng);
        break;
      case Bad::kOutsideServed:
        if (serial % 2 == 0) {
          append_v4_name(key_, object.v4, 3);
        } else {
          append_ip6_name(key_, {kUnservedIp6.prefix | (std::uint64_t{serial / 2} << 32), 8});
        }
        host = begin_object(rng, "space this registry does not serve");
        write_nservers(host, 2, rng);
        break;
      case Bad::kCovered:
        append_v4_name(key_, object.v4, 3);
        host = begin_object(rng, "a /24 below a delegated /16");
        write_nservers(host, 2, rng);
        break;
      case Bad::kAtApex:
        key_ = plan_.zones[serial].apex;
        host = begin_object(rng, "the apex of a served zone");
        write_nservers(host, 2, rng);
        break;
    }
    end_object(host, rng);
  }

  // Values that would inject text into a master file if they were copied into it (RPSL.md "Safety").
  std::uint64_t write_injection(const PlannedObject& object, Random& rng) {
    const std::uint32_t variant = object.serial % 8;
    append_v4_name(key_, object.v4, 3);
    if (variant == 7) key_ += ";";  // in the key itself
    const std::uint64_t host = begin_object(rng, "an injection attempt");
    const std::string tld(kTlds[host % kTlds.size()]);
    attribute("nserver");
    switch (variant) {
      case 0:
        out_ += fmt::format("ns1.example-{}.{};evil.example.\n", host, tld);
        break;
      case 1:
        out_ += fmt::format("ns1.example-{}.{}\"\n", host, tld);
        break;
      case 2:
        out_ += fmt::format("ns1.example-{}.{}\\010\n", host, tld);
        break;
      case 3:
        out_ += fmt::format("$INCLUDE.example-{}.{}\n", host, tld);
        break;
      case 4:
        out_ += fmt::format("ns1.example-{}.{}\x01\n", host, tld);
        break;
      case 5:
        out_ += fmt::format("ns1.example-{}.{}(\n", host, tld);
        break;
      default:
        out_ += fmt::format("ns1.example-{}.{}\n", host, tld);
        break;
    }
    write_nservers(host, 1, rng, 1);
    if (variant == 6) {
      attribute("ds-rdata");
      out_ += fmt::format("{} 13 2 {} ; evil IN A 192.0.2.1\n", rng.below(65536), std::string(64, 'A'));
    }
    return host;
  }

  const Settings& settings_;
  const Plan& plan_;
  OutputFile& file_;
  std::string& out_;
  std::string key_;
  std::string descr_;
  std::string digest_;
  Tally tally_;
};

// ------------------------------------------------------------------------------------------------ config, lists

std::string config_text(const Plan& plan, const fs::path& config, const fs::path& dump, std::string_view state) {
  const fs::path config_dir = fs::absolute(config).parent_path();
  fs::path source = fs::absolute(dump).lexically_normal().lexically_relative(config_dir.lexically_normal());
  if (source.empty()) source = fs::absolute(dump);
  std::string text = fmt::format(
      "[general]\n"
      "state = {}\n"
      "registry = EXAMPLE-RIR\n"
      "\n"
      "[source.dump]\n"
      "type = rpsl\n"
      "path = {}\n"
      "\n"
      "[zone-defaults]\n"
      "soa-mname = ns0.example-rir.net\n"
      "soa-rname = hostmaster.example-rir.net\n"
      "nameserver = ns1.example-rir.net\n"
      "nameserver = ns2.example-rir.net\n",
      state, source.string());
  for (const ServedZone& zone : plan.zones) text += fmt::format("\n[zone.{}]\n", zone.apex);
  return text;
}

std::string zone_list_text(const Plan& plan) {
  std::string text;
  for (const ServedZone& zone : plan.zones) text += zone.apex + '\n';
  return text;
}

std::string summary_json(const Settings& settings, const Plan& plan, const Tally& tally) {
  const std::uint64_t placement = tally.bad_placement();
  const std::uint64_t rejected = tally.bad_total() - placement;
  std::uint64_t placement_delegations = 0;  // placement-bad objects are accepted by ingest as plain delegations
  for (std::size_t i = 0; i < kBadKinds; ++i) placement_delegations += kBadKindInfo[i].placement ? tally.bad[i] : 0;
  std::string json = "{\n";
  json += fmt::format("  \"generator\": \"rdnsprov-gen-registry\",\n  \"profile\": \"{}\",\n  \"seed\": {},\n",
                      settings.profile, settings.seed);
  json += fmt::format("  \"change\": {},\n  \"change_seed\": {},\n", settings.change, settings.change_seed);
  json += fmt::format("  \"objects\": {},\n", tally.objects);
  json += "  \"ingest\": {\n";
  json += fmt::format("    \"domain_objects\": {},\n", tally.objects);
  json += fmt::format("    \"delegations\": {},\n", tally.slash24 + tally.slash16 + tally.ip6 + placement_delegations);
  json += fmt::format("    \"classless\": {},\n", tally.classless);
  json += fmt::format("    \"enum_skipped\": {},\n", tally.enum_objects);
  json += fmt::format("    \"without_nserver\": {},\n", tally.without_nserver);
  json += fmt::format("    \"rejected\": {}\n  }},\n", rejected);
  json += "  \"placed\": {\n";
  json += fmt::format("    \"delegations\": {},\n", tally.slash24 + tally.slash16 + tally.ip6);
  json += fmt::format("    \"slash24\": {},\n    \"slash16\": {},\n    \"ip6\": {},\n", tally.slash24, tally.slash16,
                      tally.ip6);
  json += fmt::format("    \"classless\": {},\n", tally.classless);
  json += fmt::format("    \"with_ds\": {},\n    \"ds_records\": {},\n    \"with_glue\": {},\n", tally.with_ds,
                      tally.ds_records, tally.with_glue);
  json += fmt::format("    \"placement_errors\": {}\n  }},\n", placement);
  json += fmt::format("  \"changed\": {},\n  \"deleted\": {},\n", tally.changed, tally.deleted);
  json += "  \"bad\": {";
  for (std::size_t i = 0; i < kBadKinds; ++i) {
    json += fmt::format("{}\n    \"{}\": {}", i == 0 ? "" : ",", kBadKindInfo[i].name, tally.bad[i]);
  }
  json += "\n  },\n  \"zones\": [";
  for (std::size_t z = 0; z < plan.zones.size(); ++z) {
    const ZoneTally& zone = tally.zones[z];
    json += fmt::format(
        "{}\n    {{\"apex\": \"{}\", \"delegations\": {}, \"classless\": {}, \"with_ds\": {}, \"ds_records\": {}}}",
        z == 0 ? "" : ",", plan.zones[z].apex, zone.delegations, zone.classless, zone.with_ds, zone.ds_records);
  }
  json += "\n  ]\n}\n";
  return json;
}

void print_summary(const Settings& settings, const Plan& plan, const Tally& tally, const fs::path& out,
                   std::uint64_t bytes, double seconds) {
  const std::uint64_t placed = tally.slash24 + tally.slash16 + tally.ip6;
  const std::uint64_t placed_and_ranges = placed + tally.classless;
  const auto percent = [](std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  };
  std::size_t v4_zones = 0;
  for (const ServedZone& zone : plan.zones) v4_zones += zone.ip6 ? 0 : 1;
  std::string text = fmt::format("rdnsprov-gen-registry: profile {}, seed {}: {} objects", settings.profile,
                                 settings.seed, tally.objects);
  if (!out.empty()) {
    text += fmt::format(" -> {} ({:.1f} MB of text)", out.string(), static_cast<double>(bytes) / 1e6);
  }
  text += fmt::format(" in {:.2f} s ({:.0f} objects/s)\n", seconds, static_cast<double>(tally.objects) / seconds);
  text += fmt::format("  good delegations   {:>9}  (/24 {}, /16 {}, ip6.arpa {}", placed, tally.slash24,
                      tally.slash16, tally.ip6);
  for (unsigned n = 8; n <= kMaxDelegationNibbles; ++n) {
    if (tally.ip6_by_nibbles[n] > 0) text += fmt::format(", /{} {}", 4 * n, tally.ip6_by_nibbles[n]);
  }
  text += ")\n";
  text += fmt::format("  dash ranges        {:>9}\n", tally.classless);
  text += fmt::format("  with DS            {:>9}  ({:.1f}% of delegations and ranges)\n", tally.with_ds,
                      percent(tally.with_ds, placed_and_ranges));
  text += fmt::format("  with in-zone glue  {:>9}  ({:.1f}%)\n", tally.with_glue,
                      percent(tally.with_glue, placed_and_ranges));
  text += fmt::format("  e164.arpa          {:>9}  (skipped by ingest)\n", tally.enum_objects);
  text += fmt::format("  without nserver    {:>9}  (counted, not delegated)\n", tally.without_nserver);
  if (settings.change > 0) {
    text += fmt::format("  changed / deleted  {:>9} / {}  (--change {})\n", tally.changed, tally.deleted,
                        settings.change);
  }
  text += fmt::format("  bad                {:>9}  (rejected by ingest {}, refused by the builder {})\n",
                      tally.bad_total(), tally.bad_total() - tally.bad_placement(), tally.bad_placement());
  for (std::size_t i = 0; i < kBadKinds; ++i) {
    if (tally.bad[i] == 0) continue;
    text += fmt::format("    {:<20} {:>6}{}\n", kBadKindInfo[i].name, tally.bad[i],
                        kBadKindInfo[i].placement ? "  (placement)" : "");
  }
  text += fmt::format("  zones              {:>9}  ({} in-addr.arpa, {} ip6.arpa)\n", plan.zones.size(), v4_zones,
                      plan.zones.size() - v4_zones);
  std::cerr << text;
}

// ------------------------------------------------------------------------------------------------ options

struct ProfileDefaults {
  std::uint64_t objects;
  std::vector<std::uint32_t> v4_octets;
  std::vector<Ip6Prefix> ip6_zones;
  Mix mix;
};

std::optional<ProfileDefaults> profile_defaults(std::string_view name, std::size_t v4_zones) {
  if (name == "registry") {
    std::vector<std::uint32_t> octets(kRegistrySlash8s.begin(), kRegistrySlash8s.end());
    for (std::uint32_t octet = 1; octet < 224 && octets.size() < kMaxV4Zones; ++octet) {
      if (octet == 10 || octet == 127) continue;
      if (std::find(octets.begin(), octets.end(), octet) == octets.end()) octets.push_back(octet);
    }
    octets.resize(std::min(v4_zones, octets.size()));
    return ProfileDefaults{1000000,
                           std::move(octets),
                           {kRegistryIp6Zones.begin(), kRegistryIp6Zones.end()},
                           {.ip6 = 0.25,
                            .slash16 = 0.001,
                            .classless = 0.003,
                            .bad = 0.001,
                            .enum_objects = 0.0002,
                            .without_nserver = 0.0002,
                            .ds = 0.15,
                            .glue = 0.04}};
  }
  if (name == "inaddr8") return ProfileDefaults{65536, {193}, {}, {.ds = 0.15, .glue = 0.04}};
  if (name == "ip6") return ProfileDefaults{1000000, {}, {kRegistryIp6Zones[0]}, {.ip6 = 1.0, .ds = 0.15, .glue = 0.04}};
  return std::nullopt;
}

constexpr std::string_view kUsage =
    "Usage: rdnsprov-gen-registry [options]\n"
    "Writes a deterministic, registry-scale RPSL split dump of `domain` objects (and the rdnsprov config that\n"
    "serves it) for benchmarks. Same options, same bytes. A summary goes to stderr.\n"
    "Exit codes: 0 done, 1 I/O error, 2 usage error or a data set that cannot be made.\n\n";

int run(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string profile;
  std::uint64_t objects = 0;
  std::uint64_t seed = 1;
  std::size_t v4_zones = 40;
  std::string out;
  std::string config;
  std::string zone_list;
  std::string summary;
  std::string state;
  int gzip_level = 1;
  double change = 0;
  std::uint64_t change_seed = 1;
  po::options_description options("Options");
  options.add_options()
      ("help,h", "this text")
      ("profile", po::value(&profile)->default_value("registry"), "registry | inaddr8 | ip6 (see below)")
      ("objects", po::value(&objects), "number of objects (registry and ip6: 1000000; inaddr8: 65536)")
      ("seed", po::value(&seed)->default_value(1), "seed of every random choice")
      ("out", po::value(&out), "the dump to write; gzip when the name ends in .gz")
      ("gzip-level", po::value(&gzip_level)->default_value(1),
       "zlib level 1-9 of a .gz dump (1: fast; reading is as fast at any level)")
      ("config", po::value(&config), "also write an rdnsprov config serving the data's parent zones (needs --out)")
      ("state", po::value(&state)->default_value("state"), "the config's state directory (relative to the config)")
      ("zone-list", po::value(&zone_list), "also write the served zones' apexes, one a line ('-' = stdout)")
      ("summary-json", po::value(&summary), "also write the counts rdnsprov should report, per zone and per kind")
      ("v4-zones", po::value(&v4_zones)->default_value(40), "registry: served in-addr.arpa /8 zones (1-200)")
      ("ip6-share", po::value<double>(), "share of ip6.arpa delegations (registry: 0.25)")
      ("slash16-share", po::value<double>(), "share of /16 delegations (registry: 0.001)")
      ("classless-share", po::value<double>(), "share of dash ranges (registry: 0.003)")
      ("bad-share", po::value<double>(), "share of bad objects (registry: 0.001)")
      ("enum-share", po::value<double>(), "share of e164.arpa objects (registry: 0.0002)")
      ("without-nserver-share", po::value<double>(), "share of objects without nserver (registry: 0.0002)")
      ("ds-share", po::value<double>(), "share of delegations with DS (0.15)")
      ("glue-share", po::value<double>(), "share of delegations with an in-zone nameserver and glue (0.04)")
      ("modified-remarks", "add the \"THIS OBJECT IS MODIFIED\" remarks block public dumps carry to every object")
      ("change", po::value(&change)->default_value(0), "change (3/4) or delete (1/4) this share of good delegations")
      ("change-seed", po::value(&change_seed)->default_value(1), "which delegations --change picks, and how");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "rdnsprov-gen-registry: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << kUsage << options
              << "\nProfiles:\n"
                 "  registry  one RIR: /24, /16 under 40 /8 zones; ip6.arpa /32-/48 under 7 zones; dash ranges;\n"
                 "            15% DS; 4% in-zone glue; e164.arpa and nserver-less objects; 0.1% bad objects\n"
                 "  inaddr8   193.in-addr.arpa with all 65,536 /24s delegated (no bad objects)\n"
                 "  ip6       0.a.2.ip6.arpa with --objects delegations (no bad objects)\n";
    return 0;
  }
  const auto usage_error = [](std::string_view message) {
    std::cerr << "rdnsprov-gen-registry: " << message << "\n";
    return 2;
  };
  if (v4_zones < 1 || v4_zones > kMaxV4Zones) return usage_error("--v4-zones must be 1-200");
  if (gzip_level < 1 || gzip_level > 9) return usage_error("--gzip-level must be 1-9");
  if (change < 0 || change > 1) return usage_error("--change must be 0-1");
  if (!config.empty() && out.empty()) return usage_error("--config needs --out: the config names the dump");
  std::optional<ProfileDefaults> defaults = profile_defaults(profile, v4_zones);
  if (!defaults) return usage_error(fmt::format("unknown --profile '{}'", profile));

  Settings settings{.profile = profile,
                    .objects = vm.count("objects") ? objects : defaults->objects,
                    .seed = seed,
                    .v4_octets = std::move(defaults->v4_octets),
                    .ip6_zones = std::move(defaults->ip6_zones),
                    .mix = defaults->mix,
                    .change = change,
                    .change_seed = change_seed,
                    .modified_remarks = vm.count("modified-remarks") > 0};
  for (auto [name, share] : std::initializer_list<std::pair<const char*, double*>>{
           {"ip6-share", &settings.mix.ip6},
           {"slash16-share", &settings.mix.slash16},
           {"classless-share", &settings.mix.classless},
           {"bad-share", &settings.mix.bad},
           {"enum-share", &settings.mix.enum_objects},
           {"without-nserver-share", &settings.mix.without_nserver},
           {"ds-share", &settings.mix.ds},
           {"glue-share", &settings.mix.glue}}) {
    if (!vm.count(name)) continue;
    *share = vm[name].as<double>();
    if (*share < 0 || *share > 1) return usage_error(fmt::format("--{} must be 0-1", name));
  }

  const auto started = std::chrono::steady_clock::now();
  Plan plan;
  try {
    plan = Planner(settings).make();
  } catch (const PlanError& e) {
    return usage_error(e.what());
  }
  try {
    Tally tally;
    std::uint64_t bytes = 0;
    if (!out.empty()) {
      OutputFile file(out, gzip_level);
      tally = DumpWriter(settings, plan, file).write();
      bytes = file.bytes();
      file.finish();
    } else {
      // No dump: count what it would hold (for --summary-json or --zone-list alone) without writing it.
      OutputFile scratch({}, 0);
      tally = DumpWriter(settings, plan, scratch).write();
      bytes = scratch.bytes();
    }
    if (!config.empty()) write_text_file(config, config_text(plan, config, out, state));
    if (!zone_list.empty()) write_text_file(zone_list, zone_list_text(plan));
    if (!summary.empty()) write_text_file(summary, summary_json(settings, plan, tally));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    print_summary(settings, plan, tally, out, bytes, seconds);
  } catch (const std::system_error& e) {
    std::cerr << "rdnsprov-gen-registry: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace rdnsprov::bench

int main(int argc, char** argv) { return rdnsprov::bench::run(argc, argv); }
