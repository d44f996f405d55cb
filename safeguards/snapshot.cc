#include "safeguards/snapshot.h"

#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "safeguards/json_fields.h"

namespace rdnsprov::safeguards {
namespace {

namespace fs = std::filesystem;

std::string digest(const std::string& bytes) { return dns::to_hex(dns::sha256(bytes), false); }

std::string snapshot_id(std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

// The files a snapshot holds, relative to the state root.
std::vector<fs::path> files_to_snapshot(const StateDir& state) {
  std::vector<fs::path> files;
  auto add_tree = [&](const fs::path& dir, auto keep) {
    if (!fs::exists(dir)) return;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::string name = entry.path().filename().string();
      if (name.starts_with(".")) continue;  // temporary files of atomic writes
      if (!keep(name)) continue;
      files.push_back(fs::relative(entry.path(), state.root()));
    }
  };
  add_tree(state.published_dir(), [](const std::string&) { return true; });
  add_tree(state.zonelets_in_dir(), [](const std::string&) { return true; });
  add_tree(state.keys_dir(), [](const std::string& n) { return !n.ends_with(".private"); });
  std::sort(files.begin(), files.end());
  return files;
}

SnapshotCheck check_files(const fs::path& dir, const Snapshot& snapshot) {
  SnapshotCheck check;
  for (const SnapshotFile& f : snapshot.files) {
    fs::path path = dir / f.path;
    try {
      std::string bytes = dns::read_file(path);
      if (bytes.size() != f.size) {
        check.problems.push_back(fmt::format("{}: {} bytes, the manifest says {}", path.string(), bytes.size(), f.size));
      } else if (digest(bytes) != f.sha256) {
        check.problems.push_back(fmt::format("{}: SHA-256 does not match the manifest", path.string()));
      }
    } catch (const std::system_error& e) {
      check.problems.push_back(e.what());
    }
  }
  check.ok = check.problems.empty();
  return check;
}

// Fault injection for the tests of the backup gate (docs/RELIABILITY.md): RDNSPROV_FAULT=snapshot-corrupt
// flips a byte of the first copied file after it is written, as a failing disk would.
bool fault(const char* name) {
  const char* value = std::getenv("RDNSPROV_FAULT");
  return value && std::string_view(value) == name;
}

}  // namespace

nlohmann::json Snapshot::to_json() const {
  nlohmann::json files_json = nlohmann::json::array();
  for (const auto& f : files) files_json.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  return {{"id", id}, {"created", created}, {"reason", reason}, {"serials", serials}, {"files", files_json}};
}

Snapshot Snapshot::from_json(const nlohmann::json& j) {
  Snapshot s;
  s.id = j.at("id").get<std::string>();
  s.created = integer_field<std::time_t>(j, "created");
  if (auto reason = j.find("reason"); reason != j.end()) s.reason = reason->get<std::string>();
  if (auto serials = j.find("serials"); serials != j.end()) {
    if (!serials->is_object()) throw nlohmann::json::other_error::create(501, "\"serials\" is not an object", nullptr);
    for (const auto& [zone, serial] : serials->items()) s.serials[zone] = integer_value<std::uint32_t>(serial, zone);
  }
  for (const auto& f : j.at("files")) {
    std::string path = f.at("path").get<std::string>();
    // A manifest must not name files outside its snapshot.
    if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos ||
        path.find('\0') != std::string::npos) {
      std::string shown = nlohmann::json(path).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      throw nlohmann::json::other_error::create(501, "manifest names a path outside the snapshot: " + shown, nullptr);
    }
    s.files.push_back({path, integer_field<std::uint64_t>(f, "size"), f.at("sha256").get<std::string>()});
  }
  return s;
}

Snapshot create_snapshot(StateDir& state, std::time_t now, const std::string& reason) {
  Snapshot snapshot;
  snapshot.id = snapshot_id(now);
  for (int n = 2; fs::exists(state.snapshots_dir() / snapshot.id); ++n) {
    snapshot.id = fmt::format("{}-{}", snapshot_id(now), n);
  }
  snapshot.created = now;
  snapshot.reason = reason;
  fs::path partial = state.snapshots_dir() / ("." + snapshot.id + ".partial");
  fs::remove_all(partial);
  // A snapshot that cannot be completed (disk full, read error) leaves nothing behind that holds space.
  struct RemoveUnlessDone {
    const fs::path& dir;
    bool done = false;
    ~RemoveUnlessDone() {
      std::error_code ec;
      if (!done) fs::remove_all(dir, ec);
    }
  } cleanup{partial};
  fs::create_directories(partial);
  bool corrupt = fault("snapshot-corrupt");
  for (const fs::path& relative : files_to_snapshot(state)) {
    std::string bytes = dns::read_file(state.root() / relative);
    fs::create_directories((partial / relative).parent_path());
    std::string written = bytes;
    if (corrupt && !written.empty()) {
      written[written.size() / 2] ^= 0x20;
      corrupt = false;
    }
    dns::write_file_atomically(partial / relative, written);
    snapshot.files.push_back({relative.generic_string(), bytes.size(), digest(bytes)});
  }
  for (const dns::Name& zone : state.published_zones()) {
    auto published = state.published(zone);
    if (published && published->meta) snapshot.serials[zone.to_text_no_dot()] = published->meta->serial;
  }
  dns::write_file_atomically(partial / "manifest.json", snapshot.to_json().dump(2) + "\n");
  // Read back every byte before the snapshot counts.
  SnapshotCheck check = check_files(partial, snapshot);
  if (!check.ok) {
    throw StateError(fmt::format("snapshot {} failed its read-back check: {}", snapshot.id, check.problems.front()));
  }
  fs::rename(partial, state.snapshots_dir() / snapshot.id);
  cleanup.done = true;
  dns::sync_directory(state.snapshots_dir());
  return snapshot;
}

bool is_snapshot_id(std::string_view id) {
  return !id.empty() && id.find('/') == std::string_view::npos && id.find('\0') == std::string_view::npos &&
         !id.starts_with(".");
}

SnapshotCheck verify_snapshot(const StateDir& state, const std::string& id) {
  SnapshotCheck check;
  if (!is_snapshot_id(id)) {
    check.problems.push_back(fmt::format("\"{}\" is not a snapshot id", id));
    return check;
  }
  fs::path dir = state.snapshots_dir() / id;
  Snapshot snapshot;
  try {
    snapshot = Snapshot::from_json(nlohmann::json::parse(dns::read_file(dir / "manifest.json")));
  } catch (const std::exception& e) {
    check.problems.push_back(fmt::format("{}: {}", (dir / "manifest.json").string(), e.what()));
    return check;
  }
  return check_files(dir, snapshot);
}

std::vector<Snapshot> list_snapshots(const StateDir& state) {
  std::vector<Snapshot> out;
  if (!fs::exists(state.snapshots_dir())) return out;
  for (const auto& entry : fs::directory_iterator(state.snapshots_dir())) {
    std::string id = entry.path().filename().string();
    if (!entry.is_directory() || id.starts_with(".")) continue;
    try {
      out.push_back(Snapshot::from_json(nlohmann::json::parse(dns::read_file(entry.path() / "manifest.json"))));
    } catch (const std::exception& e) {
      Snapshot broken;
      broken.id = id;
      broken.reason = std::string("unreadable manifest: ") + e.what();
      out.push_back(broken);
    }
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) { return a.id > b.id; });
  return out;
}

Snapshot restore_snapshot(const StateDir& state, const std::string& id, const fs::path& target) {
  SnapshotCheck check = verify_snapshot(state, id);
  if (!check.ok) {
    throw StateError(fmt::format("snapshot {} does not verify: {}", id,
                                 check.problems.empty() ? "unknown problem" : check.problems.front()));
  }
  fs::path dir = state.snapshots_dir() / id;
  Snapshot snapshot = Snapshot::from_json(nlohmann::json::parse(dns::read_file(dir / "manifest.json")));
  fs::remove_all(target);
  fs::create_directories(target);
  for (const SnapshotFile& f : snapshot.files) {
    fs::create_directories((target / f.path).parent_path());
    dns::write_file_atomically(target / f.path, dns::read_file(dir / f.path));
  }
  return snapshot;
}

std::vector<std::string> apply_retention(StateDir& state, const Retention& retention, std::time_t now) {
  std::vector<std::string> removed;
  std::vector<Snapshot> all = list_snapshots(state);  // newest first
  std::string newest_verified;
  for (const Snapshot& s : all) {
    if (s.created != 0 && verify_snapshot(state, s.id).ok) {
      newest_verified = s.id;
      break;
    }
  }
  for (std::size_t i = retention.keep; i < all.size(); ++i) {
    const Snapshot& s = all[i];
    if (s.id == newest_verified) continue;
    if (s.created != 0 && now - s.created <= retention.max_age) continue;
    // Out of sight first, then deleted: a run killed while deleting never leaves a half-deleted snapshot that
    // `snapshots verify` would report as damaged.
    fs::path doomed = state.snapshots_dir() / ("." + s.id + ".removing");
    fs::remove_all(doomed);
    fs::rename(state.snapshots_dir() / s.id, doomed);
    fs::remove_all(doomed);
    removed.push_back(s.id);
  }
  // Partial snapshots and deletions left by a killed run.
  for (const auto& entry : fs::directory_iterator(state.snapshots_dir())) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".") && (name.ends_with(".partial") || name.ends_with(".removing"))) {
      fs::remove_all(entry.path());
    }
  }
  return removed;
}

}  // namespace rdnsprov::safeguards
