// PowerDNS generic PostgreSQL backend (gpgsql) as a publication target: every zone is written into PowerDNS's own
// schema (domains, records, domainmetadata) through libpq, one transaction per zone.
//
//   PdnsGpgsqlSettings settings{"service=pdns", "NATIVE", "pdns_control --config-dir=/etc/powerdns"};
//   PdnsGpgsqlTarget target("pdns", settings);
//   target.publish(release);              // BEGIN; domains row; records replaced; metadata; COMMIT; cache purge
//   TargetReport report = target.finish(served);   // cache purges that failed, one line each
//
// PowerDNS reads the zone as it was before the transaction until COMMIT, and the whole new zone after it: a
// connection lost half-way (the database restarted, the backend terminated) leaves the previous zone served.
//
// Signed zones are published presigned (domainmetadata PRESIGNED = 1, and NSEC3PARAM for NSEC3 zones): PowerDNS
// serves the RRSIG, DNSKEY and DS rows as they are, and builds each NSEC/NSEC3 answer itself from the `ordername`
// column — the next name of the chain is the next ordername — then attaches the stored signature of the record it
// built. So `ordername` and `auth` must be exactly what PowerDNS's own rectify-zone would write (pdnsutil refuses to
// rectify a presigned zone), and every name of our chain must own a row, empty non-terminals included:
//   - auth: false for every record at or below a delegation point (the delegation's NS, glue), except the DS at the
//     delegation point itself; an empty non-terminal is authoritative when a name below it is, and when it is in
//     the NSEC3 chain (rectify-zone does the latter only without opt-out, which breaks opt-out proofs: see
//     docs/PUBLISHING.md);
//   - ordername, NSEC: the owner relative to the apex, labels in reverse order separated by spaces ("" for the
//     apex), for every name that owns an NSEC; NULL for glue and empty non-terminals;
//   - ordername, NSEC3: the base32hex hash of the owner (RFC 5155 §5) for every name whose hash is in the zone's
//     NSEC3 chain, empty non-terminals included; NULL for the NSEC3 records' own owners, glue, and (opt-out)
//     insecure delegations;
//   - A and AAAA below a delegation never carry an ordername.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "publisher/target.h"

namespace rdnsprov::publisher {

struct PdnsGpgsqlSettings {
  std::string conninfo;              // libpq connection string; passwords via PGPASSFILE or a service file
  std::string domain_type = "NATIVE";  // domains.type: NATIVE (replicated by the database) or MASTER (NOTIFY, AXFR)
  std::string pdns_control;          // command run as `<command> purge ZONE$` after each commit; empty: none
};

// One row of PowerDNS's `records` table. An empty non-terminal has no type, content or TTL.
struct PdnsRecordRow {
  std::string name;                     // lower case, no trailing dot
  std::optional<std::string> type;      // "NS", "DS", …; nothing for an empty non-terminal
  std::string content;                  // rdata text, names without trailing dot
  std::uint32_t ttl = 0;
  std::optional<std::string> ordername;
  bool auth = true;
};

// The denial-of-existence mode of a zone as PowerDNS must know it.
struct PdnsDenial {
  enum class Kind { kNone, kNsec, kNsec3 } kind = Kind::kNone;
  std::string nsec3param;  // domainmetadata NSEC3PARAM ("1 1 0 -": algorithm, flags, iterations, salt)
};

// The rows and metadata of one zone: every record, plus a row for every empty non-terminal, with `auth` and
// `ordername` as described above. Requires the zone in canonical order.
struct PdnsZoneRows {
  std::vector<PdnsRecordRow> rows;
  PdnsDenial denial;
};
PdnsZoneRows pdns_zone_rows(const dns::Zone& zone);

// The NSEC ordername of `owner` in the zone `apex`: "c b a" for a.b.c.APEX, "" for the apex.
std::string pdns_nsec_ordername(const dns::Name& owner, const dns::Name& apex);

class PdnsGpgsqlTarget : public Target {
 public:
  PdnsGpgsqlTarget(std::string name, PdnsGpgsqlSettings settings);
  ~PdnsGpgsqlTarget() override;

  // One transaction: the domains row (created or its type updated), every record of the zone deleted and the new
  // rows loaded with COPY, the DNSSEC metadata replaced. Throws TargetError naming the target, the zone and what
  // failed; the transaction is then rolled back (or died with the connection) and PowerDNS serves the previous zone.
  void publish(const ZoneRelease& zone) override;
  // The cache purges that failed after their commit, one problem each: PowerDNS may serve the previous zone from
  // its cache until the entries expire (cache-ttl).
  TargetReport finish(const std::vector<dns::Name>& served) override;

  // Rows written by the last publish(), and the milliseconds its transaction took (connection excluded).
  std::size_t last_rows() const { return last_rows_; }
  double last_milliseconds() const { return last_milliseconds_; }

 private:
  class Connection;
  PdnsGpgsqlSettings settings_;
  std::unique_ptr<Connection> connection_;
  std::vector<std::string> purge_problems_;
  std::size_t last_rows_ = 0;
  double last_milliseconds_ = 0;
};

}  // namespace rdnsprov::publisher
