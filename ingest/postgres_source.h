// PostgresSource: domain objects from the registry's PostgreSQL database (or a replica) through libpq.
//
//   PostgresSource source("db", "host=/run/postgresql dbname=registry", "SELECT id, object FROM domain_objects");
//   source.read([&](const std::string& row_id, const std::string& rpsl_text) { … });   // streamed, row by row
//
// The query returns at least two columns: an id (any type, printed as text, used in error messages as "row ID") and
// the RPSL text of one object; further columns are ignored. Rows are streamed through a server-side cursor inside a
// read-only transaction (BEGIN READ ONLY; DECLARE … NO SCROLL CURSOR; FETCH 10000 at a time; COMMIT), so at most
// one batch is ever in memory and the query cannot write. The query must be a single SELECT (or VALUES) statement.
//
// NULLs: a row whose object text is NULL is passed with empty `rpsl_text` and its id, so that the caller reports it
// ("row 42: no object text") instead of losing it; an empty `rpsl_text` always means "nothing to parse here".
// A row whose id is NULL is passed with the id "NULL (result row N)", N counting rows from 1.
//
// Connection: `conninfo` is a libpq connection string, key=value or postgresql:// URI. rdnsprov adds
// application_name=rdnsprov and connect_timeout=10 unless the string sets them (an explicit connect_timeout in the
// string or PGCONNECT_TIMEOUT wins; a service file's connect_timeout does not, because libpq gives values passed
// by the program precedence over service files), and client_encoding=UTF8 always (the RPSL reader takes UTF-8).
// Secrets come from libpq's own mechanisms (PGPASSFILE, service files), never from rdnsprov's configuration; a
// password written into the conninfo anyway never appears in a message.
//
// Server notices (a WARNING before a shutdown, a RAISE NOTICE in a function the query calls) are not printed: they
// are added to the message of a SourceError when the read fails, and dropped when it succeeds.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace rdnsprov::ingest {

// A broken environment: unreachable server, failed query, connection lost mid-stream. The message names the
// source and says what failed, then carries libpq's own message:
//   "source db: cannot connect: connection to server on socket \"/x/.s.PGSQL.5432\" failed: No such file …"
//   "source db: query failed: ERROR: relation \"x\" does not exist"
//   "source db: the query must return two columns (id, RPSL text), it returns 1"
//   "source db: connection lost while reading rows: FATAL: terminating connection … (after 10000 rows)"
// Rows passed to the callback before a SourceError are not a complete result: the caller discards them.
class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PostgresSource {
 public:
  PostgresSource(std::string source_name, std::string conninfo, std::string query);
  // Calls `row` once per row, in the order the query returns them (give the query an ORDER BY for a stable order).
  // Throws SourceError; an exception thrown by `row` ends the read (the transaction is rolled back) and propagates.
  void read(const std::function<void(const std::string& row_id, const std::string& rpsl_text)>& row) const;

  const std::string& source_name() const { return source_name_; }

 private:
  std::string source_name_;
  std::string conninfo_;
  std::string query_;
};

}  // namespace rdnsprov::ingest
