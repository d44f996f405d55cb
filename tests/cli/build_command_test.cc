// `rdnsprov check` and `rdnsprov build` driven as an operator would: the bundled example, a generated export,
// hostile input, a PostgreSQL source, and the errors that must stop a build.
#include <zlib.h>

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dns/atomic_file.h"
#include "tests/support/postgres_server.h"
#include "tests/support/support.h"

namespace rdnsprov::cli {
namespace {

namespace fs = std::filesystem;
using rdnsprov::testing::CommandResult;
using rdnsprov::testing::run_command;
using rdnsprov::testing::run_rdnsprov;
using rdnsprov::testing::source_dir;
using rdnsprov::testing::TempDir;

constexpr const char* kNow = "1800000000";

std::string config_text(const std::string& sources) {
  return "[general]\nstate = state\nregistry = TEST-RIR\n" + sources +
         "\n[zone-defaults]\nsoa-mname = ns0.test-rir.net\nsoa-rname = hostmaster@test-rir.net\n"
         "nameserver = ns1.test-rir.net\nnameserver = ns2.test-rir.net\n"
         "[zone.10.in-addr.arpa]\n[zone.11.in-addr.arpa]\n[zone.0.0.2.ip6.arpa]\n";
}

// A deterministic export: /16 and /24 delegations in two /8s, DS on some, in-zone glue on some, dash ranges,
// ip6.arpa /32–/48.
std::string generated_export(int objects) {
  std::string out = "% generated test export\n\n";
  for (int i = 0; i < objects; ++i) {
    int kind = i % 10;
    std::string key;
    std::string extra;
    if (kind < 5) {
      key = fmt::format("{}.{}.10.in-addr.arpa", i % 256, (i / 256) % 256);
    } else if (kind == 5) {
      key = fmt::format("{}.11.in-addr.arpa", (i / 10) % 256);
      if (i >= 2000) continue;  // /16 keys unique, and none above the dash ranges in 200-255.11
    } else if (kind == 6) {
      key = fmt::format("{}.{}.10.in-addr.arpa", (i / 10) % 256, 200 + (i / 2560) % 50);
    } else if (kind < 9) {
      key = fmt::format("{:x}.{:x}.{:x}.{:x}.{:x}.0.0.2.ip6.arpa", i % 16, (i / 16) % 16, (i / 256) % 16,
                        (i / 4096) % 16, (i / 65536) % 16);
    } else {
      int block = i / 10;
      if (block >= 65536) continue;
      key = fmt::format("{}-{}.{}.{}.11.in-addr.arpa", 0, 63, block % 256, 200 + (block / 256) % 56);
      if (block / 256 >= 56) continue;
    }
    out += fmt::format("domain:         {}\ndescr:          object {}\n", key, i);
    if (i % 7 == 0) {
      out += fmt::format("nserver:        ns1.{} 10.{}.{}.53\n", key.find("ip6") != std::string::npos ? key : key,
                         (i / 256) % 256, i % 256);
      if (key.find("ip6") != std::string::npos) {
        out.resize(out.rfind("nserver:"));
        out += fmt::format("nserver:        ns1.{} 2001:db8::{:x}\n", key, i);
      }
    }
    out += fmt::format("nserver:        ns1.example-{}.net\nnserver:        ns2.example-{}.net\n", i % 97, i % 89);
    if (i % 6 == 0) {
      out += fmt::format("ds-rdata:       {} 13 2 {:064X}\n", i % 65536, static_cast<unsigned long long>(i) * 2654435761ULL);
    }
    out += "source:         TEST-RIR\n\n";
  }
  return out;
}

void write_gzip(const fs::path& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

std::map<std::string, std::string> read_zones(const fs::path& dir) {
  std::map<std::string, std::string> zones;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".zone") zones[e.path().filename().string()] = dns::read_file(e.path());
  }
  return zones;
}

// named-checkzone -i local: "full" would resolve every out-of-zone nameserver name through the DNS (no network
// here, seconds per name); in-zone glue and delegations are what these checks are about.
void expect_checkers_accept(const fs::path& dir) {
  for (const auto& [file, text] : read_zones(dir)) {
    std::string zone = file.substr(0, file.size() - 5);
    CommandResult named = run_command({"named-checkzone", "-q", "-i", "local", "-k", "fail", zone, (dir / file).string()});
    EXPECT_EQ(named.exit_code, 0) << zone << ": " << named.all();
    CommandResult knot = run_command({"kzonecheck", "-o", zone, (dir / file).string()});
    EXPECT_EQ(knot.exit_code, 0) << zone << ": " << knot.all();
  }
}

TEST(BuildCommand, TheBundledExampleBuildsIntoZonesTheCheckersAccept) {
  TempDir dir;
  fs::path config = source_dir() / "ops" / "examples" / "rdnsprov.conf";
  CommandResult r = run_rdnsprov({"--now", kNow, "-c", config.string(), "build", "--out", (dir / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto zones = read_zones(dir / "out");
  EXPECT_EQ(zones.size(), 3u);
  expect_checkers_accept(dir / "out");
  auto summary = nlohmann::json::parse(dns::read_file(dir / "out" / "summary.json"));
  EXPECT_EQ(summary["ingest"]["delegations"], 9);
  EXPECT_EQ(summary["ingest"]["classless"], 3);
  EXPECT_EQ(summary["ingest"]["enum_skipped"], 1);
  EXPECT_EQ(summary["ingest"]["without_nserver"], 1);
  EXPECT_EQ(summary["ingest"]["rejected"], 11);
  EXPECT_EQ(summary["rejects"]["by_reason"]["duplicate-key"], 2);
  EXPECT_EQ(summary["placement_errors"]["total"], 2);
  // One line per reject, each naming file:line, key and reason.
  std::istringstream rejects(dns::read_file(dir / "out" / "rejects.txt"));
  std::string line;
  int lines = 0;
  while (std::getline(rejects, line)) {
    ++lines;
    EXPECT_NE(line.find("example.db.domain:"), std::string::npos) << line;
    EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 2) << line;
  }
  EXPECT_EQ(lines, 13);
  // RFC 2317: every address of 130-140 has its CNAME.
  const std::string& z193 = zones.at("193.in-addr.arpa.zone");
  for (int a = 130; a <= 140; ++a) {
    EXPECT_NE(z193.find(fmt::format("{0}.7.5.193.in-addr.arpa.\t86400\tIN\tCNAME\t{0}.130-140.7.5.193.in-addr.arpa.", a)),
              std::string::npos) << a;
  }
  EXPECT_EQ(z193.find("129.7.5.193.in-addr.arpa."), std::string::npos);
}

TEST(BuildCommand, AGeneratedExportBuildsDeterministicallyAndPassesTheCheckers) {
  TempDir dir;
  write_gzip(dir / "export.db.gz", generated_export(20000));
  std::ofstream(dir / "rdnsprov.conf") << config_text("[source.dump]\ntype = rpsl\npath = export.db.gz\n");
  for (const char* out : {"a", "b"}) {
    CommandResult r = run_rdnsprov({"--now", kNow, "-c", (dir / "rdnsprov.conf").string(), "build", "--out",
                                    (dir / out).string()});
    ASSERT_EQ(r.exit_code, 0) << r.all();
  }
  auto a = read_zones(dir / "a");
  EXPECT_EQ(a, read_zones(dir / "b"));
  EXPECT_EQ(dns::read_file(dir / "a" / "summary.json"), dns::read_file(dir / "b" / "summary.json"));
  expect_checkers_accept(dir / "a");
  auto summary = nlohmann::json::parse(dns::read_file(dir / "a" / "summary.json"));
  EXPECT_GT(summary["ingest"]["delegations"].get<int>(), 14000);
  EXPECT_GT(summary["ingest"]["classless"].get<int>(), 100);
  EXPECT_EQ(summary["ingest"]["rejected"], 0);
  EXPECT_EQ(summary["placement_errors"]["total"], 0);
}

TEST(BuildCommand, HostileObjectsAreRejectedAndLeaveTheZonesUntouched) {
  TempDir dir;
  std::string clean = generated_export(300);
  std::string hostile = clean +
      "domain: 1.10.in-addr.arpa\nnserver: ns1.example.net\nnserver: evil.example.net. 3600 IN A 192.0.2.1\n\n"
      "domain: 2.10.in-addr.arpa\nnserver: ns1.example.net\nds-rdata: 1 13 2 AB\"; $INCLUDE /etc/passwd\n\n"
      "domain: 3.10.in-addr.arpa\nnserver: $INCLUDE.example.net\n\n"
      "domain: ../../etc/passwd.in-addr.arpa\nnserver: ns1.example.net\n\n"
      "domain: 4.10.in-addr.arpa\nnserver: ns1.example.net\x01\n\n"
      "domain: 5.10.in-addr.arpa\nnserver: ns1.example.net (\n\n"
      "domain: 6.10.in-addr.arpa\nnserver: ns1.exa\\mple.net\n\n"
      "domain: 7.10.in-addr.arpa\r\nnserver: ns1.example.net\rIN NS evil.example.\r\n\r\n"
      "domain: 8.10.in-addr.arpa;evil\nnserver: ns1.example.net\n\n";
  std::ofstream(dir / "clean.db") << clean;
  std::ofstream(dir / "hostile.db") << hostile;
  std::ofstream(dir / "clean.conf") << config_text("[source.dump]\ntype = rpsl\npath = clean.db\n");
  std::ofstream(dir / "hostile.conf") << config_text("[source.dump]\ntype = rpsl\npath = hostile.db\n");
  CommandResult a = run_rdnsprov({"--now", kNow, "-c", (dir / "clean.conf").string(), "build", "--out", (dir / "a").string()});
  CommandResult b = run_rdnsprov({"--now", kNow, "-c", (dir / "hostile.conf").string(), "build", "--out", (dir / "b").string()});
  ASSERT_EQ(a.exit_code, 0) << a.all();
  ASSERT_EQ(b.exit_code, 0) << b.all();
  EXPECT_EQ(read_zones(dir / "a"), read_zones(dir / "b"));
  for (const auto& [file, text] : read_zones(dir / "b")) {
    EXPECT_EQ(text.find("evil"), std::string::npos) << file;
    EXPECT_EQ(text.find("$INCLUDE"), std::string::npos) << file;
    EXPECT_EQ(text.find('\r'), std::string::npos) << file;
  }
  auto summary = nlohmann::json::parse(dns::read_file(dir / "b" / "summary.json"));
  auto clean_summary = nlohmann::json::parse(dns::read_file(dir / "a" / "summary.json"));
  EXPECT_EQ(clean_summary["ingest"]["rejected"].get<int>(), 0) << clean_summary.dump(2);
  EXPECT_EQ(summary["ingest"]["rejected"].get<int>(), 9) << summary.dump(2);
  EXPECT_EQ(summary["ingest"]["delegations"], clean_summary["ingest"]["delegations"]);
  EXPECT_EQ(summary["placement_errors"]["total"].get<int>(), 0) << summary.dump(2);
  // No output file outside the output directory.
  EXPECT_FALSE(fs::exists(dir / "etc"));
}

TEST(BuildCommand, APostgresSourceBuildsTheSameZonesAsTheFileWithTheSameObjects) {
  TempDir dir;
  std::string text = generated_export(3000);
  std::ofstream(dir / "export.db") << text;
  rdnsprov::testing::PostgresServer server;
  server.create_database("registry");
  server.psql("CREATE TABLE domain_objects (id bigint PRIMARY KEY, object text NOT NULL)", "registry");
  // One row per object, in file order.
  std::string copy = "COPY domain_objects (id, object) FROM STDIN;\n";
  std::istringstream in(text);
  std::string line, object;
  int id = 0;
  auto flush = [&] {
    if (object.empty() || object[0] == '%') {
      object.clear();
      return;
    }
    std::string escaped;
    for (char c : object) {
      if (c == '\n') escaped += "\\n";
      else if (c == '\\') escaped += "\\\\";
      else if (c == '\t') escaped += "\\t";
      else escaped += c;
    }
    copy += fmt::format("{}\t{}\n", ++id, escaped);
    object.clear();
  };
  while (std::getline(in, line)) {
    if (line.empty()) flush();
    else object += line + "\n";
  }
  flush();
  copy += "\\.\n";
  std::ofstream(dir / "load.sql") << copy;
  CommandResult load = run_command({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", (dir / "load.sql").string(),
                                    server.conninfo("registry")});
  ASSERT_EQ(load.exit_code, 0) << load.all();
  std::ofstream(dir / "file.conf") << config_text("[source.dump]\ntype = rpsl\npath = export.db\n");
  std::ofstream(dir / "db.conf") << config_text(
      "[source.db]\ntype = postgres\nconninfo = " + server.conninfo("registry") +
      "\nquery = SELECT id, object FROM domain_objects ORDER BY id\n");
  CommandResult a = run_rdnsprov({"--now", kNow, "-c", (dir / "file.conf").string(), "build", "--out", (dir / "a").string()});
  CommandResult b = run_rdnsprov({"--now", kNow, "-c", (dir / "db.conf").string(), "build", "--out", (dir / "b").string()});
  ASSERT_EQ(a.exit_code, 0) << a.all();
  ASSERT_EQ(b.exit_code, 0) << b.all();
  auto zones = read_zones(dir / "a");
  ASSERT_EQ(zones.size(), 3u);
  EXPECT_EQ(zones, read_zones(dir / "b"));
  // A database that cannot be reached stops the build, naming the source (exit 1).
  server.stop();
  CommandResult down = run_rdnsprov({"--now", kNow, "-c", (dir / "db.conf").string(), "build", "--out", (dir / "c").string()});
  EXPECT_EQ(down.exit_code, 1) << down.all();
  EXPECT_NE(down.all().find("source db"), std::string::npos) << down.all();
  EXPECT_FALSE(fs::exists(dir / "c" / "summary.json"));
}

TEST(BuildCommand, BrokenSourcesAndConfigurationStopTheBuild) {
  TempDir dir;
  std::ofstream(dir / "missing.conf") << config_text("[source.dump]\ntype = rpsl\npath = nowhere.db.gz\n");
  CommandResult missing = run_rdnsprov({"-c", (dir / "missing.conf").string(), "build", "--out", (dir / "o").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.all().find("nowhere.db.gz"), std::string::npos) << missing.all();
  EXPECT_FALSE(fs::exists(dir / "o"));

  // A gzip export cut short is incomplete: never taken as the whole registry.
  write_gzip(dir / "full.db.gz", generated_export(2000));
  std::string bytes = dns::read_file(dir / "full.db.gz");
  dns::write_file_atomically(dir / "cut.db.gz", bytes.substr(0, bytes.size() / 2));
  std::ofstream(dir / "cut.conf") << config_text("[source.dump]\ntype = rpsl\npath = cut.db.gz\n");
  CommandResult cut = run_rdnsprov({"-c", (dir / "cut.conf").string(), "build", "--out", (dir / "o").string()});
  EXPECT_EQ(cut.exit_code, 1) << cut.all();
  EXPECT_NE(cut.all().find("cut.db.gz"), std::string::npos) << cut.all();

  std::ofstream(dir / "bad.conf") << config_text("[source.dump]\ntype = rpsl\npath = full.db.gz\nflavour = vanilla\n");
  CommandResult bad = run_rdnsprov({"-c", (dir / "bad.conf").string(), "check"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.all().find("bad.conf:7: [source.dump] unknown key \"flavour\""), std::string::npos) << bad.all();

  CommandResult usage = run_rdnsprov({"-c", (dir / "bad.conf").string(), "build"});
  EXPECT_EQ(usage.exit_code, 2) << usage.all();
  EXPECT_EQ(run_rdnsprov({"frobnicate"}).exit_code, 2);
}

TEST(BuildCommand, GlobalOptionsAreTakenAfterTheCommandToo) {
  TempDir dir;
  fs::path config = source_dir() / "ops" / "examples" / "rdnsprov.conf";
  CommandResult before = run_rdnsprov({"--now", kNow, "-c", config.string(), "build", "--out", (dir / "a").string()});
  ASSERT_EQ(before.exit_code, 0) << before.all();
  CommandResult after = run_rdnsprov({"build", "--out", (dir / "b").string(), "--config", config.string(),
                                      "--now=" + std::string(kNow), "--log-level", "warn"});
  ASSERT_EQ(after.exit_code, 0) << after.all();
  EXPECT_EQ(read_zones(dir / "a"), read_zones(dir / "b")) << "the same configuration and clock were used";
  EXPECT_EQ(after.all().find("level=info"), std::string::npos) << "--log-level warn after the command counts";
  // The command's own options still belong to it.
  CommandResult help = run_rdnsprov({"build", "--help", "-c", config.string()});
  EXPECT_EQ(help.exit_code, 0) << help.all();
  EXPECT_NE(help.output.find("--out"), std::string::npos) << help.output;
}

}  // namespace
}  // namespace rdnsprov::cli
