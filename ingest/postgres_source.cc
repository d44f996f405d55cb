#include "ingest/postgres_source.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string_view>
#include <utility>
#include <vector>

namespace rdnsprov::ingest {
namespace {

// Rows per FETCH: large enough that round trips do not dominate, small enough that one batch of a million-object
// registry stays a few megabytes.
constexpr int kFetchRows = 10000;
constexpr const char* kCursor = "rdnsprov_rows";
constexpr const char* kDefaultConnectTimeout = "10";

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct ConninfoOptionsFreer {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
struct LibpqStringFreer {
  void operator()(char* text) const { PQfreemem(text); }
};
using Connection = std::unique_ptr<PGconn, ConnectionCloser>;
using Result = std::unique_ptr<PGresult, ResultClearer>;
using ConninfoOptions = std::unique_ptr<PQconninfoOption, ConninfoOptionsFreer>;
using LibpqString = std::unique_ptr<char, LibpqStringFreer>;

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != haystack.end();
}

// libpq messages span several lines ("…failed: No such file or directory\n\tIs the server running…") and put two
// spaces after a severity ("ERROR:  …"); an operator's log line wants one line.
std::string one_line(std::string_view message) {
  std::string out;
  while (!message.empty()) {
    std::size_t end = message.find('\n');
    std::string_view line = trim(message.substr(0, end));
    message = end == std::string_view::npos ? std::string_view() : message.substr(end + 1);
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    std::size_t double_space = line.find(":  ");
    if (double_space != std::string_view::npos && double_space < 16) {
      out.append(line.substr(0, double_space + 2));
      out.append(trim(line.substr(double_space + 2)));
    } else {
      out.append(line);
    }
  }
  return out;
}

// Values libpq takes from the conninfo string, or nothing when it does not parse.
struct ParsedConninfo {
  bool parsed = false;
  std::string parse_error;
  bool has_connect_timeout = false;
  std::vector<std::string> passwords;
};

ParsedConninfo parse_conninfo(const std::string& conninfo) {
  ParsedConninfo out;
  char* raw_error = nullptr;
  ConninfoOptions options(PQconninfoParse(conninfo.c_str(), &raw_error));
  LibpqString error(raw_error);
  if (!options) {
    out.parse_error = error ? one_line(error.get()) : std::string("out of memory");
    return out;
  }
  out.parsed = true;
  for (PQconninfoOption* option = options.get(); option->keyword; ++option) {
    if (!option->val || !*option->val) continue;
    std::string_view keyword = option->keyword;
    if (keyword == "connect_timeout") out.has_connect_timeout = true;
    if (keyword == "password") out.passwords.emplace_back(option->val);
  }
  return out;
}

// Removes a password from a message: the literal secret wherever it appears, and anything shaped like
// `password=…` or a URI's `user:…@`, in case libpq echoes part of a conninfo.
std::string redact(std::string message, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at)) {
      message.replace(at, secret.size(), "[redacted]");
      at += std::string_view("[redacted]").size();
    }
  }
  static const std::regex key_value(R"((password\s*=\s*)('([^'\\]|\\.)*'|[^\s&]+))", std::regex::icase);
  static const std::regex uri_user_info(R"((://[^:/@\s]*:)[^@\s]*@)");
  message = std::regex_replace(message, key_value, "$1[redacted]");
  message = std::regex_replace(message, uri_user_info, "$1[redacted]@");
  return message;
}

bool is_lost_connection(const PGconn* connection, const PGresult* result) {
  if (PQstatus(connection) == CONNECTION_BAD || !result) return true;
  if (PQresultStatus(result) != PGRES_FATAL_ERROR && PQresultStatus(result) != PGRES_NONFATAL_ERROR) return false;
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  // An error libpq made itself (no SQLSTATE) is about the connection: "server closed the connection unexpectedly"
  // leaves PQstatus at CONNECTION_OK when the server's goodbye arrived while we were sending (seen with libpq 15).
  if (!sqlstate) return true;
  std::string_view state = sqlstate;
  // Class 08: connection exception; 57P01-57P03: the server is shutting down or restarting (terminated backend).
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

// "ERROR: relation "x" does not exist; DETAIL: …" from the fields of a server's error or notice.
std::string describe_server_message(const PGresult* result) {
  std::string out;
  if (const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY)) out += std::string(severity) + ": ";
  if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) out += one_line(primary);
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) out += "; DETAIL: " + one_line(detail);
  if (const char* hint = PQresultErrorField(result, PG_DIAG_MESSAGE_HINT)) out += "; HINT: " + one_line(hint);
  return out;
}

// The server's own fields when it sent an error, libpq's text otherwise (client-side errors, lost connections:
// libpq's text then holds everything it saw, the server's FATAL included).
std::string describe_error(const PGconn* connection, const PGresult* result) {
  if (result && PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) && !is_lost_connection(connection, result)) {
    return describe_server_message(result);
  }
  std::string out = one_line(PQerrorMessage(connection));
  if (out.empty() && result) out = one_line(PQresultErrorMessage(result));
  return out.empty() ? std::string("no message from libpq") : out;
}

// The query as the body of DECLARE … CURSOR FOR: without the trailing semicolons an operator may have written.
std::string cursor_body(std::string_view query) {
  query = trim(query);
  while (!query.empty() && (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back())))) {
    query.remove_suffix(1);
  }
  return std::string(query);
}

// One connection for one read. Server notices (a WARNING before an immediate shutdown, a RAISE NOTICE in a
// function the query calls) are kept and put into the error message if the read fails: the ingest stage has no
// logger, and libpq's default would print them on stderr, under cron too.
class Session {
 public:
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Session(const std::string& source_name, const std::string& conninfo) : source_name_(source_name) {
    ParsedConninfo parsed = parse_conninfo(conninfo);
    secrets_ = parsed.passwords;
    if (!parsed.parsed) {
      // An unparsable string may hold a password libpq quotes back in pieces; do not risk it.
      bool may_hold_secret = contains_ignoring_case(conninfo, "password") || conninfo.find('@') != std::string::npos;
      fail("invalid conninfo: " + (may_hold_secret ? std::string("libpq's message withheld because the conninfo "
                                                                 "may contain a password")
                                                   : parsed.parse_error));
    }
    // Values before "dbname" are defaults the conninfo overrides; values after it override the conninfo
    // (PQconnectdbParams with expand_dbname).
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    const char* timeout_from_environment = std::getenv("PGCONNECT_TIMEOUT");
    if (!parsed.has_connect_timeout && !(timeout_from_environment && *timeout_from_environment)) {
      keywords.push_back("connect_timeout");
      values.push_back(kDefaultConnectTimeout);
    }
    keywords.push_back("application_name");
    values.push_back("rdnsprov");
    keywords.push_back("dbname");
    values.push_back(conninfo.c_str());
    keywords.push_back("client_encoding");
    values.push_back("UTF8");
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    connection_.reset(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (!connection_) fail("cannot connect: libpq is out of memory");
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
      fail("cannot connect: " + one_line(PQerrorMessage(connection_.get())));
    }
    PQsetNoticeReceiver(connection_.get(), &Session::receive_notice, this);
  }

  // Runs one statement (the extended protocol takes exactly one, so a query cannot smuggle in a second) and
  // checks that it ended with `expected`. `reading`: the cursor is open, so a lost connection cuts a stream short.
  Result run(const std::string& statement, ExecStatusType expected, std::string_view what_failed, bool reading,
             std::uint64_t rows_read) {
    Result result(PQexecParams(connection_.get(), statement.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
    if (result && PQresultStatus(result.get()) == expected) return result;
    if (is_lost_connection(connection_.get(), result.get())) {
      std::string error = notices_ + describe_error(connection_.get(), result.get());
      if (!reading) fail("connection lost: " + error);
      fail("connection lost while reading rows: " + error + " (after " + std::to_string(rows_read) +
           (rows_read == 1 ? " row)" : " rows)"));
    }
    if (PQresultStatus(result.get()) != PGRES_FATAL_ERROR && PQresultStatus(result.get()) != PGRES_NONFATAL_ERROR) {
      fail(std::string(what_failed) + ": unexpected result " + PQresStatus(PQresultStatus(result.get())));
    }
    fail(std::string(what_failed) + ": " + notices_ + describe_error(connection_.get(), result.get()));
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw SourceError(redact("source " + source_name_ + ": " + message, secrets_));
  }

 private:
  static void receive_notice(void* session, const PGresult* notice) {
    constexpr std::size_t kMaxNoticeText = 2000;  // a chatty function must not grow the message without bound
    std::string& notices = static_cast<Session*>(session)->notices_;
    if (notices.size() < kMaxNoticeText) notices += describe_server_message(notice) + "; ";
  }

  std::string source_name_;
  std::vector<std::string> secrets_;
  std::string notices_;  // "WARNING: …; " for each notice so far
  Connection connection_;
};

}  // namespace

PostgresSource::PostgresSource(std::string source_name, std::string conninfo, std::string query)
    : source_name_(std::move(source_name)), conninfo_(std::move(conninfo)), query_(std::move(query)) {}

void PostgresSource::read(
    const std::function<void(const std::string& row_id, const std::string& rpsl_text)>& row) const {
  Session session(source_name_, conninfo_);
  // READ ONLY: whatever the configured query is, this transaction cannot change the registry's database.
  session.run("BEGIN READ ONLY", PGRES_COMMAND_OK, "cannot start a read-only transaction", false, 0);
  session.run(std::string("DECLARE ") + kCursor + " NO SCROLL CURSOR FOR " + cursor_body(query_), PGRES_COMMAND_OK,
              "query failed", false, 0);
  const std::string fetch = "FETCH " + std::to_string(kFetchRows) + " FROM " + kCursor;
  std::uint64_t rows_read = 0;
  std::string row_id;
  std::string rpsl_text;
  for (;;) {
    // The query runs at the first FETCH, and can fail at any later one (a division by zero in row 20000).
    Result batch = session.run(fetch, PGRES_TUPLES_OK, "query failed", true, rows_read);
    int columns = PQnfields(batch.get());
    if (columns < 2) {
      session.fail("the query must return two columns (id, RPSL text), it returns " + std::to_string(columns));
    }
    int rows = PQntuples(batch.get());
    if (rows == 0) break;
    for (int i = 0; i < rows; ++i) {
      ++rows_read;
      if (PQgetisnull(batch.get(), i, 0)) {
        row_id = "NULL (result row " + std::to_string(rows_read) + ")";
      } else {
        row_id.assign(PQgetvalue(batch.get(), i, 0), static_cast<std::size_t>(PQgetlength(batch.get(), i, 0)));
      }
      if (PQgetisnull(batch.get(), i, 1)) {
        rpsl_text.clear();
      } else {
        rpsl_text.assign(PQgetvalue(batch.get(), i, 1), static_cast<std::size_t>(PQgetlength(batch.get(), i, 1)));
      }
      row(row_id, rpsl_text);
    }
  }
  // COMMIT closes the cursor. A failure here is still a failure: nothing read from this session is trusted.
  session.run("COMMIT", PGRES_COMMAND_OK, "cannot end the read-only transaction", true, rows_read);
}

}  // namespace rdnsprov::ingest
