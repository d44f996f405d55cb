// StateDir: the state directory (DESIGN.md "The state directory"), its layout version and its files.
//
//   StateDir state = StateDir::open("/var/lib/rdnsprov", now);     // creates the layout on first use
//   std::optional<PublishedZone> z = state.published(apex);         // the last published copy, if any
//   state.write_published(apex, zone_text, meta);                   // atomic: zone first, then its metadata
//   state.journal().append({{"event", "publish"}, …});              // journal.jsonl, one JSON object per line
//
// The layout is versioned by STATE/FORMAT; a state directory written by a newer rdnsprov is refused. A state
// directory that is group- or world-writable is refused: whoever can write it can publish zones.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/dnssec.h"
#include "dns/name.h"
#include "safeguards/journal.h"

namespace rdnsprov::safeguards {

inline constexpr int kStateFormat = 1;
// How long an earlier version's TTLs are remembered past the moment caches let go of it (PublishedMeta::earlier_ttls):
// longer than any propagation delay a policy sets.
inline constexpr std::time_t kEarlierTtlsKept = 30 * 86400;

// A broken or unusable state directory: the message names the path.
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// published/<zone>.json
struct PublishedMeta {
  std::uint32_t serial = 0;
  std::uint64_t records = 0;
  std::uint64_t delegations = 0;
  std::string file_sha256;       // SHA-256 of the published master file's bytes
  std::string content_sha256;    // SHA-256 of the canonical records without the SOA serial: "same content"
  std::time_t published_at = 0;
  // A signed zone: when its first signature expires (dns::earliest_signature_expiration). Versions recorded
  // before this field existed, and unsigned zones, have none.
  std::optional<std::time_t> signatures_expire_at;
  // A signed zone: the DS records (SHA-256, "23192 13 2 451AC7…") of the keys that sign its DNSKEY RRset and are
  // believed to be those the parent's DS points to. Carried from publication to publication; the dnssec gate holds
  // a zone whose DNSKEY RRset none of them (nor a key whose DS the operator confirmed) would sign.
  std::optional<std::vector<std::string>> trusted_ds;
  // A signed zone: the TTLs of its DNSKEY RRset and of its largest signed RRset (dns::served_ttls). Versions
  // recorded before this field existed have none (their zone file says).
  std::optional<dns::ServedTtls> ttls;
  // Earlier versions whose TTLs were larger than a later one's (a TTL lowered), with when each was replaced:
  // resolvers may still cache their keys and signatures until replaced_at + TTL, and key rollovers wait for that,
  // not for the TTL configured now. Carried from publication to publication while they exceed the current TTLs,
  // and for kEarlierTtlsKept past replaced_at + TTL.
  //
  // A version that reached some targets but not all is not recorded as published (the next run publishes it
  // again), yet resolvers may cache what those targets serve: its TTLs join the published version's earlier_ttls
  // with `still_served`, counted in full until the next version is published everywhere, which replaces it then.
  struct EarlierTtls {
    dns::ServedTtls ttls;
    std::time_t replaced_at = 0;
    bool still_served = false;
  };
  std::vector<EarlierTtls> earlier_ttls;
  // A later version reached some targets but not all (not recorded as published): the highest such serial. The next
  // version's serial moves forward of it, so that secondaries that took it transfer the next one (I-4).
  std::optional<std::uint32_t> partly_published_serial;
  // That later version was signed under a clock the operator accepted (run --accept-clock) while this version's
  // publication lay ahead of the clock: when the clock was accepted and why. Until a version reaches every target,
  // the next runs sign under the same acceptance without the flag, as long as the clock has not gone back before
  // `at`; the metadata of a version published everywhere has none.
  struct AcceptedClock {
    std::time_t at = 0;
    std::string reason;
    bool operator==(const AcceptedClock&) const = default;
  };
  std::optional<AcceptedClock> accepted_clock;

  // The earlier_ttls of the version that replaces this one (whose TTLs are `next`) at `now`: this version's TTLs
  // when larger than `next` in either, and the earlier ones still larger and not long past (those still served are
  // replaced now).
  std::vector<EarlierTtls> earlier_ttls_after(const dns::ServedTtls& mine, const dns::ServedTtls& next,
                                              std::time_t now) const;

  nlohmann::json to_json() const;
  static PublishedMeta from_json(const nlohmann::json& j);  // throws nlohmann::json::exception on bad input
};

// What the state holds for one zone. `problem` is set when the files disagree (metadata without its zone file, a
// zone file whose bytes do not match the recorded digest, unreadable metadata): the zone is then rebuilt and
// republished, and the run reports it loudly (I-1). Whatever could be read is still returned, so that the next
// serial moves forward of every serial ever written.
struct PublishedZone {
  bool zone_file_present = false;
  std::string text;                      // the master file, when present
  std::optional<PublishedMeta> meta;     // the metadata, when present and readable
  std::string problem;                   // empty when zone file and metadata agree
  bool intact() const { return problem.empty() && zone_file_present && meta.has_value(); }
};

class StateDir {
 public:
  // Opens (and on first use creates) the state directory. Throws StateError.
  static StateDir open(const std::filesystem::path& root);
  // Opens for reading only (`diff`): creates nothing; a directory that does not exist yet reads as empty state.
  static StateDir open_read_only(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path published_dir() const { return root_ / "published"; }
  std::filesystem::path keys_dir() const { return root_ / "keys"; }
  std::filesystem::path zonelets_in_dir() const { return root_ / "zonelets" / "in"; }
  std::filesystem::path zonelets_out_dir() const { return root_ / "zonelets" / "out"; }
  std::filesystem::path snapshots_dir() const { return root_ / "snapshots"; }
  std::filesystem::path staging_dir() const { return root_ / "staging"; }
  std::filesystem::path lock_file() const { return root_ / "lock"; }
  std::filesystem::path freeze_file() const { return root_ / "freeze"; }
  std::filesystem::path journal_file() const { return root_ / "journal.jsonl"; }

  // File name of a zone: the apex without the trailing dot ("193.in-addr.arpa"). Names are validated hostnames,
  // so they never contain '/' or start with '.'.
  static std::string zone_file_stem(const dns::Name& apex) { return apex.to_text_no_dot(); }

  // The last published copy of a zone; nothing when neither its zone file nor its metadata exists.
  std::optional<PublishedZone> published(const dns::Name& apex) const;
  // Its metadata alone, without reading the zone file; nothing when there is none. Throws StateError when it cannot
  // be read.
  std::optional<PublishedMeta> published_meta(const dns::Name& apex) const;
  // Every zone with a published metadata file.
  std::vector<dns::Name> published_zones() const;
  void write_published(const dns::Name& apex, const std::string& text, const PublishedMeta& meta) const;
  // Rewrites the metadata of the published version alone (its zone file, and so its digest, unchanged).
  void write_published_meta(const dns::Name& apex, const PublishedMeta& meta) const;

  Journal& journal() { return journal_; }

 private:
  StateDir(std::filesystem::path root, Journal journal) : root_(std::move(root)), journal_(std::move(journal)) {}
  std::filesystem::path root_;
  Journal journal_;
};

}  // namespace rdnsprov::safeguards
