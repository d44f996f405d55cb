#include "dns/dnssec.h"

#include <openssl/evp.h>

#include <cassert>
#include <memory>

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

}  // namespace

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
  // IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) || salt)
  std::string buffer(name.wire());
  buffer.append(salt);
  std::string hash = sha1(buffer);
  for (std::uint16_t i = 0; i < iterations; ++i) {
    buffer.assign(hash);
    buffer.append(salt);
    hash = sha1(buffer);
  }
  return hash;
}

}  // namespace rdnsprov::dns
