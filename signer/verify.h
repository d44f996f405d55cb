// Independent verification of a signed zone: the check behind the `dnssec` gate (INCIDENTS.md I-8).
//
//   dns::ThreadPool pool;
//   signer::VerifyOptions options{.now = clock_now()};            // the clock is passed in, never read here
//   signer::VerifyResult result = signer::verify_signed_zone(zone, options, pool);
//   if (!result.ok) hold(zone.apex(), result.summary());           // result.problems names owner, type, reason
//
// It shares nothing with the signer but the dns/ value types and the ZONEMD digest (signer/zonemd.h; RFC 8976
// has one right answer, and the tests hold it to ldns-signzone's): keys come from the zone's own DNSKEY RRset
// (parsed here into OpenSSL public keys), every RRSIG is checked cryptographically (RFC 4034 §3.1.8.1), the
// validity window against `now`, the margin and the SOA EXPIRE interval (RFC 6781 §4.4.1), the NSEC chain
// (RFC 4034 §4, RFC 4035 §2.3) or the NSEC3 chain (RFC 5155 §7.1, opt-out included), and ZONEMD (RFC 8976,
// SIMPLE scheme, SHA-384 or SHA-512); the DNSKEY RRset, and CDS/CDNSKEY (RFC 7344 §4.1), must carry a valid
// signature by a key with the SEP flag when the zone has one. The zone need not be in canonical order; the output is deterministic
// whatever the order of the input and the number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/thread_pool.h"
#include "dns/zone.h"

namespace rdnsprov::signer {

struct VerifyOptions {
  std::uint32_t now = 0;                        // injected clock (unix seconds)
  std::uint32_t validity_margin = 3 * 86400;    // every signature must stay valid at least this long past now
  bool require_zonemd = false;                  // when true, a missing ZONEMD is a problem
  bool check_expire_interval = true;            // no signature expires before now + SOA EXPIRE (RFC 6781 §4.4.1)
  // RFC 4035 §2.2: every authoritative RRset is signed with at least one DNSKEY of each algorithm in the apex
  // DNSKEY RRset. Off: one valid signature per RRset is enough (what validators accept, RFC 6840 §5.11).
  bool require_every_algorithm = true;
  std::size_t max_problems = 100;               // stop listing after this many (all are counted)
  // DNSKEY rdata of keys that sign without being in the DNSKEY RRset (an algorithm rollover's first phase, RFC 6781
  // §4.1.4): their RRSIGs are checked against them, but count for no algorithm of the DNSKEY RRset and for no path
  // to the DNSKEY RRset.
  std::vector<std::string> unpublished_keys;
  // An RRSIG by a key that is neither in the DNSKEY RRset nor in unpublished_keys: true, it is counted in
  // VerifyResult::unchecked_signatures and otherwise passed over, as validators pass over it (RFC 4035 §5.3.1) —
  // for a zone signed elsewhere, whose signer may pre-publish signatures; false (the gate, whose signer said which
  // keys sign), a problem.
  bool allow_unknown_signers = false;
};

struct VerifyProblem {
  dns::Name owner;     // the name the problem is about (the apex for zone-wide problems)
  std::string type;    // record type mnemonic ("DS", "NSEC3"); empty when the problem is about the name itself
  std::string reason;  // operator terms: what is wrong and, where it helps, what was expected
};

struct VerifyResult {
  bool ok = false;
  std::vector<VerifyProblem> problems;  // the first max_problems, in canonical order of owner, then type
  std::size_t problem_count = 0;        // all problems, listed or not
  std::size_t signatures_checked = 0;   // RRSIGs whose signature was verified cryptographically
  std::size_t unchecked_signatures = 0;  // allow_unknown_signers: RRSIGs by keys the verifier does not have
  std::vector<std::string> unknown_signers;  // their keys: "49806 (RSASHA256)", ordered by key tag
  std::string denial;                   // "nsec", "nsec3" or "" when the zone has neither
  // One line for the gate's verdict and the journal.
  std::string summary() const;
};

// Problems in the zone are data (VerifyResult); only a failure of OpenSSL itself throws std::runtime_error.
VerifyResult verify_signed_zone(const dns::Zone& zone, const VerifyOptions& options, dns::ThreadPool& pool);

}  // namespace rdnsprov::signer
