#include "publisher/command.h"

#include <gtest/gtest.h>

namespace rdnsprov::publisher {
namespace {

TEST(CommandTemplate, SplitsWordsAndKeepsQuotedSpaces) {
  auto c = CommandTemplate::parse("  rndc -s 127.0.0.1\t-k \"/etc/bind/my key\" reload {zone} ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->words(), (std::vector<std::string>{"rndc", "-s", "127.0.0.1", "-k", "/etc/bind/my key", "reload", "{zone}"}));
  EXPECT_TRUE(c->uses("zone"));
  EXPECT_FALSE(c->uses("file"));
  EXPECT_EQ(c->expand({{"zone", "193.in-addr.arpa"}}).back(), "193.in-addr.arpa");
  // Quotes may join parts of one word; shell characters are ordinary characters.
  auto joined = CommandTemplate::parse("sh -c \"echo {zone};\"x --file={file}");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->expand({{"zone", "z"}, {"file", "/d/z.zone"}}),
            (std::vector<std::string>{"sh", "-c", "echo z;x", "--file=/d/z.zone"}));
}

TEST(CommandTemplate, RejectsAnUnclosedQuoteOrNoProgram) {
  std::string error;
  EXPECT_FALSE(CommandTemplate::parse("rndc \"reload", &error));
  EXPECT_NE(error.find("quote"), std::string::npos) << error;
  EXPECT_FALSE(CommandTemplate::parse("   ", &error));
  EXPECT_NE(error.find("no program"), std::string::npos) << error;
  EXPECT_FALSE(CommandTemplate::parse("\"\" reload", &error));
}

TEST(RunProgram, ReportsExitStatusAndOutput) {
  CommandOutcome ok = run_program({"sh", "-c", "echo fine"}, std::chrono::seconds(30));
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.output, "fine\n");
  CommandOutcome failed = run_program({"sh", "-c", "echo out; echo refused >&2; exit 3"}, std::chrono::seconds(30));
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.describe(), "exit 3: out refused");
}

TEST(RunProgram, KillsACommandThatOutlivesItsTimeoutWithWhatItStarted) {
  auto start = std::chrono::steady_clock::now();
  // The child of sh keeps the output open: the whole process group must go.
  CommandOutcome slow = run_program({"sh", "-c", "sleep 60 & sleep 60"}, std::chrono::milliseconds(500));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(slow.timed_out);
  EXPECT_FALSE(slow.ok());
  EXPECT_LT(took, std::chrono::seconds(20));
  EXPECT_NE(slow.describe().find("timed out after 500 ms"), std::string::npos) << slow.describe();
}

TEST(RunProgram, NamesAProgramThatCannotStart) {
  CommandOutcome missing = run_program({"rdnsprov-no-such-program", "reload"}, std::chrono::seconds(5));
  EXPECT_FALSE(missing.started);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.describe().find("cannot start rdnsprov-no-such-program"), std::string::npos) << missing.describe();
}

TEST(CommandText, QuotesWordsWithSpaces) {
  EXPECT_EQ(command_text({"rndc", "-k", "/a b/key", "reload", "z"}), "rndc -k \"/a b/key\" reload z");
}

}  // namespace
}  // namespace rdnsprov::publisher
