#include "ingest/domain_object.h"

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dns/encoding.h"
#include "dns/rdata.h"
#include "ingest/printable.h"

namespace rdnsprov::ingest {
namespace {

using dns::Name;
using Kind = ObjectVerdict::Kind;

using dns::Result;
using dns::error;

const Name& in_addr_arpa() {
  static const Name name = *Name::from_text("in-addr.arpa");
  return name;
}
const Name& ip6_arpa() {
  static const Name name = *Name::from_text("ip6.arpa");
  return name;
}
const Name& e164_arpa() {
  static const Name name = *Name::from_text("e164.arpa");
  return name;
}

std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> out;
  out.reserve(4);  // "host address" and "keytag algorithm type digest": one allocation, not three
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\t') ++pos;
    if (pos > start) out.push_back(text.substr(start, pos - start));
  }
  return out;
}

// A decimal octet as the RIPE Database writes address labels: 0-255, no sign, no leading zeros.
std::optional<int> parse_octet(std::string_view text) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > 255) return std::nullopt;
  return value;
}

std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t max) {
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

bool is_name_byte(unsigned char c, bool hostname) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         (c == '_' && !hostname);
}

// Parses a name taken from attribute `attribute` at `line`. Every byte outside letters, digits, '-', '_' and '.'
// is refused here with a reason naming it, before dns::Name sees the text: that covers every byte that could
// inject into a master file (newline, CR, ';', '"', parentheses, '$', '\', control bytes) and all non-ASCII.
// A nameserver's name is a hostname (RPSL.md: LDH labels), so '_' is refused there as well.
Result<Name> parse_name(std::string_view attribute, std::uint64_t line, std::string_view text, bool hostname) {
  auto fail = [&](const std::string& problem) {
    return error(fmt::format("{} (line {}): invalid name \"{}\": {}", attribute, line, printable_excerpt(text),
                             problem));
  };
  if (text.empty()) return error(fmt::format("{} (line {}): the value is empty", attribute, line));
  for (unsigned char c : text) {
    if (!is_name_byte(c, hostname)) {
      return fail(c == '_' ? std::string("'_' is not allowed in a host name")
                           : describe_byte(c) + " is not allowed in a name");
    }
  }
  auto name = Name::from_text(text);
  if (name) return name;
  // What is left are empty or overlong labels, or an overlong name; say which label.
  std::string_view rest = text.back() == '.' ? text.substr(0, text.size() - 1) : text;
  while (true) {
    std::size_t dot = rest.find('.');
    if (std::string problem = dns::label_problem(rest.substr(0, dot)); !problem.empty()) return fail(problem);
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return fail(name.error());
}

// What the key of a domain object names.
struct KeyForm {
  bool is_enum = false;
  bool is_range = false;
  std::uint8_t first = 0;
  std::uint8_t last = 0;
};

std::string octet_problem(std::string_view label) {
  return fmt::format("\"{}\" is not a decimal octet (0 to 255, without leading zeros)", label);
}

// RPSL.md "Names rdnsprov delegates"; returns a reason when the name is not one of them.
std::string classify(const Name& name, KeyForm& form) {
  std::size_t count = name.label_count();
  if (name.is_at_or_below(e164_arpa())) {
    form.is_enum = true;
    return {};
  }
  if (name.is_at_or_below(in_addr_arpa())) {
    std::size_t octets = count - 2;
    if (octets == 0) return "in-addr.arpa itself cannot be delegated: it has no octet labels";
    if (octets > 4) return fmt::format("too many octets: {} labels below in-addr.arpa (at most 3)", octets);
    for (std::size_t i = (octets == 4 ? 1 : 0); i < octets; ++i) {
      std::string_view label = name.label(i);
      if (label.find('-') != std::string_view::npos) {
        return "invalid use of dash notation: a range is only allowed as the first of four labels "
               "(A-B.Z.Y.X.in-addr.arpa)";
      }
      if (!parse_octet(label)) return octet_problem(label);
    }
    if (octets < 4) return {};
    std::string_view first_label = name.label(0);
    std::size_t dash = first_label.find('-');
    if (dash == std::string_view::npos) {
      if (!parse_octet(first_label)) return octet_problem(first_label);
      return "too many octets: a fourth octet label names a single address, which is not delegated "
             "(use a range A-B.Z.Y.X.in-addr.arpa)";
    }
    auto first = parse_octet(first_label.substr(0, dash));
    auto last = parse_octet(first_label.substr(dash + 1));
    if (!first || !last) {
      return fmt::format("invalid use of dash notation: \"{}\" is not a range A-B of decimal octets", first_label);
    }
    if (*first >= *last) {
      return fmt::format("invalid use of dash notation: in \"{}\" the first address must be below the last",
                         first_label);
    }
    if (*first == 0 && *last == 255) {
      return "invalid use of dash notation: 0-255 is the whole /24, which is written with three labels "
             "(Z.Y.X.in-addr.arpa)";
    }
    form.is_range = true;
    form.first = static_cast<std::uint8_t>(*first);
    form.last = static_cast<std::uint8_t>(*last);
    return {};
  }
  if (name.is_at_or_below(ip6_arpa())) {
    std::size_t nibbles = count - 2;
    if (nibbles == 0) return "ip6.arpa itself cannot be delegated: it has no nibble labels";
    if (nibbles > 32) return fmt::format("too many labels: {} nibbles below ip6.arpa (at most 32)", nibbles);
    for (std::size_t i = 0; i < nibbles; ++i) {
      std::string_view label = name.label(i);
      bool hex = label.size() == 1 && ((label[0] >= '0' && label[0] <= '9') || (label[0] >= 'a' && label[0] <= 'f'));
      if (!hex) return fmt::format("\"{}\" is not a single hexadecimal nibble", label);
    }
    return {};
  }
  return "not a reverse DNS name: it is not below in-addr.arpa, ip6.arpa or e164.arpa";
}

// RPSL.md "nserver": inside means at or below the delegated name; for a range A-B.Z.Y.X.in-addr.arpa also at or
// below N.Z.Y.X.in-addr.arpa for any whole label N in A..B (the RIPE Database compares only the last digit of N;
// rdnsprov compares the whole octet).
bool is_inside(const Name& host, const Name& child, const KeyForm& form) {
  if (host.is_at_or_below(child)) return true;
  if (!form.is_range) return false;
  Name block = child.parent();
  if (!host.is_below(block)) return false;
  auto octet = parse_octet(host.label(host.label_count() - block.label_count() - 1));
  return octet && *octet >= form.first && *octet <= form.last;
}

struct Nameservers {
  std::vector<Name> hosts;
  std::vector<dns::GlueAddress> glue;
};

Result<Nameservers> check_nservers(const std::vector<const RpslAttribute*>& nservers, const Name& child,
                                   const KeyForm& form) {
  Nameservers out;
  std::string domain = child.to_text_no_dot();
  // Hosts inside the delegation without an address on their line: another line must give one.
  std::vector<std::pair<Name, std::uint64_t>> needing_glue;
  for (const RpslAttribute* attribute : nservers) {
    const std::uint64_t line = attribute->line;
    std::vector<std::string_view> parts = fields(attribute->value);
    if (parts.empty()) return error(fmt::format("nserver (line {}): the value is empty", line));
    if (parts.size() > 2) {
      return error(fmt::format("nserver (line {}): expected \"host\" or \"host address\" (one address a line), "
                               "found {} fields in \"{}\"",
                               line, parts.size(), printable_excerpt(attribute->value)));
    }
    auto host = parse_name("nserver", line, parts[0], /*hostname=*/true);
    if (!host) return error(host.error());
    if (host->is_root()) return error(fmt::format("nserver (line {}): the root is not a nameserver name", line));
    bool inside = is_inside(*host, child, form);
    if (parts.size() == 2) {
      std::string_view address = parts[1];
      // Only hex digits, dots and colons reach the address parser, so the reason can quote what it refuses.
      bool plausible = address.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos;
      dns::RRType type = dns::RRType::kA;
      auto rdata = plausible ? dns::rdata::address_from_text(address, type) : Result<std::string>(error(""));
      if (!rdata) {
        return error(fmt::format("nserver (line {}): \"{}\" is not an IPv4 or IPv6 address", line,
                                 printable_excerpt(address)));
      }
      if (!inside) {
        return error(fmt::format("nserver (line {}): glue {} given for {}, which is not inside {}", line, address,
                                 host->to_text_no_dot(), domain));
      }
      out.glue.push_back(dns::GlueAddress{*host, type, std::move(rdata).value()});
    } else if (inside) {
      needing_glue.emplace_back(*host, line);
    }
    out.hosts.push_back(std::move(host).value());
  }
  for (const auto& [host, line] : needing_glue) {
    bool has_glue = false;
    for (const dns::GlueAddress& glue : out.glue) has_glue = has_glue || glue.host == host;
    if (!has_glue) {
      return error(fmt::format("nserver (line {}): {} is inside {} and needs a glue address", line,
                               host.to_text_no_dot(), domain));
    }
  }
  return out;
}

// Digest lengths of the DS digest types RPSL.md names (RFC 3658, RFC 4509, RFC 5933, RFC 6605).
struct DigestType {
  std::uint8_t code;
  const char* name;
  std::size_t octets;
};
constexpr DigestType kDigestTypes[] = {{1, "SHA-1", 20}, {2, "SHA-256", 32}, {3, "GOST R 34.11-94", 32},
                                       {4, "SHA-384", 48}};

// One ds-rdata value as DS rdata in wire form; a remark on an unknown digest type goes to `warnings`.
Result<std::string> check_ds(const RpslAttribute& attribute, std::vector<std::string>& warnings) {
  const std::uint64_t line = attribute.line;
  std::string_view value = attribute.value;
  // Parentheses are allowed (around the digest, as in master files); every other byte that could inject is not.
  for (unsigned char c : value) {
    if (c < 0x20 || c >= 0x7f || c == ';' || c == '"' || c == '$' || c == '\\') {
      return error(fmt::format("ds-rdata (line {}): {} is not allowed in \"{}\"", line, describe_byte(c),
                               printable_excerpt(value)));
    }
  }
  std::vector<std::string_view> parts = fields(value);
  if (parts.size() < 4) {
    return error(fmt::format("ds-rdata (line {}): expected \"keytag algorithm digesttype digest\", found \"{}\"",
                             line, printable_excerpt(value)));
  }
  struct NumberField {
    const char* what;
    std::uint32_t min;
    std::uint32_t max;
  };
  constexpr NumberField kNumbers[] = {{"key tag", 0, 65535}, {"algorithm", 1, 255}, {"digest type", 1, 255}};
  std::uint32_t numbers[3] = {};
  for (std::size_t i = 0; i < 3; ++i) {
    std::string_view text = parts[i];
    if (text.find_first_of("()") != std::string_view::npos) {
      return error(fmt::format("ds-rdata (line {}): parentheses are only allowed around the digest", line));
    }
    auto number = parse_decimal(text, kNumbers[i].max);
    if (!number || *number < kNumbers[i].min) {
      return error(fmt::format("ds-rdata (line {}): {} \"{}\" is not a number from {} to {}", line,
                               kNumbers[i].what, printable_excerpt(text), kNumbers[i].min, kNumbers[i].max));
    }
    numbers[i] = *number;
  }
  std::string digest_text;
  for (std::size_t i = 3; i < parts.size(); ++i) {
    for (char c : parts[i]) {
      if (c != '(' && c != ')') digest_text.push_back(c);
    }
  }
  if (digest_text.empty()) return error(fmt::format("ds-rdata (line {}): the digest is missing", line));
  auto digest = dns::from_hex(digest_text);
  if (!digest) {
    return error(fmt::format("ds-rdata (line {}): the digest \"{}\" is not an even number of hexadecimal digits",
                             line, printable_excerpt(digest_text)));
  }
  const auto digest_type = static_cast<std::uint8_t>(numbers[2]);
  const DigestType* known = nullptr;
  for (const DigestType& type : kDigestTypes) {
    if (type.code == digest_type) known = &type;
  }
  if (known && digest->size() != known->octets) {
    return error(fmt::format("ds-rdata (line {}): a {} digest (type {}) has {} octets, this one has {}", line,
                             known->name, known->code, known->octets, digest->size()));
  }
  if (!known) {
    warnings.push_back(fmt::format("ds-rdata (line {}): digest type {} is unknown; its length ({} octets) was not "
                                   "checked",
                                   line, digest_type, digest->size()));
  }
  return dns::rdata::ds(static_cast<std::uint16_t>(numbers[0]), static_cast<std::uint8_t>(numbers[1]), digest_type,
                        *digest);
}

// Everything but the class check: an empty string when the object is acceptable (or skipped), else the reason.
std::string check_object(const RpslObject& object, const dns::Origin& origin, DomainCheck& check) {
  ObjectVerdict& verdict = check.verdict;
  const RpslAttribute& key = object.attributes.front();
  std::vector<const RpslAttribute*> nservers;
  std::vector<const RpslAttribute*> ds_rdata;
  nservers.reserve(object.attributes.size());
  for (std::size_t i = 1; i < object.attributes.size(); ++i) {
    const RpslAttribute& attribute = object.attributes[i];
    if (attribute.name == "domain") {
      return fmt::format("domain (line {}): more than one domain attribute (the first is on line {})",
                         attribute.line, key.line);
    }
    if (attribute.name == "nserver") nservers.push_back(&attribute);
    if (attribute.name == "ds-rdata") ds_rdata.push_back(&attribute);
  }
  if (key.value.empty()) return fmt::format("domain (line {}): the key is missing", key.line);
  auto name = parse_name("domain", key.line, key.value, /*hostname=*/false);
  if (!name) return name.error();
  KeyForm form;
  if (std::string problem = classify(*name, form); !problem.empty()) {
    return fmt::format("domain (line {}): {}", key.line, problem);
  }
  // ENUM shares the class but is not ours to delegate: skipped whatever else the object holds.
  if (form.is_enum) {
    verdict.kind = Kind::kEnumSkipped;
    return {};
  }
  check.name = *name;
  check.is_range = form.is_range;
  check.range_first = form.first;
  check.range_last = form.last;

  if (!object.syntax_errors.empty()) {
    const auto& [line, problem] = object.syntax_errors.front();
    std::string more = object.syntax_errors.size() > 1
                           ? fmt::format(" (and {} more syntax errors)", object.syntax_errors.size() - 1)
                           : std::string();
    return fmt::format("line {}: {}{}", line, problem, more);
  }

  auto nameservers = check_nservers(nservers, *name, form);
  if (!nameservers) return nameservers.error();
  std::vector<std::string> ds;
  for (const RpslAttribute* attribute : ds_rdata) {
    auto rdata = check_ds(*attribute, verdict.warnings);
    if (!rdata) return rdata.error();
    ds.push_back(std::move(rdata).value());
  }
  if (nservers.empty()) {
    if (!ds_rdata.empty()) {
      return fmt::format("ds-rdata (line {}): ds-rdata without nserver (a DS record needs a delegation)",
                         ds_rdata.front()->line);
    }
    verdict.kind = Kind::kWithoutNserver;
    verdict.warnings.clear();
    return {};
  }

  dns::Delegation delegation;
  delegation.child = *name;
  delegation.nameservers = std::move(nameservers->hosts);
  delegation.glue = std::move(nameservers->glue);
  delegation.ds = std::move(ds);
  delegation.origin = origin;
  delegation.normalise();
  if (form.is_range) {
    verdict.kind = Kind::kClassless;
    verdict.classless.block = name->parent();
    verdict.classless.first = form.first;
    verdict.classless.last = form.last;
    verdict.classless.delegation = std::move(delegation);
  } else {
    verdict.kind = Kind::kDelegation;
    verdict.delegation = std::move(delegation);
  }
  return {};
}

}  // namespace

DomainCheck check_domain_object(const RpslObject& object, const dns::Origin& origin) {
  DomainCheck check;
  if (object.class_name() != "domain") {
    check.verdict.kind = ObjectVerdict::Kind::kNotDomain;
    return check;
  }
  if (std::string reason = check_object(object, origin, check); !reason.empty()) {
    check.verdict.kind = ObjectVerdict::Kind::kRejected;
    check.verdict.reason = std::move(reason);
    check.verdict.warnings.clear();
  }
  return check;
}

}  // namespace rdnsprov::ingest
