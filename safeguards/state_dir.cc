#include "safeguards/state_dir.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "safeguards/json_fields.h"

namespace rdnsprov::safeguards {

nlohmann::json PublishedMeta::to_json() const {
  nlohmann::json j = {{"serial", serial},         {"records", records},
                      {"delegations", delegations}, {"file_sha256", file_sha256},
                      {"content_sha256", content_sha256}, {"published_at", published_at}};
  if (signatures_expire_at) j["signatures_expire_at"] = *signatures_expire_at;
  if (trusted_ds) j["trusted_ds"] = *trusted_ds;
  if (ttls) j["ttls"] = {{"dnskey", ttls->dnskey}, {"signed", ttls->signed_rrsets}};
  if (!earlier_ttls.empty()) {
    nlohmann::json earlier = nlohmann::json::array();
    for (const EarlierTtls& e : earlier_ttls) {
      earlier.push_back({{"dnskey", e.ttls.dnskey}, {"signed", e.ttls.signed_rrsets}, {"replaced_at", e.replaced_at}});
      if (e.still_served) earlier.back()["still_served"] = true;
    }
    j["earlier_ttls"] = std::move(earlier);
  }
  if (partly_published_serial) j["partly_published_serial"] = *partly_published_serial;
  if (accepted_clock) j["accepted_clock"] = {{"at", accepted_clock->at}, {"reason", accepted_clock->reason}};
  return j;
}

namespace {

dns::ServedTtls ttls_from_json(const nlohmann::json& j) {
  return {integer_field<std::uint32_t>(j, "dnskey"), integer_field<std::uint32_t>(j, "signed")};
}

}  // namespace

std::vector<PublishedMeta::EarlierTtls> PublishedMeta::earlier_ttls_after(const dns::ServedTtls& mine,
                                                                          const dns::ServedTtls& next,
                                                                          std::time_t now) const {
  std::vector<EarlierTtls> candidates = earlier_ttls;
  candidates.push_back({mine, now});
  std::vector<EarlierTtls> kept;
  for (EarlierTtls& e : candidates) {
    if (e.still_served) e = {e.ttls, now, false};
    bool dnskey = e.ttls.dnskey > next.dnskey && e.replaced_at + e.ttls.dnskey + kEarlierTtlsKept > now;
    bool signed_rrsets =
        e.ttls.signed_rrsets > next.signed_rrsets && e.replaced_at + e.ttls.signed_rrsets + kEarlierTtlsKept > now;
    if (dnskey || signed_rrsets) kept.push_back(e);
  }
  return kept;
}

PublishedMeta PublishedMeta::from_json(const nlohmann::json& j) {
  PublishedMeta m;
  m.serial = integer_field<std::uint32_t>(j, "serial");
  m.records = integer_field<std::uint64_t>(j, "records");
  m.delegations = integer_field<std::uint64_t>(j, "delegations");
  m.file_sha256 = string_field(j, "file_sha256");
  m.content_sha256 = string_field(j, "content_sha256");
  m.published_at = integer_field<std::time_t>(j, "published_at");
  if (j.contains("signatures_expire_at")) m.signatures_expire_at = integer_field<std::time_t>(j, "signatures_expire_at");
  if (j.contains("trusted_ds")) m.trusted_ds = j.at("trusted_ds").get<std::vector<std::string>>();
  if (j.contains("ttls")) m.ttls = ttls_from_json(j.at("ttls"));
  if (j.contains("earlier_ttls")) {
    for (const nlohmann::json& e : j.at("earlier_ttls")) {
      m.earlier_ttls.push_back({ttls_from_json(e), integer_field<std::time_t>(e, "replaced_at"),
                                optional_bool_field(e, "still_served")});
    }
  }
  if (j.contains("partly_published_serial")) {
    m.partly_published_serial = integer_field<std::uint32_t>(j, "partly_published_serial");
  }
  if (j.contains("accepted_clock")) {
    const nlohmann::json& a = j.at("accepted_clock");
    m.accepted_clock = AcceptedClock{integer_field<std::time_t>(a, "at"), string_field(a, "reason")};
  }
  return m;
}

StateDir StateDir::open(const std::filesystem::path& root_in) {
  namespace fs = std::filesystem;
  fs::path root = fs::absolute(root_in).lexically_normal();
  std::error_code ec;
  bool existed = fs::exists(root, ec);
  if (!existed) {
    fs::create_directories(root, ec);
    if (ec) throw StateError(fmt::format("cannot create the state directory {}: {}", root.string(), ec.message()));
    fs::permissions(root, fs::perms(0750), ec);
  }
  struct stat st{};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw StateError(fmt::format("the state directory {} is not a directory", root.string()));
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    throw StateError(fmt::format(
        "the state directory {} is group- or world-writable (mode {:o}): whoever can write it can publish zones; "
        "chmod go-w it",
        root.string(), st.st_mode & 07777));
  }
  fs::path format_file = root / "FORMAT";
  if (!fs::exists(format_file)) {
    // A new or empty directory: this is the first run. Another first run started at the same moment may be
    // creating it right now (its temporary FORMAT file, then FORMAT, then the subdirectories): that is not foreign
    // content, and FORMAT exists by the time anything else does, hence the second look.
    bool foreign = false;
    for (const auto& entry : fs::directory_iterator(root)) {
      std::string name = entry.path().filename().string();
      if (name != "FORMAT" && !name.starts_with(".FORMAT.tmp.")) foreign = true;
    }
    if (foreign && !fs::exists(format_file)) {
      throw StateError(fmt::format("{} is not empty and has no FORMAT file: it does not look like an rdnsprov state "
                                   "directory; refusing to use it",
                                   root.string()));
    }
    if (!fs::exists(format_file)) dns::write_file_atomically(format_file, fmt::format("{}\n", kStateFormat));
  }
  {
    std::string text = dns::read_file(format_file);
    int version = 0;
    try {
      version = std::stoi(text);
    } catch (const std::exception&) {
      throw StateError(fmt::format("{} does not hold a layout version", format_file.string()));
    }
    if (version > kStateFormat) {
      throw StateError(fmt::format("the state directory {} has layout version {}, newer than this rdnsprov knows "
                                   "({}): use the rdnsprov that wrote it",
                                   root.string(), version, kStateFormat));
    }
  }
  for (const char* sub : {"published", "keys", "zonelets/in", "zonelets/out", "snapshots", "staging"}) {
    fs::create_directories(root / sub, ec);
    if (ec) throw StateError(fmt::format("cannot create {}: {}", (root / sub).string(), ec.message()));
  }
  return StateDir(root, Journal(root / "journal.jsonl"));
}

StateDir StateDir::open_read_only(const std::filesystem::path& root_in) {
  namespace fs = std::filesystem;
  fs::path root = fs::absolute(root_in).lexically_normal();
  if (fs::exists(root / "FORMAT")) {
    int version = 0;
    try {
      version = std::stoi(dns::read_file(root / "FORMAT"));
    } catch (const std::exception&) {
      throw StateError(fmt::format("{} does not hold a layout version", (root / "FORMAT").string()));
    }
    if (version > kStateFormat) {
      throw StateError(fmt::format("the state directory {} has layout version {}, newer than this rdnsprov knows ({})",
                                   root.string(), version, kStateFormat));
    }
  }
  return StateDir(root, Journal(root / "journal.jsonl"));
}

std::optional<PublishedMeta> StateDir::published_meta(const dns::Name& apex) const {
  std::filesystem::path file = published_dir() / (zone_file_stem(apex) + ".json");
  if (!std::filesystem::exists(file)) return std::nullopt;
  try {
    return PublishedMeta::from_json(nlohmann::json::parse(dns::read_file(file)));
  } catch (const std::exception& e) {
    throw StateError(fmt::format("{} cannot be read: {}", file.string(), e.what()));
  }
}

std::optional<PublishedZone> StateDir::published(const dns::Name& apex) const {
  namespace fs = std::filesystem;
  std::string stem = zone_file_stem(apex);
  fs::path zone_file = published_dir() / (stem + ".zone");
  fs::path meta_file = published_dir() / (stem + ".json");
  bool have_zone = fs::exists(zone_file);
  bool have_meta = fs::exists(meta_file);
  if (!have_zone && !have_meta) return std::nullopt;
  PublishedZone zone;
  if (have_meta) {
    try {
      zone.meta = PublishedMeta::from_json(nlohmann::json::parse(dns::read_file(meta_file)));
    } catch (const nlohmann::json::exception& e) {
      zone.problem = fmt::format("{} cannot be read: {}", meta_file.string(), e.what());
    }
  }
  if (have_zone) {
    zone.zone_file_present = true;
    zone.text = dns::read_file(zone_file);
  }
  if (!zone.problem.empty()) return zone;
  if (!have_meta) {
    zone.problem = fmt::format("{} exists without its metadata {}", zone_file.string(), meta_file.string());
  } else if (!have_zone) {
    zone.problem = fmt::format("the published copy {} is missing (its metadata {} is there)", zone_file.string(),
                               meta_file.string());
  } else if (std::string digest = dns::to_hex(dns::sha256(zone.text), false); digest != zone.meta->file_sha256) {
    zone.problem = fmt::format("{} does not match its recorded SHA-256 (file {}, recorded {})", zone_file.string(),
                               digest, zone.meta->file_sha256);
  }
  return zone;
}

std::vector<dns::Name> StateDir::published_zones() const {
  std::vector<dns::Name> zones;
  if (!std::filesystem::exists(published_dir())) return zones;
  for (const auto& entry : std::filesystem::directory_iterator(published_dir())) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(".json") || file.starts_with(".")) continue;
    auto name = dns::Name::from_text(file.substr(0, file.size() - 5));
    if (name) zones.push_back(*name);
  }
  std::sort(zones.begin(), zones.end());
  return zones;
}

void StateDir::write_published(const dns::Name& apex, const std::string& text, const PublishedMeta& meta) const {
  std::string stem = zone_file_stem(apex);
  // Zone first, metadata second: a crash in between leaves a zone whose digest does not match the old metadata,
  // which the next run reports and rebuilds (never a silently mixed state).
  dns::write_file_atomically(published_dir() / (stem + ".zone"), text);
  dns::write_file_atomically(published_dir() / (stem + ".json"), meta.to_json().dump(2) + "\n");
}

void StateDir::write_published_meta(const dns::Name& apex, const PublishedMeta& meta) const {
  dns::write_file_atomically(published_dir() / (zone_file_stem(apex) + ".json"), meta.to_json().dump(2) + "\n");
}

}  // namespace rdnsprov::safeguards
