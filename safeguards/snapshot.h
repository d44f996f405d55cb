// Snapshots: the backup gate's proof that what a run replaces can be restored (I-2).
//
//   Snapshot s = create_snapshot(state, now, "before run 20261124T210000Z");   // written, read back, verified
//   SnapshotCheck c = verify_snapshot(state, s.id);                              // any time later
//   restore_snapshot(state, s.id, state.staging_dir() / "rebuild");              // for `rebuild`
//   apply_retention(state, {.keep = 48, .max_age = 7 * 86400}, now);             // never the newest verified one
//
// A snapshot holds copies of published/ (zones and their metadata: serials, digests), zonelets/in/ (imported peer
// zonelets) and the public part of keys/ (*.key, *.state; never *.private), and a manifest listing every file with
// its size and SHA-256. It is written under snapshots/.ID.partial/, read back and compared with the digests of the
// bytes that were copied, and only then renamed to snapshots/ID/. A failure at any step throws and leaves no
// snapshots/ID/ behind.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "safeguards/state_dir.h"

namespace rdnsprov::safeguards {

struct SnapshotFile {
  std::string path;     // relative to the snapshot directory: "published/193.in-addr.arpa.zone"
  std::uint64_t size = 0;
  std::string sha256;
};

struct Snapshot {
  std::string id;                                  // "20261124T210000Z", sortable
  std::time_t created = 0;
  std::string reason;
  std::vector<SnapshotFile> files;
  std::map<std::string, std::uint32_t> serials;    // zone → published serial at snapshot time
  nlohmann::json to_json() const;
  static Snapshot from_json(const nlohmann::json& j);
};

struct SnapshotCheck {
  bool ok = false;
  std::vector<std::string> problems;               // each names the file
};

// A snapshot id as given on the command line names a directory right below snapshots/: not empty, no '/', not
// starting with '.' (so neither "." nor ".." nor a partial or removed snapshot), no NUL.
bool is_snapshot_id(std::string_view id);

// Throws std::system_error or StateError naming what failed.
Snapshot create_snapshot(StateDir& state, std::time_t now, const std::string& reason);
SnapshotCheck verify_snapshot(const StateDir& state, const std::string& id);
// Newest first. Unreadable manifests are listed with an empty `created` and a reason starting "unreadable".
std::vector<Snapshot> list_snapshots(const StateDir& state);
// Copies the snapshot's files into `target` (published/, zonelets/in/, keys/), after verifying it. Throws when
// the snapshot does not verify.
Snapshot restore_snapshot(const StateDir& state, const std::string& id, const std::filesystem::path& target);

struct Retention {
  std::size_t keep = 48;              // snapshots kept at least (newest first)
  std::time_t max_age = 14 * 86400;   // older ones beyond `keep` are removed
};
// Removes snapshots beyond `keep` that are older than `max_age`, never the newest verified one. Returns the ids
// removed.
std::vector<std::string> apply_retention(StateDir& state, const Retention& retention, std::time_t now);

}  // namespace rdnsprov::safeguards
