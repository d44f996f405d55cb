// Zone: one served zone — apex, SOA, apex NS and every other record, kept in canonical order.
//
//   Zone zone(apex);
//   zone.add({apex, RRType::kSoa, 3600, rdata::soa(soa)});
//   zone.add(...);
//   zone.canonicalise();                       // sort (RFC 4034 §6), merge duplicates
//   std::string text = to_master_file(zone);   // SOA first, then canonical order; same zone → same bytes
//
//   MasterFile parsed = read_master_file(text, apex);   // records + errors naming each line
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "dns/serial.h"
#include "dns/thread_pool.h"

namespace rdnsprov::dns {

class Zone {
 public:
  explicit Zone(Name apex) : apex_(std::move(apex)) {}

  const Name& apex() const { return apex_; }
  const std::vector<Record>& records() const { return records_; }
  // The records, to change: the zone no longer counts as canonical (is_canonical) until canonicalise() runs again.
  std::vector<Record>& mutable_records() {
    canonical_ = false;
    return records_;
  }
  void add(Record record) {
    canonical_ = false;
    records_.push_back(std::move(record));
  }
  void reserve(std::size_t n) { records_.reserve(n); }

  // Sorts into canonical order and merges identical records. Within an RRset the TTLs are made equal to the
  // smallest one (RFC 2181 §5.2). Returns the first `max_reported` RRsets where they differed, each as
  // "OWNER/TYPE has records of TTLs A to B", so that a reader of a file can say so.
  std::vector<std::string> canonicalise(std::size_t max_reported = 20);
  // True when the records are known to be canonical: canonicalise() ran and they have not been handed out for
  // change since. Lets a consumer (the signer) skip checking an order that is already guaranteed.
  bool is_canonical() const { return canonical_; }

  // The SOA record, or nothing when the zone has none.
  const Record* soa() const;
  std::optional<Serial> serial() const;
  // Rewrites the SOA serial (the zone must have an SOA).
  void set_serial(Serial serial);

  // Names below the apex that own NS records: the zone cuts. Requires canonical order.
  std::vector<Name> delegation_points() const;
  std::size_t delegation_count() const;

  // What no zone may hold, owner by owner, each naming the owner: a CNAME beside other data, or two CNAME records
  // (RFC 2181 §10.1); two DNAME records (RFC 6672 §2.4); a DNAME at a delegation point, or names below a DNAME,
  // which it occludes (RFC 6672 §2.3). RRSIG, NSEC and NSEC3 go with any data, and the NSEC3 owners below a DNAME
  // at the apex are the zone's own hashed names, not data it occludes. Requires canonical order.
  std::vector<std::string> owner_problems() const;

 private:
  Name apex_;
  std::vector<Record> records_;
  bool canonical_ = false;
};

// Frees the memory of the records' names and rdata on every thread of `pool` (a million records freed on one
// thread take a noticeable part of a second); the records stay, empty.
void release_records(std::vector<Record>& records, ThreadPool& pool);

// The zone as a master file: one record per line, absolute names, SOA first, then canonical order.
std::string to_master_file(const Zone& zone);
// The same bytes, formatted on every thread of `pool`.
std::string to_master_file(const Zone& zone, ThreadPool& pool);
// The same bytes in pieces, formatted on every thread of `pool`, for write_file_atomically (atomic_file.h)
// without one string the size of the whole file.
std::vector<std::string> master_file_pieces(const Zone& zone, ThreadPool& pool);

struct MasterFileError {
  std::uint64_t line = 0;
  std::string reason;
};
struct MasterFile {
  std::vector<Record> records;       // in file order
  std::vector<std::uint64_t> lines;  // the line each record starts on (same index as `records`)
  std::vector<MasterFileError> errors;
  std::size_t pieces = 1;            // how many pieces the file was read in at once (1: in one go)
};

// What a master file may hold.
//   kRegistry: the registry's zones, zonelets and published files — the types of kAllRRTypes (rrtype.h), no
//     wildcard, no quoted text, no escape: '*', '"' and '\\' are refused on the line.
//   kOperator: operators' own zones, given to `rdnsprov sign` and `verify-zone` — also wildcard names (RFC 4592),
//     '/' in names (RFC 2317's 0/26),
//     MX, TXT (quoted text with \X and \DDD escapes), SRV, DNAME, HINFO, RP, AFSDB, NAPTR, KX, SSHFP, DHCID, TLSA,
//     SMIMEA, OPENPGPKEY, SPF, URI and CAA, and any type in RFC 3597's generic form (TYPE65534 \# 2 abcd). Still
//     refused: meta and query types (0, OPT, 128-255), and the obsolete types whose rdata holds names signing must
//     lower-case (RFC 4034 §6.2: MINFO, MB, …), whose form rdnsprov does not read. $GENERATE lines are expanded as
//     BIND expands them (see sign --help).
enum class Dialect { kRegistry, kOperator };

// Reads a master file (RFC 1035 §5): $ORIGIN, $TTL, relative names, "@", omitted owner/TTL/class,
// parentheses over several lines, comments. The record types are those of `dialect` (above). $INCLUDE and
// $GENERATE are refused in the registry's dialect (a file read from outside must not reach other files). In the
// operator's, $GENERATE is expanded, and $INCLUDE reads the file it names, relative to the directory of `file`
// (the file `text` was read from; without one, $INCLUDE is refused); the records it reads are those of its line,
// and its errors are too, naming the included file and line. Every bad line becomes an error naming the line;
// the good lines are still returned.
MasterFile read_master_file(std::string_view text, const Name& origin, Dialect dialect = Dialect::kRegistry,
                            const std::filesystem::path& file = {});
// The same result, read on every thread of `pool`: a large file is cut at lines that start a record with its
// owner name, outside parentheses, and the pieces are read at once, each from the $ORIGIN and $TTL in force
// where it starts. A file with any bad line is read again in one go, so that its errors are exactly those of
// the sequential reading.
MasterFile read_master_file(std::string_view text, const Name& origin, ThreadPool& pool,
                            Dialect dialect = Dialect::kRegistry, const std::filesystem::path& file = {});

}  // namespace rdnsprov::dns
