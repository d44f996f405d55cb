#include "zonelets/import.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/file_descriptor.h"
#include "safeguards/zone_facts.h"

namespace rdnsprov::zonelets {
namespace {

namespace fs = std::filesystem;

struct Incoming {
  fs::path file;
  std::string text;
  std::time_t generated = 0;
  std::string changed;  // the file changed while it was being read (IncomingFile::changed)
};

struct Stored {
  AcceptedMeta meta;
  std::string text;
  fs::path file;
};

std::string stem(const dns::Name& parent) { return parent.to_text_no_dot(); }


[[noreturn]] void fail(const char* what, const fs::path& path, int err) {
  throw std::system_error(err, std::generic_category(), fmt::format("{} {}", what, path.string()));
}

bool same_time(const struct timespec& a, const struct timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// A modification time to the nanosecond: two writes a moment apart differ only there.
std::string time_text(const struct timespec& t) {
  std::string seconds = utc_text(t.tv_sec);
  seconds.pop_back();  // the "Z"
  return fmt::format("{}.{:09}Z", seconds, t.tv_nsec);
}

// Fault injection for the scenario of a zonelet replaced while it is read (docs/RELIABILITY.md):
// RDNSPROV_FAULT=zonelet-read-pause stops the process (SIGSTOP) once the first part of each incoming file is read,
// as a descheduled or swapped-out process would pause; the test replaces the file and sends SIGCONT.
std::function<void()> read_pause_fault() {
  const char* value = std::getenv("RDNSPROV_FAULT");
  if (!value || std::string_view(value) != "zonelet-read-pause") return {};
  return [] { ::raise(SIGSTOP); };
}

std::map<dns::Name, safeguards::DelegationFacts> facts_of(const ZoneletContent& content) {
  std::map<dns::Name, safeguards::DelegationFacts> out;
  for (const dns::Delegation& d : content.delegations) out[d.child] = safeguards::expected_facts(d);
  for (const dns::ClasslessDelegation& c : content.classless) out[c.delegation.child] = safeguards::expected_facts(c.delegation);
  return out;
}

std::map<dns::Name, std::string> origins_of(const ZoneletContent& content) {
  std::map<dns::Name, std::string> out;
  for (const dns::Delegation& d : content.delegations) out[d.child] = d.origin.to_string();
  for (const dns::ClasslessDelegation& c : content.classless) out[c.delegation.child] = c.delegation.origin.to_string();
  return out;
}

std::vector<ZoneletChange> changes_between(const ZoneletContent& before, const ZoneletContent& after) {
  std::vector<ZoneletChange> out;
  auto old_facts = facts_of(before);
  auto new_facts = facts_of(after);
  auto old_origins = origins_of(before);
  auto new_origins = origins_of(after);
  for (const auto& [child, facts] : new_facts) {
    auto old = old_facts.find(child);
    if (old == old_facts.end()) out.push_back({'+', child.to_text(), new_origins[child]});
    else if (!(old->second == facts)) out.push_back({'~', child.to_text(), new_origins[child]});
  }
  for (const auto& [child, facts] : old_facts) {
    if (!new_facts.count(child)) out.push_back({'-', child.to_text(), old_origins[child]});
  }
  std::sort(out.begin(), out.end(), [](const ZoneletChange& a, const ZoneletChange& b) { return a.child < b.child; });
  return out;
}

std::string age_text(std::time_t seconds) {
  if (seconds >= 86400) return fmt::format("{:.1f} days", static_cast<double>(seconds) / 86400.0);
  return fmt::format("{:.1f} hours", static_cast<double>(seconds) / 3600.0);
}

}  // namespace

nlohmann::json AcceptedMeta::to_json() const {
  return {{"source_file", source_file}, {"generated", generated}, {"serial", serial},
          {"has_header", has_header},   {"records", records},     {"delegations", delegations},
          {"sha256", sha256},           {"accepted_at", accepted_at}};
}

AcceptedMeta AcceptedMeta::from_json(const nlohmann::json& j) {
  AcceptedMeta m;
  m.source_file = j.at("source_file").get<std::string>();
  m.generated = j.at("generated").get<std::time_t>();
  m.serial = j.at("serial").get<std::uint32_t>();
  m.has_header = j.at("has_header").get<bool>();
  m.records = j.at("records").get<std::uint64_t>();
  m.delegations = j.at("delegations").get<std::uint64_t>();
  m.sha256 = j.at("sha256").get<std::string>();
  m.accepted_at = j.at("accepted_at").get<std::time_t>();
  return m;
}

const char* import_status_name(ImportStatus status) {
  switch (status) {
    case ImportStatus::kAccepted: return "accepted";
    case ImportStatus::kUnchanged: return "unchanged";
    case ImportStatus::kKept: return "kept";
    case ImportStatus::kRefused: return "refused";
  }
  return "?";
}

bool ImportPlan::any_refused() const {
  return std::any_of(zonelets.begin(), zonelets.end(), [](const ZoneletImport& z) { return z.status == ImportStatus::kRefused; });
}
bool ImportPlan::any_stale() const {
  return std::any_of(zonelets.begin(), zonelets.end(), [](const ZoneletImport& z) { return z.stale; });
}

IncomingFile read_incoming_file(const fs::path& file, const std::function<void()>& after_first_part) {
  dns::FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open", file, errno);
  struct stat before {};
  if (::fstat(fd.get(), &before) != 0) fail("cannot stat", file, errno);
  IncomingFile out;
  out.modified = before.st_mtime;
  out.text.reserve(static_cast<std::size_t>(std::max<off_t>(before.st_size, 0)));
  char buffer[1 << 16];
  bool first_part = true;
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", file, errno);
    }
    if (n == 0) break;
    out.text.append(buffer, static_cast<std::size_t>(n));
    if (first_part && after_first_part) after_first_part();
    first_part = false;
  }
  if (first_part && after_first_part) after_first_part();  // an empty file
  struct stat after {};
  if (::fstat(fd.get(), &after) != 0) fail("cannot stat", file, errno);
  // A rename over the file leaves this descriptor on the old one, unchanged; writing in place changes its size or
  // modification time (or both) under the reader.
  if (after.st_size != before.st_size || !same_time(after.st_mtim, before.st_mtim) ||
      out.text.size() != static_cast<std::size_t>(after.st_size)) {
    out.changed = fmt::format(
        "the file changed while it was being read ({} bytes, modified {} when opened; {} bytes, modified {} after "
        "{} bytes were read): it is written in place, not renamed over when finished",
        before.st_size, time_text(before.st_mtim), after.st_size, time_text(after.st_mtim), out.text.size());
  }
  return out;
}

std::optional<dns::Name> incoming_parent(const fs::path& file, std::string_view text, const std::vector<dns::Name>& served,
                                         std::optional<ZoneletHeader>& header) {
  std::string problem;
  header = read_header(text, problem);
  if (header && problem.empty()) return header->parent;
  header.reset();
  std::string filename = file.filename().string();
  std::optional<dns::Name> best;
  for (const dns::Name& apex : served) {
    std::string s = stem(apex);
    if (filename.size() >= s.size() && filename.compare(0, s.size(), s) == 0 &&
        (filename.size() == s.size() || filename[s.size()] == '.' || filename[s.size()] == '-' ||
         filename[s.size()] == '_')) {
      if (!best || apex.label_count() > best->label_count()) best = apex;
    }
  }
  if (best) return best;
  dns::MasterFile parsed = dns::read_master_file(text, dns::Name());
  if (parsed.records.empty()) return std::nullopt;
  for (const dns::Name& apex : served) {
    if (parsed.records.front().owner.is_below(apex) && (!best || apex.label_count() > best->label_count())) best = apex;
  }
  return best;
}

IncomingCheck check_incoming(std::string_view text, const dns::Name& parent, const PeerSpec& peer,
                             const std::vector<dns::Name>& served, const std::string& registry,
                             const std::shared_ptr<const std::string>& source,
                             const std::shared_ptr<const std::string>& file) {
  IncomingCheck out;
  out.parsed = parse_zonelet(text, parent);
  const ParsedZonelet& parsed = out.parsed;
  bool ours = std::find(served.begin(), served.end(), parsed.parent) != served.end();
  if (!parsed.refusal.empty()) {
    out.refusal = parsed.refusal;
  } else if (!ours) {
    out.refusal = fmt::format("parent zone {} is not a zone we serve", parsed.parent.to_text());
  } else if (parsed.header && parsed.header->sender != peer.name) {
    out.refusal = fmt::format("the header names sender \"{}\", not {}", shown_value(parsed.header->sender), peer.name);
  } else if (parsed.header && !registry.empty() && parsed.header->receiver != registry) {
    out.refusal = fmt::format("the header names receiver \"{}\", not us ({})", shown_value(parsed.header->receiver),
                              registry);
  } else if (!parsed.header && parsed.records.empty() && parsed.errors.empty()) {
    out.refusal = "the file holds no records and no header saying it is empty (an accidental empty file)";
  } else {
    out.content = check_zonelet(parsed, peer, source, file);
  }
  return out;
}

ImportPlan plan_imports(const std::vector<PeerSpec>& peers, const std::vector<dns::Name>& served,
                        const fs::path& state_root, std::time_t now, const std::string& registry) {
  ImportPlan plan;
  const std::function<void()> pause = read_pause_fault();
  for (const PeerSpec& peer : peers) {
    if (peer.incoming.empty()) continue;  // a peer we only export to
    auto source = std::make_shared<const std::string>("peer " + peer.name);
    fs::path stored_dir = state_root / "zonelets" / "in" / peer.name;

    // The last accepted zonelets of this peer.
    std::map<dns::Name, Stored> stored;
    std::error_code ec;
    if (fs::is_directory(stored_dir, ec)) {
      for (const auto& entry : fs::directory_iterator(stored_dir)) {
        if (entry.path().extension() != ".json" || entry.path().filename().string().starts_with(".")) continue;
        auto parent = dns::Name::from_text(entry.path().stem().string());
        if (!parent) continue;
        Stored s;
        s.file = stored_dir / (stem(*parent) + ".zonelet");
        try {
          s.meta = AcceptedMeta::from_json(nlohmann::json::parse(dns::read_file(entry.path())));
          s.text = dns::read_file(s.file);
        } catch (const std::exception& e) {
          plan.problems.push_back(fmt::format("peer {}: stored zonelet {} cannot be read: {}", peer.name,
                                              s.file.string(), e.what()));
          continue;
        }
        if (dns::to_hex(dns::sha256(s.text), false) != s.meta.sha256) {
          plan.problems.push_back(fmt::format("peer {}: stored zonelet {} does not match the digest in {}; "
                                              "restore it from a snapshot",
                                              peer.name, s.file.string(), entry.path().string()));
          continue;
        }
        stored.emplace(*parent, std::move(s));
      }
    }

    // The newest incoming file of each parent zone.
    std::map<dns::Name, Incoming> newest;
    if (!fs::is_directory(peer.incoming, ec)) {
      plan.problems.push_back(fmt::format("peer {}: incoming directory {} does not exist", peer.name,
                                          peer.incoming.string()));
    } else {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(peer.incoming, ec)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(".") || !entry.is_regular_file(ec)) continue;  // temporaries of atomic writes
        files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) {
        Incoming in;
        in.file = file;
        std::time_t modified = 0;
        try {
          IncomingFile read = read_incoming_file(file, pause);
          in.text = std::move(read.text);
          in.changed = std::move(read.changed);
          modified = read.modified;
        } catch (const std::exception& e) {
          plan.problems.push_back(fmt::format("peer {}: {}", peer.name, e.what()));
          continue;
        }
        std::optional<ZoneletHeader> header;
        std::optional<dns::Name> parent = incoming_parent(file, in.text, served, header);
        in.generated = header ? header->generated : modified;
        if (!parent) {
          plan.problems.push_back(fmt::format("peer {}: {}: cannot tell its parent zone (no header, the file name "
                                              "names no zone we serve, and no record lies inside one)",
                                              peer.name, file.string()));
          continue;
        }
        auto [it, inserted] = newest.try_emplace(*parent, in);
        if (!inserted && (in.generated > it->second.generated ||
                          (in.generated == it->second.generated && in.file > it->second.file))) {
          it->second = std::move(in);
        }
      }
    }

    std::set<dns::Name> parents;
    for (const auto& [p, s] : stored) parents.insert(p);
    for (const auto& [p, in] : newest) parents.insert(p);
    for (const dns::Name& parent : parents) {
      ZoneletImport z;
      z.peer = peer.name;
      z.parent = parent;
      z.stored = stored_dir / (stem(parent) + ".zonelet");
      const Stored* last = nullptr;
      if (auto s = stored.find(parent); s != stored.end()) {
        last = &s->second;
        z.have_stored = true;
        z.meta = last->meta;
        auto file = std::make_shared<const std::string>(last->file.string());
        z.content = check_zonelet(parse_zonelet(last->text, parent), peer, source, file);
      }
      std::time_t generated = last ? last->meta.generated : 0;
      auto in = newest.find(parent);
      if (in == newest.end()) {
        z.status = ImportStatus::kKept;
        z.reason = "no zonelet in the incoming directory: the last accepted one stays";
      } else if (!in->second.changed.empty()) {
        // The bytes read may be half of one version and half of another: none of them is used. The next run
        // reads the file again, finished.
        z.file = in->second.file;
        z.status = ImportStatus::kRefused;
        z.reason = in->second.changed + (last ? "; the last accepted zonelet stays" : "; nothing imported");
      } else if (last && dns::to_hex(dns::sha256(in->second.text), false) == last->meta.sha256) {
        z.file = in->second.file;
        z.status = ImportStatus::kUnchanged;
        z.reason = fmt::format("{} is the zonelet accepted already", in->second.file.string());
        generated = std::max(generated, in->second.generated);
      } else {
        z.file = in->second.file;
        generated = std::max(generated, in->second.generated);
        auto refuse = [&](std::string reason) {
          z.status = ImportStatus::kRefused;
          z.reason = std::move(reason) + (last ? "; the last accepted zonelet stays" : "; nothing imported");
        };
        auto file = std::make_shared<const std::string>(in->second.file.string());
        IncomingCheck check = check_incoming(in->second.text, parent, peer, served, registry, source, file);
        const ParsedZonelet& parsed = check.parsed;
        if (!check.refusal.empty()) {
          refuse(check.refusal);
        } else {
          ZoneletContent content = std::move(check.content);
          z.rejects = content.rejects;
          std::uint64_t before = last ? last->meta.delegations : 0;
          std::uint64_t after = content.delegation_count();
          safeguards::GateResult drop = safeguards::size_drop_gate(
              "zonelet-size-drop", "delegations", before, after, safeguards::DropLimit{peer.max_drop_percent, peer.min_drop});
          z.gates.push_back(drop);
          if (after == 0 && content.records > 0) {
            safeguards::GateResult empty{"zonelet-empty", safeguards::Verdict::kHold,
                                         fmt::format("none of its {} records is usable", content.records), {}};
            z.gates.push_back(empty);
          }
          auto held = std::find_if(z.gates.begin(), z.gates.end(),
                                   [](const auto& g) { return g.verdict != safeguards::Verdict::kPass; });
          if (held != z.gates.end()) {
            refuse(fmt::format("gate {}: {}", held->gate, held->reason));
          } else {
            z.status = ImportStatus::kAccepted;
            z.text = in->second.text;
            z.meta.source_file = in->second.file.string();
            z.meta.generated = in->second.generated;
            z.meta.serial = parsed.header ? parsed.header->serial : 0;
            z.meta.has_header = parsed.header.has_value();
            z.meta.records = content.records;
            z.meta.delegations = after;
            z.meta.sha256 = dns::to_hex(dns::sha256(z.text), false);
            z.meta.accepted_at = now;
            z.changes = changes_between(z.content, content);
            z.reason = fmt::format("{} delegations (before {}), {} records refused", after, before, z.rejects.size());
            z.content = std::move(content);
          }
        }
      }
      if (generated && now - generated > static_cast<std::time_t>(peer.stale_after)) {
        z.stale = true;
        z.stale_warning = fmt::format("the newest zonelet of peer {} for {} was generated {} ({} ago), longer ago "
                                      "than stale-after allows",
                                      peer.name, parent.to_text(), utc_text(generated), age_text(now - generated));
      }
      plan.delegations.insert(plan.delegations.end(), z.content.delegations.begin(), z.content.delegations.end());
      plan.classless.insert(plan.classless.end(), z.content.classless.begin(), z.content.classless.end());
      plan.zonelets.push_back(std::move(z));
    }
  }
  return plan;
}

void commit_imports(const ImportPlan& plan, const fs::path& state_root) {
  for (const ZoneletImport& z : plan.zonelets) {
    if (z.status != ImportStatus::kAccepted) continue;
    fs::path dir = state_root / "zonelets" / "in" / z.peer;
    fs::create_directories(dir);
    // The zonelet first, then its metadata: metadata never describes a file that is not there.
    dns::write_file_atomically(z.stored, z.text);
    dns::write_file_atomically(dir / (stem(z.parent) + ".json"), z.meta.to_json().dump(2) + "\n");
  }
}

nlohmann::json import_json(const ImportPlan& plan) {
  nlohmann::json out = nlohmann::json::array();
  for (const ZoneletImport& z : plan.zonelets) {
    nlohmann::json changes = nlohmann::json::array();
    for (const ZoneletChange& c : z.changes) {
      changes.push_back({{"change", std::string(1, c.kind)}, {"delegation", c.child}, {"origin", c.origin}});
    }
    nlohmann::json rejects = nlohmann::json::array();
    for (const dns::Reject& r : z.rejects) {
      rejects.push_back({{"origin", r.origin.to_string()}, {"key", r.key}, {"reason", r.reason}, {"code", r.code}});
    }
    nlohmann::json gates = nlohmann::json::array();
    for (const auto& g : z.gates) gates.push_back(g.to_json());
    out.push_back({{"peer", z.peer},
                   {"parent_zone", z.parent.to_text()},
                   {"status", import_status_name(z.status)},
                   {"reason", z.reason},
                   {"file", z.file.string()},
                   {"delegations", z.content.delegation_count()},
                   {"stale", z.stale},
                   {"stale_warning", z.stale_warning},
                   {"changes", changes},
                   {"rejects", rejects},
                   {"gates", gates}});
  }
  return out;
}

std::string import_text(const ImportPlan& plan, std::size_t max_lines) {
  std::string out;
  std::string peer;
  for (const ZoneletImport& z : plan.zonelets) {
    if (z.peer != peer) {
      peer = z.peer;
      out += fmt::format("zonelets from peer {}:\n", peer);
    }
    std::string status = import_status_name(z.status);
    std::transform(status.begin(), status.end(), status.begin(), [](unsigned char c) { return std::toupper(c); });
    out += fmt::format("  {} {}: {} delegations; {}\n", z.parent.to_text(), status, z.content.delegation_count(),
                       z.reason);
    std::size_t shown = 0;
    for (const ZoneletChange& c : z.changes) {
      if (max_lines && shown++ >= max_lines) {
        out += fmt::format("    … {} more changes\n", z.changes.size() - max_lines);
        break;
      }
      out += fmt::format("    {} {} ({})\n", c.kind, c.child, c.origin);
    }
    shown = 0;
    for (const dns::Reject& r : z.rejects) {
      if (max_lines && shown++ >= max_lines) {
        out += fmt::format("    … {} more refused records\n", z.rejects.size() - max_lines);
        break;
      }
      out += fmt::format("    ! {} {}: {}\n", r.origin.to_string(), r.key, r.reason);
    }
    if (z.stale) out += fmt::format("    ! stale: {}\n", z.stale_warning);
  }
  for (const std::string& p : plan.problems) out += fmt::format("  ! {}\n", p);
  return out;
}

}  // namespace rdnsprov::zonelets
