#include "builder/placement.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "builder/canonical_order.h"
#include "dns/thread_pool.h"

namespace rdnsprov::builder {
namespace {

// A label that is an address octet as the CNAME owners of RFC 2317 write it: decimal 0-255, no leading zero.
std::optional<unsigned> octet_label(std::string_view label) {
  if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), value);
  if (ec != std::errc() || end != label.data() + label.size() || value > 255) return std::nullopt;
  return value;
}

std::string text(const dns::Name& name) { return name.to_text_no_dot(); }

// One delegation (plain or classless) on its way into a zone.
struct Candidate {
  std::size_t key_offset = 0;                     // canonical_key(child) in the placer's key arena, when sorted
  std::uint32_t key_size = 0;                     // by keys (input not in canonical order)
  const dns::Delegation* delegation = nullptr;
  const dns::ClasslessDelegation* range = nullptr;  // set for a classless range
  std::size_t zone = 0;
  bool placed = true;

  const dns::Name& child() const { return delegation->child; }
  const dns::Origin& origin() const { return delegation->origin; }
  // "the delegation 2.0.193.in-addr.arpa from [dump] db.domain:12"
  std::string describe() const {
    return fmt::format("the {} {} from {}", range ? "classless range" : "delegation", text(child()),
                       origin().to_string());
  }
};

// RPSL.md "nserver": a name inside a delegation is at or below the delegated name; for a range A-B.Z.Y.X also
// strictly below N.Z.Y.X for an address N of the range.
bool is_inside(const dns::Name& host, const dns::Delegation& delegation, const dns::ClasslessDelegation* range) {
  if (host.is_at_or_below(delegation.child)) return true;
  if (!range) return false;
  std::size_t block_labels = range->block.label_count();
  std::size_t host_labels = host.label_count();
  if (host_labels < block_labels + 2 || !host.is_below(range->block)) return false;
  auto octet = octet_label(host.label(host_labels - block_labels - 1));
  return octet && *octet >= range->first && *octet <= range->last;
}

// What is wrong with a delegation on its own (step 1 without the zone), or nothing.
std::optional<std::string> own_problem(const dns::Delegation& delegation, const dns::ClasslessDelegation* range) {
  if (range) {
    std::string expected = fmt::format("{}-{}", range->first, range->last);
    if (range->first >= range->last || delegation.child.label_count() != range->block.label_count() + 1 ||
        !delegation.child.is_below(range->block) || delegation.child.first_label() != expected) {
      return fmt::format("the classless range name does not match its block {} and range {}", text(range->block),
                         expected);
    }
  }
  if (delegation.nameservers.empty()) return std::string("has no nameserver");
  for (const dns::GlueAddress& glue : delegation.glue) {
    if (!is_inside(glue.host, delegation, range)) {
      return fmt::format("glue address for {} is outside the delegated name: not glue", text(glue.host));
    }
  }
  for (const dns::Name& nameserver : delegation.nameservers) {
    if (!is_inside(nameserver, delegation, range)) continue;
    bool has_glue = std::any_of(delegation.glue.begin(), delegation.glue.end(),
                                [&](const dns::GlueAddress& glue) { return glue.host == nameserver; });
    if (!has_glue) {
      return fmt::format("nameserver {} is inside the delegated name and has no glue address", text(nameserver));
    }
  }
  return std::nullopt;
}

// The RFC 2317 CNAME owner of address `octet` in `block`, in wire form, written into `out`.
void cname_owner_wire(std::string& out, const dns::Name& block, unsigned octet) {
  std::string label = std::to_string(octet);
  out.clear();
  out.push_back(static_cast<char>(label.size()));
  out.append(label);
  out.append(block.wire());
}

class Placer {
 public:
  Placer(const ServedZones& served, std::size_t expected) : served_(served) {
    candidates_.reserve(expected);
    for (std::size_t zone = 0; zone < served_.size(); ++zone) {
      apex_label_counts_[served_.apex(zone).label_count()] = true;
    }
  }

  // Step 1 for one delegation on its own: its zone, or why it has none. Reads only the delegation and the served
  // zones, so that many can be looked at on several cores at once.
  struct Step1 {
    std::size_t zone = 0;
    std::optional<std::string> problem;
  };
  Step1 check(const dns::Delegation& delegation, const dns::ClasslessDelegation* range) const {
    const dns::Name& child = delegation.child;
    if (auto zone = served_.zone_at(child)) {
      return {0, fmt::format("is the apex of served zone {}: not a delegation", text(served_.apex(*zone)))};
    }
    auto zone = served_.closest_enclosing(child);
    if (!zone) return {0, "not inside any served zone"};
    if (auto problem = own_problem(delegation, range)) return {0, std::move(problem)};
    // A CNAME owner a.Z.Y.X has one label more than its block: only then can it be an apex.
    if (range && apex_label_counts_[range->block.label_count() + 1]) {
      std::string owner;
      for (unsigned octet = range->first; octet <= range->last; ++octet) {
        cname_owner_wire(owner, range->block, octet);
        if (auto apex = served_.zone_at_wire(owner)) {
          return {0, fmt::format("its RFC 2317 CNAME owner {} is the apex of a served zone",
                                 text(served_.apex(*apex)))};
        }
      }
    }
    return {*zone, std::nullopt};
  }

  // Step 1, in input order: the outcome of check() becomes a placement error or a candidate.
  void add(const dns::Delegation& delegation, const dns::ClasslessDelegation* range, Step1&& step) {
    if (step.problem) {
      reject(delegation, std::move(*step.problem));
      return;
    }
    candidates_.push_back(Candidate{0, 0, &delegation, range, step.zone});
    if (!range) ++plain_;
  }

  Placement finish() && {
    // Canonical order of (zone, child). The plain delegations were added first, the ranges after them. Both
    // usually come in that order already (ingest hands them over sorted, and zones are numbered in canonical order
    // of apex): then each part is only checked, name against name, and the two are merged in linear time. A part
    // out of order is sorted by byte keys (one memcmp a comparison), which give the same order.
    auto less = [](const Candidate& a, const Candidate& b) {
      if (a.zone != b.zone) return a.zone < b.zone;
      return a.child() < b.child();
    };
    auto middle = candidates_.begin() + static_cast<std::ptrdiff_t>(plain_);
    if (!is_sorted_on_every_core(candidates_.begin(), middle, less)) sort_by_keys(candidates_.begin(), middle);
    if (!is_sorted_on_every_core(middle, candidates_.end(), less)) sort_by_keys(middle, candidates_.end());
    // Ranges are few next to plain delegations: each is placed by a binary search among them rather than by a
    // merge that would compare every plain delegation once more. Equal elements keep plain before range, as
    // std::inplace_merge would.
    std::vector<Candidate> merged;
    merged.reserve(candidates_.size());
    auto plain = candidates_.begin();
    for (auto range = middle; range != candidates_.end(); ++range) {
      auto position = std::upper_bound(plain, middle, *range, less);
      merged.insert(merged.end(), plain, position);
      merged.push_back(*range);
      plain = position;
    }
    merged.insert(merged.end(), plain, middle);
    candidates_ = std::move(merged);
    drop_same_child();
    Placement result;
    result.delegations.resize(served_.size());
    result.classless.resize(served_.size());
    for (std::size_t begin = 0; begin < candidates_.size();) {
      std::size_t end = begin;
      while (end < candidates_.size() && candidates_[end].zone == candidates_[begin].zone) ++end;
      drop_covered(begin, end);
      drop_cname_conflicts(begin, end);
      std::size_t zone = candidates_[begin].zone;
      for (std::size_t i = begin; i < end; ++i) {
        const Candidate& c = candidates_[i];
        if (!c.placed) continue;
        if (c.range) result.classless[zone].push_back(c.range);
        else result.delegations[zone].push_back(c.delegation);
      }
      begin = end;
    }
    result.errors = std::move(errors_);
    return result;
  }

 private:
  std::string_view key(const Candidate& c) const { return std::string_view(keys_).substr(c.key_offset, c.key_size); }

  // std::is_sorted with the range split over the cores (names compared one by one touch memory all over the
  // heap: the check is worth sharing).
  template <typename Less>
  static bool is_sorted_on_every_core(std::vector<Candidate>::iterator begin, std::vector<Candidate>::iterator end,
                                      const Less& less) {
    const std::size_t count = static_cast<std::size_t>(end - begin);
    if (count < 2) return true;
    std::atomic<bool> sorted{true};
    dns::ThreadPool pool;
    pool.parallel_for(count - 1, 16384, [&](std::size_t first, std::size_t last) {
      // Pairs (i, i + 1) for i in [first, last).
      for (std::size_t i = first; i < last && sorted.load(std::memory_order_relaxed); ++i) {
        if (less(begin[static_cast<std::ptrdiff_t>(i + 1)], begin[static_cast<std::ptrdiff_t>(i)])) {
          sorted.store(false, std::memory_order_relaxed);
        }
      }
    });
    return sorted.load();
  }

  // Sorts [begin, end) by zone and canonical key. Keys live in one arena: a million small strings would cost a
  // million allocations, and moving them in the sort more.
  void sort_by_keys(std::vector<Candidate>::iterator begin, std::vector<Candidate>::iterator end) {
    for (auto it = begin; it != end; ++it) {
      it->key_offset = keys_.size();
      append_canonical_key(keys_, it->child());
      it->key_size = static_cast<std::uint32_t>(keys_.size() - it->key_offset);
    }
    std::sort(begin, end, [this](const Candidate& a, const Candidate& b) {
      if (a.zone != b.zone) return a.zone < b.zone;
      return key(a) < key(b);
    });
  }

  void reject(const dns::Delegation& delegation, std::string reason) {
    errors_.push_back(dns::Reject{delegation.origin, text(delegation.child), std::move(reason)});
  }

  // Step 2: the same child name from several sources. Equal keys are adjacent after sorting.
  void drop_same_child() {
    for (std::size_t begin = 0; begin < candidates_.size();) {
      std::size_t end = begin + 1;
      while (end < candidates_.size() && candidates_[end].child() == candidates_[begin].child()) ++end;
      if (end - begin > 1) {
        for (std::size_t i = begin; i < end; ++i) {
          for (std::size_t j = begin; j < end; ++j) {
            if (i == j) continue;
            reject(*candidates_[i].delegation,
                   fmt::format("collides with {} (same name): both dropped", candidates_[j].describe()));
          }
          candidates_[i].placed = false;
        }
      }
      begin = end;
    }
  }

  // Step 3. In canonical order every name below a delegation follows it directly, so one sweep that remembers
  // the topmost placed delegation finds everything it covers.
  void drop_covered(std::size_t begin, std::size_t end) {
    const Candidate* cover = nullptr;
    for (std::size_t i = begin; i < end; ++i) {
      Candidate& c = candidates_[i];
      if (!c.placed) continue;
      if (cover && c.child().is_below(cover->child())) {
        reject(*c.delegation, fmt::format("below the delegation {} from {}: the DNS would never reach it",
                                          text(cover->child()), cover->origin().to_string()));
        c.placed = false;
      } else {
        cover = &c;
      }
    }
  }

  // Step 4 (RFC 2317 §4). Both sides of every conflict are dropped, whatever the order they were found in.
  void drop_cname_conflicts(std::size_t begin, std::size_t end) {
    std::unordered_map<std::string_view, std::vector<std::size_t>> ranges_by_block;
    for (std::size_t i = begin; i < end; ++i) {
      if (candidates_[i].placed && candidates_[i].range) {
        ranges_by_block[candidates_[i].range->block.wire()].push_back(i);
      }
    }
    if (ranges_by_block.empty()) return;
    std::array<bool, 128> block_label_counts{};
    for (const auto& [block, ranges] : ranges_by_block) {
      block_label_counts[candidates_[ranges.front()].range->block.label_count()] = true;
    }
    std::vector<std::size_t> conflicting;

    // Blocks come in hash order; the caller sorts the errors, so the report does not depend on it.
    for (auto& [block, ranges] : ranges_by_block) {
      for (std::size_t a = 0; a < ranges.size(); ++a) {
        for (std::size_t b = a + 1; b < ranges.size(); ++b) {
          const Candidate& x = candidates_[ranges[a]];
          const Candidate& y = candidates_[ranges[b]];
          if (x.range->first > y.range->last || y.range->first > x.range->last) continue;
          std::string shared = fmt::format("{}-{}", std::max(x.range->first, y.range->first),
                                           std::min(x.range->last, y.range->last));
          reject(*x.delegation, fmt::format("its RFC 2317 CNAMEs for addresses {} collide with those of {}: both "
                                            "dropped", shared, y.describe()));
          reject(*y.delegation, fmt::format("its RFC 2317 CNAMEs for addresses {} collide with those of {}: both "
                                            "dropped", shared, x.describe()));
          conflicting.push_back(ranges[a]);
          conflicting.push_back(ranges[b]);
        }
      }
    }

    // A delegation at or below a CNAME owner a.Z.Y.X: look at each ancestor-or-self N whose parent is a block.
    for (std::size_t i = begin; i < end; ++i) {
      const Candidate& c = candidates_[i];
      if (!c.placed) continue;
      std::string_view wire = c.child().wire();
      // Only a suffix with as many labels as some block can be one; the others are not looked up.
      std::size_t labels = c.child().label_count();
      for (std::size_t pos = 0; wire[pos] != 0; --labels) {
        std::size_t length = static_cast<unsigned char>(wire[pos]);
        std::size_t parent = pos + 1 + length;
        auto block = block_label_counts[labels - 1] ? ranges_by_block.find(wire.substr(parent)) : ranges_by_block.end();
        if (block != ranges_by_block.end()) {
          if (auto octet = octet_label(wire.substr(pos + 1, length))) {
            for (std::size_t r : block->second) {
              const Candidate& range = candidates_[r];
              if (r == i || *octet < range.range->first || *octet > range.range->last) continue;
              std::string owner = fmt::format("{}.{}", *octet, text(range.range->block));
              reject(*c.delegation, fmt::format("is at or below the RFC 2317 CNAME {} of {}: both dropped", owner,
                                                range.describe()));
              reject(*range.delegation, fmt::format("its RFC 2317 CNAME {} collides with {}: both dropped", owner,
                                                    c.describe()));
              conflicting.push_back(i);
              conflicting.push_back(r);
            }
          }
        }
        pos = parent;
      }
    }
    for (std::size_t i : conflicting) candidates_[i].placed = false;
  }

  const ServedZones& served_;
  std::vector<Candidate> candidates_;
  std::size_t plain_ = 0;  // candidates_[0, plain_) are plain delegations, the rest classless ranges
  std::string keys_;
  std::array<bool, 128> apex_label_counts_{};  // label counts of the served apexes (a name has at most 127)
  std::vector<dns::Reject> errors_;
};

}  // namespace

Placement place_delegations(const ServedZones& served, std::span<const dns::Delegation> delegations,
                            std::span<const dns::ClasslessDelegation> classless) {
  Placer placer(served, delegations.size() + classless.size());
  // Step 1 is looked at on every core, a block at a time (bounded memory); the outcomes are then taken in input
  // order, so the result is the same as one core would give.
  constexpr std::size_t kBlock = 65536;
  std::vector<Placer::Step1> steps;
  dns::ThreadPool pool;
  auto delegation_at = [&](std::size_t i) -> const dns::Delegation& {
    return i < delegations.size() ? delegations[i] : classless[i - delegations.size()].delegation;
  };
  auto range_at = [&](std::size_t i) -> const dns::ClasslessDelegation* {
    return i < delegations.size() ? nullptr : &classless[i - delegations.size()];
  };
  const std::size_t total = delegations.size() + classless.size();
  for (std::size_t block = 0; block < total; block += kBlock) {
    const std::size_t count = std::min(kBlock, total - block);
    steps.clear();
    steps.resize(count);
    pool.parallel_for(count, 4096, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) steps[i] = placer.check(delegation_at(block + i), range_at(block + i));
    });
    for (std::size_t i = 0; i < count; ++i) placer.add(delegation_at(block + i), range_at(block + i), std::move(steps[i]));
  }
  return std::move(placer).finish();
}

}  // namespace rdnsprov::builder
