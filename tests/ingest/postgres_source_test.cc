// PostgresSource against a real PostgreSQL server (tests/support/postgres_server.h), Unix socket only.
#include "ingest/postgres_source.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dns/origin.h"
#include "ingest/registry.h"
#include "ingest/rpsl_reader.h"
#include "tests/support/postgres_server.h"
#include "tests/support/support.h"

namespace rdnsprov::ingest {
namespace {

using rdnsprov::testing::PostgresServer;
using Rows = std::vector<std::pair<std::string, std::string>>;

// Objects as a registry stores them: multi-line, non-ASCII remarks, a continuation line, trailing spaces kept.
const std::string kObject1 =
    "domain:         2.0.193.in-addr.arpa\n"
    "descr:          Example reverse delegation\n"
    "remarks:        Zürich office — 東京 backup, Ångström\n"
    "nserver:        ns1.example.net\n"
    "nserver:        ns2.example.net\n"
    "mnt-by:         EXAMPLE-MNT\n"
    "source:         TEST";
const std::string kObject2 =
    "domain:         3.0.193.in-addr.arpa\n"
    "descr:          Second delegation,\n"
    "                continued on the next line   \n"
    "nserver:        ns1.3.0.193.in-addr.arpa 193.0.3.53\n"
    "nserver:        ns2.example.net\n"
    "source:         TEST\n";
const std::string kObject3 =
    "domain:         0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa\n"
    "nserver:        ns1.example.net\n"
    "ds-rdata:       12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
    "source:         TEST";

std::string dollar_quoted(const std::string& text) { return "$rpsl$" + text + "$rpsl$"; }

Rows read_all(const PostgresSource& source) {
  Rows rows;
  source.read([&](const std::string& id, const std::string& text) { rows.emplace_back(id, text); });
  return rows;
}

// Runs `read` and returns the SourceError's message; fails the test when nothing is thrown.
std::string read_error(const PostgresSource& source, std::uint64_t* rows_seen = nullptr) {
  std::uint64_t rows = 0;
  try {
    source.read([&](const std::string&, const std::string&) { ++rows; });
  } catch (const SourceError& e) {
    if (rows_seen) *rows_seen = rows;
    return e.what();
  }
  ADD_FAILURE() << "read() returned normally after " << rows << " rows; a SourceError was expected";
  return {};
}

// FNV-1a over "id\0text\n" of every row in order: equal sums mean the same rows in the same order.
struct RowChecksum {
  std::uint64_t value = 14695981039346656037ull;
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) value = (value ^ c) * 1099511628211ull;
  }
  void add_row(const std::string& id, const std::string& text) {
    add(id);
    add(std::string_view("\0", 1));
    add(text);
    add("\n");
  }
};

constexpr int kManyRows = 25000;  // two and a half FETCH batches
const std::string kManyRowsQuery =
    "SELECT g, 'domain: ' || g || '.in-addr.arpa' || E'\\nnserver: ns' || g || '.example.net' "
    "FROM generate_series(1, " + std::to_string(kManyRows) + ") AS g ORDER BY g";
std::string many_rows_text(int g) {
  return "domain: " + std::to_string(g) + ".in-addr.arpa\nnserver: ns" + std::to_string(g) + ".example.net";
}

// One server for the suite: starting a cluster costs a second or two.
class PostgresSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<PostgresServer>();
    server_->create_database("registry");
    server_->psql("CREATE TABLE domain_objects (id bigint, object text);\n"
                  "INSERT INTO domain_objects VALUES (1, " + dollar_quoted(kObject1) + ");\n"
                  "INSERT INTO domain_objects VALUES (7, " + dollar_quoted(kObject2) + ");\n"
                  "INSERT INTO domain_objects VALUES (42, " + dollar_quoted(kObject3) + ");\n"
                  "CREATE SEQUENCE rdnsprov_test_sequence;\n",
                  "registry");
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { ASSERT_NE(server_, nullptr) << "the PostgreSQL server did not start"; }

  static std::string registry() { return server_->conninfo("registry"); }

  static std::unique_ptr<PostgresServer> server_;
};
std::unique_ptr<PostgresServer> PostgresSourceTest::server_;

TEST_F(PostgresSourceTest, ReadsEveryRowInOrderWithExactText) {
  PostgresSource source("db", registry(), "SELECT id, object FROM domain_objects ORDER BY id");
  Rows expected{{"1", kObject1}, {"7", kObject2}, {"42", kObject3}};
  EXPECT_EQ(read_all(source), expected);
}

TEST_F(PostgresSourceTest, AcceptsTrailingSemicolonExtraColumnsAndAUriConninfo) {
  std::string uri = "postgresql:///registry?host=" + server_->socket_dir().string() +
                    "&port=" + std::to_string(server_->port()) + "&user=postgres";
  PostgresSource source("db", uri, "SELECT id, object, length(object) FROM domain_objects ORDER BY id DESC ;\n ");
  Rows rows = read_all(source);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::pair<std::string, std::string>("42", kObject3)));
  EXPECT_EQ(rows[2], (std::pair<std::string, std::string>("1", kObject1)));
}

TEST_F(PostgresSourceTest, NullObjectIsPassedAsEmptyTextWithItsId) {
  PostgresSource source("db", registry(),
                        "SELECT * FROM (VALUES (5::bigint, 'domain: 5.in-addr.arpa'), (6, NULL), (NULL, 'x')) AS v");
  Rows expected{{"5", "domain: 5.in-addr.arpa"}, {"6", ""}, {"NULL (result row 3)", "x"}};
  EXPECT_EQ(read_all(source), expected);
}

// The reader takes UTF-8; a database in another encoding is converted by the server (client_encoding=UTF8).
TEST_F(PostgresSourceTest, TextFromALatin1DatabaseArrivesAsUtf8) {
  server_->psql("CREATE DATABASE latin1_registry ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  server_->psql("CREATE TABLE domain_objects (id bigint, object text);\n"
                "INSERT INTO domain_objects VALUES (3, 'remarks: Zürich, Ångström');\n",
                "latin1_registry");
  PostgresSource source("db", server_->conninfo("latin1_registry"), "SELECT id, object FROM domain_objects");
  EXPECT_EQ(read_all(source), (Rows{{"3", "remarks: Z\xc3\xbcrich, \xc3\x85ngstr\xc3\xb6m"}}));
}

TEST_F(PostgresSourceTest, StreamsMoreRowsThanOneFetchThroughACursor) {
  PostgresSource source("db", registry(), kManyRowsQuery);
  RowChecksum got;
  std::uint64_t count = 0;
  std::string activity;
  source.read([&](const std::string& id, const std::string& text) {
    // While the first batch is being handed out, the server holds the rest in the cursor.
    if (count == 0) {
      activity = server_->psql(
          "SELECT state || '|' || query FROM pg_stat_activity WHERE application_name = 'rdnsprov'", "registry");
    }
    ++count;
    got.add_row(id, text);
  });
  RowChecksum expected;
  for (int g = 1; g <= kManyRows; ++g) expected.add_row(std::to_string(g), many_rows_text(g));
  EXPECT_EQ(count, static_cast<std::uint64_t>(kManyRows));
  EXPECT_EQ(got.value, expected.value);
  EXPECT_EQ(activity, "idle in transaction|FETCH 10000 FROM rdnsprov_rows\n");
}

TEST_F(PostgresSourceTest, WrongPortIsACannotConnectErrorNamingTheSource) {
  int other_port = rdnsprov::testing::free_port();
  if (other_port == server_->port()) other_port = rdnsprov::testing::free_port();
  std::string conninfo = "host=" + server_->socket_dir().string() + " port=" + std::to_string(other_port) +
                         " user=postgres dbname=registry";
  auto start = std::chrono::steady_clock::now();
  std::string message = read_error(PostgresSource("db", conninfo, "SELECT id, object FROM domain_objects"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(message.starts_with("source db: cannot connect: connection to server on socket \"" +
                                  server_->socket_dir().string() + "/.s.PGSQL." + std::to_string(other_port) +
                                  "\" failed: No such file or directory"))
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(PostgresSourceTest, MissingSocketDirectoryIsACannotConnectError) {
  std::string message = read_error(PostgresSource(
      "registry-db", "host=/nonexistent/rdnsprov-socket-dir port=5432 user=postgres dbname=registry",
      "SELECT id, object FROM domain_objects"));
  EXPECT_TRUE(message.starts_with("source registry-db: cannot connect: connection to server on socket "
                                  "\"/nonexistent/rdnsprov-socket-dir/.s.PGSQL.5432\" failed"))
      << message;
}

TEST_F(PostgresSourceTest, PasswordInConninfoNeverAppearsInAMessage) {
  std::string wrong_port = std::to_string(rdnsprov::testing::free_port());
  for (const std::string& conninfo : std::vector<std::string>{
           "host=/nonexistent/dir port=" + wrong_port + " user=postgres password=Hunter2s3cret dbname=registry",
           "host=/nonexistent/dir port=" + wrong_port + " user=postgres password='Hunter2s3cret' dbname=registry",
           "postgresql://postgres:Hunter2s3cret@/registry?host=/nonexistent/dir&port=" + wrong_port,
           "postgresql:///registry?host=/nonexistent/dir&port=" + wrong_port + "&password=Hunter2s3cret",
           // Unparsable: libpq would quote the piece after the space.
           std::string("host=/nonexistent/dir password=Hunter2 s3cret dbname=registry"),
       }) {
    std::string message = read_error(PostgresSource("db", conninfo, "SELECT id, object FROM domain_objects"));
    EXPECT_TRUE(message.starts_with("source db: ")) << message;
    EXPECT_EQ(message.find("Hunter2"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
}

TEST_F(PostgresSourceTest, InvalidConninfoWithoutPasswordShowsLibpqMessage) {
  std::string message =
      read_error(PostgresSource("db", "host=/x bogus_option=1", "SELECT id, object FROM domain_objects"));
  EXPECT_EQ(message, "source db: invalid conninfo: invalid connection option \"bogus_option\"");
}

TEST_F(PostgresSourceTest, MissingTableIsAQueryErrorWithPostgresMessage) {
  std::string message = read_error(PostgresSource("db", registry(), "SELECT id, object FROM no_such_table"));
  EXPECT_EQ(message, "source db: query failed: ERROR: relation \"no_such_table\" does not exist");
}

TEST_F(PostgresSourceTest, OneColumnIsTheTwoColumnError) {
  EXPECT_EQ(read_error(PostgresSource("db", registry(), "SELECT id FROM domain_objects")),
            "source db: the query must return two columns (id, RPSL text), it returns 1");
  // Known from the row description even when no row comes back.
  EXPECT_EQ(read_error(PostgresSource("db", registry(), "SELECT object FROM domain_objects WHERE false")),
            "source db: the query must return two columns (id, RPSL text), it returns 1");
}

TEST_F(PostgresSourceTest, QueryCannotWrite) {
  // A second statement is refused outright (one statement per DECLARE)…
  std::string message = read_error(
      PostgresSource("db", registry(), "SELECT id, object FROM domain_objects; DELETE FROM domain_objects"));
  EXPECT_TRUE(message.starts_with("source db: query failed: ERROR: ")) << message;
  EXPECT_EQ(server_->psql("SELECT count(*) FROM domain_objects", "registry"), "3\n");
  // …and whatever runs inside the transaction is read-only.
  message = read_error(PostgresSource("db", registry(), "SELECT nextval('rdnsprov_test_sequence'), 'x'"));
  EXPECT_EQ(message, "source db: query failed: ERROR: cannot execute nextval() in a read-only transaction");
}

TEST_F(PostgresSourceTest, ErrorInALaterBatchIsNotASilentPartialResult) {
  std::uint64_t rows_seen = 0;
  std::string message = read_error(
      PostgresSource("db", registry(), "SELECT g, (100 / (g - 15000))::text FROM generate_series(1, 20000) AS g"),
      &rows_seen);
  EXPECT_EQ(message, "source db: query failed: ERROR: division by zero");
  EXPECT_EQ(rows_seen, 10000u);  // the first batch was delivered; the caller discards it on the exception
}

TEST_F(PostgresSourceTest, TerminatedBackendIsAConnectionLostError) {
  std::uint64_t rows_seen = 0;
  int killed = 0;
  std::string message;
  try {
    PostgresSource("db", registry(), kManyRowsQuery).read([&](const std::string&, const std::string&) {
      if (rows_seen++ == 0) killed = server_->kill_backends();
    });
    ADD_FAILURE() << "read() returned normally after " << rows_seen << " rows";
  } catch (const SourceError& e) {
    message = e.what();
  }
  EXPECT_EQ(killed, 1);
  EXPECT_LT(rows_seen, static_cast<std::uint64_t>(kManyRows));
  EXPECT_TRUE(message.starts_with("source db: connection lost while reading rows: FATAL: terminating connection "
                                  "due to administrator command"))
      << message;
  EXPECT_TRUE(message.ends_with("(after 10000 rows)")) << message;
  // The server itself is fine: the next read is complete.
  EXPECT_EQ(read_all(PostgresSource("db", registry(), "SELECT id, object FROM domain_objects")).size(), 3u);
}

// The path `rdnsprov run` takes for a database source: each row through RpslReader::from_text into the collector,
// with the row id as origin; a NULL row is reported, not skipped.
TEST_F(PostgresSourceTest, RowsBecomeDelegationsWithRowOrigins) {
  PostgresSource source("db", registry(),
                        "SELECT id, object FROM domain_objects UNION ALL "
                        "VALUES (9, E'domain: 1.2.0.193.in-addr.arpa\\nnserver: ns1.example.net\\nsource: TEST'), "
                        "(10, NULL) ORDER BY 1");
  auto label = std::make_shared<const std::string>(source.source_name());
  RegistryCollector collector;
  std::vector<std::string> rows_without_object;
  source.read([&](const std::string& row_id, const std::string& text) {
    RpslReader reader = RpslReader::from_text(text);
    RpslObject object;
    bool any = false;
    while (reader.next(object)) {
      collector.add(object, dns::Origin::in_row(label, row_id));
      any = true;
    }
    if (!any) rows_without_object.push_back(row_id);
  });
  IngestResult result = std::move(collector).finish();

  ASSERT_EQ(result.delegations.size(), 3u);
  EXPECT_EQ(result.delegations[0].child.to_text(), "2.0.193.in-addr.arpa.");
  EXPECT_EQ(result.delegations[0].origin.to_string(), "[db] row 1");
  EXPECT_EQ(result.delegations[0].nameservers.size(), 2u);
  EXPECT_EQ(result.delegations[1].child.to_text(), "3.0.193.in-addr.arpa.");
  EXPECT_EQ(result.delegations[1].origin.to_string(), "[db] row 7");
  EXPECT_EQ(result.delegations[1].glue.size(), 1u);
  EXPECT_EQ(result.delegations[2].child.to_text(), "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(result.delegations[2].origin.to_string(), "[db] row 42");
  EXPECT_EQ(result.delegations[2].ds.size(), 1u);
  ASSERT_EQ(result.rejects.size(), 1u);
  EXPECT_EQ(result.rejects[0].origin.to_string(), "[db] row 9");
  EXPECT_EQ(result.rejects[0].key, "1.2.0.193.in-addr.arpa");
  EXPECT_EQ(rows_without_object, std::vector<std::string>{"10"});
}

// A server of its own: this one is crashed on purpose.
TEST(PostgresSourceFaultTest, ServerStoppedMidStreamIsConnectionLostNotAPartialResult) {
  PostgresServer server;
  server.psql("CREATE TABLE domain_objects (id bigint, object text);\n"
              "INSERT INTO domain_objects SELECT g, 'domain: ' || g || '.in-addr.arpa' "
              "FROM generate_series(1, " + std::to_string(kManyRows) + ") AS g;\n");
  PostgresSource source("db", server.conninfo(), "SELECT id, object FROM domain_objects ORDER BY id");

  std::uint64_t rows_seen = 0;
  std::string message;
  try {
    source.read([&](const std::string&, const std::string&) {
      if (++rows_seen == 100) server.stop_immediately();
    });
    ADD_FAILURE() << "read() returned normally after " << rows_seen << " rows";
  } catch (const SourceError& e) {
    message = e.what();
  }
  EXPECT_FALSE(server.running());
  EXPECT_LT(rows_seen, static_cast<std::uint64_t>(kManyRows));
  EXPECT_TRUE(message.starts_with("source db: connection lost while reading rows: WARNING: terminating connection "
                                  "due to immediate shutdown command; "))
      << message;
  EXPECT_TRUE(message.ends_with(" (after 10000 rows)")) << message;  // the first batch, delivered before the stop

  // After crash recovery the same read is complete.
  server.start();
  std::uint64_t count = 0;
  source.read([&](const std::string&, const std::string&) { ++count; });
  EXPECT_EQ(count, static_cast<std::uint64_t>(kManyRows));
}

}  // namespace
}  // namespace rdnsprov::ingest
