// A strict reader of the Prometheus text exposition format (0.0.4) as node_exporter's textfile collector reads it:
// every line is a HELP, a TYPE or a sample; each family has one HELP and one TYPE before its samples and its
// samples together; names and label names are valid; label values are quoted with only \\, \" and \n escapes; no
// series appears twice; values are numbers; the file ends with a newline.
//
//   PrometheusText text = parse_prometheus_text(file_contents);
//   EXPECT_TRUE(text.problems.empty()) << text.problems.front();
//   text.value("rdnsprov_zone_serial", {{"zone", "193.in-addr.arpa"}});   // optional<double>
//
// Header-only, for the tests that check rdnsprov's metrics files.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace rdnsprov::testing {

struct PrometheusSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct PrometheusText {
  std::map<std::string, std::string> types;  // family → type
  std::map<std::string, std::string> help;   // family → help text (escaped form)
  std::vector<PrometheusSample> samples;
  std::vector<std::string> problems;         // "line N: …"

  std::optional<double> value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const PrometheusSample& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
  std::vector<PrometheusSample> family(const std::string& name) const {
    std::vector<PrometheusSample> out;
    for (const PrometheusSample& s : samples) {
      if (s.name == name) out.push_back(s);
    }
    return out;
  }
};

inline bool prometheus_name_ok(const std::string& n, bool allow_colon) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(n[i]);
    bool ok = std::isalpha(c) || c == '_' || (allow_colon && c == ':') || (i > 0 && std::isdigit(c));
    if (!ok) return false;
  }
  return true;
}

inline PrometheusText parse_prometheus_text(const std::string& text) {
  PrometheusText out;
  if (text.empty() || text.back() != '\n') out.problems.push_back("the file does not end with a newline");
  std::set<std::string> series;
  std::set<std::string> finished;  // families whose samples are over
  std::string current;             // family of the lines being read
  std::istringstream in(text);
  int n = 0;
  auto problem = [&](const std::string& what) { out.problems.push_back("line " + std::to_string(n) + ": " + what); };
  auto enter = [&](const std::string& family) {
    if (family == current) return;
    if (!current.empty()) finished.insert(current);
    if (finished.count(family)) problem("family " + family + " is split in several places");
    current = family;
  };
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty()) {
      problem("empty line");
      continue;
    }
    if (line[0] == '#') {
      std::istringstream fields(line);
      std::string hash, keyword, name;
      fields >> hash >> keyword >> name;
      if (hash != "#" || (keyword != "HELP" && keyword != "TYPE")) {
        problem("a comment other than HELP or TYPE: " + line);
        continue;
      }
      if (!prometheus_name_ok(name, true)) problem("bad metric name " + name);
      enter(name);
      std::string rest;
      std::getline(fields >> std::ws, rest);
      if (keyword == "HELP") {
        if (out.help.count(name)) problem("second HELP for " + name);
        if (out.types.count(name)) problem("HELP after TYPE of " + name);  // rdnsprov writes HELP first
        out.help[name] = rest;
        for (std::size_t i = 0; i < rest.size(); ++i) {
          if (rest[i] == '\\' && (i + 1 >= rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n'))) {
            problem("bad escape in HELP of " + name);
          }
          if (rest[i] == '\\') ++i;
        }
      } else {
        static const std::set<std::string> kinds{"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kinds.count(rest)) problem("unknown TYPE " + rest);
        if (out.types.count(name)) problem("second TYPE for " + name);
        out.types[name] = rest;
      }
      continue;
    }
    PrometheusSample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!prometheus_name_ok(s.name, true)) problem("bad metric name " + s.name);
    std::string key = s.name + "{";
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find('=', i);
        if (eq == std::string::npos) {
          problem("label without =");
          break;
        }
        std::string label = line.substr(i, eq - i);
        if (!prometheus_name_ok(label, false) || label.starts_with("__")) problem("bad label name " + label);
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') {
          problem("label value not quoted");
          break;
        }
        ++i;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size()) break;
            char e = line[i++];
            if (e == '\\') value += '\\';
            else if (e == '"') value += '"';
            else if (e == 'n') value += '\n';
            else problem(std::string("bad escape \\") + e + " in a label value");
          } else {
            value += c;
          }
        }
        if (!closed) {
          problem("unterminated label value");
          break;
        }
        if (s.labels.count(label)) problem("label " + label + " twice");
        s.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') {
        problem("labels not closed");
        continue;
      }
      ++i;
    }
    for (const auto& [k, v] : s.labels) key += k + "=" + v + ",";
    if (i >= line.size() || line[i] != ' ') {
      problem("no space before the value");
      continue;
    }
    std::string value_text = line.substr(i + 1);
    std::istringstream vs(value_text);
    std::string value, timestamp, extra;
    vs >> value >> timestamp >> extra;
    if (!timestamp.empty()) problem("a timestamp (the textfile collector refuses them)");
    char* end = nullptr;
    s.value = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') problem("value is not a number: " + value);
    enter(s.name);
    if (!out.types.count(s.name)) problem("sample of " + s.name + " before its TYPE");
    if (!out.help.count(s.name)) problem("sample of " + s.name + " without HELP");
    if (!series.insert(key).second) problem("series repeated: " + line);
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace rdnsprov::testing
