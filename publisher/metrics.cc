#include "publisher/metrics.h"

#include <fmt/format.h>

#include "dns/atomic_file.h"

namespace rdnsprov::publisher {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// One metric family: its HELP and TYPE lines, then its samples. HELP text escapes \ and newline.
class Family {
 public:
  Family(std::string& out, const char* name, const char* help) : out_(out), name_(name) {
    std::string escaped;
    for (const char* p = help; *p; ++p) {
      if (*p == '\\') escaped += "\\\\";
      else if (*p == '\n') escaped += "\\n";
      else escaped += *p;
    }
    out_ += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name_, escaped, name_);
  }
  void sample(const std::vector<std::pair<const char*, std::string>>& labels, const std::string& value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += fmt::format("{}=\"{}\"", label, escape_label_value(v));
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

 private:
  std::string& out_;
  const char* name_;
};

std::string number(std::uint64_t v) { return fmt::format("{}", v); }

}  // namespace

std::string metrics_text(const RunMetrics& m) {
  std::string out;
  {
    Family f(out, "rdnsprov_last_run_timestamp_seconds", "Unix time at which the last rdnsprov run ended.");
    f.sample({{"command", m.command}}, fmt::format("{}", static_cast<std::int64_t>(m.finished_at)));
  }
  {
    Family f(out, "rdnsprov_last_run_duration_seconds", "Wall-clock duration of the last rdnsprov run.");
    f.sample({{"command", m.command}}, fmt::format("{:.3f}", m.duration_seconds < 0 ? 0.0 : m.duration_seconds));
  }
  {
    Family f(out, "rdnsprov_last_run_exit_code",
             "Exit code of the last rdnsprov run: 0 ok, 1 error, 4 held, 6 a server lags, 7 frozen (docs/EXIT-CODES.md).");
    f.sample({{"command", m.command}}, fmt::format("{}", m.exit_code));
  }
  auto published = [&](const char* name, const char* help, auto value) {
    Family f(out, name, help);
    for (const ZoneMetrics& z : m.zones) {
      if (z.published) f.sample({{"zone", z.zone}}, value(z));
    }
  };
  published("rdnsprov_zone_serial", "SOA serial of the zone's last published version.",
            [](const ZoneMetrics& z) { return number(z.serial); });
  published("rdnsprov_zone_delegations", "Delegations in the zone's last published version.",
            [](const ZoneMetrics& z) { return number(z.delegations); });
  published("rdnsprov_zone_records", "Records other than DNSSEC ones in the zone's last published version.",
            [](const ZoneMetrics& z) { return number(z.records); });
  published("rdnsprov_zone_last_publish_timestamp_seconds", "Unix time at which the zone was last published.",
            [](const ZoneMetrics& z) { return fmt::format("{}", static_cast<std::int64_t>(z.published_at)); });
  {
    Family f(out, "rdnsprov_zone_signatures_expire_timestamp_seconds",
             "Signed zones: Unix time at which the first signature of the last published version expires; "
             "validating resolvers fail the zone from then on unless a newer version is published.");
    for (const ZoneMetrics& z : m.zones) {
      if (z.published && z.signatures_expire_at) {
        f.sample({{"zone", z.zone}}, fmt::format("{}", static_cast<std::int64_t>(*z.signatures_expire_at)));
      }
    }
  }
  {
    Family f(out, "rdnsprov_zone_ds_confirmation_pending",
             "Signed zones: 1 while a key rollover waits for the operator to submit a new DS to the parent and "
             "confirm it (rdnsprov keys ds-seen); the rollover goes no further until then.");
    for (const ZoneMetrics& z : m.zones) {
      if (z.ds_confirmation_pending) f.sample({{"zone", z.zone}}, *z.ds_confirmation_pending ? "1" : "0");
    }
  }
  {
    Family f(out, "rdnsprov_zone_held", "1 when the last run held the zone: it keeps serving its last published version.");
    for (const ZoneMetrics& z : m.zones) f.sample({{"zone", z.zone}}, z.held ? "1" : "0");
  }
  {
    Family f(out, "rdnsprov_zone_gate_held", "1 when the gate held the zone (or failed) in the last run, else 0.");
    for (const ZoneMetrics& z : m.zones) {
      for (const auto& [gate, held] : z.gates_held) f.sample({{"zone", z.zone}, {"gate", gate}}, held ? "1" : "0");
    }
  }
  {
    Family f(out, "rdnsprov_zone_lagging_servers",
             "Nameservers of the zone that did not serve its published serial when the last run ended.");
    for (const ZoneMetrics& z : m.zones) f.sample({{"zone", z.zone}}, number(z.lagging_servers));
  }
  return out;
}

void write_metrics_file(const std::filesystem::path& file, const RunMetrics& metrics) {
  dns::write_file_atomically(file, metrics_text(metrics), 0644);
}

}  // namespace rdnsprov::publisher
