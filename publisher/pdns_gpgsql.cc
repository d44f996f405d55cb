#include "publisher/pdns_gpgsql.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"

namespace rdnsprov::publisher {
namespace {

using dns::Name;
using dns::RRType;

constexpr const char* kDefaultConnectTimeout = "10";
constexpr const char* kDefaultOptions = "-c lock_timeout=120s";
constexpr std::chrono::seconds kPurgeTimeout{60};

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgConnection = std::unique_ptr<PGconn, ConnectionCloser>;
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

std::string one_line(std::string_view message) {
  std::string out;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// PowerDNS keeps names without the trailing dot, the apex as "193.in-addr.arpa".
std::string pdns_name(const Name& name) { return name.to_text_no_dot(); }

// Rdata text as PowerDNS stores it in `content`: our master-file text with the trailing dot of every name removed
// (the only fields of our record types that end in a dot are names; base64 and hex never contain one).
std::string pdns_content(RRType type, std::string_view rdata) {
  std::string text = dns::rdata::to_text(type, rdata);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool ends_field = i + 1 == text.size() || text[i + 1] == ' ';
    bool starts_field = i == 0 || text[i - 1] == ' ';
    if (text[i] == '.' && ends_field && !starts_field) continue;
    out.push_back(text[i]);
  }
  return out;
}

// COPY text format (PostgreSQL "COPY … FROM STDIN"): backslash escapes for the characters that delimit.
void append_copy_field(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
}

struct Nsec3Params {
  std::uint8_t algorithm = 1;
  std::uint8_t flags = 0;
  std::uint16_t iterations = 0;
  std::string salt;
};

// NSEC3 / NSEC3PARAM rdata: algorithm, flags, iterations, salt length, salt (RFC 5155 §3.2, §4.2).
std::optional<Nsec3Params> parse_nsec3_params(std::string_view rdata) {
  if (rdata.size() < 5) return std::nullopt;
  Nsec3Params p;
  p.algorithm = static_cast<std::uint8_t>(rdata[0]);
  p.flags = static_cast<std::uint8_t>(rdata[1]);
  p.iterations = static_cast<std::uint16_t>((static_cast<std::uint8_t>(rdata[2]) << 8) | static_cast<std::uint8_t>(rdata[3]));
  std::size_t salt_length = static_cast<std::uint8_t>(rdata[4]);
  if (rdata.size() < 5 + salt_length) return std::nullopt;
  p.salt = std::string(rdata.substr(5, salt_length));
  return p;
}

// Runs argv, capturing its output; kills it after `timeout`. Returns an empty string on success, the problem
// otherwise (exit status and the command's last output).
std::string run_program(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return fmt::format("cannot create a pipe: {}", std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return fmt::format("cannot fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    std::vector<char*> c_args;
    for (const auto& a : argv) c_args.push_back(const_cast<char*>(a.c_str()));
    c_args.push_back(nullptr);
    execvp(c_args[0], c_args.data());
    std::string message = fmt::format("cannot run {}: {}\n", argv[0], std::strerror(errno));
    (void)!write(1, message.data(), message.size());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < 4096) output.append(buffer, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
  if (timed_out) return fmt::format("`{}` did not finish within {} s", command, timeout.count());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                      : fmt::format("was killed by signal {}", WTERMSIG(status));
  std::string said = one_line(output);
  return fmt::format("`{}` {}{}", command, how, said.empty() ? std::string() : ": " + said);
}

std::vector<std::string> split_command(const std::string& command) {
  std::istringstream in(command);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace

std::string pdns_nsec_ordername(const Name& owner, const Name& apex) {
  std::size_t relative = owner.label_count() - apex.label_count();
  std::string out;
  for (std::size_t i = relative; i-- > 0;) {
    if (!out.empty()) out.push_back(' ');
    out.append(owner.label(i));
  }
  return out;
}

PdnsZoneRows pdns_zone_rows(const dns::Zone& zone) {
  const Name& apex = zone.apex();
  const auto& records = zone.records();
  PdnsZoneRows out;

  // The denial mode and the chain: which names own an NSEC, which hashes the NSEC3 chain holds.
  std::unordered_set<Name> nsec_owners;
  std::unordered_set<std::string> nsec3_hashes;  // base32hex, lower case
  std::unordered_set<Name> nsec3_owners;
  std::optional<Nsec3Params> nsec3param;
  bool opt_out = false;
  std::unordered_set<Name> delegations;  // owners of NS other than the apex
  std::unordered_set<Name> owners;
  for (const dns::Record& r : records) {
    owners.insert(r.owner);
    if (r.type == RRType::kNs && r.owner != apex) delegations.insert(r.owner);
    if (r.type == RRType::kNsec) nsec_owners.insert(r.owner);
    if (r.type == RRType::kNsec3) {
      nsec3_owners.insert(r.owner);
      nsec3_hashes.insert(std::string(r.owner.first_label()));
      if (auto p = parse_nsec3_params(r.rdata); p && (p->flags & 1)) opt_out = true;
    }
    if (r.type == RRType::kNsec3param && r.owner == apex) nsec3param = parse_nsec3_params(r.rdata);
  }
  if (nsec3param) {
    out.denial.kind = PdnsDenial::Kind::kNsec3;
    // PowerDNS takes the flags of the NSEC3 records it builds from this metadata, so opt-out goes here (the
    // NSEC3PARAM record itself always has flags 0, RFC 5155 §4.1.2).
    out.denial.nsec3param = fmt::format("{} {} {} {}", nsec3param->algorithm, opt_out ? 1 : 0, nsec3param->iterations,
                                        nsec3param->salt.empty() ? std::string("-") : dns::to_hex(nsec3param->salt, false));
  } else if (!nsec_owners.empty()) {
    out.denial.kind = PdnsDenial::Kind::kNsec;
  }
  const bool nsec3 = out.denial.kind == PdnsDenial::Kind::kNsec3;
  const bool nsec = out.denial.kind == PdnsDenial::Kind::kNsec;

  // auth per owner: false at or below a delegation point (rectify-zone's rule).
  std::unordered_map<Name, bool> owner_auth;
  auto auth_of = [&](const Name& owner) {
    auto it = owner_auth.find(owner);
    if (it != owner_auth.end()) return it->second;
    bool auth = true;
    for (Name n = owner; n.label_count() > apex.label_count(); n = n.parent()) {
      if (delegations.count(n)) {
        auth = false;
        break;
      }
    }
    owner_auth.emplace(owner, auth);
    return auth;
  };
  std::unordered_map<Name, std::string> hash_cache;
  auto chain_hash = [&](const Name& name) -> std::optional<std::string> {
    if (!nsec3) return std::nullopt;
    auto it = hash_cache.find(name);
    if (it == hash_cache.end()) {
      it = hash_cache.emplace(name, dns::to_base32hex(dns::nsec3_hash(name, nsec3param->salt, nsec3param->iterations))).first;
    }
    if (!nsec3_hashes.count(it->second)) return std::nullopt;
    return it->second;
  };

  // Empty non-terminals: every name between an owner and the apex that owns nothing itself. Authoritative when a
  // name below it is.
  std::map<Name, bool> empty_non_terminals;
  out.rows.reserve(records.size() + records.size() / 8);
  for (const dns::Record& r : records) {
    bool name_auth = auth_of(r.owner);
    PdnsRecordRow row;
    row.name = pdns_name(r.owner);
    row.type = std::string(dns::rrtype_to_text(r.type));
    row.content = pdns_content(r.type, r.rdata);
    row.ttl = r.ttl;
    row.auth = name_auth || (r.type == RRType::kDs && delegations.count(r.owner));
    bool address_below_cut = !name_auth && (r.type == RRType::kA || r.type == RRType::kAaaa);
    if (nsec && nsec_owners.count(r.owner) && !address_below_cut) {
      row.ordername = pdns_nsec_ordername(r.owner, apex);
    } else if (nsec3 && !nsec3_owners.count(r.owner) && !address_below_cut) {
      row.ordername = chain_hash(r.owner);
    }
    out.rows.push_back(std::move(row));
    for (Name n = r.owner.parent(); n.label_count() > apex.label_count() && !owners.count(n); n = n.parent()) {
      auto [it, inserted] = empty_non_terminals.emplace(n, name_auth);
      if (!inserted && name_auth) it->second = true;
    }
  }
  for (const auto& [name, below_auth] : empty_non_terminals) {
    PdnsRecordRow row;
    row.name = pdns_name(name);
    row.type = std::nullopt;
    row.auth = below_auth;
    if (nsec3) {
      row.ordername = chain_hash(name);
      // rectify-zone does this only without opt-out; with opt-out, an empty non-terminal in the chain that is not
      // authoritative is skipped when PowerDNS looks for the closest provable encloser (RFC 5155 §7.2.1), and the
      // "next closer" proof it then gives covers a name that exists: resolvers answer SERVFAIL for the DS of an
      // insecure delegation below it.
      if (row.ordername) row.auth = true;
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

// One libpq connection, kept across the zones of a run and re-established when it was lost.
class PdnsGpgsqlTarget::Connection {
 public:
  Connection(const std::string& target, const std::string& conninfo) : target_(target), conninfo_(conninfo) {}

  PGconn* get(const std::string& zone) {
    if (connection_ && PQstatus(connection_.get()) == CONNECTION_OK) return connection_.get();
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    const char* timeout_from_environment = std::getenv("PGCONNECT_TIMEOUT");
    if (conninfo_.find("connect_timeout") == std::string::npos && !(timeout_from_environment && *timeout_from_environment)) {
      keywords.push_back("connect_timeout");
      values.push_back(kDefaultConnectTimeout);
    }
    // A session that holds a lock on PowerDNS's tables (an operator's open transaction) must not stall the hourly
    // run for ever: the zone fails after this wait and is published again by the next run. Keywords before
    // "dbname" are defaults: an `options` in the conninfo replaces this one.
    keywords.push_back("options");
    values.push_back(kDefaultOptions);
    std::string application = "rdnsprov target " + target_;
    keywords.push_back("application_name");
    values.push_back(application.c_str());
    keywords.push_back("dbname");
    values.push_back(conninfo_.c_str());
    keywords.push_back("client_encoding");
    values.push_back("UTF8");
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    connection_.reset(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (!connection_) fail(zone, "cannot connect to the database: libpq is out of memory");
    if (PQstatus(connection_.get()) != CONNECTION_OK) {
      std::string message = without_password(one_line(PQerrorMessage(connection_.get())));
      connection_.reset();
      fail(zone, "cannot connect to the database: " + message);
    }
    PQsetNoticeProcessor(connection_.get(), [](void*, const char*) {}, nullptr);
    return connection_.get();
  }

  // Runs one statement with text parameters and checks its status.
  PgResult exec(const std::string& zone, const char* what, const std::string& sql, const std::vector<std::string>& params,
                ExecStatusType expected) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PgResult result(PQexecParams(connection_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.empty() ? nullptr : values.data(), nullptr, nullptr, 0));
    if (!result || PQresultStatus(result.get()) != expected) fail(zone, std::string(what) + ": " + error(result.get()));
    return result;
  }

  void copy(const std::string& zone, const std::string& sql, const std::string& data) {
    exec(zone, "COPY records", sql, {}, PGRES_COPY_IN);
    constexpr std::size_t kChunk = 1 << 20;
    for (std::size_t at = 0; at < data.size(); at += kChunk) {
      std::size_t n = std::min(kChunk, data.size() - at);
      if (PQputCopyData(connection_.get(), data.data() + at, static_cast<int>(n)) != 1) {
        fail(zone, "COPY records: " + error(nullptr));
      }
    }
    if (PQputCopyEnd(connection_.get(), nullptr) != 1) fail(zone, "COPY records: " + error(nullptr));
    PgResult result(PQgetResult(connection_.get()));
    bool ok = result && PQresultStatus(result.get()) == PGRES_COMMAND_OK;
    std::string message = ok ? std::string() : error(result.get());
    while (PgResult more{PQgetResult(connection_.get())}) {
    }
    if (!ok) fail(zone, "COPY records: " + message);
  }

  // After a failure inside the transaction: roll it back when the connection still works, drop it otherwise.
  void abandon() {
    if (!connection_) return;
    if (PQstatus(connection_.get()) == CONNECTION_OK && PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) {
      PgResult result(PQexec(connection_.get(), "ROLLBACK"));
      if (result && PQresultStatus(result.get()) == PGRES_COMMAND_OK) return;
    }
    if (PQstatus(connection_.get()) != CONNECTION_OK) connection_.reset();
  }

  [[noreturn]] void fail(const std::string& zone, const std::string& message) const {
    throw TargetError(fmt::format("target {}: zone {}: {}", target_, zone, message));
  }

 private:
  // libpq quotes pieces of a conninfo it cannot parse; a password written into it (against the advice of
  // docs/CONFIG.md) must still not reach the log or the journal.
  std::string without_password(std::string message) const {
    char* raw_error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo_.c_str(), &raw_error);
    if (raw_error) PQfreemem(raw_error);
    bool may_hold_password = conninfo_.find("password") != std::string::npos || conninfo_.find('@') != std::string::npos;
    if (!options) {
      return may_hold_password ? std::string("invalid conninfo (libpq's message withheld: it may quote a password)")
                               : message;
    }
    for (PQconninfoOption* option = options; option->keyword; ++option) {
      if (std::string_view(option->keyword) != "password" || !option->val || !*option->val) continue;
      std::string secret = option->val;
      for (std::size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at)) {
        message.replace(at, secret.size(), "[redacted]");
        at += std::string_view("[redacted]").size();
      }
    }
    PQconninfoFree(options);
    return message;
  }

  std::string error(const PGresult* result) const {
    std::string out;
    if (result) {
      if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) {
        const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY);
        out = fmt::format("{}{}", severity ? std::string(severity) + ": " : std::string(), one_line(primary));
        if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) out += "; DETAIL: " + one_line(detail);
      }
    }
    if (out.empty() && connection_) out = one_line(PQerrorMessage(connection_.get()));
    if (connection_ && PQstatus(connection_.get()) != CONNECTION_OK) out = "connection lost: " + out;
    return out.empty() ? std::string("no message from libpq") : out;
  }

  std::string target_;
  std::string conninfo_;
  PgConnection connection_;
};

PdnsGpgsqlTarget::PdnsGpgsqlTarget(std::string name, PdnsGpgsqlSettings settings)
    : Target(std::move(name)), settings_(std::move(settings)),
      connection_(std::make_unique<Connection>(this->name(), settings_.conninfo)) {}

PdnsGpgsqlTarget::~PdnsGpgsqlTarget() = default;

void PdnsGpgsqlTarget::publish(const ZoneRelease& release) {
  const std::string zone = release.apex.to_text();
  const std::string domain = pdns_name(release.apex);
  PdnsZoneRows zone_rows = pdns_zone_rows(release.zone);
  if (release.signed_zone && zone_rows.denial.kind == PdnsDenial::Kind::kNone) {
    connection_->fail(zone, "the zone is signed but has neither NSEC nor NSEC3 records");
  }

  connection_->get(zone);
  auto started = std::chrono::steady_clock::now();
  try {
    connection_->exec(zone, "BEGIN", "BEGIN", {}, PGRES_COMMAND_OK);
    // The domains row: created the first time, its type kept as configured. FOR UPDATE serialises two writers of
    // the same zone (a second rdnsprov on another host, an operator's script).
    PgResult found = connection_->exec(zone, "reading domains", "SELECT id FROM domains WHERE name = $1 FOR UPDATE",
                                       {domain}, PGRES_TUPLES_OK);
    std::string id;
    if (PQntuples(found.get()) == 0) {
      PgResult inserted = connection_->exec(zone, "inserting into domains",
                                            "INSERT INTO domains (name, type) VALUES ($1, $2) RETURNING id",
                                            {domain, settings_.domain_type}, PGRES_TUPLES_OK);
      id = PQgetvalue(inserted.get(), 0, 0);
    } else {
      id = PQgetvalue(found.get(), 0, 0);
      connection_->exec(zone, "updating domains", "UPDATE domains SET type = $2 WHERE id = $1 AND type <> $2",
                        {id, settings_.domain_type}, PGRES_COMMAND_OK);
    }
    connection_->exec(zone, "deleting the previous records", "DELETE FROM records WHERE domain_id = $1", {id},
                      PGRES_COMMAND_OK);

    std::string data;
    data.reserve(zone_rows.rows.size() * 96);
    for (const PdnsRecordRow& row : zone_rows.rows) {
      data += id;
      data.push_back('\t');
      append_copy_field(data, row.name);
      data.push_back('\t');
      if (row.type) {
        data += *row.type;
        data.push_back('\t');
        append_copy_field(data, row.content);
        data += fmt::format("\t{}\t0\t", row.ttl);
      } else {
        data += "\\N\t\\N\t\\N\t\\N\t";  // an empty non-terminal: no type, content, TTL or priority
      }
      data += "f\t";
      if (row.ordername) {
        append_copy_field(data, *row.ordername);
      } else {
        data += "\\N";
      }
      data += row.auth ? "\tt\n" : "\tf\n";
    }
    connection_->copy(zone, "COPY records (domain_id, name, type, content, ttl, prio, disabled, ordername, auth) FROM STDIN",
                      data);

    // The metadata PowerDNS needs to serve a presigned zone; removed when the zone is published unsigned.
    connection_->exec(zone, "replacing domainmetadata",
                      "DELETE FROM domainmetadata WHERE domain_id = $1 AND kind IN ('PRESIGNED', 'NSEC3PARAM', 'NSEC3NARROW')",
                      {id}, PGRES_COMMAND_OK);
    if (zone_rows.denial.kind != PdnsDenial::Kind::kNone) {
      connection_->exec(zone, "replacing domainmetadata",
                        "INSERT INTO domainmetadata (domain_id, kind, content) VALUES ($1, 'PRESIGNED', '1')", {id},
                        PGRES_COMMAND_OK);
    }
    if (zone_rows.denial.kind == PdnsDenial::Kind::kNsec3) {
      connection_->exec(zone, "replacing domainmetadata",
                        "INSERT INTO domainmetadata (domain_id, kind, content) VALUES ($1, 'NSEC3PARAM', $2)",
                        {id, zone_rows.denial.nsec3param}, PGRES_COMMAND_OK);
    }
    connection_->exec(zone, "COMMIT", "COMMIT", {}, PGRES_COMMAND_OK);
  } catch (const TargetError&) {
    connection_->abandon();
    throw;
  }
  last_rows_ = zone_rows.rows.size();
  last_milliseconds_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  if (!settings_.pdns_control.empty()) {
    // "ZONE$" purges the zone's entries from PowerDNS's packet and query caches (pdns_control purge).
    std::vector<std::string> argv = split_command(settings_.pdns_control);
    argv.push_back("purge");
    argv.push_back(zone + "$");
    if (std::string problem = run_program(argv, kPurgeTimeout); !problem.empty()) {
      purge_problems_.push_back(fmt::format("target {}: zone {} serial {} is committed, but the cache purge failed: {}",
                                            name(), zone, release.serial, problem));
    }
  }
}

TargetReport PdnsGpgsqlTarget::finish(const std::vector<dns::Name>&) {
  TargetReport report{name(), std::move(purge_problems_)};
  purge_problems_.clear();
  return report;
}

}  // namespace rdnsprov::publisher
