// RFC 3597 data (\# LENGTH HEX) of the types whose structure rdnsprov knows is checked against it: an operator's
// zone with data a server would refuse to load is refused before it is signed. Each verdict here is compared with
// named-checkzone's on the same record, so the two readers agree on every sample.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dns/atomic_file.h"
#include "dns/name.h"
#include "dns/zone.h"
#include "tests/support/support.h"

namespace rdnsprov::dns {
namespace {

using rdnsprov::testing::run_command;
using rdnsprov::testing::TempDir;

struct Sample {
  const char* record;
  bool valid;
};

const Sample kSamples[] = {
    {"HINFO \\# 10 03414243054c696e7578", true},
    {"HINFO \\# 4 03414243", false},          // one string
    {"HINFO \\# 6 034142430500", false},      // the second runs past the end
    {"HINFO \\# 7 03414243050102", false},
    {"HINFO \\# 0", false},
    {"SPF \\# 4 03616263", true},
    {"SPF \\# 0", false},
    {"SPF \\# 3 036162", false},
    {"LOC \\# 16 00121616898b3ebd70e8cd8200989680", true},
    {"LOC \\# 15 00121616898b3ebd70e8cd82009896", false},
    {"LOC \\# 3 010203", true},  // a version other than 0: its format is not defined, and servers take it
    {"CERT \\# 6 000100000800", true},
    {"CERT \\# 5 0001000008", false},  // no certificate
    {"SSHFP \\# 22 01010000000000000000000000000000000000000000", true},
    {"SSHFP \\# 4 01010101", false},  // SHA-1 is 20 octets
    {"SSHFP \\# 4 01030101", true},   // a fingerprint type with no length known
    {"SSHFP \\# 2 0101", false},
    {"TLSA \\# 4 03010101", true},
    {"TLSA \\# 3 030101", false},
    {"SMIMEA \\# 3 030101", false},
    {"EUI48 \\# 6 00005e0053ff", true},
    {"EUI48 \\# 5 00005e0053", false},
    {"EUI64 \\# 8 00005e0000005300", true},
    {"EUI64 \\# 7 00005e00000053", false},
    {"URI \\# 5 000a000161", true},
    {"URI \\# 3 000a00", false},
    {"CAA \\# 7 00056973737565", true},
    {"CAA \\# 4 00016d2d", true},
    {"CAA \\# 2 0000", false},              // an empty tag
    {"CAA \\# 8 00057461672e6b6b", false},  // '.' in the tag
    {"CAA \\# 4 00056973", false},          // the tag runs past the end
    {"OPENPGPKEY \\# 1 00", true},
    {"X25 \\# 5 0431323334", true},
    {"X25 \\# 4 03313233", false},    // 3 digits
    {"X25 \\# 5 04313233aa", false},  // not a digit
    {"X25 \\# 0", false},
    {"ISDN \\# 5 0431323334", true},
    {"ISDN \\# 7 04313233340161", true},
    {"ISDN \\# 10 043132333401610162", false},  // three strings
    {"ISDN \\# 0", false},
    {"KEY \\# 5 0100030101", true},
    {"KEY \\# 4 c1000301", true},   // the no-key flags
    {"KEY \\# 4 01000301", false},  // no key
    {"KEY \\# 3 010003", false},
    {"IPSECKEY \\# 4 0a000201", true},                                     // no gateway
    {"IPSECKEY \\# 8 0a0102c000020101", true},                             // IPv4
    {"IPSECKEY \\# 20 0a0202000102030405060708090a0b0c0d0e0f01", true},    // IPv6
    {"IPSECKEY \\# 7 0a030201410001", true},                               // a name
    {"IPSECKEY \\# 7 0a0102c0000201", false},                              // no key
    {"IPSECKEY \\# 19 0a0202000102030405060708090a0b0c0d0e0f", false},
    {"IPSECKEY \\# 6 0a03020141ff", false},                                // the name runs past the end
    {"IPSECKEY \\# 5 0a04020001", false},                                  // gateway type 4
    {"IPSECKEY \\# 2 0a00", false},
    {"HIP \\# 6 01020001aabb", true},
    {"HIP \\# 9 01020001aabb014100", true},  // a rendezvous server
    {"HIP \\# 8 01020001aabb0141", false},   // whose name runs past the end
    {"HIP \\# 5 01020001aa", false},
    {"HIP \\# 6 00020001aabb", false},       // no HIT
    {"HIP \\# 6 01020000aabb", false},       // no key
    {"CSYNC \\# 6 000000010003", true},
    {"CSYNC \\# 9 000000010003000140", true},
    {"CSYNC \\# 10 00000001000300024000", false},        // a trailing zero octet in the bitmap
    {"CSYNC \\# 12 000000010003000140000140", false},    // window 0 twice
    {"CSYNC \\# 5 0000000100", false},
    {"NSEC \\# 5 0000024000", false},                    // a trailing zero octet in the bitmap
    // Presentation forms, checked the same way.
    {"HINFO \"PC Intel\" Linux", true},
    {"HINFO \"PC\"", false},  // one string
    {"RP admin.example. .", true},
    {"RP admin.example.", false},
    {"AFSDB 1 afs.example.", true},
    {"AFSDB x afs.example.", false},
    {"NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", true},
    {"NAPTR 100 10 \"U\" \"E2U+sip\" .", false},
    {"KX 10 kx.example.", true},
    {"SSHFP 4 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
    {"SSHFP 4 2 0123", false},  // a SHA-256 fingerprint of 2 octets
    {"SSHFP 4 2 012", false},   // not hexadecimal octets
    {"TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
    {"TLSA 3 1", false},
    {"DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", true},
    {"OPENPGPKEY AQID", true},
    {"OPENPGPKEY AB==", false},  // bits left over that are not zero (RFC 4648 §3.5)
    {"DHCID AAB=", false},
    {"SPF \"v=spf1 -all\"", true},
    {"URI 10 1 \"ftp://ftp1.example.com/public\"", true},
    {"URI 10 \"ftp://ftp1.example.com/public\"", false},
    {"CAA 0 issue \"ca.example.net\"", true},
    {"CAA 0 is-sue \"ca.example.net\"", false},
    {"CAA 0 issue", false},
    {"MX \\# 0", false},
    {"MX \\# 4 000a 0000", false},  // the name runs past the end
    // NAPTR regexps (RFC 3402 §3.2), as BIND checks them on load.
    {"NAPTR 100 10 \"U\" \"E2U+sip\" \"\" .", true},
    {"NAPTR 100 10 \"U\" \"E2U+sip\" \"!^(.*)$!sip:\\\\1@example.com!i\" .", true},
    {"NAPTR 100 10 \"U\" \"E2U+sip\" \"a b c\" .", false},     // one delimiter
    {"NAPTR 100 10 \"U\" \"\" \"!a!b\" .", false},              // two
    {"NAPTR 100 10 \"U\" \"\" \"!a!b!c!d\" .", false},          // four
    {"NAPTR 100 10 \"U\" \"\" \"!a!b!x\" .", false},            // flag x
    {"NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!\\\\2!i\" .", false},  // no subexpression 2
    {"NAPTR 100 10 \"U\" \"\" \"1a1b1\" .", false},             // a digit as delimiter
    // Text as BIND reads it: UTF-8 and tabs as they are, escapes outside quotes too (RFC 1035 §5.1).
    {"TXT \"caf\xc3\xa9\"", true},
    {"TXT caf\xc3\xa9", true},
    {"TXT \"a\tb\"", true},
    {"HINFO \"a\tb\" c", true},
    {"CAA 0 issue \"\xc3\xa9\"", true},
    {"HINFO \\\"a b", true},
    {"TXT a\\ b a\\;b \\(x", true},
    {"TXT \"a\\", false},
    {"URI 10 1 https://x/", false},  // the target is quoted (RFC 7553 §4.4)
};

TEST(GenericRdata, KnownStructuresAreCheckedAsNamedCheckzoneChecksThem) {
  TempDir dir;
  const Name apex = *Name::from_text("2.0.192.in-addr.arpa");
  const std::string head = "$TTL 60\n@ SOA ns1.example.net. hostmaster.example.net. 1 3600 900 604800 300\n"
                           "@ NS ns1.example.net.\n";
  int refused = 0;
  for (const Sample& sample : kSamples) {
    SCOPED_TRACE(sample.record);
    std::string text = head + "x " + sample.record + "\n";
    MasterFile read = read_master_file(text, apex, Dialect::kOperator);
    EXPECT_EQ(read.errors.empty(), sample.valid) << (read.errors.empty() ? "" : read.errors[0].reason);
    write_file_atomically(dir / "sample.zone", text);
    auto bind = run_command({"named-checkzone", "-q", apex.to_text(), (dir / "sample.zone").string()});
    EXPECT_EQ(bind.exit_code == 0, sample.valid) << "named-checkzone disagrees: " << bind.all();
    refused += sample.valid ? 0 : 1;
    if (!read.errors.empty()) {
      EXPECT_EQ(read.errors[0].line, 4u);
      EXPECT_EQ(read.errors[0].reason.find('\n'), std::string::npos);
    }
  }
  EXPECT_GT(refused, 10);

  // Rdata longer than 65,535 octets (300 strings of 255), which no server loads: refused by both.
  std::string txt = "x TXT";
  for (int i = 0; i < 300; ++i) txt += " " + std::string(255, 'a');
  MasterFile long_read = read_master_file(head + txt + "\n", apex, Dialect::kOperator);
  ASSERT_EQ(long_read.errors.size(), 1u);
  EXPECT_NE(long_read.errors[0].reason.find("rdata holds at most 65,535"), std::string::npos) << long_read.errors[0].reason;
  write_file_atomically(dir / "long.zone", head + txt + "\n");
  EXPECT_NE(run_command({"named-checkzone", "-q", apex.to_text(), (dir / "long.zone").string()}).exit_code, 0);
}

}  // namespace
}  // namespace rdnsprov::dns
