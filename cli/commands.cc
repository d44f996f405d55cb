#include "cli/commands.h"

namespace rdnsprov::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> all{
      {"check", "read the configuration and every source, build in memory, print counts and rejects", run_check},
      {"build", "build every zone (unsigned) into --out DIR with summary.json and rejects.txt", run_build},
      {"diff", "dry run: what run would change, per zone, with every gate's verdict; writes nothing", run_diff},
      {"run", "the hourly run: lock, build, gate, snapshot, publish, journal", run_run},
      {"rebuild", "cold start from a verified snapshot (--from-snapshot ID [--publish])", run_rebuild},
      {"snapshots", "list | verify [ID] | show ID", run_snapshots},
      {"freeze", "stop every publication (--reason TEXT) until thaw", run_freeze},
      {"thaw", "end a freeze", run_thaw},
      {"sign", "sign a master file with a zone's keys and policy, verified (--zone --in --out)", run_sign},
      {"verify-zone", "verify a signed master file independently, as the dnssec gate does (--zone --in)", run_verify_zone},
      {"verify", "does every [verify] server serve every published zone as published (serial, DNSKEY, AXFR)", run_verify},
      {"keys", "DNSSEC keys of the signed zones: list | generate | import | status | ds-seen | ds-gone | rollover", run_keys},
      {"zonelets", "delegations exchanged with peer registries: import | export | show", run_zonelets},
  };
  return all;
}

}  // namespace rdnsprov::cli
