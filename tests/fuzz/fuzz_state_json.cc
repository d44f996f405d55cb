// Fuzzes every JSON file rdnsprov reads back from its state directory. The first input byte chooses the reader,
// the rest is the file:
//   0  published/<zone>.json    PublishedMeta::from_json (safeguards/state_dir.h)
//   1  snapshots/<id>/manifest.json   Snapshot::from_json (safeguards/snapshot.h)
//   2  keys/<zone>/<tag>.state  key_state_from_json (signer/key_store.h)
//   3  freeze                   frozen() (safeguards/freeze.h), through a state directory in /tmp
//   4  journal.jsonl            Journal::read_all (safeguards/journal.h), likewise
//
// Checks: a bad file is a json::exception or an error value (nothing else escapes: anything else would end a run
// with a crash instead of a message naming the file); an accepted value written back and read again is the same
// value; a manifest never names a file outside its snapshot; a freeze file, whatever it holds, still freezes.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dns/atomic_file.h"
#include "safeguards/freeze.h"
#include "safeguards/journal.h"
#include "safeguards/snapshot.h"
#include "safeguards/state_dir.h"
#include "signer/key_store.h"
#include "tests/fuzz/fuzz_checks.h"

using namespace rdnsprov;
using fuzz::fuzz_require;
using json = nlohmann::json;

namespace {

// One state directory for the whole fuzzing process (created on first use, removed at exit).
const std::filesystem::path& scratch_state() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "rdnsprov-fuzz-state.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) std::abort();
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_state(), ec); });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

void published_meta(std::string_view input, std::string_view text) {
  safeguards::PublishedMeta meta;
  try {
    meta = safeguards::PublishedMeta::from_json(json::parse(text));
  } catch (const json::exception&) {
    return;
  }
  std::string written = meta.to_json().dump(2);
  safeguards::PublishedMeta back = safeguards::PublishedMeta::from_json(json::parse(written));
  fuzz_require(back.to_json() == meta.to_json(), "published metadata reads back differently", input, written);
}

bool inside_snapshot(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) return false;
  for (const auto& part : std::filesystem::path(path)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

void snapshot_manifest(std::string_view input, std::string_view text) {
  safeguards::Snapshot snapshot;
  try {
    snapshot = safeguards::Snapshot::from_json(json::parse(text));
  } catch (const json::exception&) {
    return;
  }
  for (const safeguards::SnapshotFile& f : snapshot.files) {
    fuzz_require(inside_snapshot(f.path), "a manifest names a file outside its snapshot", input, f.path);
  }
  std::string written = snapshot.to_json().dump(2);
  safeguards::Snapshot back = safeguards::Snapshot::from_json(json::parse(written));
  fuzz_require(back.to_json() == snapshot.to_json(), "a snapshot manifest reads back differently", input, written);
}

void key_state(std::string_view input, std::string_view text) {
  auto state = signer::key_state_from_json(text);
  if (!state) {
    fuzz_require(fuzz::one_report_line(state.error()), "a key state error spans report lines", input, state.error());
    return;
  }
  std::string written = signer::key_state_to_json(*state, 13);
  auto back = signer::key_state_from_json(written);
  fuzz_require(static_cast<bool>(back), "a key state written back does not read", input, written);
  fuzz_require(*back == *state, "a key state reads back differently", input, written);
}

void freeze_file(std::string_view input, std::string_view text) {
  safeguards::StateDir state = safeguards::StateDir::open_read_only(scratch_state());
  dns::write_file_atomically(state.freeze_file(), text);
  std::optional<safeguards::FreezeInfo> info = safeguards::frozen(state);
  fuzz_require(info.has_value(), "a freeze file that is present does not freeze", input);
}

void journal_file(std::string_view input, std::string_view text) {
  safeguards::StateDir state = safeguards::StateDir::open_read_only(scratch_state());
  dns::write_file_atomically(state.journal_file(), text);
  for (const json& entry : state.journal().read_all()) {
    fuzz_require(entry.is_object(), "a journal entry that is not an object was returned", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view text = input.substr(1);
  switch (static_cast<unsigned char>(input.front()) % 5) {
    case 0: published_meta(input, text); break;
    case 1: snapshot_manifest(input, text); break;
    case 2: key_state(input, text); break;
    case 3: freeze_file(input, text); break;
    case 4: journal_file(input, text); break;
  }
  return 0;
}
