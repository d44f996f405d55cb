#include "dns/rdata.h"
#include "dns/wire.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "dns/encoding.h"

namespace rdnsprov::dns::rdata {
namespace {


template <typename T>
Result<T> parse_unsigned(std::string_view text, T max, std::string_view what) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > max) {
    return error(fmt::format("{} \"{}\" is not a number from 0 to {}", what, text, static_cast<std::uint64_t>(max)));
  }
  return static_cast<T>(value);
}

Result<std::uint16_t> type_code_from_text(std::string_view text) {
  if (auto type = rrtype_from_text_any(text)) return rrtype_code(*type);
  return error(fmt::format("unknown record type \"{}\"", text));
}

void append_type_code_text(std::string& out, std::uint16_t code) { out += rrtype_to_text(static_cast<RRType>(code)); }

void append_unsigned(std::string& out, std::uint32_t value) {
  char buffer[10];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

// YYYYMMDDHHmmSS in UTC (RFC 4034 §3.2) without gmtime_r, which takes a process-wide lock in glibc: the civil
// date from a day count (H. Hinnant's days_from_civil inverse, proleptic Gregorian calendar).
void append_rrsig_time(std::string& out, std::uint32_t seconds) {
  std::int64_t days = seconds / 86400;
  std::uint32_t rest = seconds % 86400;
  days += 719468;
  std::int64_t era = days / 146097;
  auto doe = static_cast<std::uint32_t>(days - era * 146097);
  std::uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400;
  std::uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::uint32_t mp = (5 * doy + 2) / 153;
  std::uint32_t day = doy - (153 * mp + 2) / 5 + 1;
  std::uint32_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;
  char buffer[14];
  auto two = [&](std::size_t at, std::uint32_t v) {
    buffer[at] = static_cast<char>('0' + v / 10);
    buffer[at + 1] = static_cast<char>('0' + v % 10);
  };
  auto y = static_cast<std::uint32_t>(year);
  two(0, y / 100);
  two(2, y % 100);
  two(4, month);
  two(6, day);
  two(8, rest / 3600);
  two(10, rest / 60 % 60);
  two(12, rest % 60);
  out.append(buffer, sizeof buffer);
}

// The shape of each type's rdata: one list drives parsing, printing and checking.
// kNameKeepCase: a name whose letters keep the case they are written in, in the rdata and so in the signing input
// (NSEC's next name: RFC 6840 §5.1 takes NSEC out of RFC 4034 §6.2's list of rdata names that are lower-cased).
// kString: one <character-string> (RFC 1035 §3.3); kCaaTag: CAA's tag, a length octet and letters and digits
// written bare (RFC 8659 §4.1.1); kTextRest: the rest of the rdata as octets, written as one quoted string with no
// length octet (CAA's value, URI's target).
enum class Field { kU8, kU16, kU32, kTimer, kType, kTime, kName, kNameKeepCase, kAddr4, kAddr16, kHexRest,
                   kBase64Rest, kSalt, kHash, kBitmapRest, kStringsRest, kString, kCaaTag, kTextRest };

std::span<const Field> fields_of(RRType type) {
  using F = Field;
  static constexpr F kA[] = {F::kAddr4};
  static constexpr F kAaaa[] = {F::kAddr16};
  static constexpr F kName1[] = {F::kName};
  static constexpr F kSoa[] = {F::kName, F::kName, F::kU32, F::kTimer, F::kTimer, F::kTimer, F::kTimer};
  static constexpr F kDs[] = {F::kU16, F::kU8, F::kU8, F::kHexRest};
  static constexpr F kDnskey[] = {F::kU16, F::kU8, F::kU8, F::kBase64Rest};
  static constexpr F kRrsig[] = {F::kType, F::kU8, F::kU8, F::kTimer, F::kTime, F::kTime, F::kU16, F::kName,
                                 F::kBase64Rest};
  static constexpr F kNsec[] = {F::kNameKeepCase, F::kBitmapRest};
  static constexpr F kNsec3[] = {F::kU8, F::kU8, F::kU16, F::kSalt, F::kHash, F::kBitmapRest};
  static constexpr F kNsec3param[] = {F::kU8, F::kU8, F::kU16, F::kSalt};
  static constexpr F kZonemd[] = {F::kU32, F::kU8, F::kU8, F::kHexRest};
  static constexpr F kMx[] = {F::kU16, F::kName};
  static constexpr F kTxt[] = {F::kStringsRest};
  static constexpr F kSrv[] = {F::kU16, F::kU16, F::kU16, F::kName};
  // Types of operators' zones outside RRType's list, by code (RFC 3597 §5's generic form is read for them too).
  static constexpr F kHinfo[] = {F::kString, F::kString};                        // RFC 1035 §3.3.2
  static constexpr F kRp[] = {F::kName, F::kName};                               // RFC 1183 §2.2
  static constexpr F kU16Name[] = {F::kU16, F::kName};                           // AFSDB (RFC 1183), KX (RFC 2230)
  static constexpr F kNaptr[] = {F::kU16, F::kU16, F::kString, F::kString, F::kString, F::kName};  // RFC 3403 §4.1
  static constexpr F kSshfp[] = {F::kU8, F::kU8, F::kHexRest};                  // RFC 4255 §3.2
  static constexpr F kBase64[] = {F::kBase64Rest};                              // DHCID (RFC 4701), OPENPGPKEY (7929)
  static constexpr F kTlsa[] = {F::kU8, F::kU8, F::kU8, F::kHexRest};           // TLSA (RFC 6698), SMIMEA (8162)
  static constexpr F kUri[] = {F::kU16, F::kU16, F::kTextRest};                 // RFC 7553 §4.4
  static constexpr F kCaa[] = {F::kU8, F::kCaaTag, F::kTextRest};               // RFC 8659 §4.1.1
  switch (rrtype_code(type)) {
    case 13: return kHinfo;
    case 17: return kRp;
    case 18:
    case 36: return kU16Name;
    case 35: return kNaptr;
    case 44: return kSshfp;
    case 49:
    case 61: return kBase64;
    case 52:
    case 53: return kTlsa;
    case 99: return kTxt;  // SPF, RFC 7208 §3.1
    case 256: return kUri;
    case 257: return kCaa;
    default: break;
  }
  switch (type) {
    case RRType::kA: return kA;
    case RRType::kAaaa: return kAaaa;
    case RRType::kNs:
    case RRType::kCname:
    case RRType::kPtr: return kName1;
    case RRType::kSoa: return kSoa;
    case RRType::kDs:
    case RRType::kCds: return kDs;
    case RRType::kDnskey:
    case RRType::kCdnskey: return kDnskey;
    case RRType::kRrsig: return kRrsig;
    case RRType::kNsec: return kNsec;
    case RRType::kNsec3: return kNsec3;
    case RRType::kNsec3param: return kNsec3param;
    case RRType::kZonemd: return kZonemd;
    case RRType::kMx: return kMx;
    case RRType::kTxt: return kTxt;
    case RRType::kSrv: return kSrv;
    case RRType::kDname: return kName1;
  }
  return {};  // any other code: RFC 3597's generic form
}

bool is_rest(Field f) {
  return f == Field::kHexRest || f == Field::kBase64Rest || f == Field::kBitmapRest || f == Field::kStringsRest;
}

// The octets of a quoted or bare text field (RFC 1035 §5.1), its escapes (\X, \DDD) decoded.
Result<std::string> text_octets(std::string_view field) {
  bool quoted = field.size() >= 2 && field.front() == '"' && field.back() == '"';
  std::string_view text = quoted ? field.substr(1, field.size() - 2) : field;
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\') {
      if (c == '"') return error(fmt::format("stray '\"' in the character-string {}", field));
      bytes.push_back(c);
      continue;
    }
    if (i + 1 >= text.size()) return error(fmt::format("the character-string {} ends in a lone '\\'", field));
    char next = text[i + 1];
    if (next >= '0' && next <= '9') {
      unsigned value = 0;
      for (std::size_t k = 1; k <= 3; ++k) {
        char d = i + k < text.size() ? text[i + k] : 'x';
        if (d < '0' || d > '9') return error(fmt::format("escape in the character-string {} is not \\DDD", field));
        value = value * 10 + static_cast<unsigned>(d - '0');
      }
      if (value > 255) {
        return error(fmt::format("escape \\{} in the character-string {} is above 255", text.substr(i + 1, 3), field));
      }
      bytes.push_back(static_cast<char>(value));
      i += 3;
    } else {
      bytes.push_back(next);
      i += 1;
    }
  }
  return bytes;
}

// One <character-string> (RFC 1035 §5.1), quoted or not, appended to `out` with its length octet.
Result<bool> append_character_string(std::string& out, std::string_view field) {
  auto bytes = text_octets(field);
  if (!bytes) return error(bytes.error());
  if (bytes->size() > 255) {
    return error(fmt::format("a character-string holds at most 255 octets; {} has {}", field.substr(0, 40), bytes->size()));
  }
  out.push_back(static_cast<char>(bytes->size()));
  out.append(*bytes);
  return true;
}

bool is_letter_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// A <character-string> as master-file text: always quoted; '"' and '\\' escaped, every byte outside printable
// ASCII written \DDD, so the line stays one line of plain text.
void append_character_string_text(std::string& out, std::string_view bytes) {
  out.push_back('"');
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\{:03d}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

// Why the regexp of NAPTR rdata `data` is not RFC 3402 §3.2's substitution expression "delim ere delim repl delim
// flags" (empty, or a delimiter that is no digit, backslash or flag, three parts, flag "i" alone, each back
// reference \1-\9 of a subexpression the ERE has), as BIND checks it when it loads a zone; empty when it is, or when
// the data is too short to hold one (check_wire says so).
std::string naptr_regexp_problem(std::string_view data) {
  std::size_t pos = 4;
  for (int field = 0; field < 2; ++field) {  // flags, services
    if (pos >= data.size()) return {};
    pos += 1 + static_cast<unsigned char>(data[pos]);
  }
  if (pos >= data.size() || pos + 1 + static_cast<unsigned char>(data[pos]) > data.size()) return {};
  std::string_view regexp = data.substr(pos + 1, static_cast<unsigned char>(data[pos]));
  if (regexp.empty()) return {};
  const char delim = regexp[0];
  auto bad = [&](std::string_view why) {
    return fmt::format("NAPTR regexp \"{}\" is not \"delim ere delim replacement delim flags\" (RFC 3402 §3.2): {}",
                       regexp.substr(0, 60), why);
  };
  if ((delim >= '0' && delim <= '9') || delim == '\\' || delim == 'i' || delim == '\0') {
    return bad("a digit, a backslash or a flag is no delimiter");
  }
  int part = 0;  // 0 the ERE, 1 the replacement, 2 the flags
  unsigned subexpressions = 0;
  for (std::size_t i = 1; i < regexp.size(); ++i) {
    char c = regexp[i];
    if (c == '\0') return bad("a NUL octet");
    if (c == delim) {
      if (++part > 2) return bad("more than three delimiters");
      continue;
    }
    if (part == 2) {
      if (c != 'i') return bad(fmt::format("flag '{}' (only \"i\" is defined)", c));
      continue;
    }
    if (part == 0 && c == '(') ++subexpressions;
    if (c == '\\') {
      if (++i >= regexp.size()) return bad("a lone backslash at its end");
      char next = regexp[i];
      if (part == 1 && next >= '0' && next <= '9') {
        if (next == '0' || static_cast<unsigned>(next - '0') > subexpressions) {
          return bad(fmt::format("back reference \\{} to a subexpression the ERE does not have", next));
        }
      }
    }
  }
  if (part != 2) return bad("fewer than three delimiters");
  return {};
}

// Why `data` (RFC 3597 data of `type`) is not what the type's RFC says its rdata is; empty when it is, or when the
// type's structure is not known here (its data is then signed as written). Servers refuse to load such records.
std::string generic_structure_problem(RRType type, std::string_view data) {
  // The number of <character-string>s that fill `data` exactly; none when one runs past its end.
  auto strings = [](std::string_view d) -> std::optional<std::size_t> {
    std::size_t count = 0;
    std::size_t at = 0;
    for (; at < d.size(); ++count) at += 1 + static_cast<unsigned char>(d[at]);
    if (at != d.size()) return std::nullopt;
    return count;
  };
  auto at_least = [&](std::size_t n, const char* what) {
    return data.size() >= n ? std::string() : fmt::format("{} data is {} octets: {}", rrtype_to_text(type), data.size(), what);
  };
  switch (rrtype_code(type)) {
    case 13: {  // HINFO, RFC 1035 §3.3.2: CPU and OS
      auto n = strings(data);
      return n && *n == 2 ? std::string() : "HINFO data is not two character-strings (CPU and OS)";
    }
    case 35:  // NAPTR, RFC 3403 §4.1: order, preference, flags, services, regexp, replacement
      return naptr_regexp_problem(data);
    case 99: {  // SPF, RFC 7208 §3.1: as TXT
      auto n = strings(data);
      return n && *n >= 1 ? std::string() : "SPF data is not one or more character-strings";
    }
    case 19: {  // X25, RFC 1183 §3.1: the PSDN address, one <character-string> of at least 4 digits (as BIND)
      auto n = strings(data);
      bool digits = std::all_of(data.begin() + (data.empty() ? 0 : 1), data.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
      return n && *n == 1 && data.size() >= 5 && digits ? std::string()
                                                        : "X25 data is not one character-string of 4 or more digits";
    }
    case 20: {  // ISDN, RFC 1183 §3.2: the ISDN address and an optional subaddress
      auto n = strings(data);
      return n && (*n == 1 || *n == 2) ? std::string() : "ISDN data is not one or two character-strings";
    }
    case 25: {  // KEY, RFC 2535 §3.1: flags, protocol, algorithm, key; no key only with the no-key flags (0xC000)
      std::string short_data = at_least(4, "a KEY record has flags, a protocol and an algorithm (4 octets)");
      if (!short_data.empty()) return short_data;
      bool no_key = (static_cast<unsigned char>(data[0]) & 0xc0) == 0xc0;
      return data.size() > 4 || no_key ? std::string() : "KEY data has no key, and its flags do not say so (0xC000)";
    }
    case 45: {  // IPSECKEY, RFC 4025 §2.1: precedence, gateway type, algorithm, gateway, public key
      std::string short_data = at_least(3, "an IPSECKEY record has a precedence, a gateway type and an algorithm");
      if (!short_data.empty()) return short_data;
      std::size_t at = 3;
      switch (static_cast<unsigned char>(data[1])) {
        case 0: break;  // no gateway
        case 1: at += 4; break;
        case 2: at += 16; break;
        case 3:
          if (!Name::from_wire(data, at)) return "IPSECKEY gateway is not a name in uncompressed wire form";
          break;
        default:
          return fmt::format("IPSECKEY gateway type {} is not 0 to 3 (RFC 4025 §2.3)",
                             static_cast<unsigned char>(data[1]));
      }
      return at < data.size() ? std::string() : "IPSECKEY data ends before its public key";
    }
    case 55: {  // HIP, RFC 8005 §5: HIT length, PK algorithm, PK length, HIT, public key, rendezvous servers
      std::string short_data = at_least(4, "a HIP record has a HIT length, an algorithm and a key length (4 octets)");
      if (!short_data.empty()) return short_data;
      std::size_t hit = static_cast<unsigned char>(data[0]);
      std::size_t key = static_cast<std::size_t>(static_cast<unsigned char>(data[2]) << 8 | static_cast<unsigned char>(data[3]));
      if (hit == 0 || key == 0) return "HIP HIT or public key is empty";
      std::size_t at = 4 + hit + key;
      if (at > data.size()) return "HIP HIT and public key run past the data";
      while (at < data.size()) {
        if (!Name::from_wire(data, at)) return "HIP rendezvous server is not a name in uncompressed wire form";
      }
      return {};
    }
    case 62: {  // CSYNC, RFC 7477 §2.1.1: SOA serial, flags, type bitmap
      std::string short_data = at_least(6, "a CSYNC record has a SOA serial and flags (6 octets)");
      if (!short_data.empty()) return short_data;
      auto types = parse_type_bitmap(data.substr(6));
      return types ? std::string() : "CSYNC " + types.error();
    }
    case 29:  // LOC, RFC 1876 §2: version 0 is 16 octets (no other version is defined)
      return data.empty() || (data[0] == 0 && data.size() != 16) ? "LOC data of version 0 is not 16 octets (RFC 1876)"
                                                                  : std::string();
    case 37:  // CERT, RFC 4398 §2.1: type, key tag, algorithm, certificate
      return at_least(6, "a CERT record has a type, key tag and algorithm (5 octets) before its certificate");
    case 44: {  // SSHFP, RFC 4255 §3.1 and RFC 6594 §3: algorithm, fingerprint type, fingerprint
      std::string short_data = at_least(3, "an SSHFP record has an algorithm, a fingerprint type and a fingerprint");
      if (!short_data.empty()) return short_data;
      std::size_t digest = data[1] == 1 ? 20 : data[1] == 2 ? 32 : data.size() - 2;
      return data.size() - 2 == digest ? std::string()
                                       : fmt::format("SSHFP fingerprint of type {} is {} octets, not {}",
                                                     static_cast<int>(data[1]), data.size() - 2, digest);
    }
    case 52:    // TLSA, RFC 6698 §2.1
    case 53:    // SMIMEA, RFC 8162 §2
      return at_least(4, "usage, selector and matching type (3 octets) come before the association data");
    case 108:  // EUI48, RFC 7043 §3
      return data.size() == 6 ? std::string() : "EUI48 data is not 6 octets";
    case 109:  // EUI64, RFC 7043 §4
      return data.size() == 8 ? std::string() : "EUI64 data is not 8 octets";
    case 256:  // URI, RFC 7553 §4.5: priority, weight, target
      return at_least(4, "a URI record has a priority and a weight (4 octets) before its target");
    case 257: {  // CAA, RFC 8659 §4.1: flags, tag length, tag of letters and digits, value
      if (data.size() < 2) return "CAA data has no flags and tag length";
      std::size_t tag = static_cast<unsigned char>(data[1]);
      if (tag == 0 || 2 + tag > data.size()) return "CAA tag length is 0 or runs past the data";
      bool alnum = std::all_of(data.begin() + 2, data.begin() + 2 + static_cast<std::ptrdiff_t>(tag), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      });
      return alnum ? std::string() : "CAA tag is not letters and digits (RFC 8659 §4.1)";
    }
    default:
      return {};
  }
}

// RFC 3597 §5: "\# LENGTH HEX…" for a type without a presentation form here.
Result<std::string> generic_from_text(RRType type, std::span<const std::string_view> fields) {
  if (fields.empty() || fields[0] != "\\#") {
    return error("rdnsprov reads no presentation form of this type: write its data as RFC 3597's \"\\# LENGTH HEX\"");
  }
  if (fields.size() < 2) return error("\\# without a length");
  auto length = parse_unsigned<std::uint16_t>(fields[1], 65535, "rdata length");
  if (!length) return error(length.error());
  std::string hex;
  for (auto f : fields.subspan(2)) hex.append(f);
  auto bytes = from_hex(hex);
  if (!bytes) return error(fmt::format("\"{}\" is not hexadecimal data", hex.substr(0, 40)));
  if (bytes->size() != *length) {
    return error(fmt::format("\\# says {} octets, the data has {}", *length, bytes->size()));
  }
  if (std::string problem = generic_structure_problem(type, *bytes); !problem.empty()) return error(problem);
  return *bytes;
}

std::string joined(std::span<const std::string_view> fields) {
  std::string out;
  for (auto f : fields) out.append(f);
  return out;
}

}  // namespace

std::string a(const std::array<std::uint8_t, 4>& address) { return std::string(address.begin(), address.end()); }
std::string aaaa(const std::array<std::uint8_t, 16>& address) { return std::string(address.begin(), address.end()); }
std::string ns(const Name& host) { return std::string(host.wire()); }
std::string cname(const Name& target) { return std::string(target.wire()); }

std::string soa(const Soa& s) {
  std::string out(s.mname.wire());
  out.append(s.rname.wire());
  put32(out, s.serial);
  put32(out, s.refresh);
  put32(out, s.retry);
  put32(out, s.expire);
  put32(out, s.minimum);
  return out;
}

Result<Soa> parse_soa(std::string_view wire) {
  std::size_t pos = 0;
  auto mname = Name::from_wire(wire, pos);
  if (!mname) return error(mname.error());
  auto rname = Name::from_wire(wire, pos);
  if (!rname) return error(rname.error());
  if (wire.size() != pos + 20) return error("SOA rdata has the wrong length");
  return Soa{*mname, *rname, get32(wire, pos), get32(wire, pos + 4), get32(wire, pos + 8), get32(wire, pos + 12),
             get32(wire, pos + 16)};
}

std::string ds(std::uint16_t key_tag, std::uint8_t algorithm, std::uint8_t digest_type, std::string_view digest) {
  std::string out;
  put16(out, key_tag);
  out.push_back(static_cast<char>(algorithm));
  out.push_back(static_cast<char>(digest_type));
  out.append(digest);
  return out;
}

Result<std::string> address_from_text(std::string_view text, RRType& type) {
  std::string z(text);
  unsigned char buf[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, z.c_str(), buf) == 1) {
      type = RRType::kA;
      return std::string(reinterpret_cast<char*>(buf), 4);
    }
    return error(fmt::format("\"{}\" is not an IPv4 address", text));
  }
  if (inet_pton(AF_INET6, z.c_str(), buf) == 1) {
    type = RRType::kAaaa;
    return std::string(reinterpret_cast<char*>(buf), 16);
  }
  return error(fmt::format("\"{}\" is not an IPv6 address", text));
}

std::string type_bitmap(std::vector<std::uint16_t> types) {
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  std::string out;
  std::size_t i = 0;
  while (i < types.size()) {
    int window = types[i] >> 8;
    std::uint8_t bits[32] = {};
    int length = 0;
    for (; i < types.size() && (types[i] >> 8) == window; ++i) {
      int low = types[i] & 0xff;
      bits[low / 8] |= static_cast<std::uint8_t>(0x80 >> (low % 8));
      length = low / 8 + 1;
    }
    out.push_back(static_cast<char>(window));
    out.push_back(static_cast<char>(length));
    out.append(reinterpret_cast<const char*>(bits), static_cast<std::size_t>(length));
  }
  return out;
}

Result<std::vector<std::uint16_t>> parse_type_bitmap(std::string_view bitmap) {
  std::vector<std::uint16_t> types;
  std::size_t pos = 0;
  int last_window = -1;
  while (pos < bitmap.size()) {
    if (pos + 2 > bitmap.size()) return error("truncated type bitmap");
    int window = static_cast<unsigned char>(bitmap[pos]);
    int length = static_cast<unsigned char>(bitmap[pos + 1]);
    if (window <= last_window) return error("type bitmap windows out of order");
    if (length < 1 || length > 32 || pos + 2 + static_cast<std::size_t>(length) > bitmap.size()) {
      return error("bad type bitmap window length");
    }
    if (bitmap[pos + 1 + static_cast<std::size_t>(length)] == 0) {
      return error("type bitmap window ends in a zero octet (RFC 4034 §4.1.2: trailing zero octets are omitted)");
    }
    for (int b = 0; b < length; ++b) {
      auto byte = static_cast<unsigned char>(bitmap[pos + 2 + static_cast<std::size_t>(b)]);
      for (int bit = 0; bit < 8; ++bit) {
        if (byte & (0x80 >> bit)) types.push_back(static_cast<std::uint16_t>(window * 256 + b * 8 + bit));
      }
    }
    last_window = window;
    pos += 2 + static_cast<std::size_t>(length);
  }
  return types;
}

std::string rrsig_time_to_text(std::uint32_t seconds) {
  std::string out;
  append_rrsig_time(out, seconds);
  return out;
}

Result<std::uint32_t> rrsig_time_from_text(std::string_view text) {
  if (text.size() != 14) return parse_unsigned<std::uint32_t>(text, 0xffffffffu, "signature time");
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return error(fmt::format("signature time \"{}\" is not YYYYMMDDHHmmSS", text));
  }
  auto part = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    std::from_chars(text.data() + pos, text.data() + pos + len, v);
    return v;
  };
  int year = part(0, 4);
  int month = part(4, 2);
  int day = part(6, 2);
  int hour = part(8, 2);
  int minute = part(10, 2);
  int second = part(12, 2);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || (month == 2 && day == 29 && !leap) ||
      hour > 23 || minute > 59 || second > 59) {
    return error(fmt::format("signature time \"{}\" is not a date and time", text));
  }
  // Days since 1970-01-01 (H. Hinnant's days_from_civil): timegm without its process-wide lock in glibc.
  std::int64_t y = year - (month <= 2 ? 1 : 0);
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = era * 146097 + doe - 719468;
  // RFC 4034 §3.1.5: serial-number arithmetic, so the time is taken modulo 2^32.
  return static_cast<std::uint32_t>(days * 86400 + hour * 3600 + minute * 60 + second);
}

Result<std::uint32_t> ttl_from_text(std::string_view text) {
  if (text.empty()) return error("empty TTL");
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return parse_unsigned<std::uint32_t>(text, 0x7fffffffu, "TTL");
  }
  std::uint64_t total = 0;
  std::uint64_t current = 0;
  bool have_digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      current = current * 10 + static_cast<std::uint64_t>(c - '0');
      have_digit = true;
      if (current > 0xffffffffu) return error(fmt::format("TTL \"{}\" is too large", text));
      continue;
    }
    std::uint64_t unit = 0;
    switch (c) {
      case 's': case 'S': unit = 1; break;
      case 'm': case 'M': unit = 60; break;
      case 'h': case 'H': unit = 3600; break;
      case 'd': case 'D': unit = 86400; break;
      case 'w': case 'W': unit = 604800; break;
      default: return error(fmt::format("TTL \"{}\" is not a number of seconds or of units (1w2d3h4m5s)", text));
    }
    if (!have_digit) return error(fmt::format("TTL \"{}\" has a unit without a number", text));
    total += current * unit;
    current = 0;
    have_digit = false;
  }
  if (have_digit) return error(fmt::format("TTL \"{}\" ends in a number without a unit", text));
  if (total > 0x7fffffffu) return error(fmt::format("TTL \"{}\" is above 2^31-1 seconds", text));
  return static_cast<std::uint32_t>(total);
}

namespace {

// The labels `token` spells (a name as written, already parsed into the wire-format name at `out[start]`, lower
// case) get back the case they are written in; labels the origin added stay as they are. Names hold no escapes
// (the reader refuses them), so each label of the token is its label's octets.
void restore_case(std::string& out, std::size_t start, std::string_view token) {
  if (token == "@") return;
  if (token.ends_with('.')) token.remove_suffix(1);
  std::size_t pos = start;
  while (!token.empty() && pos < out.size()) {
    std::size_t length = static_cast<unsigned char>(out[pos]);
    std::size_t dot = token.find('.');
    std::string_view label = token.substr(0, dot);
    if (length == 0 || label.size() != length) return;
    out.replace(pos + 1, length, label);
    pos += 1 + length;
    token = dot == std::string_view::npos ? std::string_view() : token.substr(dot + 1);
  }
}

// Lower-cases the names of rdata `wire` of `type` that check_wire passed (RFC 4034 §6.2's canonical form, as the
// presentation form's names are read), but those whose case is kept (NSEC's next name).
void lower_names(RRType type, std::string& wire) {
  std::size_t pos = 0;
  for (Field f : fields_of(type)) {
    switch (f) {
      case Field::kU8: pos += 1; break;
      case Field::kU16:
      case Field::kType: pos += 2; break;
      case Field::kU32:
      case Field::kTimer:
      case Field::kTime:
      case Field::kAddr4: pos += 4; break;
      case Field::kAddr16: pos += 16; break;
      case Field::kName:
      case Field::kNameKeepCase:
        for (std::size_t length = static_cast<unsigned char>(wire[pos]); length != 0;
             length = static_cast<unsigned char>(wire[pos])) {
          if (f == Field::kName) {
            for (std::size_t k = pos + 1; k <= pos + length; ++k) {
              if (wire[k] >= 'A' && wire[k] <= 'Z') wire[k] = static_cast<char>(wire[k] - 'A' + 'a');
            }
          }
          pos += 1 + length;
        }
        pos += 1;
        break;
      case Field::kSalt:
      case Field::kHash:
      case Field::kString:
      case Field::kCaaTag: pos += 1 + static_cast<unsigned char>(wire[pos]); break;
      case Field::kHexRest:
      case Field::kBase64Rest:
      case Field::kBitmapRest:
      case Field::kStringsRest:
      case Field::kTextRest: return;
    }
  }
}

}  // namespace

Result<std::string> from_text(RRType type, std::span<const std::string_view> fields, const Name& origin, bool slash) {
  std::span<const Field> shape = fields_of(type);
  if (shape.empty()) return generic_from_text(type, fields);
  if (!fields.empty() && fields[0] == "\\#") {
    // RFC 3597 §5: the generic form serves known types too. Their data must fit their structure, and names in it
    // are lower-cased as the presentation form's are (the canonical form, RFC 4034 §6.2).
    auto data = generic_from_text(type, fields);
    if (!data) return data;
    if (auto fits = check_wire(type, *data); !fits) {
      return error(fmt::format("{} data in RFC 3597's form does not fit its type: {}", rrtype_to_text(type),
                               fits.error()));
    }
    lower_names(type, *data);
    return data;
  }
  std::string out;
  std::size_t i = 0;
  auto missing = [&]() { return error(fmt::format("{} record has too few fields", rrtype_to_text(type))); };
  for (Field f : shape) {
    if (!is_rest(f) && i >= fields.size()) return missing();
    switch (f) {
      case Field::kU8: {
        auto v = parse_unsigned<std::uint8_t>(fields[i++], 255, "field");
        if (!v) return error(v.error());
        out.push_back(static_cast<char>(*v));
        break;
      }
      case Field::kU16: {
        auto v = parse_unsigned<std::uint16_t>(fields[i++], 65535, "field");
        if (!v) return error(v.error());
        put16(out, *v);
        break;
      }
      case Field::kU32: {
        auto v = parse_unsigned<std::uint32_t>(fields[i++], 0xffffffffu, "field");
        if (!v) return error(v.error());
        put32(out, *v);
        break;
      }
      case Field::kTimer: {
        auto v = ttl_from_text(fields[i++]);
        if (!v) return error(v.error());
        put32(out, *v);
        break;
      }
      case Field::kType: {
        auto v = type_code_from_text(fields[i++]);
        if (!v) return error(v.error());
        put16(out, *v);
        break;
      }
      case Field::kTime: {
        auto v = rrsig_time_from_text(fields[i++]);
        if (!v) return error(v.error());
        put32(out, *v);
        break;
      }
      case Field::kName:
      case Field::kNameKeepCase: {
        std::string_view token = fields[i++];
        auto name = Name::from_text(token, origin, slash);
        if (!name) return error(name.error());
        std::size_t start = out.size();
        out.append(name->wire());
        if (f == Field::kNameKeepCase) restore_case(out, start, token);
        break;
      }
      case Field::kAddr4:
      case Field::kAddr16: {
        RRType got = RRType::kA;
        auto address = address_from_text(fields[i++], got);
        if (!address) return error(address.error());
        if ((f == Field::kAddr4) != (got == RRType::kA)) {
          return error(fmt::format("\"{}\" is not an {} address", fields[i - 1], f == Field::kAddr4 ? "IPv4" : "IPv6"));
        }
        out.append(*address);
        break;
      }
      case Field::kHexRest: {
        std::string text = joined(fields.subspan(i));
        i = fields.size();
        auto bytes = from_hex(text);
        if (!bytes || bytes->empty()) return error(fmt::format("\"{}\" is not hexadecimal data", text));
        out.append(*bytes);
        break;
      }
      case Field::kBase64Rest: {
        std::string text = joined(fields.subspan(i));
        i = fields.size();
        auto bytes = from_base64(text);
        if (!bytes || bytes->empty()) return error("invalid base64 data");
        out.append(*bytes);
        break;
      }
      case Field::kSalt: {
        std::string_view text = fields[i++];
        if (text == "-") {
          out.push_back('\0');
          break;
        }
        auto bytes = from_hex(text);
        if (!bytes || bytes->size() > 255) return error(fmt::format("salt \"{}\" is not hexadecimal", text));
        out.push_back(static_cast<char>(bytes->size()));
        out.append(*bytes);
        break;
      }
      case Field::kHash: {
        auto bytes = from_base32hex(fields[i++]);
        if (!bytes || bytes->empty() || bytes->size() > 255) return error("invalid base32hex hash");
        out.push_back(static_cast<char>(bytes->size()));
        out.append(*bytes);
        break;
      }
      case Field::kStringsRest: {
        if (i >= fields.size()) return missing();
        for (; i < fields.size(); ++i) {
          if (auto ok = append_character_string(out, fields[i]); !ok) return error(ok.error());
        }
        break;
      }
      case Field::kString: {
        if (auto ok = append_character_string(out, fields[i++]); !ok) return error(ok.error());
        break;
      }
      case Field::kCaaTag: {
        std::string_view tag = fields[i++];
        if (tag.empty() || tag.size() > 255 || !std::all_of(tag.begin(), tag.end(), is_letter_or_digit)) {
          return error(fmt::format("CAA tag \"{}\" is not letters and digits (RFC 8659 §4.1.1)", tag.substr(0, 40)));
        }
        out.push_back(static_cast<char>(tag.size()));
        out.append(tag);
        break;
      }
      case Field::kTextRest: {
        if (i + 1 != fields.size()) {
          return error(fmt::format("{} data ends in one quoted string", rrtype_to_text(type)));
        }
        if (rrtype_code(type) == 256 && (fields[i].size() < 2 || fields[i].front() != '"')) {
          return error("a URI target is written in double quotes (RFC 7553 §4.4)");
        }
        auto bytes = text_octets(fields[i++]);
        if (!bytes) return error(bytes.error());
        if (out.size() + bytes->size() > 65535) return error("rdata longer than 65,535 octets");
        out.append(*bytes);
        break;
      }
      case Field::kBitmapRest: {
        std::vector<std::uint16_t> codes;
        for (; i < fields.size(); ++i) {
          auto code = type_code_from_text(fields[i]);
          if (!code) return error(code.error());
          codes.push_back(*code);
        }
        out.append(type_bitmap(std::move(codes)));
        break;
      }
    }
  }
  if (i < fields.size()) {
    return error(fmt::format("{} record has too many fields (\"{}\" is extra)", rrtype_to_text(type), fields[i]));
  }
  if (out.size() > 65535) {
    return error(fmt::format("{} data is {} octets; rdata holds at most 65,535 (RFC 1035 §3.2.1)", rrtype_to_text(type),
                             out.size()));
  }
  if (std::string problem = generic_structure_problem(type, out); !problem.empty()) return error(problem);
  return out;
}

std::string to_text(RRType type, std::string_view wire) {
  std::string out;
  append_text(out, type, wire);
  return out;
}

void append_text(std::string& out, RRType type, std::string_view wire) {
  const std::size_t start = out.size();
  std::span<const Field> shape = fields_of(type);
  if (shape.empty()) {
    fmt::format_to(std::back_inserter(out), "\\# {}", wire.size());
    if (!wire.empty()) out.push_back(' ');
    append_hex(out, wire);
    return;
  }
  std::size_t pos = 0;
  for (Field f : shape) {
    if (out.size() != start) out.push_back(' ');
    switch (f) {
      case Field::kU8:
        append_unsigned(out, static_cast<unsigned char>(wire[pos]));
        pos += 1;
        break;
      case Field::kU16:
        append_unsigned(out, get16(wire, pos));
        pos += 2;
        break;
      case Field::kU32:
      case Field::kTimer:
        append_unsigned(out, get32(wire, pos));
        pos += 4;
        break;
      case Field::kType:
        append_type_code_text(out, get16(wire, pos));
        pos += 2;
        break;
      case Field::kTime:
        append_rrsig_time(out, get32(wire, pos));
        pos += 4;
        break;
      case Field::kName:
      case Field::kNameKeepCase:
        append_wire_name_text(out, wire, pos);
        break;
      case Field::kAddr4: {
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, wire.data() + pos, buf, sizeof buf);
        out += buf;
        pos += 4;
        break;
      }
      case Field::kAddr16: {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, wire.data() + pos, buf, sizeof buf);
        out += buf;
        pos += 16;
        break;
      }
      case Field::kHexRest:
        append_hex(out, wire.substr(pos));
        pos = wire.size();
        break;
      case Field::kBase64Rest:
        append_base64(out, wire.substr(pos));
        pos = wire.size();
        break;
      case Field::kSalt: {
        auto length = static_cast<unsigned char>(wire[pos]);
        if (length == 0) out.push_back('-');
        else append_hex(out, wire.substr(pos + 1, length));
        pos += 1 + length;
        break;
      }
      case Field::kHash: {
        auto length = static_cast<unsigned char>(wire[pos]);
        append_base32hex(out, wire.substr(pos + 1, length));
        pos += 1 + length;
        break;
      }
      case Field::kBitmapRest: {
        auto types = parse_type_bitmap(wire.substr(pos));
        assert(types.ok());
        bool first = true;
        for (auto code : *types) {
          if (!first) out.push_back(' ');
          append_type_code_text(out, code);
          first = false;
        }
        if (first && out.size() > start && out.back() == ' ') out.pop_back();
        pos = wire.size();
        break;
      }
      case Field::kStringsRest: {
        bool first = true;
        while (pos < wire.size()) {
          if (!first) out.push_back(' ');
          auto length = static_cast<unsigned char>(wire[pos]);
          append_character_string_text(out, wire.substr(pos + 1, length));
          pos += 1 + length;
          first = false;
        }
        break;
      }
      case Field::kString:
      case Field::kCaaTag: {
        auto length = static_cast<unsigned char>(wire[pos]);
        if (f == Field::kString) append_character_string_text(out, wire.substr(pos + 1, length));
        else out.append(wire.substr(pos + 1, length));
        pos += 1 + length;
        break;
      }
      case Field::kTextRest:
        append_character_string_text(out, wire.substr(pos));
        pos = wire.size();
        break;
    }
  }
}

Result<bool> check_wire(RRType type, std::string_view wire) {
  std::size_t pos = 0;
  auto need = [&](std::size_t n) { return pos + n <= wire.size(); };
  std::span<const Field> shape = fields_of(type);
  if (shape.empty()) return true;  // opaque (RFC 3597)
  for (Field f : shape) {
    switch (f) {
      case Field::kU8: if (!need(1)) return error("rdata too short"); pos += 1; break;
      case Field::kU16:
      case Field::kType: if (!need(2)) return error("rdata too short"); pos += 2; break;
      case Field::kU32:
      case Field::kTimer:
      case Field::kTime: if (!need(4)) return error("rdata too short"); pos += 4; break;
      case Field::kAddr4: if (!need(4)) return error("rdata too short"); pos += 4; break;
      case Field::kAddr16: if (!need(16)) return error("rdata too short"); pos += 16; break;
      case Field::kName:
      case Field::kNameKeepCase: {
        auto name = Name::from_wire(wire, pos);
        if (!name) return error(name.error());
        break;
      }
      case Field::kHexRest:
      case Field::kBase64Rest:
        if (pos >= wire.size()) return error("rdata too short");
        pos = wire.size();
        break;
      case Field::kSalt:
      case Field::kHash: {
        if (!need(1)) return error("rdata too short");
        std::size_t length = static_cast<unsigned char>(wire[pos]);
        if (!need(1 + length) || (f == Field::kHash && length == 0)) return error("rdata too short");
        pos += 1 + length;
        break;
      }
      case Field::kBitmapRest: {
        auto types = parse_type_bitmap(wire.substr(pos));
        if (!types) return error(types.error());
        pos = wire.size();
        break;
      }
      case Field::kStringsRest: {
        if (pos >= wire.size()) return error("rdata too short");
        while (pos < wire.size()) {
          std::size_t length = static_cast<unsigned char>(wire[pos]);
          if (!need(1 + length)) return error("character-string runs past the end of the rdata");
          pos += 1 + length;
        }
        break;
      }
      case Field::kString:
      case Field::kCaaTag: {
        if (!need(1)) return error("rdata too short");
        std::size_t length = static_cast<unsigned char>(wire[pos]);
        if (!need(1 + length)) return error("character-string runs past the end of the rdata");
        if (f == Field::kCaaTag &&
            (length == 0 || !std::all_of(wire.begin() + static_cast<std::ptrdiff_t>(pos + 1),
                                         wire.begin() + static_cast<std::ptrdiff_t>(pos + 1 + length),
                                         is_letter_or_digit))) {
          return error("CAA tag is not letters and digits (RFC 8659 §4.1.1)");
        }
        pos += 1 + length;
        break;
      }
      case Field::kTextRest:
        pos = wire.size();
        break;
    }
  }
  if (pos != wire.size()) return error("rdata has trailing bytes");
  return true;
}

}  // namespace rdnsprov::dns::rdata
