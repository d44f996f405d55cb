#include "signer/key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <stdexcept>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "dns/atomic_file.h"
#include "dns/dnssec.h"
#include "dns/encoding.h"
#include "dns/rdata.h"
#include "dns/zone.h"

namespace rdnsprov::signer {
namespace {

// ---- OpenSSL edge: owners and error translation ------------------------------------------------------------

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using Bignum = std::unique_ptr<BIGNUM, BnFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;
struct GroupFree {
  void operator()(EC_GROUP* group) const { EC_GROUP_free(group); }
};
using Group = std::unique_ptr<EC_GROUP, GroupFree>;
struct PointFree {
  void operator()(EC_POINT* point) const { EC_POINT_free(point); }
};
using Point = std::unique_ptr<EC_POINT, PointFree>;
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

[[noreturn]] void throw_openssl(std::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "no OpenSSL error recorded";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  throw std::runtime_error(fmt::format("{}: {}", what, text));
}

void check(int ok, std::string_view what) {
  if (ok != 1) throw_openssl(what);
}

std::string_view algorithm_mnemonic(std::uint8_t algorithm) {
  switch (algorithm) {
    case dns::kAlgorithmRsaSha256: return "RSASHA256";
    case dns::kAlgorithmEcdsaP256Sha256: return "ECDSAP256SHA256";
    case dns::kAlgorithmEd25519: return "ED25519";
    default: return "?";
  }
}

bool supported(std::uint8_t algorithm) {
  return algorithm == dns::kAlgorithmRsaSha256 || algorithm == dns::kAlgorithmEcdsaP256Sha256 ||
         algorithm == dns::kAlgorithmEd25519;
}

const EVP_MD* digest_for(std::uint8_t algorithm) {
  // RFC 8080 §4: Ed25519 is PureEdDSA, no separate digest; RFC 6605 §4 and RFC 5702 §3: SHA-256.
  return algorithm == dns::kAlgorithmEd25519 ? nullptr : EVP_sha256();
}

Bignum get_bn(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) throw_openssl(fmt::format("cannot read key parameter {}", name));
  return Bignum(bn);
}

std::string bn_bytes(const BIGNUM* bn, int pad_to = 0) {
  int size = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(size), '\0');
  int written = pad_to > 0 ? BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size)
                           : BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  if (written != size) throw std::runtime_error("key parameter does not fit its field");
  return out;
}

Bignum bn_from(std::string_view bytes) {
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr);
  if (!bn) throw_openssl("BN_bin2bn");
  return Bignum(bn);
}

// Public key field of the DNSKEY rdata.
std::string public_key_field(std::uint8_t algorithm, EVP_PKEY* pkey) {
  switch (algorithm) {
    case dns::kAlgorithmEcdsaP256Sha256: {
      // RFC 6605 §4: the uncompressed point without its 0x04 prefix, x || y, 64 octets.
      unsigned char buffer[133];
      std::size_t length = 0;
      check(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buffer, sizeof buffer, &length),
            "cannot read the ECDSA public key");
      if (length != 65 || buffer[0] != 0x04) throw std::runtime_error("ECDSA public key is not an uncompressed P-256 point");
      return std::string(reinterpret_cast<char*>(buffer) + 1, 64);
    }
    case dns::kAlgorithmEd25519: {
      // RFC 8080 §3: the 32-octet public key.
      unsigned char buffer[32];
      std::size_t length = sizeof buffer;
      check(EVP_PKEY_get_raw_public_key(pkey, buffer, &length), "cannot read the Ed25519 public key");
      return std::string(reinterpret_cast<char*>(buffer), length);
    }
    case dns::kAlgorithmRsaSha256: {
      // RFC 3110 §2: exponent length (1 octet, or 0 and 2 octets), exponent, modulus.
      std::string exponent = bn_bytes(get_bn(pkey, OSSL_PKEY_PARAM_RSA_E).get());
      std::string modulus = bn_bytes(get_bn(pkey, OSSL_PKEY_PARAM_RSA_N).get());
      std::string out;
      if (exponent.size() <= 255) {
        out.push_back(static_cast<char>(exponent.size()));
      } else {
        out.push_back('\0');
        out.push_back(static_cast<char>(exponent.size() >> 8));
        out.push_back(static_cast<char>(exponent.size() & 0xff));
      }
      return out + exponent + modulus;
    }
    default: throw std::invalid_argument(fmt::format("DNSSEC algorithm {} is not supported", algorithm));
  }
}

EVP_PKEY* pkey_from_params(const char* type, OSSL_PARAM_BLD* builder, std::string_view what) {
  Params params(OSSL_PARAM_BLD_to_param(builder));
  if (!params) throw_openssl(what);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx) throw_openssl(what);
  EVP_PKEY* pkey = nullptr;
  check(EVP_PKEY_fromdata_init(ctx.get()), what);
  check(EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()), what);
  return pkey;
}

EVP_PKEY* ecdsa_from_private(std::string_view scalar) {
  Bignum priv = bn_from(scalar);
  Group group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!group) throw_openssl("P-256 group");
  if (BN_is_zero(priv.get()) || BN_cmp(priv.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    throw std::runtime_error("invalid PrivateKey field: not a P-256 private key (zero, or not below the group order)");
  }
  Point point(EC_POINT_new(group.get()));
  if (!point || EC_POINT_mul(group.get(), point.get(), priv.get(), nullptr, nullptr, nullptr) != 1) {
    throw_openssl("cannot derive the ECDSA public key");
  }
  unsigned char pub[65];
  if (EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, nullptr) != 65) {
    throw_openssl("cannot encode the ECDSA public key");
  }
  ParamBld builder(OSSL_PARAM_BLD_new());
  if (!builder) throw_openssl("OSSL_PARAM_BLD_new");
  check(OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), "group name");
  check(OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()), "private key");
  check(OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub), "public key");
  return pkey_from_params("EC", builder.get(), "cannot build the ECDSA key");
}

// The RSA fields of a BIND private key file, in file order, with the OpenSSL parameter each one is.
struct RsaField {
  const char* bind_name;
  const char* param;
};
constexpr RsaField kRsaFields[] = {
    {"Modulus", OSSL_PKEY_PARAM_RSA_N},           {"PublicExponent", OSSL_PKEY_PARAM_RSA_E},
    {"PrivateExponent", OSSL_PKEY_PARAM_RSA_D},   {"Prime1", OSSL_PKEY_PARAM_RSA_FACTOR1},
    {"Prime2", OSSL_PKEY_PARAM_RSA_FACTOR2},      {"Exponent1", OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {"Exponent2", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"Coefficient", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

EVP_PKEY* rsa_from_fields(const std::map<std::string, std::string>& fields) {
  ParamBld builder(OSSL_PARAM_BLD_new());
  if (!builder) throw_openssl("OSSL_PARAM_BLD_new");
  std::vector<Bignum> keep;  // the builder refers to the BIGNUMs until to_param
  for (const RsaField& field : kRsaFields) {
    keep.push_back(bn_from(fields.at(field.bind_name)));
    check(OSSL_PARAM_BLD_push_BN(builder.get(), field.param, keep.back().get()), field.bind_name);
  }
  return pkey_from_params("RSA", builder.get(), "cannot build the RSA key");
}

// "20240101000000" <-> unix seconds; BIND's timing lines.
std::string timing_text(std::int64_t seconds) { return dns::rdata::rrsig_time_to_text(static_cast<std::uint32_t>(seconds)); }

std::string timing_comment(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a %b %e %H:%M:%S %Y", &tm);
  return buffer;
}

struct TimingField {
  const char* bind_name;
  std::optional<std::int64_t> KeyTiming::*member;
};
constexpr TimingField kTimingFields[] = {
    {"Created", &KeyTiming::created},   {"Publish", &KeyTiming::publish},  {"Activate", &KeyTiming::activate},
    {"Inactive", &KeyTiming::inactive}, {"Delete", &KeyTiming::deletion},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

// ---- roles ---------------------------------------------------------------------------------------------------

std::string_view key_role_to_text(KeyRole role) {
  switch (role) {
    case KeyRole::kKsk: return "ksk";
    case KeyRole::kZsk: return "zsk";
    case KeyRole::kCsk: return "csk";
  }
  return "?";
}

std::optional<KeyRole> key_role_from_text(std::string_view text) {
  if (text == "ksk") return KeyRole::kKsk;
  if (text == "zsk") return KeyRole::kZsk;
  if (text == "csk") return KeyRole::kCsk;
  return std::nullopt;
}

std::uint16_t dnskey_flags_for(KeyRole role) {
  return role == KeyRole::kZsk ? dns::kDnskeyZoneFlag : (dns::kDnskeyZoneFlag | dns::kDnskeySepFlag);
}

// ---- DnssecKey -----------------------------------------------------------------------------------------------

void DnssecKey::PkeyFree::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

DnssecKey::DnssecKey(dns::Name zone, std::uint8_t algorithm, std::uint16_t flags, std::shared_ptr<evp_pkey_st> pkey)
    : zone_(std::move(zone)), algorithm_(algorithm), flags_(flags), pkey_(std::move(pkey)) {
  // RFC 4034 §2.1: flags, protocol 3, algorithm, public key.
  dnskey_rdata_.push_back(static_cast<char>(flags_ >> 8));
  dnskey_rdata_.push_back(static_cast<char>(flags_ & 0xff));
  dnskey_rdata_.push_back('\3');
  dnskey_rdata_.push_back(static_cast<char>(algorithm_));
  dnskey_rdata_ += public_key_field(algorithm_, pkey_.get());
  key_tag_ = dns::key_tag(dnskey_rdata_);
}

DnssecKey DnssecKey::generate(const dns::Name& zone, std::uint8_t algorithm, KeyRole role, unsigned rsa_bits) {
  if (!supported(algorithm)) {
    throw std::invalid_argument(fmt::format("DNSSEC algorithm {} is not one rdnsprov signs with (8, 13, 15)", algorithm));
  }
  if (algorithm == dns::kAlgorithmRsaSha256 && rsa_bits < kMinimumRsaBits) {
    throw std::invalid_argument(fmt::format("RSA keys need at least {} bits, not {}", kMinimumRsaBits, rsa_bits));
  }
  EVP_PKEY* raw = nullptr;
  switch (algorithm) {
    case dns::kAlgorithmEcdsaP256Sha256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case dns::kAlgorithmEd25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    default: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits)); break;
  }
  if (!raw) throw_openssl(fmt::format("cannot generate a {} key", algorithm_mnemonic(algorithm)));
  return DnssecKey(zone, algorithm, dnskey_flags_for(role), std::shared_ptr<evp_pkey_st>(raw, PkeyFree{}));
}

dns::Result<DnssecKey> DnssecKey::from_private_text(const dns::Name& zone, std::uint16_t flags,
                                                    std::string_view text, KeyTiming* timing) {
  std::map<std::string, std::string> fields;
  std::size_t pos = 0;
  std::size_t line_number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_number;
    if (line.empty()) continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return dns::error(fmt::format("line {}: not \"Field: value\"", line_number));
    fields[std::string(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
  }
  auto format = fields.find("Private-key-format");
  if (format == fields.end() || !format->second.starts_with("v1.")) {
    return dns::error("not a BIND private key (no \"Private-key-format: v1.x\" line)");
  }
  auto algorithm_field = fields.find("Algorithm");
  if (algorithm_field == fields.end()) return dns::error("no Algorithm line");
  unsigned algorithm_number = 0;
  if (std::sscanf(algorithm_field->second.c_str(), "%u", &algorithm_number) != 1 || algorithm_number > 255 ||
      !supported(static_cast<std::uint8_t>(algorithm_number))) {
    return dns::error(fmt::format("algorithm \"{}\" is not one rdnsprov signs with (8, 13, 15)", algorithm_field->second));
  }
  auto algorithm = static_cast<std::uint8_t>(algorithm_number);

  // Every binary field is base64.
  std::map<std::string, std::string> binary;
  auto decode = [&](const char* name) -> std::optional<std::string> {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    auto bytes = dns::from_base64(it->second);
    if (!bytes || bytes->empty()) return std::nullopt;
    return bytes;
  };

  EVP_PKEY* raw = nullptr;
  try {
    if (algorithm == dns::kAlgorithmRsaSha256) {
      for (const RsaField& field : kRsaFields) {
        auto bytes = decode(field.bind_name);
        if (!bytes) return dns::error(fmt::format("missing or invalid {} field", field.bind_name));
        binary[field.bind_name] = std::move(*bytes);
      }
      raw = rsa_from_fields(binary);
    } else {
      auto bytes = decode("PrivateKey");
      // Ed25519's private key is a 32-octet string (RFC 8080 §3). The ECDSA one is an integer, which BIND writes
      // without leading zero octets: one key in 256 has a 31-octet PrivateKey field.
      bool size_ok = bytes && (algorithm == dns::kAlgorithmEd25519 ? bytes->size() == 32 : bytes->size() <= 32);
      if (!size_ok) return dns::error("missing or invalid PrivateKey field (32 octets expected)");
      if (algorithm == dns::kAlgorithmEd25519) {
        raw = EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr,
                                              reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size());
        if (!raw) throw_openssl("cannot build the Ed25519 key");
      } else {
        raw = ecdsa_from_private(*bytes);
      }
      OPENSSL_cleanse(bytes->data(), bytes->size());
    }
  } catch (const std::runtime_error& e) {
    return dns::error(e.what());
  }
  for (auto& [name, bytes] : binary) OPENSSL_cleanse(bytes.data(), bytes.size());

  if (timing) {
    *timing = KeyTiming{};
    for (const TimingField& field : kTimingFields) {
      auto it = fields.find(field.bind_name);
      if (it == fields.end()) continue;
      auto seconds = dns::rdata::rrsig_time_from_text(it->second);
      if (!seconds) {
        EVP_PKEY_free(raw);
        return dns::error(fmt::format("{}: {}", field.bind_name, seconds.error()));
      }
      timing->*field.member = *seconds;
    }
  }
  return DnssecKey(zone, algorithm, flags, std::shared_ptr<evp_pkey_st>(raw, PkeyFree{}));
}

dns::Result<DnssecKey> DnssecKey::load_bind_files(const std::filesystem::path& key_file, KeyTiming* timing) {
  std::filesystem::path private_file = key_file;
  private_file.replace_extension(".private");

  // The .key file: comment lines and one DNSKEY record (owner, optional TTL and class, DNSKEY, rdata).
  std::string key_text;
  try {
    key_text = dns::read_file(key_file);
  } catch (const std::system_error& e) {
    return dns::error(e.what());
  }
  std::optional<dns::Record> dnskey;
  // BIND writes the DNSKEY without a TTL unless one was asked for; a $TTL line lets the master-file reader
  // accept both.
  dns::MasterFile parsed = dns::read_master_file("$TTL 0\n" + key_text, dns::Name());
  if (!parsed.errors.empty()) {
    return dns::error(fmt::format("{} line {}: {}", key_file.string(), parsed.errors.front().line - 1,
                                  parsed.errors.front().reason));
  }
  for (dns::Record& record : parsed.records) {
    if (record.type != dns::RRType::kDnskey) continue;
    if (dnskey) return dns::error(fmt::format("{}: more than one DNSKEY record", key_file.string()));
    dnskey = std::move(record);
  }
  if (!dnskey || dnskey->rdata.size() < 4) return dns::error(fmt::format("{}: no DNSKEY record", key_file.string()));
  auto flags = static_cast<std::uint16_t>((static_cast<unsigned char>(dnskey->rdata[0]) << 8) |
                                          static_cast<unsigned char>(dnskey->rdata[1]));
  // A key to sign with: a zone key (RFC 4034 §2.1.1), not revoked (RFC 5011 §2.1: it would validate nothing).
  if (!(flags & dns::kDnskeyZoneFlag)) {
    return dns::error(fmt::format("{}: the DNSKEY has flags {}, without the Zone Key flag: not a key a zone is signed "
                                  "with",
                                  key_file.string(), flags));
  }
  if (flags & dns::kDnskeyRevokeFlag) {
    return dns::error(fmt::format("{}: the key is revoked (flags {}, REVOKE, RFC 5011): validators use it for nothing "
                                  "but its revocation, and rdnsprov does not sign with it",
                                  key_file.string(), flags));
  }

  // The private key must be readable by its owner only.
  struct stat info {};
  if (::stat(private_file.c_str(), &info) != 0) {
    return dns::error(fmt::format("cannot read {}: {}", private_file.string(), std::strerror(errno)));
  }
  if ((info.st_mode & 077) != 0) {
    return dns::error(fmt::format("refusing private key {}: its mode is {:04o}, readable by group or others (chmod 600)",
                                  private_file.string(), info.st_mode & 07777));
  }
  std::string private_text;
  try {
    private_text = dns::read_file(private_file);
  } catch (const std::system_error& e) {
    return dns::error(e.what());
  }
  auto key = from_private_text(dnskey->owner, flags, private_text, timing);
  OPENSSL_cleanse(private_text.data(), private_text.size());
  if (!key) return dns::error(fmt::format("{}: {}", private_file.string(), key.error()));
  if (key->dnskey_rdata() != dnskey->rdata) {
    return dns::error(fmt::format("{} and {} do not hold the same key", key_file.string(), private_file.string()));
  }
  // A key file is a key to sign with: the same floor as generate() (from_private_text alone parses any size,
  // for the RFC examples).
  if (key->algorithm() == dns::kAlgorithmRsaSha256 && key->bits() < kMinimumRsaBits) {
    return dns::error(fmt::format("{}: an RSA key of {} bits; rdnsprov signs with RSA keys of at least {} bits",
                                  private_file.string(), key->bits(), kMinimumRsaBits));
  }
  return key;
}

bool DnssecKey::is_sep() const { return (flags_ & dns::kDnskeySepFlag) != 0; }

unsigned DnssecKey::bits() const { return static_cast<unsigned>(EVP_PKEY_get_bits(pkey_.get())); }

std::string DnssecKey::bind_file_stem() const {
  return fmt::format("K{}+{:03}+{:05}", zone_.to_text(), algorithm_, key_tag_);
}

std::string DnssecKey::key_file_text(const KeyTiming& timing) const {
  std::string out = fmt::format("; This is a {} key, keyid {}, for {}\n",
                                is_sep() ? "key-signing" : "zone-signing", key_tag_, zone_.to_text());
  for (const TimingField& field : kTimingFields) {
    if (auto value = timing.*field.member) {
      out += fmt::format("; {}: {} ({})\n", field.bind_name, timing_text(*value), timing_comment(*value));
    }
  }
  out += fmt::format("{} IN DNSKEY {}\n", zone_.to_text(), dns::rdata::to_text(dns::RRType::kDnskey, dnskey_rdata_));
  return out;
}

std::string DnssecKey::private_file_text(const KeyTiming& timing) const {
  std::string out = fmt::format("Private-key-format: v1.3\nAlgorithm: {} ({})\n", algorithm_, algorithm_mnemonic(algorithm_));
  EVP_PKEY* pkey = pkey_.get();
  switch (algorithm_) {
    case dns::kAlgorithmEcdsaP256Sha256: {
      std::string scalar = bn_bytes(get_bn(pkey, OSSL_PKEY_PARAM_PRIV_KEY).get(), 32);
      out += "PrivateKey: " + dns::to_base64(scalar) + "\n";
      OPENSSL_cleanse(scalar.data(), scalar.size());
      break;
    }
    case dns::kAlgorithmEd25519: {
      unsigned char buffer[32];
      std::size_t length = sizeof buffer;
      check(EVP_PKEY_get_raw_private_key(pkey, buffer, &length), "cannot read the Ed25519 private key");
      out += "PrivateKey: " + dns::to_base64(std::string_view(reinterpret_cast<char*>(buffer), length)) + "\n";
      OPENSSL_cleanse(buffer, sizeof buffer);
      break;
    }
    default:
      for (const RsaField& field : kRsaFields) {
        std::string bytes = bn_bytes(get_bn(pkey, field.param).get());
        out += fmt::format("{}: {}\n", field.bind_name, dns::to_base64(bytes));
        OPENSSL_cleanse(bytes.data(), bytes.size());
      }
      break;
  }
  for (const TimingField& field : kTimingFields) {
    if (auto value = timing.*field.member) out += fmt::format("{}: {}\n", field.bind_name, timing_text(*value));
  }
  return out;
}

std::filesystem::path DnssecKey::write_bind_files(const std::filesystem::path& directory, const KeyTiming& timing) const {
  std::filesystem::path stem = directory / bind_file_stem();
  std::filesystem::path key_file = stem;
  key_file += ".key";
  std::filesystem::path private_file = stem;
  private_file += ".private";
  std::string private_text = private_file_text(timing);
  // The private file first: a .key without its .private is never left behind by us.
  dns::write_file_atomically(private_file, private_text, 0600);
  OPENSSL_cleanse(private_text.data(), private_text.size());
  dns::write_file_atomically(key_file, key_file_text(timing), 0644);
  return key_file;
}

std::string DnssecKey::sign(std::string_view data) const {
  KeySigningContext context(*this);
  return context.sign(data);
}

bool DnssecKey::verify(std::string_view data, std::string_view signature) const {
  std::string der;
  if (algorithm_ == dns::kAlgorithmEcdsaP256Sha256) {
    // RFC 6605 §4: r || s back into the DER form OpenSSL verifies.
    if (signature.size() != 64) return false;
    EcdsaSig sig(ECDSA_SIG_new());
    if (!sig) throw_openssl("ECDSA_SIG_new");
    Bignum r = bn_from(signature.substr(0, 32));
    Bignum s = bn_from(signature.substr(32));
    check(ECDSA_SIG_set0(sig.get(), r.release(), s.release()), "ECDSA_SIG_set0");
    unsigned char* out = nullptr;
    int length = i2d_ECDSA_SIG(sig.get(), &out);
    if (length <= 0) throw_openssl("i2d_ECDSA_SIG");
    der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    signature = der;
  }
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) throw_openssl("EVP_MD_CTX_new");
  check(EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest_for(algorithm_) ? "SHA256" : nullptr, nullptr, nullptr,
                                pkey_.get(), nullptr),
        "EVP_DigestVerifyInit");
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  return ok == 1;
}

// ---- KeySigningContext ---------------------------------------------------------------------------------------

KeySigningContext::KeySigningContext(const DnssecKey& key) : key_(&key) {
  initialised_ = EVP_MD_CTX_new();
  work_ = EVP_MD_CTX_new();
  if (!initialised_ || !work_) {
    EVP_MD_CTX_free(initialised_);
    EVP_MD_CTX_free(work_);
    throw_openssl("EVP_MD_CTX_new");
  }
  if (EVP_DigestSignInit(initialised_, nullptr, digest_for(key.algorithm()), nullptr, key.pkey()) != 1) {
    EVP_MD_CTX_free(initialised_);
    EVP_MD_CTX_free(work_);
    throw_openssl(fmt::format("cannot set up signing with key {}", key.key_tag()));
  }
}

KeySigningContext::~KeySigningContext() {
  EVP_MD_CTX_free(initialised_);
  EVP_MD_CTX_free(work_);
}

KeySigningContext::KeySigningContext(KeySigningContext&& other) noexcept
    : key_(other.key_), initialised_(other.initialised_), work_(other.work_), can_copy_(other.can_copy_) {
  other.initialised_ = nullptr;
  other.work_ = nullptr;
}

void KeySigningContext::sign(std::string_view data, std::string& out) {
  EVP_MD_CTX* ctx = work_;
  if (can_copy_ && EVP_MD_CTX_copy_ex(work_, initialised_) != 1) {
    ERR_clear_error();
    can_copy_ = false;
  }
  if (!can_copy_ &&
      EVP_DigestSignInit(work_, nullptr, digest_for(key_->algorithm()), nullptr, key_->pkey()) != 1) {
    throw_openssl(fmt::format("cannot set up signing with key {}", key_->key_tag()));
  }
  unsigned char buffer[1024];  // ECDSA DER (≤ 72), Ed25519 (64), RSA up to 8192 bits
  std::size_t length = sizeof buffer;
  check(EVP_DigestSign(ctx, buffer, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()),
        fmt::format("signing with key {} failed", key_->key_tag()));
  if (key_->algorithm() != dns::kAlgorithmEcdsaP256Sha256) {
    out.append(reinterpret_cast<char*>(buffer), length);
    return;
  }
  // RFC 6605 §4: the signature is r || s, each a 32-octet big-endian integer; OpenSSL gives DER.
  const unsigned char* p = buffer;
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length)));
  if (!sig) throw_openssl("cannot decode the ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::size_t at = out.size();
  out.resize(at + 64);
  if (BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data() + at), 32) != 32 ||
      BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data() + at + 32), 32) != 32) {
    throw std::runtime_error("ECDSA signature value larger than 32 octets");
  }
}

}  // namespace rdnsprov::signer
