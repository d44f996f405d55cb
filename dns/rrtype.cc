#include "dns/rrtype.h"

#include <strings.h>

#include <array>
#include <charconv>
#include <cstring>
#include <span>

namespace rdnsprov::dns {

namespace {

// Mnemonics of other types (IANA "Resource Record (RR) TYPEs"), so that an operator's zone names them as usual and
// an error says which type it refuses. rdnsprov reads some of them in presentation form (those rdata.cc has a shape
// for), the others in RFC 3597's \# form, and refuses the meta types among them.
struct Mnemonic {
  std::uint16_t code;
  const char* text;
};
constexpr Mnemonic kOtherMnemonics[] = {
    {3, "MD"},        {4, "MF"},         {7, "MB"},         {8, "MG"},          {9, "MR"},
    {13, "HINFO"},    {14, "MINFO"},     {17, "RP"},        {18, "AFSDB"},
    {21, "RT"},       {24, "SIG"},       {25, "KEY"},       {26, "PX"},         {29, "LOC"},     {30, "NXT"},
    {35, "NAPTR"},    {36, "KX"},        {37, "CERT"},      {38, "A6"},         {41, "OPT"},
    {42, "APL"},      {44, "SSHFP"},     {45, "IPSECKEY"},  {49, "DHCID"},      {52, "TLSA"},    {53, "SMIMEA"},
    {61, "OPENPGPKEY"}, {62, "CSYNC"},    {64, "SVCB"},       {65, "HTTPS"},   {99, "SPF"},
    {108, "EUI48"},   {109, "EUI64"},    {251, "IXFR"},     {252, "AXFR"},      {255, "ANY"},    {256, "URI"},
    {257, "CAA"},
};

// Mnemonics read but never written: BIND writes them (in RRSIG and NSEC lines of the zones it signs), while other
// tools may not read them (Knot's kzonecheck 3.2 reads none of these), so rdnsprov writes these types as TYPEnnn
// (RFC 3597 §5), which every tool reads. The types rdnsprov refuses (MD, MB, A6, …) keep their name in the table
// above, since no zone rdnsprov writes holds them.
constexpr Mnemonic kReadOnlyMnemonics[] = {
    {10, "NULL"},     {19, "X25"},       {20, "ISDN"},      {55, "HIP"},
    {11, "WKS"},      {22, "NSAP"},      {23, "NSAP-PTR"},  {27, "GPOS"},      {31, "EID"},     {32, "NIMLOC"},
    {34, "ATMA"},     {40, "SINK"},      {56, "NINFO"},     {57, "RKEY"},      {58, "TALINK"},  {100, "UINFO"},
    {101, "UID"},     {102, "GID"},      {103, "UNSPEC"},   {104, "NID"},      {105, "L32"},    {106, "L64"},
    {107, "LP"},      {249, "TKEY"},     {250, "TSIG"},     {253, "MAILB"},    {254, "MAILA"},  {258, "AVC"},
    {259, "DOA"},     {260, "AMTRELAY"}, {261, "RESINFO"},  {262, "WALLET"},   {32768, "TA"},   {32769, "DLV"},
};

const char* other_mnemonic(std::uint16_t code) {
  for (const Mnemonic& m : kOtherMnemonics) {
    if (m.code == code) return m.text;
  }
  return nullptr;
}

}  // namespace

std::string_view rrtype_to_text(RRType type) {
  switch (type) {
    case RRType::kA: return "A";
    case RRType::kNs: return "NS";
    case RRType::kCname: return "CNAME";
    case RRType::kSoa: return "SOA";
    case RRType::kPtr: return "PTR";
    case RRType::kAaaa: return "AAAA";
    case RRType::kDs: return "DS";
    case RRType::kRrsig: return "RRSIG";
    case RRType::kNsec: return "NSEC";
    case RRType::kDnskey: return "DNSKEY";
    case RRType::kNsec3: return "NSEC3";
    case RRType::kNsec3param: return "NSEC3PARAM";
    case RRType::kCds: return "CDS";
    case RRType::kCdnskey: return "CDNSKEY";
    case RRType::kZonemd: return "ZONEMD";
    case RRType::kMx: return "MX";
    case RRType::kTxt: return "TXT";
    case RRType::kSrv: return "SRV";
    case RRType::kDname: return "DNAME";
  }
  if (const char* mnemonic = other_mnemonic(rrtype_code(type))) return mnemonic;
  // Every other code: "TYPEnnn", from a table made once (the text must outlive the call).
  static const auto* generic = [] {
    auto* table = new std::array<char, 10>[65536];
    for (std::size_t code = 0; code < 65536; ++code) {
      auto [end, ec] = std::to_chars(table[code].data() + 4, table[code].data() + 9, code);
      std::memcpy(table[code].data(), "TYPE", 4);
      *end = '\0';
    }
    return table;
  }();
  return std::string_view(generic[rrtype_code(type)].data());
}

std::optional<RRType> rrtype_from_text(std::string_view text) {
  for (RRType type : kAllRRTypes) {
    std::string_view name = rrtype_to_text(type);
    if (name.size() == text.size() && strncasecmp(name.data(), text.data(), text.size()) == 0) return type;
  }
  return std::nullopt;
}

std::optional<RRType> rrtype_from_text_any(std::string_view text) {
  if (auto type = rrtype_from_text(text)) return type;
  for (RRType type : kOperatorZoneRRTypes) {
    std::string_view name = rrtype_to_text(type);
    if (name.size() == text.size() && strncasecmp(name.data(), text.data(), text.size()) == 0) return type;
  }
  for (std::span<const Mnemonic> table : {std::span<const Mnemonic>(kOtherMnemonics),
                                          std::span<const Mnemonic>(kReadOnlyMnemonics)}) {
    for (const Mnemonic& m : table) {
      if (std::strlen(m.text) == text.size() && strncasecmp(m.text, text.data(), text.size()) == 0) {
        return static_cast<RRType>(m.code);
      }
    }
  }
  if (text.size() > 4 && text.size() <= 9 && strncasecmp(text.data(), "TYPE", 4) == 0) {
    std::uint32_t code = 0;
    auto [end, ec] = std::from_chars(text.data() + 4, text.data() + text.size(), code);
    if (ec == std::errc() && end == text.data() + text.size() && code <= 65535 && text[4] != '0') {
      return static_cast<RRType>(code);
    }
  }
  return std::nullopt;
}

std::optional<RRType> rrtype_from_code(std::uint16_t code) {
  for (RRType type : kAllRRTypes) {
    if (rrtype_code(type) == code) return type;
  }
  return std::nullopt;
}

}  // namespace rdnsprov::dns
