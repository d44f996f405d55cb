// The verifier's own cryptography (verify.h): DNSKEY rdata turned into OpenSSL 3 public keys, and RRSIG
// signatures checked against them. Independent of the signer's key code on purpose.
//
//   auto key = VerifyKey::from_dnskey(dnskey_rdata);          // Result<VerifyKey>: algorithms 8, 10, 13-16
//   SignatureChecker checker(keys);                           // one per thread: caches OpenSSL contexts
//   bool valid = checker.verify(key_index, signed_data, rrsig_signature);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/result.h"

namespace rdnsprov::signer::verify_detail {

struct OpensslObjects;  // EVP_PKEY and friends, hidden from the rest of the stage

// Name of a DNSSEC algorithm number for messages ("ECDSAP256SHA256", "algorithm 5").
std::string algorithm_name(std::uint8_t algorithm);
bool algorithm_supported(std::uint8_t algorithm);

// A zone's DNSKEY as a public key that can check signatures.
class VerifyKey {
 public:
  // Parses DNSKEY rdata (flags, protocol, algorithm, public key) into an OpenSSL key: RSASHA256 and RSASHA512
  // from the RFC 3110 exponent/modulus encoding, ECDSA P-256 and P-384 from the x|y point (RFC 6605 §4),
  // Ed25519 and Ed448 from the key as is (RFC 8080 §3). An error names what is wrong with the key; RSASHA1 and
  // other algorithms are refused as unsupported.
  static dns::Result<VerifyKey> from_dnskey(std::string_view rdata);

  VerifyKey(VerifyKey&&) noexcept;
  VerifyKey& operator=(VerifyKey&&) noexcept;
  ~VerifyKey();

  std::uint16_t flags() const { return flags_; }
  std::uint8_t algorithm() const { return algorithm_; }
  std::uint16_t key_tag() const { return key_tag_; }

 private:
  friend class SignatureChecker;
  VerifyKey();
  std::uint16_t flags_ = 0;
  std::uint8_t algorithm_ = 0;
  std::uint16_t key_tag_ = 0;
  std::unique_ptr<OpensslObjects> key_;
};

// Checks signatures against a fixed set of keys. Not thread-safe: give each thread (chunk) its own.
class SignatureChecker {
 public:
  explicit SignatureChecker(std::span<const VerifyKey> keys);
  ~SignatureChecker();
  SignatureChecker(const SignatureChecker&) = delete;
  SignatureChecker& operator=(const SignatureChecker&) = delete;

  // True when `signature` (RRSIG wire form: RSA PKCS#1 v1.5, ECDSA r|s, EdDSA R|S) is valid over
  // `signed_data` for keys[key_index].
  bool verify(std::size_t key_index, std::string_view signed_data, std::string_view signature);

 private:
  std::span<const VerifyKey> keys_;
  std::vector<std::unique_ptr<OpensslObjects>> contexts_;  // lazily, one per key
};

}  // namespace rdnsprov::signer::verify_detail
