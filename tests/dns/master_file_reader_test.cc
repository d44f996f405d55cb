// Regression tests from fuzzing the master-file reader (docs/RELIABILITY.md "Findings"): a byte that is not
// printable ASCII inside a token reached the error message verbatim (a NUL, a line break, a control character),
// so one bad line of a published zone could split or forge a line of the log and the journal.
#include <algorithm>
#include <iterator>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/thread_pool.h"
#include "dns/record.h"
#include "dns/zone.h"

namespace rdnsprov::dns {
namespace {

bool one_line(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f;
  });
}

const Name& origin() {
  static const Name apex = *Name::from_text("193.in-addr.arpa");
  return apex;
}

TEST(MasterFileReader, ControlBytesInsideAnOwnerNameAreRefusedWithoutQuotingThem) {
  // fuzz_master_file, first finding: NUL bytes in the middle of an owner name.
  std::string text = std::string("70.7.5.193.in-add\0\0r.arpa.\t86400\tIN\tNS\tns1.example.net.\n", 56) +
                     "71.7.5.193.in-addr.arpa.\t86400\tIN\tNS\tns1.example.net.\n";
  MasterFile parsed = read_master_file(text, origin());
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].line, 1u);
  EXPECT_TRUE(one_line(parsed.errors[0].reason)) << parsed.errors[0].reason;
  EXPECT_NE(parsed.errors[0].reason.find("byte 0x00"), std::string::npos) << parsed.errors[0].reason;
  ASSERT_EQ(parsed.records.size(), 1u) << "the good line is still read";
  EXPECT_EQ(parsed.records[0].owner, *Name::from_text("71.7.5.193.in-addr.arpa"));
}

TEST(MasterFileReader, ControlBytesInsideATypeOrRdataAreRefusedWithoutQuotingThem) {
  // fuzz_master_file, second finding: NUL bytes after "IN" made the record type "IN\0\0…", quoted in the error.
  for (const std::string& line : {std::string("x.193.in-addr.arpa. 60 IN\0\0\0 NS ns1.example.net.\n", 49),
                                  std::string("x.193.in-addr.arpa. 60 IN NS\x01 ns1.example.net.\n"),
                                  std::string("x.193.in-addr.arpa. 60 IN NS ns1.exa\x1b[2Jmple.net.\n"),
                                  std::string("x.193.in-addr.arpa. 60 IN A 192.0.2.1\x7f\n"),
                                  std::string("x.193.in-addr.arpa. 60 IN NS ns1.ex\xc3\xa9.net.\n")}) {
    MasterFile parsed = read_master_file(line, origin());
    ASSERT_EQ(parsed.errors.size(), 1u) << ::testing::PrintToString(line);
    EXPECT_TRUE(one_line(parsed.errors[0].reason)) << parsed.errors[0].reason;
    EXPECT_TRUE(parsed.records.empty()) << ::testing::PrintToString(line);
  }
}

TEST(MasterFileReader, NameErrorsShowUnprintableBytesEscaped) {
  auto name = Name::from_text(std::string("a\0b\nc\\d.example", 16));
  ASSERT_FALSE(name.ok());
  EXPECT_TRUE(one_line(name.error())) << name.error();
  EXPECT_NE(name.error().find("a\\x00b\\x0ac\\x5cd.example"), std::string::npos) << name.error();
}

// fuzz_master_file: a zone with two SOA records at its apex was written with only the first, so the file read back
// lost a record (and `rdnsprov sign` wrote a zone whose SOA signature no longer matched). Both writers keep every
// record; the signer and the verifier refuse such a zone (signer and verify tests).
TEST(MasterFileReader, ZoneFileWrittenWithTwoSoaRecordsKeepsBoth) {
  const std::string text = "$TTL 60\n"
                           "@ SOA ns1.example. h.example. 1 3600 900 604800 60\n"
                           "@ SOA ns1.example. h.example. 2 3600 900 604800 60\n"
                           "@ NS ns1.example.\n";
  MasterFile parsed = read_master_file(text, origin());
  ASSERT_TRUE(parsed.errors.empty());
  Zone zone(origin());
  for (const Record& r : parsed.records) zone.add(r);
  zone.canonicalise();
  ASSERT_EQ(zone.records().size(), 3u);
  ThreadPool pool(2);
  std::string pieces;
  for (const std::string& piece : master_file_pieces(zone, pool)) pieces += piece;
  for (const std::string& file : {to_master_file(zone), to_master_file(zone, pool), pieces}) {
    MasterFile back = read_master_file(file, origin());
    ASSERT_TRUE(back.errors.empty()) << file;
    EXPECT_EQ(back.records.size(), 3u) << file;
    EXPECT_TRUE(file.starts_with("193.in-addr.arpa.\t60\tIN\tSOA\t")) << file;
  }
}

// Names are lower-cased, owners and rdata alike (RFC 4034 §6.2's canonical form), but for the next name of an NSEC
// record, which keeps the case it is written in (RFC 6840 §5.1): a signer that kept it signed it so. Labels the
// origin adds keep the origin's form.
TEST(MasterFileReader, NsecNextNamesKeepTheirCaseAndOtherNamesAreLowerCased) {
  const std::string text = "$TTL 60\n"
                           "MiXeD NS NS1.Example.NET.\n"
                           "MiXeD NSEC Next.193.IN-ADDR.ARPA. NS RRSIG NSEC\n"
                           "Next NSEC MiXeD NS RRSIG NSEC\n";
  MasterFile parsed = read_master_file(text, origin());
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front().reason;
  ASSERT_EQ(parsed.records.size(), 3u);
  EXPECT_EQ(parsed.records[0].owner.to_text(), "mixed.193.in-addr.arpa.");
  EXPECT_EQ(rdata::to_text(RRType::kNs, parsed.records[0].rdata), "ns1.example.net.");
  EXPECT_EQ(rdata::to_text(RRType::kNsec, parsed.records[1].rdata), "Next.193.IN-ADDR.ARPA. NS RRSIG NSEC");
  EXPECT_EQ(rdata::to_text(RRType::kNsec, parsed.records[2].rdata), "MiXeD.193.in-addr.arpa. NS RRSIG NSEC");
  std::size_t pos = 0;
  EXPECT_EQ(Name::from_wire(parsed.records[1].rdata, pos)->to_text(), "next.193.in-addr.arpa.")
      << "compared as a name, case does not count";
}

// CLASS1 is IN written generically (RFC 3597 §5); any other class is refused, naming it.
TEST(MasterFileReader, Class1IsInAndOtherClassesAreRefused) {
  MasterFile parsed = read_master_file("$TTL 60\na CLASS1 PTR x.example.\nb 60 CLASS1 PTR y.example.\n"
                                       "c CH PTR z.example.\nd CLASS3 PTR z.example.\n",
                                       origin());
  ASSERT_EQ(parsed.records.size(), 2u);
  EXPECT_EQ(parsed.records[1].ttl, 60u);
  ASSERT_EQ(parsed.errors.size(), 2u);
  EXPECT_NE(parsed.errors[0].reason.find("class CH is not IN"), std::string::npos) << parsed.errors[0].reason;
  EXPECT_NE(parsed.errors[1].reason.find("class CLASS3 is not IN"), std::string::npos) << parsed.errors[1].reason;
}

// Wildcards (RFC 4592) are read only when the caller allows them (`rdnsprov sign`, `verify-zone`). Every other
// reader — zonelets, published zones — refuses a '*' anywhere on the line, owner or rdata, naming the line, and
// still reads the good lines. The parallel reader applies the same choice to every piece.
TEST(MasterFileReader, WildcardsAreReadOnlyWhenTheCallerAllowsThem) {
  const std::string lines = "$TTL 3600\n"
                            "1 PTR host.example.net.\n"
                            "* PTR generic.example.net.\n"
                            "2 CNAME *.example.net.\n"
                            "*.5 PTR deep.example.net.\n";
  MasterFile strict = read_master_file(lines, origin());
  ASSERT_EQ(strict.errors.size(), 3u);
  EXPECT_EQ(strict.errors[0].line, 3u);
  EXPECT_EQ(strict.errors[1].line, 4u);
  EXPECT_EQ(strict.errors[2].line, 5u);
  EXPECT_NE(strict.errors[0].reason.find("'*' is not allowed: wildcard names are taken only in the zones given to"),
            std::string::npos)
      << strict.errors[0].reason;
  ASSERT_EQ(strict.records.size(), 1u);
  EXPECT_EQ(strict.records[0].owner, *Name::from_text("1.193.in-addr.arpa"));

  MasterFile allowed = read_master_file(lines, origin(), Dialect::kOperator);
  ASSERT_TRUE(allowed.errors.empty()) << allowed.errors[0].reason;
  ASSERT_EQ(allowed.records.size(), 4u);
  EXPECT_EQ(allowed.records[1].owner.to_text(), "*.193.in-addr.arpa.");
  EXPECT_EQ(master_line(allowed.records[2]), "2.193.in-addr.arpa.\t3600\tIN\tCNAME\t*.example.net.\n");
  EXPECT_EQ(allowed.records[3].owner.rrsig_labels(), 4u);

  // Large enough to be read in pieces, the wildcard in the last one.
  std::string big = "$TTL 3600\n";
  std::size_t count = 0;
  while (big.size() < (5u << 20)) {
    big += std::to_string(count % 250) + "." + std::to_string(count / 250) + " PTR host.example.net.\n";
    ++count;
  }
  big += "* PTR generic.example.net.\n";
  ThreadPool pool(2);
  MasterFile pieces_strict = read_master_file(big, origin(), pool);
  ASSERT_EQ(pieces_strict.errors.size(), 1u);
  EXPECT_EQ(pieces_strict.errors[0].line, count + 2);
  EXPECT_EQ(pieces_strict.records.size(), count);
  MasterFile pieces_allowed = read_master_file(big, origin(), pool, Dialect::kOperator);
  ASSERT_TRUE(pieces_allowed.errors.empty()) << pieces_allowed.errors[0].reason;
  EXPECT_GT(pieces_allowed.pieces, 1u);
  ASSERT_EQ(pieces_allowed.records.size(), count + 1);
  EXPECT_TRUE(pieces_allowed.records.back().owner.is_wildcard());
}

// RFC 2317's slash notation (0/26) is read in operators' zones, in owners and in the names of rdata; the
// registry's files keep to letters, digits, '-' and '_'.
TEST(MasterFileReader, SlashNotationIsReadInOperatorsZonesOnly) {
  const std::string text = "$TTL 60\n0/26 NS ns.customer.example.\n1 CNAME 1.0/26\n";
  MasterFile operators = read_master_file(text, origin(), Dialect::kOperator);
  ASSERT_TRUE(operators.errors.empty()) << operators.errors[0].reason;
  ASSERT_EQ(operators.records.size(), 2u);
  EXPECT_EQ(master_line(operators.records[1]), "1.193.in-addr.arpa.\t60\tIN\tCNAME\t1.0/26.193.in-addr.arpa.\n");
  MasterFile again = read_master_file(master_line(operators.records[0]) + master_line(operators.records[1]), origin(),
                                      Dialect::kOperator);
  EXPECT_EQ(again.records, operators.records);
  MasterFile registry = read_master_file(text, origin());
  ASSERT_EQ(registry.errors.size(), 2u);
  EXPECT_NE(registry.errors[0].reason.find("'/' is not allowed in a name"), std::string::npos) << registry.errors[0].reason;
  EXPECT_NE(registry.errors[1].reason.find("'/' is not allowed in a name"), std::string::npos) << registry.errors[1].reason;
  EXPECT_FALSE(Name::from_text("0/26.2.0.192.in-addr.arpa").ok());  // a name given alone (zone, host, config)
}

// Quoted text may hold ';', '(' and ')': where a large file is cut for reading in pieces, they are text, not a
// comment or parentheses, so an operator's zone full of TXT records is still read on every thread, to the same
// records as in one go.
TEST(MasterFileReader, QuotedSemicolonsAndParenthesesDoNotStopAFileBeingReadInPieces) {
  std::string big = "$TTL 3600\n";
  std::size_t count = 0;
  while (big.size() < (5u << 20)) {
    big += std::to_string(count % 250) + "." + std::to_string(count / 250) +
           " TXT \"(open\" \"semi;colon \\\" (\" ( \"close)\" )\n";
    ++count;
  }
  ThreadPool pool(2);
  MasterFile pieces = read_master_file(big, origin(), pool, Dialect::kOperator);
  ASSERT_TRUE(pieces.errors.empty()) << pieces.errors[0].line << ": " << pieces.errors[0].reason;
  EXPECT_GT(pieces.pieces, 1u);
  ASSERT_EQ(pieces.records.size(), count);
  EXPECT_EQ(pieces.records.back().rdata, "\x05(open\x0esemi;colon \" (\x06" "close)");
  MasterFile whole = read_master_file(big, origin(), Dialect::kOperator);
  EXPECT_EQ(pieces.records, whole.records);
  EXPECT_EQ(pieces.lines, whole.lines);
}

// An operator's zone (Dialect::kOperator) holds any type. TXT text with every byte value, written with escapes,
// reads back byte for byte after being written out; MX and SRV targets are lower-cased; other types keep their
// RFC 3597 data. The registry's reader refuses all of it, as before.
TEST(MasterFileReader, OperatorZonesHoldAnyTypeAndTheRegistrysReaderRefusesThem) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  std::string escaped;
  for (unsigned char c : all_bytes.substr(0, 200)) escaped += fmt::format("\\{:03d}", c);
  const std::string text = "$TTL 60\n"
                           "a TXT \"" + escaped + "\" plain \"\\\"; (x)\"\n"
                           "b MX 5 Mail.Example.NET.\n"
                           "c SRV 1 2 3 Target.Example.\n"
                           "d CAA \\# 4 0002 6869\n"
                           "e TYPE4000 \\# 0\n";
  MasterFile parsed = read_master_file(text, origin(), Dialect::kOperator);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].line << ": " << parsed.errors[0].reason;
  ASSERT_EQ(parsed.records.size(), 5u);
  const Record& txt = parsed.records[0];
  EXPECT_EQ(txt.type, RRType::kTxt);
  EXPECT_EQ(txt.rdata, std::string(1, '\xc8') + all_bytes.substr(0, 200) + "\x05plain\x06\"; (x)");
  EXPECT_EQ(parsed.records[1].rdata, std::string("\x00\x05\x04mail\x07" "example\x03net\x00", 20));
  EXPECT_EQ(parsed.records[2].rdata.substr(6), std::string("\x06target\x07" "example\x00", 16));
  EXPECT_EQ(rrtype_to_text(parsed.records[3].type), "CAA");
  EXPECT_EQ(parsed.records[3].rdata, std::string("\x00\x02hi", 4));
  EXPECT_EQ(rrtype_code(parsed.records[4].type), 4000);
  EXPECT_TRUE(parsed.records[4].rdata.empty());

  // Written out and read again: the same records; the text is plain printable ASCII, one line each.
  std::string written;
  for (const Record& r : parsed.records) written += master_line(r);
  // Plain printable ASCII apart from the tabs between fields and the newline ending each line.
  EXPECT_TRUE(std::all_of(written.begin(), written.end(), [](char c) {
    return c == '\t' || c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
  })) << written;
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 5);
  EXPECT_NE(written.find("\tTXT\t\"\\000\\001"), std::string::npos) << written;
  EXPECT_NE(written.find("\tCAA\t0 hi \"\"\n"), std::string::npos) << written;  // RFC 3597 in, presentation out
  EXPECT_NE(written.find("\tTYPE4000\t\\# 0\n"), std::string::npos) << written;
  MasterFile again = read_master_file(written, origin(), Dialect::kOperator);
  ASSERT_TRUE(again.errors.empty()) << again.errors[0].reason;
  EXPECT_EQ(again.records, parsed.records);

  MasterFile registry = read_master_file(text, origin());
  EXPECT_TRUE(registry.records.empty());
  EXPECT_EQ(registry.errors.size(), 5u);

  // Refused in an operator's zone, each naming its line; the good line between them is read.
  const std::string bad = "$TTL 60\n"
                          "a TYPE251 \\# 0\n"           // 2
                          "b TYPE255 \\# 0\n"          // 3
                          "c TYPE41 \\# 0\n"           // 4
                          "d NAPTR \\# 0\n"            // 5
                          "e MINFO a. b.\n"            // 6
                          "f MX \\# 0\n"               // 7
                          "g TYPE65534 \\# 3 0102\n"   // 8
                          "h TXT \"no end\n"            // 9
                          "i TXT \"\x01\"\n"            // 10
                          "j TXT \"\\300\"\n"           // 11
                          "k TXT " + std::string(300, 'x') + "\n"  // 12
                          "ok TXT fine\n"               // 13
                          "l A 192.0.2.\\1\n"            // 14
                          "m TYPE23 \\# 3 01 41 00\n"    // 15
                          "n A \"caf\xc3\xa9\xff\t\"\n";   // 16: UTF-8 kept in the message, the rest written \DDD
  MasterFile refused = read_master_file(bad, origin(), Dialect::kOperator);
  ASSERT_EQ(refused.records.size(), 1u);
  EXPECT_EQ(refused.records[0].owner, *Name::from_text("ok.193.in-addr.arpa"));
  std::map<std::uint64_t, std::string> reasons;
  for (const MasterFileError& e : refused.errors) {
    EXPECT_EQ(e.reason.find_first_of("\n\r\t"), std::string::npos) << e.reason;
    reasons[e.line] = e.reason;
  }
  const std::pair<std::uint64_t, std::string_view> expected[] = {
      {2, "IXFR is a meta or query type"},
      {3, "ANY is a meta or query type"},
      {4, "OPT is a meta or query type"},
      {5, "NAPTR data in RFC 3597's form does not fit its type"},
      {6, "MINFO holds names that signing lower-cases"},
      {7, "MX data in RFC 3597's form does not fit its type: rdata too short"},
      {8, "\\# says 3 octets, the data has 2"},
      {9, "quoted text runs past the end of its line"},
      {10, "byte 0x01 is not allowed in quoted text"},
      {11, "is above 255"},
      {12, "at most 255 octets"},
      {14, "\"192.0.2.\\1\" is not an IPv4 address"},
      {15, "TYPE23 holds names that signing lower-cases"},
      {16, "n.193.in-addr.arpa. A: \"\"caf\xc3\xa9\\255\\009\"\" is not an IPv4 address"},
  };
  for (const auto& [line, words] : expected) {
    EXPECT_NE(reasons[line].find(words), std::string::npos) << "line " << line << ": " << reasons[line];
  }
  EXPECT_EQ(reasons.size(), std::size(expected));
}

// A line refused for its type or data still names the owner the lines after it repeat (as in BIND): their records
// and errors are that owner's, not the one of the last line read. Lines repeating an owner that could not be read
// are refused as such.
// Type names BIND writes in the NSEC and RRSIG lines of the zones it signs (LP, TALINK, NSAP-PTR, …) are read, and
// written back as TYPEnnn, which every tool reads.
TEST(MasterFileReader, TypeNamesBindWritesAreReadAndWrittenAsTypeNumbers) {
  const std::string text = "$TTL 60\n"
                           "a NSEC b.193.in-addr.arpa. RRSIG NSEC LP TALINK NSAP-PTR AMTRELAY HIP NULL X25\n"
                           "a LP \\# 3 000a00\n"
                           "a HIP \\# 6 01020001aabb\n";
  MasterFile read = read_master_file(text, origin(), Dialect::kOperator);
  ASSERT_TRUE(read.errors.empty()) << read.errors[0].line << ": " << read.errors[0].reason;
  ASSERT_EQ(read.records.size(), 3u);
  // Knot's kzonecheck 3.2 reads neither HIP, NULL nor X25 by name.
  EXPECT_EQ(master_line(read.records[0]), "a.193.in-addr.arpa.\t60\tIN\tNSEC\tb.193.in-addr.arpa. TYPE10 TYPE19 "
                                          "TYPE23 RRSIG NSEC TYPE55 TYPE58 TYPE107 TYPE260\n");
  EXPECT_EQ(master_line(read.records[1]), "a.193.in-addr.arpa.\t60\tIN\tTYPE107\t\\# 3 000A00\n");
  EXPECT_EQ(master_line(read.records[2]), "a.193.in-addr.arpa.\t60\tIN\tTYPE55\t\\# 6 01020001AABB\n");

  // A refused line names the type as the operator wrote it, and as rdnsprov writes it.
  MasterFile refused = read_master_file("$TTL 60\nb hip 2 200100107B1A74DF365639CC39F1D578 AwEAAbdx\n", origin(),
                                        Dialect::kOperator);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_NE(refused.errors[0].reason.find("b.193.in-addr.arpa. HIP (TYPE55): rdnsprov reads no presentation form"),
            std::string::npos)
      << refused.errors[0].reason;
}

TEST(MasterFileReader, LinesAfterARefusedLineRepeatItsOwner) {
  const std::string text = "$TTL 60\n"
                           "a TXT first\n"                    // 2
                           "b HINFO \"PC\"\n"                // 3
                           "  CAA 0 is-sue \"ca.example\"\n"  // 4
                           "  TXT second\n"                   // 5
                           "bad..name TXT x\n"                // 6
                           "  TXT third\n";                   // 7
  MasterFile read = read_master_file(text, origin(), Dialect::kOperator);
  ASSERT_EQ(read.records.size(), 2u);
  EXPECT_EQ(read.records[0].owner, *Name::from_text("a.193.in-addr.arpa"));
  EXPECT_EQ(read.records[1].owner, *Name::from_text("b.193.in-addr.arpa"));
  std::map<std::uint64_t, std::string> reasons;
  for (const MasterFileError& e : read.errors) reasons[e.line] = e.reason;
  ASSERT_EQ(reasons.size(), 4u);
  EXPECT_NE(reasons[3].find("b.193.in-addr.arpa. HINFO"), std::string::npos) << reasons[3];
  EXPECT_NE(reasons[4].find("b.193.in-addr.arpa. CAA"), std::string::npos) << reasons[4];
  EXPECT_NE(reasons[6].find("owner"), std::string::npos) << reasons[6];
  EXPECT_NE(reasons[7].find("no previous owner"), std::string::npos) << reasons[7];
}

}  // namespace
}  // namespace rdnsprov::dns
