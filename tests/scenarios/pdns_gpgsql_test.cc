// The pdns-gpgsql target against a real PostgreSQL holding PowerDNS's generic schema and a real pdns_server
// (launch=gpgsql) reading it: what `rdnsprov run` publishes is what PowerDNS answers — delegations, DS, RFC 2317
// CNAMEs, the new serial after a second run, presigned NSEC and NSEC3 proofs a validating resolver (Unbound)
// accepts — and a connection lost in the middle of a zone's transaction leaves the previous zone served (I-4: never
// an incomplete zone), exits 6 with a journal line naming the target, and the next run catches up.
#include <chrono>
#include <future>
#include <thread>

#include "dns/zone.h"
#include "publisher/pdns_gpgsql.h"
#include "tests/scenarios/scenario.h"
#include "tests/support/postgres_server.h"

namespace rdnsprov::scenarios {
namespace {

using testing::ChildProcess;
using testing::PostgresServer;

const fs::path kSchema = "/usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql";

// What the PowerDNS tests wait for; empty when everything is installed.
std::string missing_pdns() {
  std::string missing = testing::missing_programs({"pdns_server", "pdns_control", "dig"});
  for (const fs::path& file : {kSchema, fs::path("/usr/lib/x86_64-linux-gnu/pdns/libgpgsqlbackend.so")}) {
    std::string absent = testing::missing_file(file.string(), "pdns-backend-pgsql");
    if (!absent.empty()) missing += (missing.empty() ? "" : ", ") + absent;
  }
  return missing;
}

#define SKIP_WITHOUT_PDNS() RDNSPROV_SKIP_UNLESS_PRESENT(missing_pdns())

// A database with PowerDNS's schema, as shipped in pdns-backend-pgsql.
void load_schema(const PostgresServer& pg, const std::string& db) {
  pg.create_database(db);
  pg.psql(read_text(kSchema), db);
}

// pdns_server on 127.0.0.1 and a free port, reading the database `db` of `pg`; its config is written here.
class PdnsServer {
 public:
  PdnsServer(const PostgresServer& pg, const std::string& db) {
    port_ = testing::free_port();
    std::string conf = fmt::format(
        "launch=gpgsql\n"
        "gpgsql-host={}\ngpgsql-port={}\ngpgsql-dbname={}\ngpgsql-user=postgres\ngpgsql-dnssec=yes\n"
        "local-address=127.0.0.1\nlocal-port={}\nsocket-dir={}\n"
        "guardian=no\ndaemon=no\nwrite-pid=no\ndisable-syslog=yes\nloglevel=4\n"
        // New zones are seen at once (no zone cache); answers stay cached until rdnsprov purges them.
        "zone-cache-refresh-interval=0\ncache-ttl=600\nnegquery-cache-ttl=600\nquery-cache-ttl=600\n"
        "consistent-backends=yes\n",
        pg.socket_dir().string(), pg.port(), db, port_, dir_.path().string());
    write_text(dir_ / "pdns.conf", conf);
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{"pdns_server", "--config-dir=" + dir_.path().string()},
                                             CommandOptions{}, dir_ / "pdns.log");
    if (!testing::wait_for_tcp(port_, std::chrono::seconds(60))) {
      throw std::runtime_error("pdns_server did not start: " + read_text(dir_ / "pdns.log"));
    }
  }
  int port() const { return port_; }
  std::string control_command() const { return "pdns_control --config-dir=" + dir_.path().string(); }
  std::string log() const { return read_text(dir_ / "pdns.log"); }

  // dig against this server: +norec, the given extra options, and the sections asked for.
  CommandResult dig(const std::string& name, const std::string& type, const std::vector<std::string>& options = {}) const {
    std::vector<std::string> argv{"dig", "@127.0.0.1", "-p", std::to_string(port_), "+norec", "+time=5", "+tries=3",
                                  name, type};
    argv.insert(argv.end(), options.begin(), options.end());
    return testing::run_command(argv);
  }
  std::optional<std::uint32_t> serial(const std::string& zone) const {
    CommandResult r = dig(zone, "SOA", {"+short"});
    std::istringstream in(r.output);
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    if (r.exit_code != 0 || f.size() < 3) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(f[2]));
  }

 private:
  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

std::string target_section(const PostgresServer& pg, const std::string& db, const PdnsServer& pdns,
                           const std::string& extra_lines = "") {
  return fmt::format("[target.pdns]\ntype = pdns-gpgsql\nconninfo = {}\npdns-control = {}\n{}\n", pg.conninfo(db),
                     pdns.control_command(), extra_lines);
}

// Lines of a dig answer section (+noall +answer / +authority) as "owner type rdata…" without TTL and class.
std::vector<std::string> rr_lines(const std::string& output) {
  std::vector<std::string> out;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == ';') continue;
    std::istringstream f(line);
    std::string owner, ttl, cls, type, rest;
    f >> owner >> ttl >> cls >> type;
    std::getline(f, rest);
    rest.erase(0, rest.find_first_not_of(" \t"));
    out.push_back(owner + " " + type + "\t" + rest);
  }
  return out;
}

bool any_contains(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

std::vector<DomainObject> unsigned_objects() {
  std::vector<DomainObject> objects = slash24_delegations(193, 300);
  objects.push_back({"0-63.200.1.193.in-addr.arpa", {"ns1.customer.example", "ns2.customer.example"}, {}});
  // Glue: a nameserver inside the child it serves.
  objects.push_back({"100.2.193.in-addr.arpa", {"ns1.100.2.193.in-addr.arpa 192.0.2.53", "ns2.isp0.example"}, {}});
  return objects;
}

TEST(PdnsGpgsql, RunPublishesAZonePowerDnsServesAndASecondRunIsServedAfterThePurge) {
  SKIP_WITHOUT_PDNS();
  PostgresServer pg;
  load_schema(pg, "pdns");
  PdnsServer pdns(pg, "pdns");
  Scenario s({"193.in-addr.arpa"});
  s.extra_sections = target_section(pg, "pdns", pdns);
  s.write_config();
  std::vector<DomainObject> objects = unsigned_objects();
  s.write_dump(objects);

  CommandResult r = s.rdnsprov({"run"}, kT0);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::uint32_t serial1 = s.published_serial("193.in-addr.arpa");
  EXPECT_EQ(pdns.serial("193.in-addr.arpa"), serial1) << pdns.log();
  EXPECT_EQ(pg.psql("SELECT type FROM domains WHERE name = '193.in-addr.arpa'", "pdns"), "NATIVE\n");
  // No DNSSEC metadata for an unsigned zone, and no ordername.
  EXPECT_EQ(pg.psql("SELECT count(*) FROM domainmetadata", "pdns"), "0\n");
  EXPECT_EQ(pg.psql("SELECT count(*) FROM records WHERE ordername IS NOT NULL", "pdns"), "0\n");

  // A delegation: the referral carries its NS; its DS is answered by the parent.
  auto ns = rr_lines(pdns.dig("5.0.193.in-addr.arpa", "NS", {"+noall", "+authority"}).output);
  EXPECT_TRUE(any_contains(ns, "5.0.193.in-addr.arpa. NS\tns1.isp5.example.")) << ::testing::PrintToString(ns);
  auto ds = rr_lines(pdns.dig("0.0.193.in-addr.arpa", "DS", {"+noall", "+answer"}).output);
  ASSERT_EQ(ds.size(), 1u) << ::testing::PrintToString(ds);
  EXPECT_NE(ds[0].find("DS\t1000 13 2 "), std::string::npos) << ds[0];
  // RFC 2317: 5.200.1.193.in-addr.arpa is a CNAME into the range's zone.
  auto cname = rr_lines(pdns.dig("5.200.1.193.in-addr.arpa", "PTR", {"+noall", "+answer"}).output);
  EXPECT_TRUE(any_contains(cname, "5.200.1.193.in-addr.arpa. CNAME\t5.0-63.200.1.193.in-addr.arpa."))
      << ::testing::PrintToString(cname);
  // Glue is served with the referral, and its row is not authoritative; nor is the delegation's NS; the DS is.
  auto glue = rr_lines(pdns.dig("x.100.2.193.in-addr.arpa", "PTR", {"+noall", "+additional"}).output);
  EXPECT_TRUE(any_contains(glue, "ns1.100.2.193.in-addr.arpa. A\t192.0.2.53")) << ::testing::PrintToString(glue);
  EXPECT_EQ(pg.psql("SELECT type || ' ' || auth FROM records WHERE name = 'ns1.100.2.193.in-addr.arpa'", "pdns"),
            "A false\n");
  EXPECT_EQ(pg.psql("SELECT string_agg(DISTINCT type || ' ' || auth, ',') FROM records WHERE name = '0.0.193.in-addr.arpa'",
                    "pdns"),
            "DS true,NS false\n");
  // Empty non-terminals have their own rows (0.193.in-addr.arpa owns nothing itself).
  EXPECT_EQ(pg.psql("SELECT count(*) FROM records WHERE name = '0.193.in-addr.arpa' AND type IS NULL", "pdns"), "1\n");
  auto ent = pdns.dig("0.193.in-addr.arpa", "PTR", {"+noall", "+comments"});
  EXPECT_NE(ent.output.find("status: NOERROR"), std::string::npos) << ent.output;

  // Second run: one delegation removed, one added, one changed. PowerDNS had them cached; the purge makes the new
  // data visible at once (cache-ttl = 600 in this server's configuration).
  remove_object(objects, "5.0.193.in-addr.arpa");
  objects.push_back({"44.3.193.in-addr.arpa", {"ns1.new.example", "ns2.new.example"}, {}});
  find_object(objects, "6.0.193.in-addr.arpa")->nservers = {"ns1.moved.example", "ns2.moved.example"};
  s.write_dump(objects);
  s.extra_sections = target_section(pg, "pdns", pdns, "domain-type = MASTER\n");
  s.write_config();
  r = s.rdnsprov({"run"}, kT0 + kHour);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(pg.psql("SELECT type FROM domains WHERE name = '193.in-addr.arpa'", "pdns"), "MASTER\n");
  std::uint32_t serial2 = s.published_serial("193.in-addr.arpa");
  ASSERT_TRUE(serial_after(serial2, serial1));
  EXPECT_EQ(pdns.serial("193.in-addr.arpa"), serial2) << pdns.log();
  auto gone = pdns.dig("5.0.193.in-addr.arpa", "NS", {"+noall", "+comments"});
  EXPECT_NE(gone.output.find("status: NXDOMAIN"), std::string::npos) << gone.output;
  EXPECT_TRUE(any_contains(rr_lines(pdns.dig("44.3.193.in-addr.arpa", "NS", {"+noall", "+authority"}).output),
                           "NS\tns1.new.example."));
  EXPECT_TRUE(any_contains(rr_lines(pdns.dig("6.0.193.in-addr.arpa", "NS", {"+noall", "+authority"}).output),
                           "NS\tns1.moved.example."));
  // The database holds exactly the published zone: one row per record plus the empty non-terminals.
  std::string published = read_text(s.published_file("193.in-addr.arpa"));
  std::size_t records = static_cast<std::size_t>(std::count(published.begin(), published.end(), '\n'));
  std::size_t rows = std::stoul(pg.psql("SELECT count(*) FROM records WHERE type IS NOT NULL", "pdns"));
  EXPECT_EQ(rows, records);
}

// /48 delegations below the /32 zone 0.0.0.0.2.0.a.2.ip6.arpa: four nibbles each, so the zone is mostly empty
// non-terminals; every third one has a DS.
std::vector<DomainObject> ip6_objects(std::size_t count) {
  std::vector<DomainObject> out;
  for (std::size_t i = 0; i < count; ++i) {
    std::string nibbles = fmt::format("{:04x}", i * 37 % 65536);
    DomainObject o;
    o.domain = fmt::format("{}.{}.{}.{}.0.0.0.0.2.0.a.2.ip6.arpa", nibbles[3], nibbles[2], nibbles[1], nibbles[0]);
    o.nservers = {fmt::format("ns1.isp{}.example", i % 5), fmt::format("ns2.isp{}.example", i % 5)};
    if (i % 3 == 0) o.ds = {fmt::format("{} 13 2 {}", 2000 + i, dns::to_hex(dns::sha256(o.domain), false))};
    out.push_back(std::move(o));
  }
  return out;
}

// Unbound as a validating resolver for `zones`, each reached through a stub to `auth_port`, its trust anchor the DS
// of the zone's KSK as published.
class ValidatingResolver {
 public:
  ValidatingResolver(const std::vector<std::pair<std::string, std::string>>& zone_anchors, int auth_port) {
    port_ = testing::free_port();
    std::string conf = fmt::format(
        "server:\n  interface: 127.0.0.1\n  port: {}\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n"
        "  directory: \"{}\"\n  pidfile: \"{}/unbound.pid\"\n  use-syslog: no\n  logfile: \"\"\n"
        "  do-not-query-localhost: no\n  module-config: \"validator iterator\"\n  val-log-level: 2\n",
        port_, dir_.path().string(), dir_.path().string());
    for (const auto& [zone, anchor] : zone_anchors) {
      conf += fmt::format("  trust-anchor: \"{}\"\n  local-zone: \"{}.\" nodefault\n", anchor, zone);
    }
    for (const auto& [zone, anchor] : zone_anchors) {
      conf += fmt::format("stub-zone:\n  name: \"{}\"\n  stub-addr: 127.0.0.1@{}\n", zone, auth_port);
    }
    write_text(dir_ / "unbound.conf", conf);
    server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"unbound", "-d", "-c", (dir_ / "unbound.conf").string()}, CommandOptions{},
        dir_ / "unbound.log");
    if (!testing::wait_for_tcp(port_, std::chrono::seconds(60))) {
      throw std::runtime_error("unbound did not start: " + read_text(dir_ / "unbound.log"));
    }
  }
  CommandResult dig(const std::string& name, const std::string& type) const {
    return testing::run_command({"dig", "@127.0.0.1", "-p", std::to_string(port_), "+dnssec", "+time=10", "+tries=2",
                                 name, type});
  }
  std::string log() const { return read_text(dir_ / "unbound.log"); }

 private:
  testing::TempDir dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

// The DS (SHA-256) of the KSK in a published signed master file.
std::string ksk_ds(const fs::path& zone_file, const std::string& zone) {
  CommandResult r = testing::run_command({"dnssec-dsfromkey", "-2", "-f", zone_file.string(), zone});
  EXPECT_EQ(r.exit_code, 0) << r.all();
  std::string line = r.output.substr(0, r.output.find('\n'));
  return line;
}

bool has_flag(const std::string& dig_output, const std::string& flag) {
  std::size_t at = dig_output.find(";; flags:");
  if (at == std::string::npos) return false;
  std::string flags = dig_output.substr(at, dig_output.find(';', at + 9) - at);
  return flags.find(" " + flag) != std::string::npos;
}

TEST(PdnsGpgsql, PresignedNsecAndNsec3ZonesGiveProofsThatAValidatingResolverAccepts) {
  SKIP_WITHOUT_PDNS();
  RDNSPROV_SKIP_UNLESS_PRESENT(testing::missing_programs({"unbound", "dnssec-dsfromkey"}));
  PostgresServer pg;
  load_schema(pg, "pdns");
  PdnsServer pdns(pg, "pdns");
  const std::string v4 = "193.in-addr.arpa", v6 = "0.0.0.0.2.0.a.2.ip6.arpa", optout = "194.in-addr.arpa";
  Scenario s({v4, v6, optout});
  s.zone_settings[v4] = "dnssec-policy = nsec";
  s.zone_settings[v6] = "dnssec-policy = nsec3";
  s.zone_settings[optout] = "dnssec-policy = optout";
  s.extra_sections = target_section(pg, "pdns", pdns) +
                     "[policy.nsec]\n\n[policy.nsec3]\ndenial = nsec3\n\n"
                     "[policy.optout]\ndenial = nsec3\nnsec3-opt-out = yes\nnsec3-salt = beef\nnsec3-iterations = 1\n\n";
  s.write_config();
  std::vector<DomainObject> objects = concat({unsigned_objects(), ip6_objects(60), slash24_delegations(194, 100)});
  s.write_dump(objects);
  // Signatures are made for the real clock here: the resolver checks them against it.
  std::time_t now = std::time(nullptr);
  CommandResult r = s.rdnsprov({"run"}, now);
  ASSERT_EQ(r.exit_code, 0) << r.all();

  EXPECT_EQ(pg.psql("SELECT d.name || ' ' || m.kind || ' ' || m.content FROM domainmetadata m JOIN domains d ON "
                    "d.id = m.domain_id ORDER BY 1",
                    "pdns"),
            "0.0.0.0.2.0.a.2.ip6.arpa NSEC3PARAM 1 0 0 -\n0.0.0.0.2.0.a.2.ip6.arpa PRESIGNED 1\n"
            "193.in-addr.arpa PRESIGNED 1\n194.in-addr.arpa NSEC3PARAM 1 1 1 beef\n194.in-addr.arpa PRESIGNED 1\n");

  for (const std::string& zone : {v4, v6, optout}) {
    EXPECT_EQ(pdns.serial(zone), s.published_serial(zone)) << zone;
    // The proofs are there (PowerDNS builds them from ordername and attaches our signatures).
    CommandResult nx = pdns.dig("nonexistent." + zone, "PTR", {"+dnssec", "+noall", "+comments", "+authority"});
    EXPECT_NE(nx.output.find("status: NXDOMAIN"), std::string::npos) << nx.output;
    std::string denial = zone == v4 ? "NSEC" : "NSEC3";
    auto lines = rr_lines(nx.output);
    EXPECT_TRUE(any_contains(lines, " " + denial + "\t")) << nx.output;
    EXPECT_TRUE(any_contains(lines, " RRSIG\t" + denial + " ")) << nx.output;
  }

  std::vector<std::pair<std::string, std::string>> anchors;
  for (const std::string& zone : {v4, v6, optout}) anchors.emplace_back(zone, ksk_ds(s.published_file(zone), zone));
  ValidatingResolver unbound(anchors, pdns.port());
  struct Case {
    std::string name, type, status;
    bool answer;
  };
  std::vector<Case> cases{
      {"0.0.193.in-addr.arpa", "DS", "NOERROR", true},           // a secure delegation's DS
      {"1.0.193.in-addr.arpa", "DS", "NOERROR", false},          // an insecure delegation: no DS, proven
      {"nonexistent.193.in-addr.arpa", "PTR", "NXDOMAIN", false},
      {"77.200.1.193.in-addr.arpa", "PTR", "NXDOMAIN", false},
      {"5.200.1.193.in-addr.arpa", "CNAME", "NOERROR", true},    // RFC 2317
      {"0.193.in-addr.arpa", "PTR", "NOERROR", false},           // an empty non-terminal
      {"0.0.0.0.0.0.0.0.2.0.a.2.ip6.arpa", "DS", "NOERROR", true},
      {"0.0.0.0.0.0.0.2.0.a.2.ip6.arpa", "DS", "NOERROR", false},  // an empty non-terminal
      {"f.f.f.f.0.0.0.0.2.0.a.2.ip6.arpa", "PTR", "NXDOMAIN", false},
      {"0.0.0.0.2.0.a.2.ip6.arpa", "DNSKEY", "NOERROR", true},
      {"0.0.194.in-addr.arpa", "DS", "NOERROR", true},
      {"1.0.194.in-addr.arpa", "DS", "NOERROR", false},          // opt-out: proven by the covering NSEC3
      {"nonexistent.194.in-addr.arpa", "PTR", "NXDOMAIN", false},
      {"0.194.in-addr.arpa", "PTR", "NOERROR", false},
  };
  for (const Case& c : cases) {
    CommandResult q = unbound.dig(c.name, c.type);
    EXPECT_NE(q.output.find("status: " + c.status), std::string::npos) << c.name << " " << c.type << "\n" << q.output;
    // Opt-out proves only that no signed name exists (RFC 5155 §6, §9.2): below an opt-out NSEC3 the absence of a
    // DS, and of a name, is not authenticated, so no AD there — but never SERVFAIL.
    bool expect_ad = !(c.name == "1.0.194.in-addr.arpa" || c.name == "nonexistent.194.in-addr.arpa");
    EXPECT_EQ(has_flag(q.output, "ad"), expect_ad) << c.name << " " << c.type << "\n" << q.output;
    bool has_answer = q.output.find(";; ANSWER SECTION:") != std::string::npos;
    EXPECT_EQ(has_answer, c.answer) << c.name << " " << c.type << "\n" << q.output;
  }
}

// Polls `sql` (one value) until it returns something other than "" / "0"; the value, or "" after `timeout`.
std::string wait_for_value(const PostgresServer& pg, const std::string& sql, const std::string& db,
                           std::chrono::seconds timeout = std::chrono::seconds(120)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string v = pg.psql(sql, db);
    while (!v.empty() && v.back() == '\n') v.pop_back();
    if (!v.empty() && v != "0") return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

TEST(PdnsGpgsql, AConnectionLostMidTransactionLeavesThePreviousZoneServedAndTheNextRunCatchesUp) {
  SKIP_WITHOUT_PDNS();
  PostgresServer pg;
  load_schema(pg, "pdns");
  PdnsServer pdns(pg, "pdns");
  const std::string zone = "193.in-addr.arpa";
  Scenario s({zone});
  s.extra_sections = target_section(pg, "pdns", pdns);
  s.write_config();
  std::vector<DomainObject> objects = slash24_delegations(193, 65536);  // every /24 of 193.0.0.0/8
  s.write_dump(objects);
  auto started = std::chrono::steady_clock::now();
  CommandResult r = s.rdnsprov({"run"}, kT0);
  double run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::uint32_t serial1 = s.published_serial(zone);
  ASSERT_EQ(pdns.serial(zone), serial1) << pdns.log();
  const std::string count_sql = "SELECT count(*) FROM records r JOIN domains d ON d.id = r.domain_id WHERE d.name = '" + zone + "'";
  const std::string rows1 = pg.psql(count_sql, "pdns");
  std::cout << "first run of a " << objects.size() << "-delegation zone with the pdns-gpgsql target: " << run_seconds
            << " s, " << rows1;

  // The next run's transaction is held just before its end: another session holds a SHARE lock on domainmetadata
  // (PowerDNS's reads go on; the run's DELETE of the zone's metadata waits), and is then terminated.
  remove_object(objects, "5.0.193.in-addr.arpa");
  find_object(objects, "6.0.193.in-addr.arpa")->nservers = {"ns1.moved.example", "ns2.moved.example"};
  s.write_dump(objects);
  ChildProcess lock_holder({"psql", "-X", "-q", "-h", pg.socket_dir().string(), "-p", std::to_string(pg.port()), "-U",
                            "postgres", "-d", "pdns", "-c",
                            "BEGIN; LOCK TABLE domainmetadata IN SHARE MODE; SELECT pg_sleep(600);"});
  ASSERT_EQ(wait_for_value(pg,
                           "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = "
                           "'domainmetadata' AND l.mode = 'ShareLock' AND l.granted",
                           "pdns"),
            "1");
  auto second = std::async(std::launch::async, [&] { return s.rdnsprov({"run"}, kT0 + kHour); });
  std::string writer = wait_for_value(
      pg, "SELECT pid FROM pg_stat_activity WHERE application_name = 'rdnsprov target pdns' AND wait_event_type = 'Lock'",
      "pdns");
  ASSERT_FALSE(writer.empty()) << "the run's transaction never waited on the lock";
  // Half-way through the transaction (records deleted and reloaded, not committed): PowerDNS serves the previous
  // zone, whole.
  EXPECT_EQ(pdns.serial(zone), serial1);
  EXPECT_EQ(pg.psql(count_sql, "pdns"), rows1);
  ASSERT_EQ(pg.psql("SELECT pg_terminate_backend(" + writer + ")", "pdns"), "t\n");
  CommandResult killed = second.get();
  // The lock holder's backend sleeps on even when psql is gone: end it, so that the next run can take the lock.
  pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> "
          "pg_backend_pid()",
          "pdns");
  lock_holder.stop();
  EXPECT_EQ(killed.exit_code, 6) << killed.all();
  EXPECT_NE(killed.all().find("target pdns: zone 193.in-addr.arpa."), std::string::npos) << killed.all();
  std::vector<json> errors = events_of(s.journal(), "target-error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].value("target", ""), "pdns");
  EXPECT_EQ(errors[0].value("zone", ""), zone + ".");
  EXPECT_EQ(s.published_serial(zone), serial1) << "the state must not claim what did not reach the target";

  // After the failure, with the caches purged: still the previous zone, whole.
  ASSERT_EQ(testing::run_command({"sh", "-c", pdns.control_command() + " purge"}).exit_code, 0);
  EXPECT_EQ(pdns.serial(zone), serial1);
  EXPECT_EQ(pg.psql(count_sql, "pdns"), rows1);
  EXPECT_TRUE(any_contains(rr_lines(pdns.dig("5.0.193.in-addr.arpa", "NS", {"+noall", "+authority"}).output),
                           "NS\tns1.isp5.example."));

  // The next run catches up.
  r = s.rdnsprov({"run"}, kT0 + 2 * kHour);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  std::uint32_t serial3 = s.published_serial(zone);
  EXPECT_TRUE(serial_after(serial3, serial1));
  EXPECT_EQ(pdns.serial(zone), serial3);
  auto gone = pdns.dig("5.0.193.in-addr.arpa", "NS", {"+noall", "+comments"});
  EXPECT_NE(gone.output.find("status: NXDOMAIN"), std::string::npos) << gone.output;
  EXPECT_TRUE(any_contains(rr_lines(pdns.dig("6.0.193.in-addr.arpa", "NS", {"+noall", "+authority"}).output),
                           "NS\tns1.moved.example."));

  // The bulk load alone, through the library: the same zone written again in one transaction.
  std::string text = read_text(s.published_file(zone));
  dns::Name apex = *dns::Name::from_text(zone);
  dns::MasterFile parsed = dns::read_master_file(text, apex);
  ASSERT_TRUE(parsed.errors.empty());
  dns::Zone candidate(apex);
  for (auto& record : parsed.records) candidate.add(std::move(record));
  candidate.canonicalise();
  publisher::PdnsGpgsqlTarget target("pdns", publisher::PdnsGpgsqlSettings{pg.conninfo("pdns"), "NATIVE", ""});
  target.publish(publisher::ZoneRelease{apex, text, candidate, serial3, false});
  std::string rows3 = pg.psql(count_sql, "pdns");
  EXPECT_EQ(std::to_string(target.last_rows()) + "\n", rows3);
  std::cout << "one transaction replacing " << target.last_rows() << " rows: " << target.last_milliseconds() << " ms\n";
  EXPECT_EQ(pdns.serial(zone), serial3);
}

TEST(PdnsGpgsql, RowsCarryAuthAndOrdernameAsRectifyZoneSetsThem) {
  dns::Name apex = *dns::Name::from_text("193.in-addr.arpa");
  dns::MasterFile parsed = dns::read_master_file(
      "193.in-addr.arpa. 3600 IN SOA ns0.example. hostmaster.example. 7 3600 600 1209600 3600\n"
      "193.in-addr.arpa. 3600 IN NS ns0.example.\n"
      "193.in-addr.arpa. 3600 IN NSEC 5.0.193.in-addr.arpa. NS SOA RRSIG NSEC\n"
      "5.0.193.in-addr.arpa. 3600 IN NS ns1.5.0.193.in-addr.arpa.\n"
      "5.0.193.in-addr.arpa. 3600 IN DS 1000 13 2 AABBCCDD\n"
      "5.0.193.in-addr.arpa. 3600 IN NSEC 193.in-addr.arpa. NS DS RRSIG NSEC\n"
      "ns1.5.0.193.in-addr.arpa. 3600 IN A 192.0.2.1\n",
      apex);
  ASSERT_TRUE(parsed.errors.empty());
  dns::Zone zone(apex);
  for (auto& record : parsed.records) zone.add(std::move(record));
  zone.canonicalise();
  publisher::PdnsZoneRows rows = publisher::pdns_zone_rows(zone);
  EXPECT_EQ(rows.denial.kind, publisher::PdnsDenial::Kind::kNsec);
  std::vector<std::string> got;
  for (const auto& row : rows.rows) {
    got.push_back(fmt::format("{} {} [{}] {} {}", row.name, row.type.value_or("NULL"), row.content,
                              row.ordername ? "'" + *row.ordername + "'" : "NULL", row.auth ? "t" : "f"));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "193.in-addr.arpa NS [ns0.example] '' t",
                     "193.in-addr.arpa SOA [ns0.example hostmaster.example 7 3600 600 1209600 3600] '' t",
                     "193.in-addr.arpa NSEC [5.0.193.in-addr.arpa NS SOA RRSIG NSEC] '' t",
                     "5.0.193.in-addr.arpa NS [ns1.5.0.193.in-addr.arpa] '0 5' f",
                     "5.0.193.in-addr.arpa DS [1000 13 2 AABBCCDD] '0 5' t",
                     "5.0.193.in-addr.arpa NSEC [193.in-addr.arpa NS DS RRSIG NSEC] '0 5' f",
                     "ns1.5.0.193.in-addr.arpa A [192.0.2.1] NULL f",
                     "0.193.in-addr.arpa NULL [] NULL f",
                 }));
  EXPECT_EQ(publisher::pdns_nsec_ordername(*dns::Name::from_text("a.b.c.193.in-addr.arpa"), apex), "c b a");
}

TEST(PdnsGpgsql, AnUnreachableDatabaseIsAJournaledTargetErrorWithoutItsPassword) {
  Scenario s({"193.in-addr.arpa"});
  s.extra_sections = fmt::format("[target.pdns]\ntype = pdns-gpgsql\nconninfo = host={} port=5 dbname=pdns "
                                 "password=Sekr1t-Value connect_timeout=5\n",
                                 (s.dir / "no-such-socket-dir").string());
  s.write_config();
  s.write_dump(slash24_delegations(193, 30));
  CommandResult r = s.rdnsprov({"run"}, kT0);
  EXPECT_EQ(r.exit_code, 6) << r.all();
  EXPECT_NE(r.all().find("target pdns: zone 193.in-addr.arpa.: cannot connect to the database"), std::string::npos)
      << r.all();
  EXPECT_EQ(r.all().find("Sekr1t-Value"), std::string::npos) << r.all();
  EXPECT_EQ(read_text(s.journal_file()).find("Sekr1t-Value"), std::string::npos);
  EXPECT_EQ(events_of(s.journal(), "target-error").size(), 1u);
  EXPECT_FALSE(fs::exists(s.published_file("193.in-addr.arpa")));
}

TEST(PdnsGpgsql, ConfigurationNamesAMissingConninfoAndKeysOfTheWrongType) {
  Scenario s({"193.in-addr.arpa"});
  s.extra_sections = "[target.pdns]\ntype = pdns-gpgsql\ndomain-type = SLAVE\npath = /tmp\n";
  s.write_config();
  CommandResult r = s.rdnsprov({"check"}, kT0);
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.all().find("[target.pdns] type pdns-gpgsql needs \"conninfo\""), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("domain-type = SLAVE: expected NATIVE or MASTER"), std::string::npos) << r.all();
  EXPECT_NE(r.all().find("key \"path\" does not apply to type pdns-gpgsql"), std::string::npos) << r.all();
}

}  // namespace
}  // namespace rdnsprov::scenarios
