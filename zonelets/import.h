// Import: for each peer and parent zone, the newest zonelet in the peer's incoming directory is checked against
// the last accepted one; what passes replaces it under STATE/zonelets/in/<peer>/.
//
//   ImportPlan plan = plan_imports(peers, served_apexes, state_root, now, registry);   // reads, writes nothing
//   for (const ZoneletImport& z : plan.zonelets) log(z.status, z.reason, z.rejects);
//   plan.delegations / plan.classless;                  // what joins the build: accepted, else last accepted
//   commit_imports(plan, state_root);                   // stores the accepted files atomically, with metadata
//
// A file is refused whole (the last accepted one stays) when its header is malformed, names another sender,
// receiver or a parent zone we do not serve, its digest or record count is wrong (a truncated file), it is empty
// without a header saying so, or the size-drop gate holds it against the last accepted zonelet of that peer
// and parent zone. Records that break a rule (check.h) are rejected one by one and their delegations left out.
// No new file keeps the last accepted one, with a warning once it is older than the peer's `stale-after`.
#pragma once

#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/delegation.h"
#include "safeguards/gates.h"
#include "zonelets/check.h"
#include "zonelets/peer.h"

namespace rdnsprov::zonelets {

// STATE/zonelets/in/<peer>/<parent>.json: the accepted zonelet next to it (<parent>.zonelet, the file's bytes).
struct AcceptedMeta {
  std::string source_file;       // where it arrived (the incoming file's path)
  std::time_t generated = 0;     // header time, or the file's modification time for a plain fragment
  std::uint32_t serial = 0;      // header serial (0 for a plain fragment)
  bool has_header = false;
  std::uint64_t records = 0;
  std::uint64_t delegations = 0;
  std::string sha256;            // of the stored file's bytes
  std::time_t accepted_at = 0;
  nlohmann::json to_json() const;
  static AcceptedMeta from_json(const nlohmann::json& j);
};

enum class ImportStatus {
  kAccepted,   // a new zonelet passed and replaces the last accepted one (or is the first)
  kUnchanged,  // the newest file is the one accepted already
  kKept,       // no file for this parent zone: the last accepted one stays
  kRefused,    // the newest file was refused: the last accepted one (if any) stays
};
const char* import_status_name(ImportStatus status);

// A change of one delegated name between the last accepted zonelet and the new one.
struct ZoneletChange {
  char kind = '+';              // '+' added, '-' removed, '~' changed
  std::string child;            // presentation form
  std::string origin;           // the line of the zonelet that says so (the old one for '-')
};

struct ZoneletImport {
  std::string peer;
  dns::Name parent;
  ImportStatus status = ImportStatus::kKept;
  std::string reason;                         // why refused / kept; the figures for accepted ones
  std::filesystem::path file;                 // the newest incoming file (empty when there is none)
  std::filesystem::path stored;               // STATE/zonelets/in/<peer>/<parent>.zonelet
  std::string text;                           // accepted: the bytes to store
  AcceptedMeta meta;                          // accepted: its metadata; else the stored one's (when there is one)
  bool have_stored = false;
  std::vector<dns::Reject> rejects;           // records refused, with their lines
  std::vector<safeguards::GateResult> gates;  // size-drop and empty
  bool stale = false;                         // the newest zonelet is older than the peer's stale-after
  std::string stale_warning;
  std::vector<ZoneletChange> changes;         // against the last accepted zonelet
  ZoneletContent content;                     // what joins the build (new content, else the stored one)
};

struct ImportPlan {
  std::vector<ZoneletImport> zonelets;        // by peer (config order), then parent zone
  std::vector<std::string> problems;          // incoming directories that cannot be read, stray files …
  // Every delegation that joins the build, with its peer origin.
  std::vector<dns::Delegation> delegations;
  std::vector<dns::ClasslessDelegation> classless;
  bool any_refused() const;
  bool any_stale() const;
};

// One incoming file as plan_imports reads it: the bytes, read once through one descriptor, and the modification
// time of that very file (a plain fragment's generation time).
struct IncomingFile {
  std::string text;
  std::time_t modified = 0;
  std::string changed;  // non-empty: the file changed while it was being read, and what was seen
};
// Reads `file` once. A file renamed over while it is read is read whole as it was when opened (the next run reads
// what replaced it). A file written in place while it is read (cp, scp, rsync --inplace) may give the first part
// of one version and the rest of another, which a plain fragment has no digest to reveal: when its size or
// modification time after the read differ from before it, or the bytes read are not its size, `changed` says so
// and plan_imports refuses the file. `after_first_part` runs once the first 64 KiB (or the whole of a smaller
// file) are read: fault injection. Throws std::system_error naming the path.
IncomingFile read_incoming_file(const std::filesystem::path& file, const std::function<void()>& after_first_part = {});

// What plan_imports does with the bytes of one incoming file, in its two steps (the zonelet fuzz harness calls
// them the same way):
//
//   auto parent = incoming_parent(file, text, served, header);             // which parent zone it is for
//   IncomingCheck c = check_incoming(text, *parent, peer, served, registry, source, file_name);
//   if (c.refusal.empty()) c.content.delegations …                       // then the size-drop gate
//
// The parent zone: the header's parent-zone when the header is well formed; otherwise (a plain fragment, or a
// malformed header, which check_incoming refuses) the longest zone we serve whose name starts the file name
// ("193.in-addr.arpa.zone", "193.in-addr.arpa-20261125.txt"), else the closest zone we serve holding the first
// record. Nothing when none can be told. `header` receives the well-formed header.
std::optional<dns::Name> incoming_parent(const std::filesystem::path& file, std::string_view text,
                                         const std::vector<dns::Name>& served, std::optional<ZoneletHeader>& header);

struct IncomingCheck {
  ParsedZonelet parsed;
  std::string refusal;     // non-empty: the whole file is refused (docs/ZONELETS.md "Import", step 1)
  ZoneletContent content;  // when not refused: its delegations and refused records (step 2)
};
// The checks of step 1 (header, digest, count, sender, receiver, parent zone served, not empty by accident) and
// step 2 (each record, check.h) of a file's bytes for `parent`.
IncomingCheck check_incoming(std::string_view text, const dns::Name& parent, const PeerSpec& peer,
                             const std::vector<dns::Name>& served, const std::string& registry,
                             const std::shared_ptr<const std::string>& source,
                             const std::shared_ptr<const std::string>& file);

// `served` are the apexes of our zones (a zonelet for anything else is refused); `registry` our name in
// headers (the receiver; empty: not checked).
ImportPlan plan_imports(const std::vector<PeerSpec>& peers, const std::vector<dns::Name>& served,
                        const std::filesystem::path& state_root, std::time_t now, const std::string& registry);

// Stores every accepted zonelet and its metadata atomically. Throws std::system_error naming the path.
void commit_imports(const ImportPlan& plan, const std::filesystem::path& state_root);

nlohmann::json import_json(const ImportPlan& plan);
std::string import_text(const ImportPlan& plan, std::size_t max_lines);

}  // namespace rdnsprov::zonelets
