#include "signer/verify_crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>
#include <cassert>
#include <stdexcept>

#include <fmt/format.h>

#include "dns/dnssec.h"

namespace rdnsprov::signer::verify_detail {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct MdFree { void operator()(EVP_MD* p) const { EVP_MD_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };

using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MdPtr = std::unique_ptr<EVP_MD, MdFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// The reason OpenSSL gives for its last failure, and an empty error queue afterwards.
std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given by OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

dns::Result<PkeyPtr> key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return dns::error(openssl_reason());
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return dns::error(openssl_reason());
  return PkeyPtr(raw);
}

// RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus.
dns::Result<PkeyPtr> rsa_key(std::string_view key) {
  if (key.size() < 3) return dns::error("RSA public key too short");
  std::size_t exponent_length = static_cast<unsigned char>(key[0]);
  std::size_t pos = 1;
  if (exponent_length == 0) {
    exponent_length = (static_cast<std::size_t>(static_cast<unsigned char>(key[1])) << 8) |
                      static_cast<unsigned char>(key[2]);
    pos = 3;
  }
  if (exponent_length == 0 || pos + exponent_length >= key.size()) return dns::error("RSA exponent length is wrong");
  std::string_view exponent = key.substr(pos, exponent_length);
  std::string_view modulus = key.substr(pos + exponent_length);
  if (modulus.size() * 8 < 1024) return dns::error(fmt::format("RSA modulus of {} bits", modulus.size() * 8));
  BnPtr n(BN_bin2bn(bytes(modulus), static_cast<int>(modulus.size()), nullptr));
  BnPtr e(BN_bin2bn(bytes(exponent), static_cast<int>(exponent.size()), nullptr));
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!n || !e || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return dns::error(openssl_reason());
  }
  return key_from_params("RSA", builder.get());
}

// The verifiable algorithms (RFC 8624 §3.1, "MUST" and "RECOMMENDED" for validation): how each key is read and
// each signature checked. RSASHA1 (5, 7) is left out: SHA-1 signatures can be forged, and validators treat them as
// insecure (RFC 9905).
enum class Kind { kRsa, kEcdsa, kEddsa };
struct AlgorithmSpec {
  std::uint8_t number;
  Kind kind;
  const char* digest;      // RSA, ECDSA: the digest the signature is over (an OpenSSL name)
  const char* group;       // ECDSA: the curve; EdDSA: the key type
  std::size_t size;        // ECDSA: octets of a coordinate, of r and of s; EdDSA: octets of the public key
  std::size_t signature;   // ECDSA, EdDSA: octets of a signature
};
constexpr AlgorithmSpec kAlgorithms[] = {
    {dns::kAlgorithmRsaSha256, Kind::kRsa, "SHA256", nullptr, 0, 0},        // RFC 5702
    {10, Kind::kRsa, "SHA512", nullptr, 0, 0},                               // RSASHA512, RFC 5702
    {dns::kAlgorithmEcdsaP256Sha256, Kind::kEcdsa, "SHA256", "prime256v1", 32, 64},  // RFC 6605
    {14, Kind::kEcdsa, "SHA384", "secp384r1", 48, 96},                       // ECDSAP384SHA384, RFC 6605
    {dns::kAlgorithmEd25519, Kind::kEddsa, nullptr, "ED25519", 32, 64},      // RFC 8080
    {16, Kind::kEddsa, nullptr, "ED448", 57, 114},                           // ED448, RFC 8080
};

const AlgorithmSpec* algorithm_spec(std::uint8_t algorithm) {
  for (const AlgorithmSpec& spec : kAlgorithms) {
    if (spec.number == algorithm) return &spec;
  }
  return nullptr;
}

// RFC 6605 §4: the point as x | y; OpenSSL wants the uncompressed SEC1 form 0x04 | x | y.
dns::Result<PkeyPtr> ecdsa_key(const AlgorithmSpec& spec, std::string_view key) {
  if (key.size() != 2 * spec.size) {
    return dns::error(fmt::format("ECDSA {} public key of {} octets ({} expected)", spec.group, key.size(),
                                  2 * spec.size));
  }
  std::string point = "\x04" + std::string(key);
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, spec.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return dns::error(openssl_reason());
  }
  return key_from_params("EC", builder.get());
}

// RFC 8080 §3: the public key as is.
dns::Result<PkeyPtr> eddsa_key(const AlgorithmSpec& spec, std::string_view key) {
  if (key.size() != spec.size) {
    return dns::error(fmt::format("{} public key of {} octets ({} expected)", spec.group, key.size(), spec.size));
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(nullptr, spec.group, nullptr, bytes(key), key.size()));
  if (!pkey) return dns::error(openssl_reason());
  return pkey;
}

// RFC 6605 §4 signatures are r | s; OpenSSL verifies the DER SEQUENCE { INTEGER r, INTEGER s }.
std::size_t append_der_integer(unsigned char* out, const unsigned char* value, std::size_t length) {
  while (length > 1 && value[0] == 0) {
    ++value;
    --length;
  }
  bool pad = (value[0] & 0x80) != 0;
  std::size_t n = 0;
  out[n++] = 0x02;
  out[n++] = static_cast<unsigned char>(length + (pad ? 1 : 0));
  if (pad) out[n++] = 0x00;
  std::copy(value, value + length, out + n);
  return n + length;
}

// r | s, each `size` octets, as DER: at most 2 + 2 × (2 + 1 + 48) = 104 octets (the short length form).
std::size_t ecdsa_der_signature(std::string_view raw, std::size_t size, std::array<unsigned char, 112>& der) {
  std::size_t n = 2;
  n += append_der_integer(der.data() + n, bytes(raw), size);
  n += append_der_integer(der.data() + n, bytes(raw) + size, size);
  der[0] = 0x30;
  der[1] = static_cast<unsigned char>(n - 2);
  return n;
}

}  // namespace

struct OpensslObjects {
  PkeyPtr pkey;
  PkeyCtxPtr pkey_ctx;
  MdCtxPtr md_ctx;
  MdPtr md;
};

std::string algorithm_name(std::uint8_t algorithm) {
  switch (algorithm) {
    case dns::kAlgorithmRsaSha256: return "RSASHA256";
    case dns::kAlgorithmEcdsaP256Sha256: return "ECDSAP256SHA256";
    case dns::kAlgorithmEd25519: return "ED25519";
    case 5: return "RSASHA1";
    case 7: return "RSASHA1-NSEC3-SHA1";
    case 10: return "RSASHA512";
    case 14: return "ECDSAP384SHA384";
    case 16: return "ED448";
    default: return fmt::format("algorithm {}", algorithm);
  }
}

bool algorithm_supported(std::uint8_t algorithm) { return algorithm_spec(algorithm) != nullptr; }

VerifyKey::VerifyKey() = default;
VerifyKey::VerifyKey(VerifyKey&&) noexcept = default;
VerifyKey& VerifyKey::operator=(VerifyKey&&) noexcept = default;
VerifyKey::~VerifyKey() = default;

dns::Result<VerifyKey> VerifyKey::from_dnskey(std::string_view rdata) {
  if (rdata.size() < 5) return dns::error("DNSKEY rdata too short");
  VerifyKey key;
  key.flags_ = static_cast<std::uint16_t>((static_cast<unsigned char>(rdata[0]) << 8) | static_cast<unsigned char>(rdata[1]));
  key.algorithm_ = static_cast<std::uint8_t>(rdata[3]);
  key.key_tag_ = dns::key_tag(rdata);
  if (static_cast<unsigned char>(rdata[2]) != 3) {
    return dns::error(fmt::format("protocol field is {}, not 3 (RFC 4034 §2.1.2)", static_cast<unsigned char>(rdata[2])));
  }
  const AlgorithmSpec* spec = algorithm_spec(key.algorithm_);
  if (!spec) {
    bool sha1 = key.algorithm_ == 5 || key.algorithm_ == 7;
    return dns::error(fmt::format("unsupported algorithm {}{}", algorithm_name(key.algorithm_),
                                  sha1 ? " (SHA-1: validators treat its signatures as insecure, RFC 9905)" : ""));
  }
  std::string_view public_key = rdata.substr(4);
  dns::Result<PkeyPtr> pkey = spec->kind == Kind::kRsa     ? rsa_key(public_key)
                              : spec->kind == Kind::kEcdsa ? ecdsa_key(*spec, public_key)
                                                           : eddsa_key(*spec, public_key);
  if (!pkey) return dns::error(fmt::format("{} public key cannot be loaded: {}", algorithm_name(key.algorithm_), pkey.error()));
  key.key_ = std::make_unique<OpensslObjects>();
  key.key_->pkey = std::move(*pkey);
  return key;
}

SignatureChecker::SignatureChecker(std::span<const VerifyKey> keys) : keys_(keys), contexts_(keys.size()) {}

SignatureChecker::~SignatureChecker() = default;

bool SignatureChecker::verify(std::size_t key_index, std::string_view signed_data, std::string_view signature) {
  assert(key_index < keys_.size());
  const VerifyKey& key = keys_[key_index];
  const AlgorithmSpec& spec = *algorithm_spec(key.algorithm());  // from_dnskey made only keys it knows
  std::unique_ptr<OpensslObjects>& context = contexts_[key_index];
  if (!context) {
    // One set of OpenSSL objects per key serves every signature: an explicit fetch of the digest once (implicit
    // fetches per signature cost time and contend on a lock in OpenSSL 3.0), and for RSA and ECDSA one
    // verification context over the digest computed here.
    context = std::make_unique<OpensslObjects>();
    context->md_ctx.reset(EVP_MD_CTX_new());
    bool ok = context->md_ctx != nullptr;
    if (ok && spec.kind != Kind::kEddsa) {
      context->md.reset(EVP_MD_fetch(nullptr, spec.digest, nullptr));
      context->pkey_ctx.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key.key_->pkey.get(), nullptr));
      ok = context->md && context->pkey_ctx && EVP_PKEY_verify_init(context->pkey_ctx.get()) == 1;
      if (ok && spec.kind == Kind::kRsa) {
        ok = EVP_PKEY_CTX_set_rsa_padding(context->pkey_ctx.get(), RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(context->pkey_ctx.get(), context->md.get()) == 1;
      }
    }
    if (!ok) {
      throw std::runtime_error(fmt::format("OpenSSL: cannot set up {} verification: {}", algorithm_name(spec.number),
                                           openssl_reason()));
    }
  }

  if (spec.kind == Kind::kEddsa) {
    if (signature.size() != spec.signature) return false;
    EVP_MD_CTX* ctx = context->md_ctx.get();
    if (EVP_DigestVerifyInit_ex(ctx, nullptr, nullptr, nullptr, nullptr, key.key_->pkey.get(), nullptr) != 1) {
      throw std::runtime_error(fmt::format("OpenSSL: cannot set up {} verification: {}", algorithm_name(spec.number),
                                           openssl_reason()));
    }
    bool valid = EVP_DigestVerify(ctx, bytes(signature), signature.size(), bytes(signed_data), signed_data.size()) == 1;
    if (!valid) ERR_clear_error();
    return valid;
  }

  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_length = 0;
  EVP_MD_CTX* md_ctx = context->md_ctx.get();
  if (EVP_DigestInit_ex(md_ctx, context->md.get(), nullptr) != 1 ||
      EVP_DigestUpdate(md_ctx, signed_data.data(), signed_data.size()) != 1 ||
      EVP_DigestFinal_ex(md_ctx, hash, &hash_length) != 1) {
    throw std::runtime_error(fmt::format("OpenSSL: {} failed: {}", spec.digest, openssl_reason()));
  }
  int result = 0;
  if (spec.kind == Kind::kEcdsa) {
    if (signature.size() != spec.signature) return false;
    std::array<unsigned char, 112> der{};
    std::size_t der_length = ecdsa_der_signature(signature, spec.size, der);
    result = EVP_PKEY_verify(context->pkey_ctx.get(), der.data(), der_length, hash, hash_length);
  } else {
    result = EVP_PKEY_verify(context->pkey_ctx.get(), bytes(signature), signature.size(), hash, hash_length);
  }
  if (result != 1) ERR_clear_error();
  return result == 1;
}

}  // namespace rdnsprov::signer::verify_detail
