// PostgresSource: domain objects from the registry's PostgreSQL database (or a replica) through libpq.
//
//   PostgresSource source("db", "host=/run/postgresql dbname=registry", "SELECT id, object FROM domain_objects");
//   source.read([&](const std::string& row_id, const std::string& rpsl_text) { … });   // streamed, row by row
//
// The query returns two columns: an id (any type, printed as text, used in error messages as "row ID") and the
// RPSL text of one object. Rows are streamed (never the whole result in memory). Secrets come from libpq's own
// mechanisms (PGPASSFILE, service files), never from rdnsprov's configuration.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace rdnsprov::ingest {

// A broken environment: unreachable server, failed query, connection lost mid-stream. The message names the
// source ("source db: …") and carries libpq's own message.
class SourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PostgresSource {
 public:
  PostgresSource(std::string source_name, std::string conninfo, std::string query);
  // Calls `row` once per row, in the order the query returns them. Throws SourceError.
  void read(const std::function<void(const std::string& row_id, const std::string& rpsl_text)>& row) const;

 private:
  std::string source_name_;
  std::string conninfo_;
  std::string query_;
};

}  // namespace rdnsprov::ingest
