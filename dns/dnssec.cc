#include "dns/dnssec.h"

#include <openssl/evp.h>

#include <cassert>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace rdnsprov::dns {
namespace {

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  int ok = EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
  assert(ok == 1 && "EVP_Digest failed");
  (void)ok;
  return std::string(reinterpret_cast<char*>(out), length);
}

// SHA-1 with a digest implementation fetched once per thread and a context reused for every hash.
class Sha1 {
 public:
  Sha1() : md_(EVP_MD_fetch(nullptr, "SHA1", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (!md_ || !ctx_) throw std::runtime_error("OpenSSL: SHA-1 is not available");
  }
  ~Sha1() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void digest(std::string_view first, std::string_view second, unsigned char* out) {
    unsigned int length = 0;
    if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, first.data(), first.size()) != 1 ||
        EVP_DigestUpdate(ctx_, second.data(), second.size()) != 1 || EVP_DigestFinal_ex(ctx_, out, &length) != 1 ||
        length != 20) {
      throw std::runtime_error("OpenSSL: SHA-1 failed");
    }
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace

Nsec3Digest nsec3_digest(std::string_view canonical_wire, std::string_view salt, std::uint16_t iterations) {
  // IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) || salt)
  thread_local Sha1 sha1;
  Nsec3Digest hash;
  sha1.digest(canonical_wire, salt, hash.data());
  for (std::uint16_t i = 0; i < iterations; ++i) {
    Nsec3Digest previous = hash;
    sha1.digest(std::string_view(reinterpret_cast<const char*>(previous.data()), previous.size()), salt, hash.data());
  }
  return hash;
}

std::string sha1(std::string_view data) { return digest(EVP_sha1(), data); }
std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }
std::string sha384(std::string_view data) { return digest(EVP_sha384(), data); }

std::uint16_t key_tag(std::string_view rdata) {
  std::uint32_t accumulator = 0;
  for (std::size_t i = 0; i < rdata.size(); ++i) {
    auto byte = static_cast<unsigned char>(rdata[i]);
    accumulator += (i & 1) ? byte : static_cast<std::uint32_t>(byte) << 8;
  }
  accumulator += (accumulator >> 16) & 0xffff;
  return static_cast<std::uint16_t>(accumulator & 0xffff);
}

Result<std::string> ds_rdata(const Name& owner, std::string_view dnskey_rdata, std::uint8_t digest_type) {
  std::string input(owner.wire());
  input.append(dnskey_rdata);
  std::string hash;
  switch (digest_type) {
    case 1: hash = sha1(input); break;
    case 2: hash = sha256(input); break;
    case 4: hash = sha384(input); break;
    default: return error(fmt::format("DS digest type {} is not supported", digest_type));
  }
  std::string out;
  std::uint16_t tag = key_tag(dnskey_rdata);
  out.push_back(static_cast<char>(tag >> 8));
  out.push_back(static_cast<char>(tag & 0xff));
  out.push_back(dnskey_rdata.size() >= 4 ? dnskey_rdata[3] : '\0');  // algorithm
  out.push_back(static_cast<char>(digest_type));
  out.append(hash);
  return out;
}

std::string nsec3_hash(const Name& name, std::string_view salt, std::uint16_t iterations) {
  Nsec3Digest hash = nsec3_digest(name.wire(), salt, iterations);
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::optional<std::time_t> earliest_signature_expiration(std::span<const Record> records, std::time_t now) {
  std::optional<std::int64_t> earliest;
  for (const Record& r : records) {
    if (r.type != RRType::kRrsig || r.rdata.size() < 12) continue;
    auto octet = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(r.rdata[i])); };
    std::uint32_t expiration = octet(8) << 24 | octet(9) << 16 | octet(10) << 8 | octet(11);
    std::int64_t left = seconds_until(expiration, now);
    if (!earliest || left < *earliest) earliest = left;
  }
  if (!earliest) return std::nullopt;
  return static_cast<std::time_t>(now + *earliest);
}

ServedTtls served_ttls(std::span<const Record> records, const Name& apex) {
  ServedTtls ttls;
  for (const Record& r : records) {
    if (r.type == RRType::kDnskey && r.owner == apex) ttls.dnskey = std::max(ttls.dnskey, r.ttl);
    if (r.type == RRType::kRrsig) ttls.signed_rrsets = std::max(ttls.signed_rrsets, r.ttl);
  }
  return ttls;
}

}  // namespace rdnsprov::dns
