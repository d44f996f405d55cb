#include "ingest/registry.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "dns/thread_pool.h"
#include "ingest/domain_object.h"
#include "ingest/printable.h"

namespace rdnsprov::ingest {
namespace {

using Kind = ObjectVerdict::Kind;

// A key of pathological length stays recognisable in the report without filling it.
constexpr std::size_t kMaxKeyLength = 255;
// How many other origins a conflict reason names before it only counts the rest.
constexpr std::size_t kMaxNamedOrigins = 5;

// The other objects a rejected object conflicts with: the first few by name, all of them by count (a key
// repeated a hundred thousand times must not make the report quadratic).
struct Conflict {
  std::vector<std::size_t> duplicates;  // entries with the same key
  std::size_t duplicate_count = 0;
  std::vector<std::size_t> overlaps;    // ranges in the same /24 sharing addresses
  std::size_t overlap_count = 0;
};

// Every entry of `these` overlaps every entry of `those`.
void note_overlaps(std::map<std::size_t, Conflict>& conflicts, const std::vector<std::size_t>& these,
                   const std::vector<std::size_t>& those) {
  for (std::size_t entry : these) {
    Conflict& conflict = conflicts[entry];
    conflict.overlap_count += those.size();
    for (std::size_t n = 0; n < those.size() && conflict.overlaps.size() < kMaxNamedOrigins; ++n) {
      conflict.overlaps.push_back(those[n]);
    }
  }
}

// Appends a byte string whose plain byte order is the canonical order of names (RFC 4034 §6.1): the labels from
// the rightmost, each followed by a 0 octet. Labels hold no 0 octet (Name admits only letters, digits, '-' and
// '_'), so a label sorts before every longer label it is a prefix of, and a name before the names below it.
void append_canonical_key(const dns::Name& name, std::string& out) {
  std::string_view wire = name.wire();
  std::size_t offsets[128];
  std::size_t count = 0;
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) offsets[count++] = pos;
  while (count > 0) {
    std::size_t pos = offsets[--count];
    out.append(wire.substr(pos + 1, static_cast<unsigned char>(wire[pos])));
    out.push_back('\0');
  }
}

}  // namespace

ObjectVerdict validate_domain_object(const RpslObject& object, const dns::Origin& origin) {
  return check_domain_object(object, origin).verdict;
}

const dns::Origin& RegistryCollector::origin_of(const Entry& entry) const {
  switch (entry.kind) {
    case Kind::kDelegation: return delegations_[entry.index].origin;
    case Kind::kClassless: return classless_[entry.index].delegation.origin;
    default: return others_[entry.index].origin;
  }
}

const dns::Name* RegistryCollector::name_of(const Entry& entry) const {
  switch (entry.kind) {
    case Kind::kDelegation: return &delegations_[entry.index].child;
    case Kind::kClassless: return &classless_[entry.index].delegation.child;
    default: {
      const auto& name = others_[entry.index].name;
      return name ? &*name : nullptr;
    }
  }
}

void RegistryCollector::add(const RpslObject& object, const dns::Origin& origin) {
  ++counts_.objects;
  DomainCheck check = check_domain_object(object, origin);
  ObjectVerdict& verdict = check.verdict;
  if (verdict.kind == Kind::kNotDomain) {
    ++counts_.other_classes;
    return;
  }
  ++counts_.domain_objects;
  Entry entry;
  entry.kind = verdict.kind;
  entry.is_range = check.is_range;
  entry.first = check.range_first;
  entry.last = check.range_last;
  entry.key = printable_excerpt(object.key(), kMaxKeyLength);
  switch (verdict.kind) {
    case Kind::kDelegation:
      entry.index = delegations_.size();
      delegations_.push_back(std::move(verdict.delegation));
      break;
    case Kind::kClassless:
      entry.index = classless_.size();
      classless_.push_back(std::move(verdict.classless));
      break;
    default:
      entry.index = others_.size();
      others_.push_back(Other{origin, std::move(check.name), std::move(verdict.reason)});
      break;
  }
  for (std::string& warning : verdict.warnings) warnings_.emplace_back(entries_.size(), std::move(warning));
  entries_.push_back(std::move(entry));
}

IngestResult RegistryCollector::finish() && {
  std::map<std::size_t, Conflict> conflicts;

  // Every named entry in canonical order, by one sort of flat byte keys (a million Name comparisons would cost
  // seconds). Equal names are then adjacent: that finds duplicate keys across every source, and the same order
  // is the output order of the delegations.
  std::string arena;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // (offset in arena, entry)
  spans.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (const dns::Name* name = name_of(entries_[i])) {
      spans.emplace_back(arena.size(), i);
      append_canonical_key(*name, arena);
    }
  }
  std::vector<std::pair<std::string_view, std::size_t>> by_name;
  by_name.reserve(spans.size());
  for (std::size_t n = 0; n < spans.size(); ++n) {
    std::size_t end = n + 1 < spans.size() ? spans[n + 1].first : arena.size();
    by_name.emplace_back(std::string_view(arena).substr(spans[n].first, end - spans[n].first), spans[n].second);
  }
  // One octet-string comparison per step (std::pair's operator< would compare the names twice), and the two
  // halves sorted on two cores, then merged.
  auto by_key = [](const std::pair<std::string_view, std::size_t>& a, const std::pair<std::string_view, std::size_t>& b) {
    int c = a.first.compare(b.first);
    return c != 0 ? c < 0 : a.second < b.second;
  };
  {
    auto middle = by_name.begin() + static_cast<std::ptrdiff_t>(by_name.size() / 2);
    dns::ThreadPool pool(2);
    pool.parallel_for(2, 1, [&](std::size_t begin, std::size_t) {
      if (begin == 0) std::sort(by_name.begin(), middle, by_key);
      else std::sort(middle, by_name.end(), by_key);
    });
    std::inplace_merge(by_name.begin(), middle, by_name.end(), by_key);
  }
  for (std::size_t begin = 0; begin < by_name.size();) {
    std::size_t end = begin + 1;
    while (end < by_name.size() && by_name[end].first == by_name[begin].first) ++end;
    for (std::size_t a = begin; end - begin > 1 && a < end; ++a) {
      Conflict& conflict = conflicts[by_name[a].second];
      conflict.duplicate_count = end - begin - 1;
      for (std::size_t b = begin; b < end && conflict.duplicates.size() < kMaxNamedOrigins; ++b) {
        if (b != a) conflict.duplicates.push_back(by_name[b].second);
      }
    }
    begin = end;
  }

  // Overlapping dash ranges in one /24 (RPSL.md). Each distinct range once (its duplicates are already reported),
  // sorted by /24 and first address, is compared with the ranges that start inside it.
  struct Range {
    std::string_view block;
    std::uint8_t first;
    std::uint8_t last;
    std::string_view name;
    std::vector<std::size_t> entries;  // every object with this key
  };
  std::vector<Range> ranges;
  {
    std::map<std::string_view, std::size_t> range_of_name;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Entry& entry = entries_[i];
      const dns::Name* name = name_of(entry);
      if (!entry.is_range || !name) continue;
      std::string_view wire = name->wire();
      auto [found, inserted] = range_of_name.emplace(wire, ranges.size());
      if (inserted) {
        std::string_view block = wire.substr(1 + static_cast<unsigned char>(wire[0]));
        ranges.push_back(Range{block, entry.first, entry.last, wire, {}});
      }
      ranges[found->second].entries.push_back(i);
    }
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return std::tie(a.block, a.first, a.last) < std::tie(b.block, b.first, b.last);
  });
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    for (std::size_t j = i + 1;
         j < ranges.size() && ranges[j].block == ranges[i].block && ranges[j].first <= ranges[i].last; ++j) {
      note_overlaps(conflicts, ranges[i].entries, ranges[j].entries);
      note_overlaps(conflicts, ranges[j].entries, ranges[i].entries);
    }
  }

  auto list_origins = [&](std::vector<std::size_t> others, std::size_t count, bool with_names) {
    std::sort(others.begin(), others.end());
    std::string out;
    for (std::size_t n = 0; n < others.size() && n < kMaxNamedOrigins; ++n) {
      if (n > 0) out += ", ";
      const Entry& other = entries_[others[n]];
      if (with_names) out += name_of(other)->to_text_no_dot() + " at ";
      out += origin_of(other).to_string();
    }
    if (count > others.size()) out += fmt::format(" and {} more", count - others.size());
    return out;
  };

  IngestResult result;
  result.counts = counts_;
  std::vector<bool> accepted(entries_.size(), false);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& entry = entries_[i];
    std::string reason = entry.kind == Kind::kRejected ? std::move(others_[entry.index].reason) : std::string();
    if (auto found = conflicts.find(i); found != conflicts.end()) {
      const Conflict& conflict = found->second;
      std::string conflict_reason;
      if (!conflict.duplicates.empty()) {
        conflict_reason = fmt::format("duplicate of {} (every object with the same domain key is rejected)",
                                      list_origins(conflict.duplicates, conflict.duplicate_count, false));
      }
      if (!conflict.overlaps.empty()) {
        if (!conflict_reason.empty()) conflict_reason += "; ";
        conflict_reason += fmt::format("range overlaps {} in the same /24 (overlapping ranges are all rejected)",
                                       list_origins(conflict.overlaps, conflict.overlap_count, true));
      }
      reason = reason.empty() ? std::move(conflict_reason) : reason + "; also " + conflict_reason;
    }
    if (!reason.empty()) {
      result.rejects.push_back(dns::Reject{origin_of(entry), std::move(entry.key), std::move(reason)});
      ++result.counts.rejected;
      continue;
    }
    switch (entry.kind) {
      case Kind::kDelegation:
        accepted[i] = true;
        ++result.counts.delegations;
        break;
      case Kind::kClassless:
        accepted[i] = true;
        ++result.counts.classless;
        break;
      case Kind::kEnumSkipped: ++result.counts.enum_skipped; break;
      case Kind::kWithoutNserver: ++result.counts.without_nserver; break;
      case Kind::kRejected:
      case Kind::kNotDomain: break;
    }
  }
  for (auto& [entry_index, remark] : warnings_) {
    if (!accepted[entry_index]) continue;
    const Entry& entry = entries_[entry_index];
    result.warnings.push_back(dns::Reject{origin_of(entry), entry.key, std::move(remark)});
  }
  result.delegations.reserve(result.counts.delegations);
  result.classless.reserve(result.counts.classless);
  for (const auto& [key, i] : by_name) {
    if (!accepted[i]) continue;
    const Entry& entry = entries_[i];
    if (entry.kind == Kind::kDelegation) result.delegations.push_back(std::move(delegations_[entry.index]));
    if (entry.kind == Kind::kClassless) result.classless.push_back(std::move(classless_[entry.index]));
  }
  return result;
}

}  // namespace rdnsprov::ingest
