#include "signer/key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "dns/atomic_file.h"
#include "tests/signer/signer_test_zones.h"
#include "tests/support/support.h"

namespace rdnsprov::signer {
namespace {

using rdnsprov::testing::TempDir;
using testing::name;

TEST(KeyStore, EnsureKeysMakesKskAndZskOnceAndLoadsThemBack) {
  TempDir dir;
  KeyStore store(dir / "keys" / "193.in-addr.arpa", name("193.in-addr.arpa"));
  SigningPolicy policy;
  auto keys = store.ensure_keys(policy, 1700000000);
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].state.role, KeyRole::kKsk);
  EXPECT_EQ((*keys)[0].key.flags(), 257);
  EXPECT_EQ((*keys)[1].state.role, KeyRole::kZsk);
  EXPECT_EQ((*keys)[1].key.flags(), 256);
  EXPECT_NE((*keys)[0].key.key_tag(), (*keys)[1].key.key_tag());

  // A second call finds them and makes nothing new.
  auto again = store.ensure_keys(policy, 1700000100);
  ASSERT_TRUE(again.ok()) << again.error();
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].key.dnskey_rdata(), (*keys)[0].key.dnskey_rdata());
  EXPECT_EQ((*again)[0].state, (*keys)[0].state);
  EXPECT_EQ(*(*again)[0].state.timing.activate, 1700000000);

  // Files: BIND names, state beside them, 0600 for secrets.
  std::string stem = (*keys)[0].key.bind_file_stem();
  EXPECT_TRUE(std::filesystem::exists(store.directory() / (stem + ".key")));
  struct stat info {};
  ASSERT_EQ(::stat((store.directory() / (stem + ".private")).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto state_text = dns::read_file(store.directory() / fmt::format("{}.state", (*keys)[0].key.key_tag()));
  EXPECT_NE(state_text.find("\"role\": \"ksk\""), std::string::npos) << state_text;
}

TEST(KeyStore, CskLayoutMakesOneKey) {
  TempDir dir;
  KeyStore store(dir.path(), name("example"));
  SigningPolicy policy{.algorithm = 15, .key_layout = KeyLayout::kCsk};
  auto keys = store.ensure_keys(policy, 1700000000);
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].state.role, KeyRole::kCsk);
  EXPECT_EQ((*keys)[0].key.algorithm(), 15);
}

TEST(KeyStore, TimingDecidesPublishedAndActive) {
  TempDir dir;
  KeyStore store(dir.path(), name("example"));
  SigningPolicy policy;
  StoredKey key = store.generate(KeyRole::kZsk, policy, 1000);
  key.state.timing = KeyTiming{1000, 2000, 3000, 4000, 5000};
  key.state.rollover_step = "zsk-prepublish";
  store.save_state(key);
  auto loaded = store.load();
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  ASSERT_EQ(loaded->size(), 1u);
  const StoredKey& k = (*loaded)[0];
  EXPECT_EQ(k.state, key.state);
  EXPECT_FALSE(k.published(1999));
  EXPECT_TRUE(k.published(2000));
  EXPECT_FALSE(k.active(2999));
  EXPECT_TRUE(k.active(3000));
  EXPECT_FALSE(k.active(4000));
  EXPECT_TRUE(k.published(4999));
  EXPECT_FALSE(k.published(5000));
  EXPECT_EQ(published_keys(*loaded, 2500).size(), 1u);
  EXPECT_EQ(active_keys(*loaded, 2500).size(), 0u);
  auto signing = signing_keys(*loaded, 2500);
  ASSERT_EQ(signing.size(), 1u);
  EXPECT_FALSE(signing[0].active);
}

TEST(KeyStore, ABadKeyFailsTheWholeLoadNamingTheFile) {
  TempDir dir;
  KeyStore store(dir.path(), name("example"));
  StoredKey key = store.generate(KeyRole::kKsk, SigningPolicy{}, 1000);
  auto private_file = key.key_file;
  private_file.replace_extension(".private");
  ASSERT_EQ(::chmod(private_file.c_str(), 0604), 0);
  auto loaded = store.load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find(private_file.string()), std::string::npos) << loaded.error();

  ASSERT_EQ(::chmod(private_file.c_str(), 0600), 0);
  dns::write_file_atomically(dir / fmt::format("{}.state", key.key.key_tag()), "{\"role\": \"boss\"}");
  loaded = store.load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find(".state"), std::string::npos) << loaded.error();
}

TEST(KeyStore, KeysOfAnotherZoneAreRefused) {
  TempDir dir;
  DnssecKey::generate(name("other.example"), 13, KeyRole::kKsk).write_bind_files(dir.path(), {});
  KeyStore store(dir.path(), name("example"));
  EXPECT_FALSE(store.load().ok());
}

}  // namespace
}  // namespace rdnsprov::signer
