// Journal: STATE/journal.jsonl, append-only, one JSON object per decision (run start/end, gate verdict, override,
// publish, verify result, freeze, rebuild, key event). Each line is written with a single write(2) on an O_APPEND
// descriptor and fsynced, so a crash leaves whole lines.
//
//   Journal journal(state / "journal.jsonl", run_id);
//   journal.append("gate", {{"zone", "193.in-addr.arpa."}, {"gate", "size-drop"}, {"verdict", "hold"}, …});
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rdnsprov::safeguards {

class Journal {
 public:
  explicit Journal(std::filesystem::path file) : file_(std::move(file)) {}

  // Every line carries the run id and the time set here.
  void set_context(std::string run_id, std::time_t now) {
    run_id_ = std::move(run_id);
    now_ = now;
  }
  // Every later line also carries `key`: `value` (the reviewed plan a run applies: "plan": SHA-256).
  void add_context(const std::string& key, nlohmann::json value) { context_[key] = std::move(value); }
  // Appends {"time": …, "run": …, "event": event, …fields}. Throws std::system_error naming the file.
  void append(const std::string& event, nlohmann::json fields = nlohmann::json::object()) const;
  // Every entry, oldest first (lines that do not parse are skipped: a torn last line after a power loss).
  std::vector<nlohmann::json> read_all() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::string run_id_;
  std::time_t now_ = 0;
  nlohmann::json context_ = nlohmann::json::object();
};

}  // namespace rdnsprov::safeguards
