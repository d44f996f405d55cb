// DnssecKey: one DNSSEC key pair (OpenSSL 3 EVP), its DNSKEY rdata and key tag, and BIND's key files.
//
//   DnssecKey ksk = DnssecKey::generate(zone, dns::kAlgorithmEcdsaP256Sha256, KeyRole::kKsk);
//   ksk.key_tag();                                    // RFC 4034 appendix B
//   ksk.dnskey_rdata();                               // flags 257, protocol 3, algorithm 13, public key
//   ksk.write_bind_files(dir, timing);                // Kzone.+013+12345.key and .private (0600, atomic)
//
//   auto loaded = DnssecKey::load_bind_files(dir / "Kzone.+013+12345.key");   // Result<DnssecKey>
//   KeySigningContext context(*loaded);               // one per thread; reused for every signature
//   std::string signature = context.sign(data);       // DNSSEC wire form (RFC 6605, 8080, 5702)
//
// Algorithms: 13 ECDSAP256SHA256 (RFC 6605: signature = r || s, 64 octets), 15 ED25519 (RFC 8080) and
// 8 RSASHA256 (RFC 5702: PKCS #1 v1.5 with SHA-256; generated keys have at least 2048 bits). Files are those
// dnssec-keygen writes and reads, so keys move to and from BIND without re-keying (INCIDENTS.md I-9).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "dns/name.h"
#include "dns/result.h"

// OpenSSL handles stay behind this header's edge (STYLE.md "C libraries").
struct evp_pkey_st;
struct evp_md_ctx_st;

namespace rdnsprov::signer {

// What a key signs (RFC 6781 §3.1): a KSK the DNSKEY RRset, a ZSK everything else, a CSK both.
enum class KeyRole { kKsk, kZsk, kCsk };
std::string_view key_role_to_text(KeyRole role);  // "ksk", "zsk", "csk"
std::optional<KeyRole> key_role_from_text(std::string_view text);

// DNSKEY flags for a role: 257 (zone + SEP) for KSK and CSK, 256 (zone) for ZSK.
std::uint16_t dnskey_flags_for(KeyRole role);

// Smallest RSA modulus generate() makes (RFC 8624 §3.1 and current practice).
inline constexpr unsigned kMinimumRsaBits = 2048;

// Timing metadata of a key (unix seconds; nothing = not set). BIND keeps the same fields in its key files.
struct KeyTiming {
  std::optional<std::int64_t> created;
  std::optional<std::int64_t> publish;
  std::optional<std::int64_t> activate;
  std::optional<std::int64_t> inactive;
  std::optional<std::int64_t> deletion;  // BIND's "Delete"
  friend bool operator==(const KeyTiming&, const KeyTiming&) = default;
};

class DnssecKey {
 public:
  // Makes a new key pair. Throws std::invalid_argument for an algorithm other than 8, 13, 15 or an RSA size below
  // kMinimumRsaBits, std::runtime_error when OpenSSL fails.
  static DnssecKey generate(const dns::Name& zone, std::uint8_t algorithm, KeyRole role, unsigned rsa_bits = 2048);

  // Reads a key from BIND's private-key text (Private-key-format v1.2 or v1.3) for `zone`, with the DNSKEY flags
  // that say what it is. The timing lines, when present, are returned in `timing`.
  static dns::Result<DnssecKey> from_private_text(const dns::Name& zone, std::uint16_t flags,
                                                  std::string_view private_text, KeyTiming* timing = nullptr);
  // Reads `K<zone>.+<alg>+<tag>.key` and the `.private` beside it. A `.private` readable by group or others is
  // refused (the error names the file). The DNSKEY in the .key file must be the one the private key gives.
  static dns::Result<DnssecKey> load_bind_files(const std::filesystem::path& key_file, KeyTiming* timing = nullptr);

  const dns::Name& zone() const { return zone_; }
  std::uint8_t algorithm() const { return algorithm_; }
  std::uint16_t flags() const { return flags_; }
  bool is_sep() const;  // flags has the SEP bit (KSK or CSK)
  std::uint16_t key_tag() const { return key_tag_; }
  // DNSKEY rdata in wire form: flags, protocol 3, algorithm, public key (RFC 4034 §2.1).
  const std::string& dnskey_rdata() const { return dnskey_rdata_; }
  // Modulus size for RSA, 256 for the others.
  unsigned bits() const;

  // BIND's file name stem: "K" + zone with its trailing dot + "+" + 3-digit algorithm + "+" + 5-digit tag.
  std::string bind_file_stem() const;
  // The texts of the two files, as dnssec-keygen writes them (comment header and timing lines included).
  std::string key_file_text(const KeyTiming& timing) const;
  std::string private_file_text(const KeyTiming& timing) const;
  // Writes both files into `directory` atomically, .private with mode 0600; returns the .key file's path.
  std::filesystem::path write_bind_files(const std::filesystem::path& directory, const KeyTiming& timing) const;

  // Signs `data` (the RRSIG signing input of RFC 4034 §3.1.8.1) with a fresh context. For many signatures use a
  // KeySigningContext per thread instead. Throws std::runtime_error when OpenSSL fails.
  std::string sign(std::string_view data) const;
  // Checks a DNSSEC-format signature over `data` with the public key.
  bool verify(std::string_view data, std::string_view signature) const;

  evp_pkey_st* pkey() const { return pkey_.get(); }

 private:
  struct PkeyFree {
    void operator()(evp_pkey_st* key) const;
  };
  DnssecKey(dns::Name zone, std::uint8_t algorithm, std::uint16_t flags, std::shared_ptr<evp_pkey_st> pkey);

  dns::Name zone_;
  std::uint8_t algorithm_ = 0;
  std::uint16_t flags_ = 0;
  std::uint16_t key_tag_ = 0;
  std::string dnskey_rdata_;
  // Shared: copies of a key (one per zone key list, per signing job) use the same immutable EVP_PKEY.
  std::shared_ptr<evp_pkey_st> pkey_;
};

// A signing context for one key, to be used by one thread at a time: it keeps an initialised EVP_MD_CTX and
// copies it for every signature instead of setting up the key again.
class KeySigningContext {
 public:
  explicit KeySigningContext(const DnssecKey& key);
  ~KeySigningContext();
  KeySigningContext(const KeySigningContext&) = delete;
  KeySigningContext& operator=(const KeySigningContext&) = delete;
  KeySigningContext(KeySigningContext&& other) noexcept;
  KeySigningContext& operator=(KeySigningContext&&) = delete;

  const DnssecKey& key() const { return *key_; }
  // Signature in DNSSEC wire form; appended to `out`. Throws std::runtime_error when OpenSSL fails.
  void sign(std::string_view data, std::string& out);
  std::string sign(std::string_view data) {
    std::string out;
    sign(data, out);
    return out;
  }

 private:
  const DnssecKey* key_;
  evp_md_ctx_st* initialised_ = nullptr;  // EVP_DigestSignInit done once
  evp_md_ctx_st* work_ = nullptr;         // copy of `initialised_` per signature
  bool can_copy_ = true;                  // false when the provider cannot duplicate the context
};

}  // namespace rdnsprov::signer
