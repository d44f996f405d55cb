#include "signer/signer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <array>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/wire.h"
#include "signer/zonemd.h"

namespace rdnsprov::signer {
namespace {

using dns::get16;
using dns::get32;
using dns::Name;
using dns::put16;
using dns::put32;
using dns::Record;
using dns::RRType;

constexpr std::size_t kSigningChunk = 256;   // RRSIGs per parallel_for chunk: small, so that no core idles at the end
constexpr std::size_t kHashChunk = 8192;     // NSEC3 hashes per chunk
constexpr std::size_t kOwnerChunk = 4096;    // owners (or records) per chunk of planning, chaining, assembling
constexpr std::uint8_t kNsec3HashSha1 = 1;   // RFC 5155 §11
constexpr std::uint8_t kNsec3FlagOptOut = 1;  // RFC 5155 §3.1.2.1


bool same_rrset(const Record& a, const Record& b) { return a.type == b.type && a.owner == b.owner; }

// Serial-number arithmetic on RRSIG times (RFC 4034 §3.1.5): a - b as a signed 32-bit distance.
std::int64_t time_distance(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Where a name stands in the zone (RFC 4035 §2.2).
enum class Standing {
  kApex,
  kAuthoritative,
  kDelegation,  // owns NS below the apex: a zone cut
  kBelowCut,    // glue or occluded data: not authoritative, never signed, no NSEC/NSEC3
};

// The records of one owner name, in canonical order.
struct OwnerGroup {
  std::span<Record> records;  // moved into the signed zone at the end
  Standing standing = Standing::kAuthoritative;
  bool has_ds = false;
  const Name& owner() const { return records.front().owner; }
};

// Splits canonical records into owner groups and classifies each; `cut` carries the enclosing zone cut from one
// call to the next (the apex records, then the rest).
void append_owner_groups(std::span<Record> records, const Name& apex, const Name*& cut,
                         std::vector<OwnerGroup>& groups) {
  for (std::size_t i = 0; i < records.size();) {
    std::size_t begin = i;
    const Name& owner = records[i].owner;
    bool has_ns = false;
    bool has_ds = false;
    while (i < records.size() && records[i].owner == owner) {
      has_ns |= records[i].type == RRType::kNs;
      has_ds |= records[i].type == RRType::kDs;
      ++i;
    }
    OwnerGroup g{records.subspan(begin, i - begin), Standing::kAuthoritative, has_ds};
    if (cut && owner.is_below(*cut)) {
      g.standing = Standing::kBelowCut;
    } else if (owner == apex) {
      g.standing = Standing::kApex;
      cut = nullptr;
    } else if (has_ns) {
      g.standing = Standing::kDelegation;
      cut = &records[begin].owner;
    } else {
      cut = nullptr;
    }
    groups.push_back(g);
  }
}

// Types an NSEC/NSEC3 bitmap lists for an owner group, before RRSIG/NSEC are added (RFC 4035 §2.3: at a
// delegation only NS and DS, the types the parent is authoritative for).
std::vector<std::uint16_t> authoritative_types(const OwnerGroup& g) {
  std::vector<std::uint16_t> types;
  for (const Record& r : g.records) {
    RRType t = r.type;
    if (g.standing == Standing::kDelegation && t != RRType::kNs && t != RRType::kDs) continue;
    if (types.empty() || types.back() != dns::rrtype_code(t)) types.push_back(dns::rrtype_code(t));
  }
  return types;
}

// True when an owner group has at least one RRset that gets an RRSIG.
bool has_signed_rrset(const OwnerGroup& g) {
  return g.standing == Standing::kApex || g.standing == Standing::kAuthoritative ||
         (g.standing == Standing::kDelegation && g.has_ds);
}

// True when `ok(a, b)` holds for every two neighbours; checked on every thread.
template <typename Ok>
bool all_neighbours(const std::vector<Record>& records, dns::ThreadPool& pool, Ok ok) {
  std::atomic<bool> all{true};
  pool.parallel_for(records.size(), kOwnerChunk * 4, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = std::max<std::size_t>(begin, 1); i < end && all.load(std::memory_order_relaxed); ++i) {
      if (!ok(records[i - 1], records[i])) all = false;
    }
  });
  return all;
}

// Sorted, one TTL per RRset and no duplicate records.
bool is_canonical(const std::vector<Record>& records, dns::ThreadPool& pool) {
  return all_neighbours(records, pool, [](const Record& a, const Record& b) {
    return a < b && !(same_rrset(a, b) && (a.ttl != b.ttl || a.rdata == b.rdata));
  });
}

bool is_sorted(const std::vector<Record>& records, dns::ThreadPool& pool) {
  return all_neighbours(records, pool, [](const Record& a, const Record& b) { return !(b < a); });
}

bool is_dnssec_type_to_drop(const Record& r, const Name& apex) {
  switch (r.type) {
    case RRType::kRrsig:
    case RRType::kNsec:
    case RRType::kNsec3: return true;
    case RRType::kDnskey:
    case RRType::kNsec3param:
    case RRType::kCds:
    case RRType::kCdnskey:
    case RRType::kZonemd: return r.owner == apex;
    default: return false;
  }
}

// ---- NSEC (RFC 4034 §4, RFC 4035 §2.3) ---------------------------------------------------------------------

// One NSEC per owner group that is not below a cut, in group order; `nsec_of[g]` is the index of group g's.
std::vector<Record> make_nsec_chain(const std::vector<OwnerGroup>& groups, const Name& apex, std::uint32_t ttl,
                                    std::vector<std::size_t>& nsec_of, dns::ThreadPool& pool) {
  std::vector<std::size_t> chain;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].standing != Standing::kBelowCut) chain.push_back(g);
  }
  nsec_of.assign(groups.size(), kNone);
  for (std::size_t i = 0; i < chain.size(); ++i) nsec_of[chain[i]] = i;
  std::vector<Record> out(chain.size());
  pool.parallel_for(chain.size(), kOwnerChunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const OwnerGroup& g = groups[chain[i]];
      const Name& next = i + 1 < chain.size() ? groups[chain[i + 1]].owner() : apex;
      std::vector<std::uint16_t> types = authoritative_types(g);
      // The NSEC itself is signed, so RRSIG is set even at an unsigned delegation (RFC 4035 §2.3).
      types.push_back(dns::rrtype_code(RRType::kRrsig));
      types.push_back(dns::rrtype_code(RRType::kNsec));
      std::string rdata(next.wire());
      rdata += dns::rdata::type_bitmap(std::move(types));
      out[i] = Record{g.owner(), RRType::kNsec, ttl, std::move(rdata)};
    }
  });
  return out;
}

// ---- NSEC3 (RFC 5155 §7.1) ---------------------------------------------------------------------------------

// The NSEC3 records in canonical order (the order of their hashes).
std::vector<Record> make_nsec3_chain(const std::vector<OwnerGroup>& groups, const Name& apex,
                                     const SigningPolicy& policy, std::uint32_t ttl, dns::ThreadPool& pool) {
  // A name to hash: an owner's wire form, or for an empty non-terminal the wire form of a name above an owner,
  // which is the tail of the owner's.
  struct Entry {
    std::string_view wire;
    std::size_t group = kNone;  // kNone for an empty non-terminal
    dns::Nsec3Digest hash{};
  };
  struct Ancestor {
    std::string_view wire;
    std::size_t labels = 0;
  };
  std::vector<Entry> entries;
  // RFC 5155 §7.1: every empty non-terminal between the apex and an owner in the chain gets an NSEC3. The groups
  // are in canonical order, so the names above an owner that are neither names of the zone nor met before are
  // those below the deepest name of `path` (the previous owner and the names above it) that is above this owner.
  // Those that lead only to opted-out delegations are never reached from here, so they stay out.
  std::vector<Ancestor> path;
  const std::size_t apex_labels = apex.label_count();
  std::uint8_t starts[128];  // where each label of the owner starts in its wire form
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const OwnerGroup& g = groups[gi];
    std::string_view wire = g.owner().wire();
    std::size_t labels = 0;
    for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) {
      starts[labels++] = static_cast<std::uint8_t>(pos);
    }
    // The tail of `wire` holding its last `n` labels.
    auto tail = [&](std::size_t n) { return n == 0 ? wire.substr(wire.size() - 1) : wire.substr(starts[labels - n]); };
    while (!path.empty() && !(path.back().labels < labels && tail(path.back().labels) == path.back().wire)) {
      path.pop_back();
    }
    bool in_chain = g.standing != Standing::kBelowCut &&
                    // RFC 5155 §6: with Opt-Out, an insecure delegation (no DS) need not be in the chain.
                    !(g.standing == Standing::kDelegation && !g.has_ds && policy.nsec3_opt_out);
    if (in_chain && g.standing != Standing::kApex) {
      std::size_t known = path.empty() ? apex_labels : path.back().labels;
      for (std::size_t n = known + 1; n < labels; ++n) {
        path.push_back(Ancestor{tail(n), n});
        entries.push_back(Entry{path.back().wire});
      }
    }
    path.push_back(Ancestor{wire, labels});
    if (in_chain) entries.push_back(Entry{wire, gi});
  }

  pool.parallel_for(entries.size(), kHashChunk, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      entries[i].hash = dns::nsec3_digest(entries[i].wire, policy.nsec3_salt, policy.nsec3_iterations);
    }
  });
  auto hash_less = [](const Entry& a, const Entry& b) { return a.hash < b.hash; };
  dns::parallel_sort(pool, entries.begin(), entries.end(), hash_less);
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].hash == entries[i - 1].hash) {
      auto text = [](std::string_view wire) {
        std::size_t offset = 0;
        auto name = Name::from_wire(wire, offset);
        return name ? name->to_text() : std::string("?");
      };
      throw std::runtime_error(fmt::format("NSEC3 hash collision between {} and {}; choose another salt",
                                           text(entries[i - 1].wire), text(entries[i].wire)));
    }
  }

  std::uint8_t flags = policy.nsec3_opt_out ? kNsec3FlagOptOut : 0;
  std::vector<Record> out(entries.size());
  pool.parallel_for(entries.size(), kHashChunk, [&](std::size_t begin, std::size_t end) {
    std::string label;
    for (std::size_t i = begin; i < end; ++i) {
      const Entry& e = entries[i];
      const dns::Nsec3Digest& next = entries[(i + 1) % entries.size()].hash;
      std::vector<std::uint16_t> types;  // none for an empty non-terminal
      if (e.group != kNone) {
        types = authoritative_types(groups[e.group]);
        if (has_signed_rrset(groups[e.group])) types.push_back(dns::rrtype_code(RRType::kRrsig));
      }
      std::string rdata;
      rdata.reserve(64);
      rdata.push_back(static_cast<char>(kNsec3HashSha1));
      rdata.push_back(static_cast<char>(flags));
      put16(rdata, policy.nsec3_iterations);
      rdata.push_back(static_cast<char>(policy.nsec3_salt.size()));
      rdata += policy.nsec3_salt;
      rdata.push_back(static_cast<char>(next.size()));
      rdata.append(reinterpret_cast<const char*>(next.data()), next.size());
      rdata += dns::rdata::type_bitmap(std::move(types));
      label.clear();
      dns::append_base32hex(label, std::string_view(reinterpret_cast<const char*>(e.hash.data()), e.hash.size()));
      auto owner = apex.prepend(label);
      if (!owner) throw std::runtime_error("NSEC3 owner name too long for the zone: " + owner.error());
      out[i] = Record{std::move(*owner), RRType::kNsec3, ttl, std::move(rdata)};
    }
  });
  return out;  // base32hex keeps the order of the raw hashes, so this is canonical order
}

// ---- the signed zone, owner by owner -----------------------------------------------------------------------

// One owner name of the signed zone: an owner group of the data, its NSEC or NSEC3 record, or both (an NSEC3
// owner that is also a name of the data is possible, if unlikely). Visited in canonical order.
struct OwnerItem {
  std::size_t group = kNone;       // in the owner groups
  std::size_t denial = kNone;      // in the NSEC/NSEC3 records
  std::size_t jobs_begin = 0;      // the item's signatures: jobs[jobs_begin, jobs_end)
  std::size_t jobs_end = 0;
};

// Canonical order of an owner of the zone against an NSEC3 owner (one label below the apex): only the label right
// below the apex can tell them apart (RFC 4034 §6.1).
std::strong_ordering compare_with_nsec3_owner(const Name& owner, std::size_t apex_labels, const Name& nsec3) {
  std::string_view wire = owner.wire();
  std::size_t labels = 0;
  std::uint8_t starts[128];
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) {
    starts[labels++] = static_cast<std::uint8_t>(pos);
  }
  if (labels <= apex_labels) return std::strong_ordering::less;  // the apex
  std::size_t at = starts[labels - apex_labels - 1];
  std::string_view label = wire.substr(at + 1, static_cast<unsigned char>(wire[at]));
  std::string_view hashed = nsec3.first_label();
  // Labels compare as octet strings (unsigned, a shorter prefix first).
  std::size_t n = std::min(label.size(), hashed.size());
  if (int c = std::memcmp(label.data(), hashed.data(), n); c != 0) return c <=> 0;
  if (label.size() != hashed.size()) return label.size() <=> hashed.size();
  return labels == apex_labels + 1 ? std::strong_ordering::equal : std::strong_ordering::greater;
}

// The owners in canonical order: the groups with their NSEC, or groups and NSEC3 owners merged (in chunks of
// groups, on every thread).
std::vector<OwnerItem> owner_items(const std::vector<OwnerGroup>& groups, const std::vector<Record>& denial,
                                   const std::vector<std::size_t>& nsec_of, const Name& apex, dns::ThreadPool& pool) {
  std::vector<OwnerItem> items;
  if (!nsec_of.empty()) {
    items.resize(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) items[g] = OwnerItem{g, nsec_of[g]};
    return items;
  }
  const std::size_t apex_labels = apex.label_count();
  auto order = [&](std::size_t g, const Record& nsec3) {
    return compare_with_nsec3_owner(groups[g].owner(), apex_labels, nsec3.owner);
  };
  // Chunk c: the groups [c * kOwnerChunk, (c + 1) * kOwnerChunk) and the NSEC3 owners from the first that does
  // not sort before its first group.
  std::size_t chunks = std::max<std::size_t>(1, (groups.size() + kOwnerChunk - 1) / kOwnerChunk);
  std::vector<std::size_t> denial_from(chunks + 1, denial.size());
  denial_from[0] = 0;
  for (std::size_t c = 1; c < chunks; ++c) {
    auto first = std::partition_point(denial.begin(), denial.end(),
                                      [&](const Record& r) { return order(c * kOwnerChunk, r) > 0; });
    denial_from[c] = static_cast<std::size_t>(first - denial.begin());
  }
  std::vector<std::vector<OwnerItem>> parts(chunks);
  pool.parallel_for(chunks, 1, [&](std::size_t chunk_begin, std::size_t chunk_end) {
    for (std::size_t c = chunk_begin; c < chunk_end; ++c) {
      std::size_t g = std::min(groups.size(), c * kOwnerChunk);
      std::size_t g_end = std::min(groups.size(), (c + 1) * kOwnerChunk);
      std::size_t d = denial_from[c];
      std::size_t d_end = denial_from[c + 1];
      std::vector<OwnerItem>& part = parts[c];
      part.reserve(g_end - g + d_end - d);
      while (g < g_end || d < d_end) {
        std::strong_ordering o = g == g_end ? std::strong_ordering::greater
                                 : d == d_end ? std::strong_ordering::less
                                              : order(g, denial[d]);
        if (o < 0) {
          part.push_back(OwnerItem{g++, kNone});
        } else if (o > 0) {
          part.push_back(OwnerItem{kNone, d++});
        } else {
          part.push_back(OwnerItem{g++, d++});
        }
      }
    }
  });
  std::size_t total = 0;
  for (const auto& part : parts) total += part.size();
  items.reserve(total);
  for (const auto& part : parts) items.insert(items.end(), part.begin(), part.end());
  return items;
}

// Calls `rrset(records, is_denial)` for every RRset of the owner in canonical (type) order.
template <typename F>
void for_each_rrset(const OwnerItem& item, const std::vector<OwnerGroup>& groups, const std::vector<Record>& denial,
                    F&& rrset) {
  std::span<const Record> records;
  if (item.group != kNone) records = groups[item.group].records;
  const Record* chain = item.denial != kNone ? &denial[item.denial] : nullptr;
  for (std::size_t i = 0; i < records.size();) {
    if (chain && dns::rrtype_code(chain->type) < dns::rrtype_code(records[i].type)) {
      rrset(std::span<const Record>(chain, 1), true);
      chain = nullptr;
    }
    std::size_t j = i + 1;
    while (j < records.size() && records[j].type == records[i].type) ++j;
    rrset(records.subspan(i, j - i), false);
    i = j;
  }
  if (chain) rrset(std::span<const Record>(chain, 1), true);
}

// ---- reuse of previous signatures --------------------------------------------------------------------------

// Walks the previous signed zone alongside the new one (both in canonical order).
class PreviousZone {
 public:
  // Starts at the first record at or after `from` (the first owner of a chunk of work).
  PreviousZone(const std::vector<Record>* records, const Name* from = nullptr) : records_(records) {
    if (records_ && from) {
      pos_ = static_cast<std::size_t>(std::partition_point(records_->begin(), records_->end(),
                                                           [&](const Record& r) { return r.owner < *from; }) -
                                      records_->begin());
    }
  }

  // Starts at record `pos`, at or before the first owner asked about.
  PreviousZone(const std::vector<Record>* records, std::size_t pos) : records_(records), pos_(pos) {}

  // The RRSIG rdata in the previous zone that may stand for `key`'s signature over `rrset`, if any.
  // `signature_size` is the length of the key's signatures: a signature cut short is not reused.
  const std::string* reusable(std::span<const Record> rrset, const SigningKey& key, std::size_t signature_size,
                              const Name& apex, std::uint32_t now, std::uint32_t refresh) {
    if (!records_) return nullptr;
    const Record& first = rrset.front();
    const std::vector<Record>& prev = *records_;
    // To the owner: names are compared once per previous owner, its other records are passed by equality; a long
    // way (owners far apart, as when only changed owners are signed) is crossed by galloping.
    for (int owners = 0; pos_ < prev.size() && prev[pos_].owner != first.owner && prev[pos_].owner < first.owner;
         ++owners) {
      if (owners == 8) {
        std::size_t step = 1;
        while (pos_ + step < prev.size() && prev[pos_ + step].owner < first.owner) {
          pos_ += step;
          step *= 2;
        }
        auto end = prev.begin() + static_cast<std::ptrdiff_t>(std::min(prev.size(), pos_ + step));
        pos_ = static_cast<std::size_t>(std::partition_point(prev.begin() + static_cast<std::ptrdiff_t>(pos_), end,
                                                             [&](const Record& r) { return r.owner < first.owner; }) -
                                        prev.begin());
        break;
      }
      const Name& passed = prev[pos_].owner;
      ++pos_;
      while (pos_ < prev.size() && prev[pos_].owner == passed) ++pos_;
    }
    std::size_t i = pos_;
    // The same RRset: same records, same TTL.
    while (i < prev.size() && prev[i].owner == first.owner && dns::rrtype_code(prev[i].type) < dns::rrtype_code(first.type)) ++i;
    for (const Record& r : rrset) {
      if (i >= prev.size() || !same_rrset(prev[i], r) || prev[i].rdata != r.rdata || prev[i].ttl != r.ttl) return nullptr;
      ++i;
    }
    if (i < prev.size() && same_rrset(prev[i], first)) return nullptr;  // the previous RRset had more records
    // Its RRSIGs sit at the same owner.
    std::size_t j = pos_;
    while (j < prev.size() && prev[j].owner == first.owner && prev[j].type != RRType::kRrsig) ++j;
    std::uint16_t covered = dns::rrtype_code(first.type);
    std::uint8_t labels = first.owner.rrsig_labels();
    for (; j < prev.size() && prev[j].owner == first.owner && prev[j].type == RRType::kRrsig; ++j) {
      std::string_view sig = prev[j].rdata;
      if (sig.size() != 18 + apex.wire().size() + signature_size) continue;
      if (get16(sig, 0) != covered || static_cast<std::uint8_t>(sig[2]) != key.key.algorithm() ||
          static_cast<std::uint8_t>(sig[3]) != labels || get32(sig, 4) != first.ttl || prev[j].ttl != first.ttl ||
          get16(sig, 16) != key.key.key_tag() || sig.substr(18, apex.wire().size()) != apex.wire()) {
        continue;
      }
      std::uint32_t expiration = get32(sig, 8);
      std::uint32_t inception = get32(sig, 12);
      if (time_distance(expiration, now) <= static_cast<std::int64_t>(refresh)) continue;
      if (time_distance(inception, now) > 0) continue;
      return &prev[j].rdata;
    }
    return nullptr;
  }

 private:
  const std::vector<Record>* records_;
  std::size_t pos_ = 0;
};

// One RRSIG to produce: over the RRset `rrset` with keys[key].
struct SignatureJob {
  std::span<const Record> rrset;
  std::size_t key = 0;
  std::string rdata;  // filled by reuse or by signing
  bool reused = false;
};

void run_jobs(std::span<SignatureJob> jobs, std::span<const SigningKey> keys, const SigningPolicy& policy,
              std::uint32_t now, const Name& apex, dns::ThreadPool& pool) {
  std::uint32_t inception = now - policy.inception_offset;
  // A few dozen signatures (a patch) are spread over every thread too.
  std::size_t chunk = std::clamp<std::size_t>(jobs.size() / (pool.size() * 4), 1, kSigningChunk);
  pool.parallel_for(jobs.size(), chunk, [&](std::size_t begin, std::size_t end) {
    // Per chunk (one thread): a signing context per key, made when first needed, and one input buffer.
    std::vector<std::optional<KeySigningContext>> contexts(keys.size());
    std::string input;
    input.reserve(4096);
    for (std::size_t i = begin; i < end; ++i) {
      SignatureJob& job = jobs[i];
      if (job.reused) continue;
      const DnssecKey& key = keys[job.key].key;
      const Record& first = job.rrset.front();
      RrsigHeader header{dns::rrtype_code(first.type),
                         key.algorithm(),
                         first.owner.rrsig_labels(),
                         first.ttl,
                         signature_expiration(policy, now, first.owner, first.type),
                         inception,
                         key.key_tag(),
                         apex};
      input.clear();
      append_signing_input(input, header, job.rrset);
      if (!contexts[job.key]) contexts[job.key].emplace(key);
      job.rdata.reserve(18 + apex.wire().size() + 256);
      append_rrsig_header(job.rdata, header);
      contexts[job.key]->sign(input, job.rdata);
    }
  });
}

// Appends the RRSIG records of `jobs` (one owner, RRsets in type order) in canonical order: by rdata, which
// starts with the type covered, so only the signatures of one RRset by several keys need sorting.
void append_rrsigs(std::vector<Record>& out, std::span<SignatureJob> jobs) {
  std::size_t first = out.size();
  for (SignatureJob& job : jobs) {
    const Record& covered = job.rrset.front();
    out.push_back(Record{covered.owner, RRType::kRrsig, covered.ttl, std::move(job.rdata)});
  }
  if (jobs.size() > 1) std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
}

// Who signs what.
struct Signers {
  std::span<const SigningKey> keys;
  std::vector<std::size_t> key_signers;   // DNSKEY: active KSKs and CSKs
  std::vector<std::size_t> zone_signers;  // everything else but CDS and CDNSKEY: active ZSKs and CSKs
  std::vector<std::size_t> cds_signers;   // CDS, CDNSKEY: both of the above
  Name apex;
  std::uint32_t now = 0;
  std::uint32_t refresh = 0;
  std::vector<std::size_t> signature_size;  // per key: the length of its signatures (RFC 6605, 8080, 5702)
};

// Appends the signatures one owner needs to `jobs` (none below a zone cut), taking over those of `previous` that
// are still good, and sets the item's range of jobs; returns the number of RRsets signed. The apex ZONEMD RRset is
// only pointed at: it is signed once its digest is known.
std::size_t plan_owner(OwnerItem& item, const std::vector<OwnerGroup>& groups, const std::vector<Record>& denial,
                       const Signers& signers, PreviousZone& previous, std::vector<SignatureJob>& jobs,
                       std::optional<std::span<const Record>>& zonemd_rrset) {
  std::size_t rrsets = 0;
  auto plan_rrset = [&](std::span<const Record> rrset, const std::vector<std::size_t>& by) {
    ++rrsets;
    for (std::size_t k : by) {
      SignatureJob job{rrset, k, {}, false};
      if (const std::string* old = previous.reusable(rrset, signers.keys[k], signers.signature_size[k], signers.apex, signers.now,
                                                     signers.refresh)) {
        job.rdata = *old;
        job.reused = true;
      }
      jobs.push_back(std::move(job));
    }
  };
  item.jobs_begin = jobs.size();
  Standing standing = item.group != kNone ? groups[item.group].standing : Standing::kAuthoritative;
  if (standing != Standing::kBelowCut) {
    for_each_rrset(item, groups, denial, [&](std::span<const Record> rrset, bool is_denial) {
      RRType type = rrset.front().type;
      bool at_apex = standing == Standing::kApex && !is_denial;
      if (standing == Standing::kDelegation && !is_denial && type != RRType::kDs) {
        // RFC 4035 §2.2: the delegation NS RRset and glue are not signed.
      } else if (at_apex && type == RRType::kZonemd) {
        zonemd_rrset = rrset;  // signed after its digest is known
      } else if (at_apex && type == RRType::kDnskey) {
        plan_rrset(rrset, signers.key_signers);
      } else if (at_apex && (type == RRType::kCds || type == RRType::kCdnskey)) {
        plan_rrset(rrset, signers.cds_signers);
      } else {
        plan_rrset(rrset, signers.zone_signers);
      }
    });
  }
  item.jobs_end = jobs.size();
  return rrsets;
}

// Writes one owner of the signed zone at `to`, in canonical order: its records by type, its RRSIGs (type 46) and
// its NSEC or NSEC3 among them. Records and signatures are moved; `signatures` is scratch space.
void write_owner(const OwnerItem& item, std::span<SignatureJob> jobs, const std::vector<OwnerGroup>& groups,
                 std::vector<Record>& denial, std::vector<Record>& signatures, Record* to) {
  const auto rrsig_code = dns::rrtype_code(RRType::kRrsig);
  signatures.clear();
  append_rrsigs(signatures, jobs.subspan(item.jobs_begin, item.jobs_end - item.jobs_begin));
  std::span<Record> owned;
  if (item.group != kNone) owned = groups[item.group].records;
  Record* chain = item.denial != kNone ? &denial[item.denial] : nullptr;
  std::size_t i = 0;
  for (; i < owned.size() && dns::rrtype_code(owned[i].type) < rrsig_code; ++i) *to++ = std::move(owned[i]);
  for (Record& signature : signatures) *to++ = std::move(signature);
  for (; i < owned.size(); ++i) {
    if (chain && dns::rrtype_code(chain->type) < dns::rrtype_code(owned[i].type)) {
      *to++ = std::move(*chain);
      chain = nullptr;
    }
    *to++ = std::move(owned[i]);
  }
  if (chain) *to++ = std::move(*chain);
}

// Fills in the ZONEMD digest of a signed zone whose ZONEMD RRset is still unsigned, and signs it (reusing the
// previous zone's signature when the digest is unchanged). The digest covers every other record and signature
// (RFC 8976 §3.3.1), so this comes last.
void finish_zonemd(SignResult& result, const Signers& signers, const SigningPolicy& policy, std::uint32_t serial,
                   const std::vector<Record>* previous_records, dns::ThreadPool& pool) {
  const Name& apex = signers.apex;
  std::vector<Record>& out = result.zone.mutable_records();
  auto is_apex_zonemd = [&](const Record& r) { return r.type == RRType::kZonemd && r.owner == apex; };
  auto zonemd = std::find_if(out.begin(), out.end(), is_apex_zonemd);
  auto digest = zonemd_digest(result.zone, kZonemdSchemeSimple, kZonemdHashSha384);
  zonemd->rdata = zonemd_rdata(serial, kZonemdSchemeSimple, kZonemdHashSha384, *digest);
  std::size_t zonemd_begin = static_cast<std::size_t>(zonemd - out.begin());
  std::size_t zonemd_end = zonemd_begin;
  while (zonemd_end < out.size() && is_apex_zonemd(out[zonemd_end])) ++zonemd_end;
  std::span<const Record> rrset(out.data() + zonemd_begin, zonemd_end - zonemd_begin);
  std::vector<SignatureJob> zonemd_jobs;
  PreviousZone previous(previous_records);
  for (std::size_t k : signers.zone_signers) {
    SignatureJob job{rrset, k, {}, false};
    if (const std::string* old = previous.reusable(rrset, signers.keys[k], signers.signature_size[k], apex, signers.now,
                                                     signers.refresh)) {
      job.rdata = *old;
      job.reused = true;
      ++result.stats.signatures_reused;
    } else {
      ++result.stats.signatures_created;
    }
    zonemd_jobs.push_back(std::move(job));
  }
  ++result.stats.rrsets_signed;
  run_jobs(zonemd_jobs, signers.keys, policy, signers.now, apex, pool);
  std::vector<Record> signatures;
  append_rrsigs(signatures, zonemd_jobs);
  // ZONEMD (63) is the largest type at the apex: its RRSIGs go after the apex's other RRSIGs.
  auto after = std::find_if(out.begin(), out.end(), [&](const Record& r) {
    return r.owner != apex || (r.type == RRType::kRrsig && r.rdata.compare(0, 2, signatures.front().rdata, 0, 2) > 0) ||
           dns::rrtype_code(r.type) > dns::rrtype_code(RRType::kRrsig);
  });
  out.insert(after, std::make_move_iterator(signatures.begin()), std::make_move_iterator(signatures.end()));
}

// ---- re-signing by patching the previous signed zone -------------------------------------------------------
//
// An hourly run changes a handful of delegations in a zone of a million. Rebuilding the signed zone around reused
// signatures still walks, copies and frees every record; patching walks the new data beside the previous signed
// zone once, keeps every owner that is already signed exactly as it would be signed now, and rewrites only the
// owners that changed, their neighbours in the NSEC or NSEC3 chain, and the apex (whose SOA serial changes). The
// result is the zone the full rebuild gives. Anything out of the ordinary — the previous zone out of canonical
// order, another denial mode or other NSEC3 parameters, a zone cut that appears or goes above existing names —
// makes the signer rebuild in full instead.

// RFC 4034 §4.1.2: the type bitmap of sorted, distinct type codes, written at `out`; returns its length.
std::size_t write_type_bitmap(std::span<const std::uint16_t> types, char* out) {
  std::size_t length = 0;
  for (std::size_t i = 0; i < types.size();) {
    unsigned window = types[i] >> 8;
    unsigned char bits[32] = {};
    std::size_t used = 0;
    for (; i < types.size() && (types[i] >> 8) == window; ++i) {
      unsigned low = types[i] & 0xffu;
      bits[low / 8] |= static_cast<unsigned char>(0x80u >> (low % 8));
      used = low / 8 + 1;
    }
    out[length++] = static_cast<char>(window);
    out[length++] = static_cast<char>(used);
    std::memcpy(out + length, bits, used);
    length += used;
  }
  return length;
}

// The type codes of one owner's records (canonical order) that its NSEC/NSEC3 bitmap lists besides RRSIG and
// NSEC (at a delegation only NS and DS: RFC 4035 §2.3), as `authoritative_types` gives them.
struct OwnerTypes {
  std::array<std::uint16_t, 72> codes{};
  std::size_t count = 0;
  bool overflow = false;  // more types than fit: the caller gives up patching
  void add(std::uint16_t code) {
    if (count > 0 && codes[count - 1] == code) return;
    if (count == codes.size()) {
      overflow = true;
      return;
    }
    codes[count++] = code;
  }
};
OwnerTypes owner_types(std::span<const Record> records, Standing standing) {
  OwnerTypes types;
  for (const Record& r : records) {
    if (standing == Standing::kDelegation && r.type != RRType::kNs && r.type != RRType::kDs) continue;
    types.add(dns::rrtype_code(r.type));
  }
  return types;
}

// Past the last record of the owner of records[i].
std::size_t owner_end(std::span<const Record> records, std::size_t i) {
  const Name& owner = records[i].owner;
  std::size_t j = i + 1;
  while (j < records.size() && records[j].owner == owner) ++j;
  return j;
}

bool has_type(std::span<const Record> records, RRType type) {
  return std::any_of(records.begin(), records.end(), [&](const Record& r) { return r.type == type; });
}

// The first record of `name` in canonical `records`, or records.size().
std::size_t find_owner(std::span<const Record> records, const Name& name) {
  auto it = std::partition_point(records.begin(), records.end(), [&](const Record& r) { return r.owner < name; });
  return it != records.end() && it->owner == name ? static_cast<std::size_t>(it - records.begin()) : records.size();
}

// The zone cut `name` lies below, if any: the highest of its ancestors below the apex that owns NS in `records`
// (canonical, below the apex).
const Name* enclosing_cut(std::span<const Record> records, const Name& name, std::size_t apex_labels) {
  std::size_t labels = name.label_count();
  for (std::size_t n = apex_labels + 1; n < labels; ++n) {
    std::size_t at = find_owner(records, name.suffix(n));
    if (at == records.size()) continue;
    if (has_type(records.subspan(at, owner_end(records, at) - at), RRType::kNs)) return &records[at].owner;
  }
  return nullptr;
}

// What the patch needs to know, shared by every chunk.
struct PatchContext {
  const Name& apex;
  std::size_t apex_labels = 0;
  std::span<Record> data;            // the new zone's records below the apex
  bool data_canonical = false;       // ... known to be in canonical order (not checked again)
  std::vector<Record>& previous;     // the previous signed zone, patched in place
  bool previous_canonical = false;   // ... known to be in canonical order
  std::size_t previous_apex_end = 0;  // previous[0, previous_apex_end) are the apex's records
  const Signers& signers;
  const SigningPolicy& policy;
  std::uint32_t denial_ttl = 0;
  std::string nsec3_head;  // NSEC3 rdata up to the next hashed owner: algorithm, flags, iterations, salt
  bool nsec = true;
};

// An owner of the previous zone to replace (or remove), or a place to insert one.
struct PatchEdit {
  std::size_t from = 0;  // the previous zone's records [from, to) give way to ...
  std::size_t to = 0;
  std::size_t item = kNone;  // ... this owner (an index into the owner items), or to nothing
  const Name* owner = nullptr;
};

// An NSEC3 owner of the previous zone: its hashed label, where its records are, and whether its signatures can
// all be kept.
struct Nsec3Entry {
  std::string_view label;
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  bool signatures_good = true;
};

// What one chunk of the walk found.
struct PatchChunk {
  std::vector<OwnerGroup> groups;          // owners of the new zone to write afresh, in canonical order
  std::vector<std::size_t> nsec_of;        // per group: its NSEC in `nsecs`, or kNone
  std::vector<Record> nsecs;
  std::vector<PatchEdit> edits;            // item: an index into `groups`, or kNone
  std::vector<Nsec3Entry> nsec3;           // NSEC3 owners of the previous zone met
  std::vector<std::string_view> touched;   // NSEC3: names whose place in the chain may change (wire form)
  std::size_t rrsets = 0;                  // kept as they were: RRsets signed, signatures, NSEC records
  std::size_t reused = 0;
  std::size_t denial = 0;
  const char* give_up = nullptr;
};

// The RRsets of one owner that carry signatures, by type code and TTL.
struct SignedRrsets {
  std::array<std::pair<std::uint16_t, std::uint32_t>, 72> rrsets{};
  std::size_t count = 0;
};

// True when every RRSIG in `sigs` (an owner's, in the previous zone) is a still-good signature of one of `want` by
// one of the zone-signing keys, no two for the same RRset and key, and every such pair has one: exactly the
// signatures a rebuild would reuse and no other.
bool signatures_complete(std::span<const Record> sigs, const SignedRrsets& want, std::size_t owner_labels,
                         const PatchContext& cx) {
  const std::vector<std::size_t>& signers = cx.signers.zone_signers;
  std::size_t required = want.count * signers.size();
  if (sigs.size() != required || required > 64) return false;
  std::uint64_t seen = 0;
  std::string_view apex = cx.apex.wire();
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    std::string_view sig = sigs[i].rdata;
    if (sig.size() < 18 + apex.size() || (i > 0 && !(sigs[i - 1].rdata < sigs[i].rdata))) return false;
    std::uint16_t covered = get16(sig, 0);
    std::size_t r = 0;
    while (r < want.count && want.rrsets[r].first != covered) ++r;
    if (r == want.count) return false;
    std::uint32_t ttl = want.rrsets[r].second;
    if (static_cast<std::uint8_t>(sig[3]) != owner_labels || get32(sig, 4) != ttl || sigs[i].ttl != ttl ||
        sig.substr(18, apex.size()) != apex) {
      return false;
    }
    if (time_distance(get32(sig, 8), cx.signers.now) <= static_cast<std::int64_t>(cx.signers.refresh) ||
        time_distance(get32(sig, 12), cx.signers.now) > 0) {
      return false;
    }
    std::size_t s = 0;
    for (; s < signers.size(); ++s) {
      const DnssecKey& key = cx.signers.keys[signers[s]].key;
      if (get16(sig, 16) == key.key_tag() && static_cast<std::uint8_t>(sig[2]) == key.algorithm()) break;
    }
    if (s == signers.size() || sig.size() != 18 + apex.size() + cx.signers.signature_size[signers[s]]) return false;
    std::uint64_t bit = std::uint64_t{1} << (r * signers.size() + s);
    if (seen & bit) return false;
    seen |= bit;
  }
  return true;
}

bool same_data(const Record& a, const Record& b) { return a.type == b.type && a.ttl == b.ttl && a.rdata == b.rdata; }

// True when the previous zone holds one owner (`old`) exactly as it is signed now from `data` with `standing`:
// the same records, for every signed RRset a still-good signature by each zone-signing key and no other
// signature, and with NSEC an NSEC naming `next` with the same types. Counts what it keeps.
bool kept_as_is(std::span<const Record> data, std::span<const Record> old, Standing standing, const Name* next,
                const PatchContext& cx, PatchChunk& chunk) {
  if (standing == Standing::kBelowCut) {
    return data.size() == old.size() && std::equal(data.begin(), data.end(), old.begin(), same_data);
  }
  const auto rrsig_code = dns::rrtype_code(RRType::kRrsig);
  SignedRrsets want;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i > 0 && data[i].type == data[i - 1].type) continue;
    if (standing == Standing::kDelegation && data[i].type != RRType::kDs) continue;
    if (want.count == want.rrsets.size()) return false;  // more types than a reverse zone's owner has: rewritten
    want.rrsets[want.count++] = {dns::rrtype_code(data[i].type), data[i].ttl};
  }
  if (next) {
    if (want.count == want.rrsets.size()) return false;
    want.rrsets[want.count++] = {dns::rrtype_code(RRType::kNsec), cx.denial_ttl};
  }
  std::size_t i = 0;
  std::size_t j = 0;
  for (; j < data.size() && dns::rrtype_code(data[j].type) < rrsig_code; ++i, ++j) {
    if (i >= old.size() || !same_data(old[i], data[j])) return false;
  }
  std::size_t sigs = i;
  while (i < old.size() && old[i].type == RRType::kRrsig) ++i;
  if (!signatures_complete(old.subspan(sigs, i - sigs), want, data.front().owner.rrsig_labels(), cx)) return false;
  bool nsec_pending = next != nullptr;
  while (j < data.size() || nsec_pending) {
    if (i >= old.size()) return false;
    if (nsec_pending && (j == data.size() || dns::rrtype_code(data[j].type) > dns::rrtype_code(RRType::kNsec))) {
      const Record& nsec = old[i++];
      if (nsec.type != RRType::kNsec || nsec.ttl != cx.denial_ttl) return false;
      std::string_view rdata = nsec.rdata;
      std::string_view next_wire = next->wire();
      if (rdata.substr(0, next_wire.size()) != next_wire) return false;
      OwnerTypes types = owner_types(data, standing);
      types.add(rrsig_code);
      types.add(dns::rrtype_code(RRType::kNsec));
      if (types.overflow) return false;
      char bitmap[34 * 256];
      std::size_t length = write_type_bitmap(std::span(types.codes.data(), types.count), bitmap);
      if (rdata.substr(next_wire.size()) != std::string_view(bitmap, length)) return false;
      nsec_pending = false;
      continue;
    }
    if (!same_data(old[i], data[j])) return false;
    ++i;
    ++j;
  }
  if (i != old.size()) return false;
  chunk.rrsets += want.count;
  chunk.reused += want.count * cx.signers.zone_signers.size();
  chunk.denial += next != nullptr;
  return true;
}

// The NSEC record of an owner of the new zone.
Record make_nsec(std::span<const Record> data, Standing standing, const Name& next, std::uint32_t ttl) {
  OwnerTypes types = owner_types(data, standing);
  types.add(dns::rrtype_code(RRType::kRrsig));
  types.add(dns::rrtype_code(RRType::kNsec));
  std::string rdata(next.wire());
  std::vector<std::uint16_t> codes(types.codes.begin(), types.codes.begin() + static_cast<std::ptrdiff_t>(types.count));
  rdata += dns::rdata::type_bitmap(std::move(codes));
  return Record{data.front().owner, RRType::kNsec, ttl, std::move(rdata)};
}

// The owner after `data[end - 1]`'s in the NSEC chain: the next owner not below `cut` (the owner itself when it is
// a delegation), or the apex after the last.
const Name& next_in_chain(std::span<const Record> data, std::size_t end, const Name* cut, const Name& apex) {
  std::size_t j = end;
  if (cut) {
    while (j < data.size() && data[j].owner.is_below(*cut)) ++j;
  }
  return j < data.size() ? data[j].owner : apex;
}

// One chunk of the walk: the new zone's records data[u_begin, u_end) beside the previous zone's
// previous[p_begin, p_end), which hold the same owners.
void walk_chunk(const PatchContext& cx, std::size_t u_begin, std::size_t u_end, std::size_t p_begin,
                std::size_t p_end, PatchChunk& chunk) {
  std::span<Record> data = cx.data;
  std::span<const Record> old(cx.previous);
  if (p_begin > p_end) {
    chunk.give_up = "the previous signed zone is not in canonical order";
    return;
  }
  if (!cx.previous_canonical && p_begin < p_end && !(old[p_begin - 1].owner < old[p_begin].owner)) {
    chunk.give_up = "the previous signed zone is not in canonical order";
    return;
  }
  const Name* cut = u_begin < u_end ? enclosing_cut(data, data[u_begin].owner, cx.apex_labels) : nullptr;
  std::size_t u = u_begin;
  std::size_t p = p_begin;
  std::size_t last_old = kNone;   // the previous zone's last owner met (its first record)
  std::size_t last_data = kNone;  // the new zone's last owner met ...
  bool last_data_matched = false;  // ... and whether it is an owner of the previous zone too
  if (!cx.data_canonical && u_begin < u_end &&
      !((u_begin > 0 ? data[u_begin - 1].owner : cx.apex) < data[u_begin].owner)) {
    chunk.give_up = "the new zone is not in canonical order";
    return;
  }
  auto give_up = [&](const char* why) { chunk.give_up = why; };
  auto add_group = [&](std::size_t from, std::size_t to, std::span<Record> records, Standing standing, bool has_ds,
                       const Name* next) {
    chunk.nsec_of.push_back(kNone);
    if (next) {
      chunk.nsec_of.back() = chunk.nsecs.size();
      chunk.nsecs.push_back(make_nsec(records, standing, *next, cx.denial_ttl));
    }
    chunk.edits.push_back(PatchEdit{from, to, chunk.groups.size(), &records.front().owner});
    chunk.groups.push_back(OwnerGroup{records, standing, has_ds});
  };
  // A zone cut that appears or goes changes where every name below it stands: with NSEC the walk compares each of
  // them with what it needs now; with NSEC3 their places in the chain are worked out again too.
  auto touch_below = [&](const Name& top, std::size_t u_from, std::size_t p_from) {
    if (cx.nsec) return;
    for (std::size_t j = u_from; j < data.size() && data[j].owner.is_below(top); j = owner_end(data, j)) {
      chunk.touched.push_back(data[j].owner.wire());
    }
    for (std::size_t j = p_from; j < old.size() && old[j].owner.is_below(top); j = owner_end(old, j)) {
      chunk.touched.push_back(old[j].owner.wire());
    }
  };
  // The records' names and rdata live apart from the records: fetched ahead, they are in cache when compared.
  constexpr std::size_t kAhead = 16;
  std::size_t fetched_data = u;
  std::size_t fetched_old = p;
  auto fetch_ahead = [](std::span<const Record> records, std::size_t& fetched, std::size_t to) {
    for (to = std::min(to, records.size()); fetched < to; ++fetched) {
      __builtin_prefetch(records[fetched].owner.wire().data());
      __builtin_prefetch(records[fetched].rdata.data());
    }
  };
  while ((u < u_end || p < p_end) && !chunk.give_up) {
    fetch_ahead(data, fetched_data, u + kAhead);
    fetch_ahead(old, fetched_old, p + kAhead);
    int order;
    if (u == u_end) order = 1;
    else if (p == p_end) order = -1;
    else if (data[u].owner == old[p].owner) order = 0;
    else order = data[u].owner < old[p].owner ? -1 : 1;

    std::size_t p_next = p;
    if (order >= 0) {
      // The previous zone's owners must be in canonical order.
      if (!cx.previous_canonical && last_old != kNone && !(old[last_old].owner < old[p].owner)) {
        give_up("the previous signed zone is not in canonical order");
        break;
      }
      p_next = owner_end(old, p);
      if (p_next > p_end) {
        give_up("the previous signed zone is not in canonical order");
        break;
      }
      last_old = p;
    }
    std::span<const Record> old_owner = old.subspan(p, p_next - p);

    if (order <= 0) {
      std::size_t u_next = owner_end(data, u);
      std::span<Record> owner_records = data.subspan(u, u_next - u);
      const Name& owner = data[u].owner;
      // The new zone in canonical order too: two owners that both match owners of the previous zone are (its
      // owners are compared above); every other pair is compared here, and the records of each owner.
      if (!cx.data_canonical && last_data != kNone && !(last_data_matched && order == 0) &&
          !(data[last_data].owner < owner)) {
        give_up("the new zone is not in canonical order");
        break;
      }
      last_data = u;
      last_data_matched = order == 0;
      for (std::size_t i = u; i < u_next; ++i) {
        const Record& r = data[i];
        if (r.type == RRType::kRrsig || r.type == RRType::kNsec || r.type == RRType::kNsec3) {
          chunk.give_up = "the new zone holds DNSSEC records";
        } else if (!cx.data_canonical && i > u &&
                   !(dns::rrtype_code(data[i - 1].type) < dns::rrtype_code(r.type) ||
                              (data[i - 1].type == r.type && data[i - 1].ttl == r.ttl && data[i - 1].rdata < r.rdata))) {
          chunk.give_up = "the new zone is not in canonical order";
        }
      }
      if (chunk.give_up) break;
      bool has_ns = has_type(owner_records, RRType::kNs);
      bool has_ds = has_type(owner_records, RRType::kDs);
      Standing standing;
      if (cut && owner.is_below(*cut)) {
        standing = Standing::kBelowCut;
      } else if (has_ns) {
        standing = Standing::kDelegation;
        cut = &owner;
      } else {
        standing = Standing::kAuthoritative;
        cut = nullptr;
      }
      const Name* next = nullptr;
      if (cx.nsec && standing != Standing::kBelowCut) {
        next = &next_in_chain(data, u_next, standing == Standing::kDelegation ? &owner : nullptr, cx.apex);
      }
      if (order == 0) {
        if (has_type(old_owner, RRType::kNsec3)) {
          give_up("a name of the zone is an NSEC3 owner too");
          break;
        }
        if (has_ns != has_type(old_owner, RRType::kNs)) touch_below(owner, u_next, p_next);
        if (!kept_as_is(owner_records, old_owner, standing, next, cx, chunk)) {
          add_group(p, p_next, owner_records, standing, has_ds, next);
          chunk.touched.push_back(owner.wire());
        }
      } else {
        if (has_ns) touch_below(owner, u_next, p_next);
        add_group(p, p, owner_records, standing, has_ds, next);
        chunk.touched.push_back(owner.wire());
      }
      u = u_next;
    } else {
      // Only in the previous zone: an NSEC3 owner, or a name removed.
      bool nsec3_owner = !cx.nsec && old_owner.back().type == RRType::kNsec3 &&
                         old_owner.front().owner.label_count() == cx.apex_labels + 1 &&
                         std::all_of(old_owner.begin(), old_owner.end() - 1,
                                     [](const Record& r) { return r.type == RRType::kRrsig; });
      if (nsec3_owner) {
        const Record& nsec3 = old_owner.back();
        if (!std::string_view(nsec3.rdata).starts_with(cx.nsec3_head)) {
          give_up("the NSEC3 parameters changed");
          break;
        }
        // Its label must be a SHA-1 hash in base32hex (RFC 5155 §3.3), as the chain's lookups take it.
        std::string_view label = nsec3.owner.first_label();
        if (label.size() != 32 || !std::all_of(label.begin(), label.end(), [](char c) {
              return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'v');
            })) {
          give_up("an NSEC3 owner of the previous zone is not a hash");
          break;
        }
        SignedRrsets want;
        want.rrsets[want.count++] = {dns::rrtype_code(RRType::kNsec3), cx.denial_ttl};
        bool good = nsec3.ttl == cx.denial_ttl &&
                    signatures_complete(old_owner.first(old_owner.size() - 1), want, cx.apex_labels + 1, cx);
        chunk.nsec3.push_back(Nsec3Entry{nsec3.owner.first_label(), static_cast<std::uint32_t>(p),
                                         static_cast<std::uint32_t>(p_next), good});
      } else {
        if (has_type(old_owner, RRType::kNsec3)) {
          give_up("a name of the zone was an NSEC3 owner too");
          break;
        }
        if (has_type(old_owner, RRType::kNs)) touch_below(old_owner.front().owner, u, p_next);
        chunk.edits.push_back(PatchEdit{p, p_next, kNone, &old_owner.front().owner});
        chunk.touched.push_back(old_owner.front().owner.wire());
      }
    }
    p = p_next;
  }
}

// Moves the records of `records` into place around the edits (sorted by `from`, apart), each of which replaces
// records[from, to) by room for `room` records (left empty, to be written). Records whose index does not change
// are not touched; the others move once (those overtaken by a growing zone wait in a queue). Two halves move at
// once, each on its own thread.
struct SpliceEdit {
  std::size_t from = 0;
  std::size_t to = 0;
  std::size_t room = 0;
};

// One part of a splice: the old records [read_from, read_to) with the edits among them go to write_from on.
// `waiting` holds records[read_from, read_from + waiting.size()) and `tail` records[tail_from, read_to), taken out
// beforehand (another part writes there); a write takes out no record at or past `limit` (not this part's).
void splice_part(std::vector<Record>& records, std::span<const SpliceEdit> edits, std::size_t read_from,
                 std::size_t read_to, std::size_t write_from, std::size_t limit, std::deque<Record> waiting,
                 std::vector<Record> tail, std::size_t tail_from) {
  std::size_t waiting_to = read_from + waiting.size();
  std::size_t read = read_from;   // the next old index to take
  std::size_t write = write_from;  // the next index to fill
  auto put = [&](Record&& record) {
    if (write < limit && write >= read && write >= waiting_to) {
      waiting.push_back(std::move(records[write]));
      waiting_to = write + 1;
    }
    records[write++] = std::move(record);
  };
  auto keep = [&](std::size_t to) {
    if (read == write && waiting.empty() && to <= tail_from) {
      read = write = to;  // nothing moves
      return;
    }
    for (; read < to; ++read) {
      if (read < waiting_to) {
        Record record = std::move(waiting.front());
        waiting.pop_front();
        put(std::move(record));
      } else if (read >= tail_from) {
        put(std::move(tail[read - tail_from]));
      } else if (write < read) {
        records[write++] = std::move(records[read]);
      } else if (write == read) {
        ++write;
      } else {
        Record record = std::move(records[read]);
        put(std::move(record));
      }
    }
  };
  for (const SpliceEdit& e : edits) {
    keep(e.from);
    for (; read < e.to; ++read) {
      if (read < waiting_to) waiting.pop_front();
    }
    for (std::size_t n = 0; n < e.room; ++n) put(Record{});
  }
  keep(read_to);
}

void splice(std::vector<Record>& records, std::span<const SpliceEdit> edits) {
  const std::size_t old_size = records.size();
  std::size_t new_size = old_size;
  for (const SpliceEdit& e : edits) new_size = new_size + e.room - (e.to - e.from);
  if (new_size > old_size) records.resize(new_size);
  // The halves meet at the first edit in the second half of the records; `shift` is how far the records there
  // move. Where the first half's output reaches into the second's input, or the second's output into the first's
  // input, those records are taken out before either starts.
  std::size_t m = 0;
  std::ptrdiff_t shift = 0;
  while (m < edits.size() && edits[m].from < old_size / 2) {
    shift += static_cast<std::ptrdiff_t>(edits[m].room) - static_cast<std::ptrdiff_t>(edits[m].to - edits[m].from);
    ++m;
  }
  if (m == 0 || m == edits.size() || old_size < 2048) {
    splice_part(records, edits, 0, old_size, 0, old_size, {}, {}, old_size);
  } else {
    const std::size_t b = edits[m].from;
    const std::size_t b_out = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(b) + shift);
    std::deque<Record> head;  // the second half's first records, where the first half writes
    for (std::size_t i = b; i < std::min(b_out, old_size); ++i) head.push_back(std::move(records[i]));
    std::vector<Record> tail;  // the first half's last records, where the second half writes
    for (std::size_t i = b_out; i < b; ++i) tail.push_back(std::move(records[i]));
    std::jthread second([&, head = std::move(head)]() mutable {
      splice_part(records, edits.subspan(m), b, old_size, b_out, old_size, std::move(head), {}, old_size);
    });
    splice_part(records, edits.first(m), 0, b, 0, std::min(b, b_out), {}, std::move(tail), std::min(b, b_out));
  }
  records.resize(new_size);
}

// The NSEC3 chain after the changes: which owners of the previous zone's chain go, which change, which come.
// `entries` are the previous chain in hash order; `names` the wire forms of the names whose entry may change.
struct Nsec3Insert {
  std::string label;
  std::string bitmap;
};
// The bitmap part of an NSEC3 rdata that starts with `head` and a hash of `hash_size` octets.
std::string_view nsec3_bitmap(std::string_view rdata, std::size_t head) {
  std::size_t at = head;
  if (at >= rdata.size()) return {};
  std::size_t hash_size = static_cast<unsigned char>(rdata[at]);
  return rdata.substr(std::min(rdata.size(), at + 1 + hash_size));
}

// The tails of a name's wire form that are its ancestors strictly between the apex (`apex_labels` labels) and it.
template <typename F>
void for_each_ancestor(std::string_view wire, std::size_t apex_labels, F&& f) {
  std::size_t labels = 0;
  std::size_t starts[128];
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1 + static_cast<unsigned char>(wire[pos])) starts[labels++] = pos;
  for (std::size_t n = apex_labels + 1; n < labels; ++n) f(wire.substr(starts[labels - n]));
}

// Where the names `all` (wire forms, sorted, with every ancestor below the apex of each among them) stand in the
// new zone: for each, the bitmap its NSEC3 lists, or nothing when it is not in the chain.
std::vector<std::optional<std::string>> nsec3_states(std::span<const std::string_view> all,
                                                     std::span<const Record> apex_records, const PatchContext& cx,
                                                     dns::ThreadPool& pool) {
  std::span<const Record> data = cx.data;
  struct Found {
    std::size_t at = 0;   // the first record of the name or of the first name after it
    std::size_t end = 0;  // past the name's records
    bool has_ns = false;
  };
  std::vector<Found> found(all.size());
  pool.parallel_for(all.size(), 256, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      std::size_t offset = 0;
      Name name = *Name::from_wire(all[i], offset);  // taken from names of the zones: valid
      Found& f = found[i];
      f.at = static_cast<std::size_t>(
          std::partition_point(data.begin(), data.end(), [&](const Record& r) { return r.owner < name; }) - data.begin());
      f.end = f.at < data.size() && data[f.at].owner == name ? owner_end(data, f.at) : f.at;
      f.has_ns = has_type(data.subspan(f.at, f.end - f.at), RRType::kNs);
    }
  });
  auto bitmap = [](std::span<const Record> records, Standing standing, bool signed_rrset) {
    OwnerTypes types = owner_types(records, standing);
    if (signed_rrset) types.add(dns::rrtype_code(RRType::kRrsig));
    std::vector<std::uint16_t> codes(types.codes.begin(), types.codes.begin() + static_cast<std::ptrdiff_t>(types.count));
    std::sort(codes.begin(), codes.end());
    return dns::rdata::type_bitmap(std::move(codes));
  };
  auto in_chain = [&](std::span<const Record> records, bool has_ns) {
    return !has_ns || !cx.policy.nsec3_opt_out || has_type(records, RRType::kDs);
  };
  std::vector<std::optional<std::string>> states(all.size());
  pool.parallel_for(all.size(), 256, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (all[i] == cx.apex.wire()) {
        states[i] = bitmap(apex_records, Standing::kApex, true);
        continue;
      }
      bool occluded = false;  // below a zone cut: never in the chain
      for_each_ancestor(all[i], cx.apex_labels, [&](std::string_view ancestor) {
        std::size_t a = static_cast<std::size_t>(std::lower_bound(all.begin(), all.end(), ancestor) - all.begin());
        occluded |= found[a].has_ns;
      });
      if (occluded) continue;
      const Found& f = found[i];
      if (f.end > f.at) {
        std::span<const Record> records = data.subspan(f.at, f.end - f.at);
        if (!in_chain(records, f.has_ns)) continue;
        Standing standing = f.has_ns ? Standing::kDelegation : Standing::kAuthoritative;
        states[i] = bitmap(records, standing, standing == Standing::kAuthoritative || has_type(records, RRType::kDs));
        continue;
      }
      // Not a name of the zone: an empty non-terminal, in the chain when a name in the chain lies below it.
      std::size_t offset = 0;
      Name name = *Name::from_wire(all[i], offset);
      const Name* cut = nullptr;
      for (std::size_t j = f.at; j < data.size() && data[j].owner.is_below(name);) {
        std::size_t next = owner_end(data, j);
        std::span<const Record> records = data.subspan(j, next - j);
        if (!(cut && data[j].owner.is_below(*cut))) {
          bool has_ns = has_type(records, RRType::kNs);
          if (in_chain(records, has_ns)) {
            states[i] = std::string();
            break;
          }
          cut = has_ns ? &data[j].owner : nullptr;
        }
        j = next;
      }
    }
  });
  return states;
}

std::string nsec3_label(std::string_view wire, const SigningPolicy& policy) {
  dns::Nsec3Digest hash = dns::nsec3_digest(wire, policy.nsec3_salt, policy.nsec3_iterations);
  std::string label;
  dns::append_base32hex(label, std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
  return label;
}

// The changes of the NSEC3 chain: entries of the previous chain that go, entries whose record changes (their next
// hashed owner or their bitmap), and new ones in hash order, with their whole rdata.
struct Nsec3Changes {
  std::vector<std::size_t> removed;
  std::map<std::size_t, std::string> rewritten;  // entry -> its new rdata
  std::vector<Nsec3Insert> inserts;
};

// Works out the NSEC3 chain's changes from the previous chain (`entries`, in hash order) and the names whose entry
// may change (`names`, wire forms). Nothing when it cannot (two names with one hash).
std::optional<Nsec3Changes> update_nsec3_chain(const std::vector<Nsec3Entry>& entries,
                                               std::vector<std::string_view> names,
                                               std::span<const Record> apex_records, const PatchContext& cx,
                                               dns::ThreadPool& pool) {
  // The names touched and every name between them and the apex (empty non-terminals may come or go).
  std::vector<std::string_view> all;
  for (std::string_view wire : names) {
    all.push_back(wire);
    for_each_ancestor(wire, cx.apex_labels, [&](std::string_view ancestor) { all.push_back(ancestor); });
  }
  all.push_back(cx.apex.wire());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<std::optional<std::string>> states = nsec3_states(all, apex_records, cx, pool);

  auto find_entry = [&](std::string_view label) {
    auto it = std::lower_bound(entries.begin(), entries.end(), label,
                               [](const Nsec3Entry& e, std::string_view l) { return e.label < l; });
    return it != entries.end() && it->label == label ? static_cast<std::size_t>(it - entries.begin()) : kNone;
  };
  auto old_rdata = [&](std::size_t e) -> const std::string& { return cx.previous[entries[e].to - 1].rdata; };
  Nsec3Changes changes;
  std::map<std::size_t, std::string> new_bitmap;
  std::vector<std::string> labels(all.size());
  std::vector<std::size_t> found(all.size());
  pool.parallel_for(all.size(), 256, [&](std::size_t begin, std::size_t end) {
    for (std::size_t n = begin; n < end; ++n) {
      labels[n] = nsec3_label(all[n], cx.policy);
      found[n] = find_entry(labels[n]);
    }
  });
  for (std::size_t n = 0; n < all.size(); ++n) {
    std::optional<std::string>& state = states[n];
    std::string& label = labels[n];
    std::size_t e = found[n];
    if (e == kNone) {
      if (state) changes.inserts.push_back(Nsec3Insert{std::move(label), std::move(*state)});
    } else if (!state) {
      changes.removed.push_back(e);
    } else if (nsec3_bitmap(old_rdata(e), cx.nsec3_head.size()) != *state) {
      new_bitmap[e] = std::move(*state);
    }
  }
  std::sort(changes.removed.begin(), changes.removed.end());
  auto removed = [&](std::size_t e) { return std::binary_search(changes.removed.begin(), changes.removed.end(), e); };
  std::vector<Nsec3Insert>& inserts = changes.inserts;
  std::sort(inserts.begin(), inserts.end(), [](const Nsec3Insert& a, const Nsec3Insert& b) { return a.label < b.label; });
  for (std::size_t i = 1; i < inserts.size(); ++i) {
    if (inserts[i].label == inserts[i - 1].label) return std::nullopt;  // two names, one hash
  }

  // The chain after the change: the entries that stay and the inserts, merged; the next of a label is the first
  // label after it (after the last comes the first).
  auto first_entry_after = [&](std::string_view label) {
    auto it = std::upper_bound(entries.begin(), entries.end(), label,
                               [](std::string_view l, const Nsec3Entry& e) { return l < e.label; });
    while (it != entries.end() && removed(static_cast<std::size_t>(it - entries.begin()))) ++it;
    return it;
  };
  auto next_label = [&](std::string_view label) -> std::string_view {
    auto e = first_entry_after(label);
    auto i = std::upper_bound(inserts.begin(), inserts.end(), label,
                              [](std::string_view l, const Nsec3Insert& x) { return l < x.label; });
    if (e == entries.end() && i == inserts.end()) {
      e = first_entry_after("");
      i = inserts.begin();
    }
    if (e == entries.end()) return i->label;
    if (i == inserts.end()) return e->label;
    return std::min<std::string_view>(e->label, i->label);
  };
  auto last_entry_before = [&](std::string_view label) -> std::size_t {
    auto it = std::lower_bound(entries.begin(), entries.end(), label,
                               [](const Nsec3Entry& e, std::string_view l) { return e.label < l; });
    while (it != entries.begin()) {
      --it;
      if (!removed(static_cast<std::size_t>(it - entries.begin()))) return static_cast<std::size_t>(it - entries.begin());
    }
    return kNone;
  };
  // The entries whose next hashed owner may change: the ones before every insert and every entry removed.
  std::vector<std::size_t> renamed;
  auto before = [&](std::string_view label) {
    std::size_t e = last_entry_before(label);
    if (e == kNone) e = last_entry_before("\x7f");  // the last of the chain, before the first
    if (e != kNone) renamed.push_back(e);
  };
  for (const Nsec3Insert& x : inserts) before(x.label);
  for (std::size_t e : changes.removed) before(entries[e].label);
  auto rdata_of = [&](std::string_view next, std::string_view bitmap) {
    std::string rdata = cx.nsec3_head;
    auto raw = dns::from_base32hex(next);
    rdata.push_back(static_cast<char>(raw->size()));
    rdata += *raw;
    rdata += bitmap;
    return rdata;
  };
  for (auto& [e, bitmap] : new_bitmap) changes.rewritten[e] = rdata_of(next_label(entries[e].label), bitmap);
  for (std::size_t e : renamed) {
    auto done = changes.rewritten.find(e);
    std::string_view bitmap = nsec3_bitmap(done != changes.rewritten.end() ? done->second : old_rdata(e),
                                           cx.nsec3_head.size());
    std::string rdata = rdata_of(next_label(entries[e].label), bitmap);
    if (rdata != old_rdata(e)) changes.rewritten[e] = std::move(rdata);
  }
  for (Nsec3Insert& x : inserts) x.bitmap = rdata_of(next_label(x.label), x.bitmap);  // now the whole rdata
  return changes;
}

// Signs the new zone by patching the previous signed zone (`previous`, whose records it takes over); nothing,
// and `why` set, when the zone must be rebuilt in full instead.
std::optional<SignResult> patch_previous(const Name& apex, std::vector<Record>& apex_records, std::span<Record> data,
                                         bool data_canonical, std::vector<Record>& previous, bool previous_canonical,
                                         const Signers& signers,
                                         const SigningPolicy& policy, std::uint32_t denial_ttl, std::uint32_t serial,
                                         dns::ThreadPool& pool, std::string& why) {
  if (previous.empty() || previous.front().owner != apex || !previous.back().owner.is_at_or_below(apex)) {
    why = "the previous signed zone does not start with its apex";
    return std::nullopt;
  }
  PatchContext cx{apex,       apex.label_count(), data, data_canonical, previous, previous_canonical, 0, signers,
                  policy,     denial_ttl,         {},   policy.denial == Denial::kNsec};
  while (cx.previous_apex_end < previous.size() && previous[cx.previous_apex_end].owner == apex) ++cx.previous_apex_end;
  std::span<const Record> old_apex(previous.data(), cx.previous_apex_end);
  auto find_type = [](std::span<const Record> records, RRType type) -> const Record* {
    auto it = std::find_if(records.begin(), records.end(), [&](const Record& r) { return r.type == type; });
    return it == records.end() ? nullptr : &*it;
  };
  // The same denial of existence as before: NSEC with the same TTL, or NSEC3 with the same parameters.
  const Record* old_nsec = find_type(old_apex, RRType::kNsec);
  const Record* old_param = find_type(old_apex, RRType::kNsec3param);
  if (cx.nsec) {
    if (!old_nsec || old_param || old_nsec->ttl != denial_ttl) {
      why = "the denial of existence changes";
      return std::nullopt;
    }
  } else {
    const Record* param = find_type(apex_records, RRType::kNsec3param);
    if (old_nsec || !old_param || !param || old_param->rdata != param->rdata || old_param->ttl != param->ttl) {
      why = "the denial of existence changes";
      return std::nullopt;
    }
    cx.nsec3_head = param->rdata;
    cx.nsec3_head[1] = static_cast<char>(policy.nsec3_opt_out ? kNsec3FlagOptOut : 0);
  }

  // 1. The walk, in chunks of the new zone's owners, each beside the previous zone's records of the same names.
  // Chunks small enough to keep every thread busy to the end, large enough that finding where each starts
  // (binary searches) stays a small part of the work.
  const std::size_t chunk_size = std::clamp<std::size_t>(data.size() / (pool.size() * 16), 2048, 16384);
  std::vector<std::size_t> data_split{0};
  for (std::size_t at = chunk_size; at < data.size(); at += chunk_size) {
    std::size_t s = std::max(at, data_split.back() + 1);
    while (s < data.size() && data[s].owner == data[s - 1].owner) ++s;
    if (s < data.size()) data_split.push_back(s);
  }
  data_split.push_back(data.size());
  std::size_t chunks = data_split.size() - 1;
  std::vector<std::size_t> previous_split(chunks + 1, previous.size());
  previous_split[0] = cx.previous_apex_end;
  for (std::size_t c = 1; c < chunks; ++c) {
    const Name& first = data[data_split[c]].owner;
    previous_split[c] = static_cast<std::size_t>(
        std::partition_point(previous.begin() + static_cast<std::ptrdiff_t>(cx.previous_apex_end), previous.end(),
                             [&](const Record& r) { return r.owner < first; }) -
        previous.begin());
  }
  std::vector<PatchChunk> parts(chunks);
  pool.parallel_for(chunks, 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      walk_chunk(cx, data_split[c], data_split[c + 1], previous_split[c], previous_split[c + 1], parts[c]);
    }
  });
  std::size_t changed = 0;
  for (const PatchChunk& part : parts) {
    if (part.give_up) {
      why = part.give_up;
      return std::nullopt;
    }
    changed += part.edits.size();
  }
  if (changed > data.size() / 32 + 64) {
    why = "many owners changed";  // the full rebuild does the same work on every core
    return std::nullopt;
  }

  // 2. The owners to write afresh: the apex (its serial changes), those the walk found, and NSEC3 records.
  SignResult result{dns::Zone(apex), {}};
  std::vector<OwnerGroup> groups;
  std::vector<Record> denial;
  std::vector<OwnerItem> items;
  std::vector<PatchEdit> edits;
  groups.push_back(OwnerGroup{apex_records, Standing::kApex, false});
  items.push_back(OwnerItem{0, kNone});
  if (cx.nsec) {
    denial.push_back(make_nsec(apex_records, Standing::kApex, data.empty() ? apex : data.front().owner, denial_ttl));
    items.back().denial = 0;
  }
  edits.push_back(PatchEdit{0, cx.previous_apex_end, 0, &apex});
  std::vector<Nsec3Entry> entries;
  std::vector<std::string_view> touched;
  for (PatchChunk& part : parts) {
    for (PatchEdit edit : part.edits) {
      if (edit.item != kNone) {
        std::size_t g = edit.item;
        groups.push_back(part.groups[g]);
        items.push_back(OwnerItem{groups.size() - 1, kNone});
        if (part.nsec_of[g] != kNone) {
          denial.push_back(std::move(part.nsecs[part.nsec_of[g]]));
          items.back().denial = denial.size() - 1;
        }
        edit.item = items.size() - 1;
      }
      edits.push_back(edit);
    }
    result.stats.rrsets_signed += part.rrsets;
    result.stats.signatures_reused += part.reused;
    result.stats.denial_records += part.denial;
    touched.insert(touched.end(), part.touched.begin(), part.touched.end());
  }
  if (!cx.nsec) {
    // The previous chain in one list, copied on every thread.
    std::vector<std::size_t> offsets(parts.size() + 1, 0);
    for (std::size_t c = 0; c < parts.size(); ++c) offsets[c + 1] = offsets[c] + parts[c].nsec3.size();
    entries.resize(offsets.back());
    pool.parallel_for(parts.size(), 1, [&](std::size_t begin, std::size_t end) {
      for (std::size_t c = begin; c < end; ++c) {
        std::copy(parts[c].nsec3.begin(), parts[c].nsec3.end(), entries.begin() + static_cast<std::ptrdiff_t>(offsets[c]));
      }
    });
    // In hash order: the walk found the previous zone's owners in canonical order, and NSEC3 owners, one label below
    // the apex, are in the order of that label.
    if (previous.size() > std::numeric_limits<std::uint32_t>::max()) {
      why = "the previous signed zone is too large to patch";
      return std::nullopt;
    }
    auto changes = update_nsec3_chain(entries, std::move(touched), apex_records, cx, pool);
    if (!changes) {
      why = "the NSEC3 chain cannot be patched";
      return std::nullopt;
    }
    // Every entry of the previous chain stays as it is, unless it goes, changes or needs fresh signatures.
    std::size_t kept = entries.size() - changes->removed.size();
    auto rewrite = [&](std::size_t e, std::string rdata) {
      const Record& old = previous[entries[e].to - 1];
      denial.push_back(Record{old.owner, RRType::kNsec3, denial_ttl, std::move(rdata)});
      items.push_back(OwnerItem{kNone, denial.size() - 1});
      edits.push_back(PatchEdit{entries[e].from, entries[e].to, items.size() - 1, &old.owner});
      --kept;
    };
    for (std::size_t e : changes->removed) {
      edits.push_back(PatchEdit{entries[e].from, entries[e].to, kNone, &previous[entries[e].to - 1].owner});
    }
    for (auto& [e, rdata] : changes->rewritten) rewrite(e, std::move(rdata));
    for (std::size_t e = 0; e < entries.size(); ++e) {
      if (!entries[e].signatures_good && !changes->rewritten.contains(e) &&
          !std::binary_search(changes->removed.begin(), changes->removed.end(), e)) {
        rewrite(e, previous[entries[e].to - 1].rdata);
      }
    }
    result.stats.rrsets_signed += kept;
    result.stats.signatures_reused += kept * signers.zone_signers.size();
    result.stats.denial_records += kept;
    denial.reserve(denial.size() + changes->inserts.size());  // the edits below point at the owners' names
    for (Nsec3Insert& x : changes->inserts) {
      auto owner = apex.prepend(x.label);
      if (!owner) throw std::runtime_error("NSEC3 owner name too long for the zone: " + owner.error());
      std::size_t at = static_cast<std::size_t>(
          std::partition_point(previous.begin() + static_cast<std::ptrdiff_t>(cx.previous_apex_end), previous.end(),
                               [&](const Record& r) { return r.owner < *owner; }) -
          previous.begin());
      denial.push_back(Record{std::move(*owner), RRType::kNsec3, denial_ttl, std::move(x.bitmap)});
      items.push_back(OwnerItem{kNone, denial.size() - 1});
      edits.push_back(PatchEdit{at, at, items.size() - 1, &denial.back().owner});
    }
  }
  // In the order of the previous zone; new owners before the owner they are inserted at, by name.
  std::sort(edits.begin(), edits.end(), [](const PatchEdit& a, const PatchEdit& b) {
    if (a.from != b.from) return a.from < b.from;
    if ((a.from == a.to) != (b.from == b.to)) return a.from == a.to;
    return a.from == a.to && *a.owner < *b.owner;
  });
  for (std::size_t i = 1; i < edits.size(); ++i) {
    if (edits[i - 1].to > edits[i].from) {
      why = "the changes overlap";
      return std::nullopt;
    }
  }

  // 3. Their signatures: reused where the previous zone's are good, made afresh otherwise.
  std::vector<SignatureJob> jobs;
  std::optional<std::span<const Record>> zonemd_rrset;
  for (const PatchEdit& edit : edits) {
    if (edit.item == kNone) continue;
    PreviousZone old(&previous, edit.from);
    result.stats.rrsets_signed += plan_owner(items[edit.item], groups, denial, signers, old, jobs, zonemd_rrset);
  }
  std::vector<Record> previous_apex;  // what the ZONEMD step reads of the previous zone
  if (zonemd_rrset) previous_apex.assign(previous.begin(), previous.begin() + static_cast<std::ptrdiff_t>(cx.previous_apex_end));
  result.stats.owners_rewritten = items.size();

  // 4. The previous zone's records move into their new places, on a thread of their own while the signatures are
  //    made, leaving room for the owners written afresh; these are then written into it.
  std::vector<SpliceEdit> splices;
  std::vector<std::size_t> written_at;  // per edit: where its owner goes in the patched zone
  std::ptrdiff_t shift = 0;
  for (const PatchEdit& edit : edits) {
    std::size_t room = 0;
    if (edit.item != kNone) {
      const OwnerItem& item = items[edit.item];
      room = item.jobs_end - item.jobs_begin + (item.denial != kNone ? 1 : 0);
      if (item.group != kNone) room += groups[item.group].records.size();
      result.stats.denial_records += item.denial != kNone;
    }
    written_at.push_back(static_cast<std::size_t>(static_cast<std::ptrdiff_t>(edit.from) + shift));
    shift += static_cast<std::ptrdiff_t>(room) - static_cast<std::ptrdiff_t>(edit.to - edit.from);
    splices.push_back(SpliceEdit{edit.from, edit.to, room});
  }
  {
    std::jthread mover([&] { splice(previous, splices); });
    run_jobs(jobs, signers.keys, policy, signers.now, apex, pool);
  }
  for (const SignatureJob& job : jobs) {
    if (job.reused) ++result.stats.signatures_reused;
    else ++result.stats.signatures_created;
  }
  std::vector<Record> scratch;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    if (edits[i].item != kNone) write_owner(items[edits[i].item], jobs, groups, denial, scratch, previous.data() + written_at[i]);
  }
  result.zone.mutable_records() = std::move(previous);
  if (zonemd_rrset) finish_zonemd(result, signers, policy, serial, &previous_apex, pool);
  return result;
}
}  // namespace

// ---- building blocks ---------------------------------------------------------------------------------------

void append_rrsig_header(std::string& out, const RrsigHeader& h) {
  put16(out, h.type_covered);
  out.push_back(static_cast<char>(h.algorithm));
  out.push_back(static_cast<char>(h.labels));
  put32(out, h.original_ttl);
  put32(out, h.expiration);
  put32(out, h.inception);
  put16(out, h.key_tag);
  out.append(h.signer.wire());
}

void append_signing_input(std::string& out, const RrsigHeader& header, std::span<const Record> rrset) {
  append_rrsig_header(out, header);
  for (const Record& r : rrset) {
    out.append(r.owner.wire());
    put16(out, dns::rrtype_code(r.type));
    put16(out, dns::kClassIn);
    put32(out, header.original_ttl);
    put16(out, static_cast<std::uint16_t>(r.rdata.size()));
    out.append(r.rdata);
  }
}

Record sign_rrset(std::span<const Record> rrset, const DnssecKey& key, std::uint32_t inception, std::uint32_t expiration) {
  const Record& first = rrset.front();
  RrsigHeader header{dns::rrtype_code(first.type), key.algorithm(), first.owner.rrsig_labels(),
                     first.ttl, expiration, inception, key.key_tag(), key.zone()};
  std::string input;
  append_signing_input(input, header, rrset);
  std::string rdata;
  append_rrsig_header(rdata, header);
  rdata += key.sign(input);
  return Record{first.owner, RRType::kRrsig, first.ttl, std::move(rdata)};
}

std::uint32_t signature_expiration(const SigningPolicy& policy, std::uint32_t now, const Name& owner, RRType type) {
  std::uint32_t jitter = std::min(policy.jitter, policy.signature_validity / 2);
  std::uint32_t offset = 0;
  if (jitter > 0) {
    // FNV-1a over owner and type: cheap, stable across runs and machines.
    std::uint64_t hash = 14695981039346656037ull;
    auto mix = [&](unsigned char c) {
      hash ^= c;
      hash *= 1099511628211ull;
    };
    for (char c : owner.wire()) mix(static_cast<unsigned char>(c));
    mix(static_cast<unsigned char>(dns::rrtype_code(type) >> 8));
    mix(static_cast<unsigned char>(dns::rrtype_code(type) & 0xff));
    offset = static_cast<std::uint32_t>(hash % (static_cast<std::uint64_t>(jitter) + 1));
  }
  return now + policy.signature_validity - offset;
}

// ---- sign_zone ---------------------------------------------------------------------------------------------

namespace {
SignResult sign(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                std::uint32_t now, const dns::Zone* previous_signed, std::vector<Record>* recycle,
                bool previous_canonical, dns::ThreadPool& pool);
}  // namespace

SignResult sign_zone(const dns::Zone& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool) {
  return sign_zone(dns::Zone(unsigned_zone), keys, policy, now, previous_signed, pool);
}

SignResult sign_zone(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, const dns::Zone* previous_signed, dns::ThreadPool& pool) {
  return sign(std::move(unsigned_zone), keys, policy, now, previous_signed, nullptr,
              previous_signed && previous_signed->is_canonical(), pool);
}

SignResult sign_zone(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                     std::uint32_t now, std::optional<dns::Zone>&& previous_signed, dns::ThreadPool& pool) {
  if (!previous_signed) return sign(std::move(unsigned_zone), keys, policy, now, nullptr, nullptr, false, pool);
  bool previous_canonical = previous_signed->is_canonical();  // before its records are taken over
  return sign(std::move(unsigned_zone), keys, policy, now, &*previous_signed, &previous_signed->mutable_records(),
              previous_canonical, pool);
}

namespace {

// sign_zone; `recycle`, when given, holds the records of `previous_signed`, which is patched, or whose memory
// is taken over for the signed zone once the reusable signatures are copied out. `previous_canonical`: the
// previous zone is known to be in canonical order (Zone::is_canonical), which then needs no check.
SignResult sign(dns::Zone&& unsigned_zone, std::span<const SigningKey> keys, const SigningPolicy& policy,
                std::uint32_t now, const dns::Zone* previous_signed, std::vector<Record>* recycle,
                bool previous_canonical, dns::ThreadPool& pool) {
  const Name apex = unsigned_zone.apex();
  const Record* soa_record = unsigned_zone.soa();
  if (!soa_record) throw std::invalid_argument(fmt::format("zone {} has no SOA record", apex.to_text()));
  // RFC 1035 §5.2: exactly one SOA record at the top of the zone.
  if (auto soas = std::count_if(unsigned_zone.records().begin(), unsigned_zone.records().end(),
                                [&](const Record& r) { return r.type == RRType::kSoa && r.owner == apex; });
      soas > 1) {
    throw std::invalid_argument(fmt::format("zone {} has {} SOA records at its apex; it must have one", apex.to_text(), soas));
  }
  auto soa = dns::rdata::parse_soa(soa_record->rdata);
  if (!soa) throw std::invalid_argument(fmt::format("zone {}: bad SOA: {}", apex.to_text(), soa.error()));
  // RFC 9077 §3: NSEC and NSEC3 TTL = min(SOA MINIMUM, SOA TTL).
  const std::uint32_t soa_ttl = soa_record->ttl;
  std::uint32_t denial_ttl = policy.nsec_ttl.value_or(std::min(soa->minimum, soa_ttl));
  std::uint32_t dnskey_ttl = policy.dnskey_ttl.value_or(soa_ttl);

  // Which keys sign what.
  Signers signers{keys, {}, {}, {}, apex, now, policy.refresh, {}};
  for (const SigningKey& k : keys) {
    signers.signature_size.push_back(k.key.algorithm() == dns::kAlgorithmRsaSha256 ? (k.key.bits() + 7) / 8 : 64);
  }
  std::vector<std::size_t>& key_signers = signers.key_signers;
  std::vector<std::size_t>& zone_signers = signers.zone_signers;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].key.zone() != apex) {
      throw std::invalid_argument(fmt::format("key {} belongs to {}, not to {}", keys[i].key.key_tag(),
                                              keys[i].key.zone().to_text(), apex.to_text()));
    }
    if (!keys[i].active) continue;
    if (keys[i].role != KeyRole::kZsk && keys[i].in_dnskey) key_signers.push_back(i);
    if (keys[i].role != KeyRole::kKsk) zone_signers.push_back(i);
  }
  if (key_signers.empty()) throw std::invalid_argument(fmt::format("zone {}: no active KSK or CSK", apex.to_text()));
  if (zone_signers.empty()) throw std::invalid_argument(fmt::format("zone {}: no active ZSK or CSK", apex.to_text()));
  // RFC 7344 §4.1 wants CDS and CDNSKEY signed by a key the parent's DS points to: the KSK. They are signed by the
  // ZSK as well, as the rest of the zone is: after a KSK swap the new KSK alone would leave a resolver that still
  // caches the old DNSKEY RRset (which the ZSK is in, and the new KSK is not) unable to validate a fresh CDS.
  std::set_union(key_signers.begin(), key_signers.end(), zone_signers.begin(), zone_signers.end(),
                 std::back_inserter(signers.cds_signers));

  // The apex's records as signed: the zone's own (without DNSSEC records) and those the signer makes.
  auto make_apex_records = [&](std::vector<Record> apex_records) {
    std::erase_if(apex_records, [&](const Record& r) { return is_dnssec_type_to_drop(r, apex); });
    for (const SigningKey& k : keys) {
      if (k.in_dnskey) apex_records.push_back(Record{apex, RRType::kDnskey, dnskey_ttl, k.key.dnskey_rdata()});
    }
    if (policy.cds_cdnskey) {
      // RFC 7344 §4: CDS/CDNSKEY name the key(s) the parent's DS should point to: every KSK or CSK in the DNSKEY
      // RRset, signing or not — a CSK pre-published in its rollover (its DS is asked for), and the old one until it
      // leaves the RRset (caches may hold a DNSKEY RRset that only it signs) — but for those `in_cds` leaves out.
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].role == KeyRole::kZsk || !keys[i].in_dnskey || !keys[i].in_cds) continue;
        auto ds = dns::ds_rdata(apex, keys[i].key.dnskey_rdata(), 2);
        apex_records.push_back(Record{apex, RRType::kCds, dnskey_ttl, std::move(*ds)});
        apex_records.push_back(Record{apex, RRType::kCdnskey, dnskey_ttl, keys[i].key.dnskey_rdata()});
      }
    }
    if (policy.denial == Denial::kNsec3) {
      // RFC 5155 §4: NSEC3PARAM flags 0.
      std::string rdata;
      rdata.push_back(static_cast<char>(kNsec3HashSha1));
      rdata.push_back('\0');
      put16(rdata, policy.nsec3_iterations);
      rdata.push_back(static_cast<char>(policy.nsec3_salt.size()));
      rdata += policy.nsec3_salt;
      apex_records.push_back(Record{apex, RRType::kNsec3param, denial_ttl, std::move(rdata)});
    }
    if (policy.zonemd) {
      // A placeholder with the right length; the digest is computed once everything else is signed (RFC 8976 §3).
      apex_records.push_back(Record{apex, RRType::kZonemd, soa_ttl,
                                    zonemd_rdata(soa->serial, kZonemdSchemeSimple, kZonemdHashSha384, std::string(48, '\0'))});
    }
    std::sort(apex_records.begin(), apex_records.end());
    apex_records.erase(std::unique(apex_records.begin(), apex_records.end(),
                                   [](const Record& a, const Record& b) { return same_rrset(a, b) && a.rdata == b.rdata; }),
                       apex_records.end());
    return apex_records;
  };
  // 1. The zone's own data, canonical, without DNSSEC records; the apex records (which sort first) apart, with
  //    those the signer makes.
  const bool data_canonical = unsigned_zone.is_canonical();  // before its records are taken
  std::vector<Record> records = std::move(unsigned_zone.mutable_records());
  std::string patch_refused;
  if (recycle) {
    // The previous signed zone patched where the zone changed, if it can be; the walk checks the order of both.
    std::size_t apex_count = 0;
    while (apex_count < records.size() && records[apex_count].owner == apex) ++apex_count;
    std::span<Record> data(records.data() + apex_count, records.size() - apex_count);
    std::span<const Record> own_apex(records.data(), apex_count);
    bool apex_canonical = std::adjacent_find(own_apex.begin(), own_apex.end(), [](const Record& a, const Record& b) {
                            return !(a < b && !(same_rrset(a, b) && (a.ttl != b.ttl || a.rdata == b.rdata)));
                          }) == own_apex.end();
    if (apex_count == 0 || !apex_canonical || !records.back().owner.is_at_or_below(apex)) {
      patch_refused = "the new zone is not in canonical order";
    } else {
      std::vector<Record> apex_records = make_apex_records(std::vector<Record>(own_apex.begin(), own_apex.end()));
      if (auto patched = patch_previous(apex, apex_records, data, data_canonical, *recycle, previous_canonical,
                                        signers, policy, denial_ttl, soa->serial, pool, patch_refused)) {
        // What is left of the new zone's records (those of the owners kept as they were) goes back to the
        // caller, who frees its input anyway.
        unsigned_zone.mutable_records() = std::move(records);
        return std::move(*patched);
      }
    }
  }
  if (!data_canonical && !is_canonical(records, pool)) {
    dns::Zone sorted(apex);
    sorted.mutable_records() = std::move(records);
    sorted.canonicalise();
    records = std::move(sorted.mutable_records());
  }
  // In canonical order every name at or below the apex lies between the apex and its last descendant: a record
  // outside sits at either end.
  for (const Record* r : {records.empty() ? nullptr : &records.front(), records.empty() ? nullptr : &records.back()}) {
    if (r && !r->owner.is_at_or_below(apex)) {
      throw std::invalid_argument(fmt::format("{} is outside zone {}", r->owner.to_text(), apex.to_text()));
    }
  }
  records.erase(std::remove_if(records.begin(), records.end(), [&](const Record& r) { return is_dnssec_type_to_drop(r, apex); }),
                records.end());
  std::size_t apex_count = 0;
  while (apex_count < records.size() && records[apex_count].owner == apex) ++apex_count;
  std::vector<Record> apex_records =
      make_apex_records(std::vector<Record>(std::make_move_iterator(records.begin()),
                                            std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(apex_count))));
  std::span<Record> below_apex(records.data() + apex_count, records.size() - apex_count);
  std::vector<OwnerGroup> groups;
  {
    const Name* cut = nullptr;
    append_owner_groups(apex_records, apex, cut, groups);
    append_owner_groups(below_apex, apex, cut, groups);
  }

  // 2. Denial of existence.
  SignResult result{dns::Zone(apex), {}};
  result.stats.rebuilt_because = std::move(patch_refused);
  std::vector<std::size_t> nsec_of;
  std::vector<Record> denial = policy.denial == Denial::kNsec ? make_nsec_chain(groups, apex, denial_ttl, nsec_of, pool)
                                                              : make_nsec3_chain(groups, apex, policy, denial_ttl, pool);
  result.stats.denial_records = denial.size();
  std::vector<OwnerItem> items = owner_items(groups, denial, nsec_of, apex, pool);

  // 3. Which RRsets get which signatures, owner by owner in canonical order; reuse what the previous zone has.
  std::vector<Record> previous_sorted;
  const std::vector<Record>* previous_records = nullptr;
  if (previous_signed) {
    previous_records = &previous_signed->records();
    if (!previous_canonical && !is_sorted(*previous_records, pool)) {
      previous_sorted = *previous_records;
      std::sort(previous_sorted.begin(), previous_sorted.end());
      previous_records = &previous_sorted;
    }
  }
  // Chunks of owners are planned at once, each walking the previous zone from its first owner on.
  std::size_t chunks = (items.size() + kOwnerChunk - 1) / kOwnerChunk;
  std::vector<std::vector<SignatureJob>> chunk_jobs(chunks);
  std::vector<std::size_t> chunk_rrsets(chunks, 0);
  std::optional<std::span<const Record>> zonemd_rrset;  // written by the one chunk holding the apex
  pool.parallel_for(chunks, 1, [&](std::size_t chunk_begin, std::size_t chunk_end) {
    for (std::size_t c = chunk_begin; c < chunk_end; ++c) {
      std::size_t first = c * kOwnerChunk;
      std::size_t last = std::min(items.size(), first + kOwnerChunk);
      const OwnerItem& head = items[first];
      PreviousZone previous(previous_records,
                            head.group != kNone ? &groups[head.group].owner() : &denial[head.denial].owner);
      for (std::size_t i = first; i < last; ++i) {
        chunk_rrsets[c] += plan_owner(items[i], groups, denial, signers, previous, chunk_jobs[c], zonemd_rrset);
      }
    }
  });
  // One list of jobs; each owner's range in it.
  std::vector<SignatureJob> jobs;
  {
    std::size_t total = 0;
    for (const auto& c : chunk_jobs) total += c.size();
    jobs.reserve(total);
    for (std::size_t c = 0; c < chunks; ++c) {
      std::size_t base = jobs.size();
      for (std::size_t i = c * kOwnerChunk; i < std::min(items.size(), (c + 1) * kOwnerChunk); ++i) {
        items[i].jobs_begin += base;
        items[i].jobs_end += base;
      }
      std::move(chunk_jobs[c].begin(), chunk_jobs[c].end(), std::back_inserter(jobs));
      result.stats.rrsets_signed += chunk_rrsets[c];
    }
    chunk_jobs.clear();
  }

  // 4. Sign, in parallel; each job writes only its own slot. Every owner's place in the signed zone is known
  //    already: the room for it is made meanwhile on a thread of its own (filling that much fresh memory is
  //    mostly page faults, which cost less wall time beside the signing than after it).
  std::vector<std::size_t> starts(items.size() + 1, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const OwnerItem& item = items[i];
    std::size_t count = item.jobs_end - item.jobs_begin + (item.denial != kNone ? 1 : 0);
    if (item.group != kNone) count += groups[item.group].records.size();
    starts[i + 1] = starts[i] + count;
  }
  std::vector<Record>& out = result.zone.mutable_records();
  std::vector<Record> previous_apex;  // what the ZONEMD step still reads of the previous zone
  if (recycle) {
    // The previous zone's memory is in use already (and faulted in): emptied on every thread, it holds the new
    // zone. Every reused signature was copied into its job above.
    if (previous_records) {
      for (const Record& r : *previous_records) {
        if (r.owner != apex) break;
        previous_apex.push_back(r);
      }
      previous_records = &previous_apex;
    }
    std::vector<Record> old = std::move(*recycle);
    dns::release_records(old, pool);
    out = std::move(old);
  }
  {
    std::jthread room([&out, size = starts.back()] { out.resize(size); });
    run_jobs(jobs, keys, policy, now, apex, pool);
  }
  for (const SignatureJob& job : jobs) {
    if (job.reused) ++result.stats.signatures_reused;
    else ++result.stats.signatures_created;
  }

  // 5. The signed zone, owner by owner: each owner's records by type, its RRSIGs (type 46) among them. Chunks of
  //    owners are written at once; the records move over, and an owner's RRSIGs are made before its records move
  //    (the jobs point at them).
  pool.parallel_for(items.size(), kOwnerChunk, [&](std::size_t begin, std::size_t end) {
    std::vector<Record> signatures;
    for (std::size_t n = begin; n < end; ++n) write_owner(items[n], jobs, groups, denial, signatures, out.data() + starts[n]);
  });
  jobs.clear();

  // 6. ZONEMD last: its digest covers every other record and signature (RFC 8976 §3.3.1).
  if (zonemd_rrset) finish_zonemd(result, signers, policy, soa->serial, previous_records, pool);
  return result;
}

}  // namespace

}  // namespace rdnsprov::signer
