// Fuzzes the RPSL object stream (ingest/rpsl_reader) and the domain-object rules behind it (ingest/registry,
// ingest/domain_object): the whole path of a registry dump to delegations.
//
// The first input byte chooses how the rest is read: as text in memory (as a database row is), as a file (plain
// or gzip, recognised by its magic bytes, so corrupt gzip streams are reached), or gzip-compressed by the harness
// and then read as a file, which must give exactly the objects the same text gives in memory. Then:
//   - every reject reason and key stays on one report line;
//   - every accepted delegation, written as master-file lines (NS, DS, glue), gives lines that cannot inject
//     anything, and reading those lines back gives the same records;
//   - every accepted delegation, written back as an RPSL object, is accepted again with the same content.
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/zone.h"
#include "ingest/registry.h"
#include "ingest/rpsl_reader.h"
#include "tests/fuzz/fuzz_checks.h"

using namespace rdnsprov;
using fuzz::fuzz_require;

namespace {

struct Objects {
  std::vector<ingest::RpslObject> objects;
  std::string error;  // a read error (corrupt or truncated gzip)
};

Objects read_all(ingest::RpslReader reader) {
  Objects out;
  try {
    ingest::RpslObject object;
    while (reader.next(object)) out.objects.push_back(object);
  } catch (const std::system_error& e) {
    out.error = e.what();
  }
  return out;
}

// The bytes as a file the reader opens by path (an anonymous memory file: no disk, nothing left behind).
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view bytes) : fd_(::memfd_create("rpsl", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    for (std::size_t done = 0; done < bytes.size();) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
  }
  ~MemoryFile() { ::close(fd_); }
  std::string path() const { return fmt::format("/proc/self/fd/{}", fd_); }

 private:
  int fd_;
};

std::string gzip(std::string_view text) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

bool same_objects(const std::vector<ingest::RpslObject>& a, const std::vector<ingest::RpslObject>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].line != b[i].line || a[i].syntax_errors != b[i].syntax_errors) return false;
    if (a[i].attributes.size() != b[i].attributes.size()) return false;
    for (std::size_t k = 0; k < a[i].attributes.size(); ++k) {
      const auto& x = a[i].attributes[k];
      const auto& y = b[i].attributes[k];
      if (x.name != y.name || x.value != y.value || x.line != y.line) return false;
    }
  }
  return true;
}

// The delegation as master-file lines, checked line by line and read back.
void check_master_lines(const dns::Delegation& d, std::string_view input) {
  std::vector<dns::Record> records;
  for (const dns::Name& ns : d.nameservers) records.push_back({d.child, dns::RRType::kNs, 3600, dns::rdata::ns(ns)});
  for (const std::string& ds : d.ds) records.push_back({d.child, dns::RRType::kDs, 3600, ds});
  for (const dns::GlueAddress& g : d.glue) records.push_back({g.host, g.type, 3600, g.address});
  std::string text;
  for (const dns::Record& r : records) {
    std::string line = dns::master_line(r);
    fuzz_require(fuzz::one_master_line(line), "an accepted delegation gives a master-file line that is not inert",
                 input, line);
    text += line;
  }
  dns::MasterFile back = dns::read_master_file(text, dns::Name());
  fuzz_require(back.errors.empty(), "master-file lines of an accepted delegation do not read back", input,
               text + (back.errors.empty() ? "" : back.errors.front().reason));
  fuzz_require(back.records == records, "master-file lines of an accepted delegation read back differently", input,
               text);
}

// The delegation written back as an RPSL domain object.
std::string to_rpsl(const dns::Delegation& d, const std::string& key) {
  std::string out = fmt::format("domain: {}\n", key);
  for (const dns::Name& ns : d.nameservers) {
    bool glued = false;
    for (const dns::GlueAddress& g : d.glue) {
      if (g.host == ns) {
        out += fmt::format("nserver: {} {}\n", ns.to_text_no_dot(), dns::rdata::to_text(g.type, g.address));
        glued = true;
      }
    }
    if (!glued) out += fmt::format("nserver: {}\n", ns.to_text_no_dot());
  }
  for (const std::string& ds : d.ds) out += fmt::format("ds-rdata: {}\n", dns::rdata::to_text(dns::RRType::kDs, ds));
  return out;
}

void check_rpsl_round_trip(const dns::Delegation& d, const std::string& key, std::string_view input) {
  std::string text = to_rpsl(d, key);
  ingest::RpslReader reader = ingest::RpslReader::from_text(text);
  ingest::RpslObject object;
  fuzz_require(reader.next(object), "a re-serialised object is not read", input, text);
  auto source = std::make_shared<const std::string>("again");
  ingest::ObjectVerdict again = ingest::validate_domain_object(object, dns::Origin::in_row(source, "1"));
  const dns::Delegation* back = again.kind == ingest::ObjectVerdict::Kind::kDelegation ? &again.delegation
                                : again.kind == ingest::ObjectVerdict::Kind::kClassless ? &again.classless.delegation
                                                                                        : nullptr;
  fuzz_require(back != nullptr, "an accepted delegation, written back as RPSL, is rejected", input,
               text + " -> " + again.reason);
  fuzz_require(back->same_content(d), "an accepted delegation, written back as RPSL, reads differently", input, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  unsigned mode = static_cast<unsigned char>(input.front()) % 4;
  std::string text(input.substr(1));

  Objects objects;
  if (mode == 0 || mode == 2) {
    objects = read_all(ingest::RpslReader::from_text(text));
    fuzz_require(objects.error.empty(), "text in memory gave a read error", input, objects.error);
  }
  if (mode == 2) {
    // The same text compressed must give the same objects.
    MemoryFile file(gzip(text));
    Objects compressed = read_all(ingest::RpslReader::open_file(file.path()));
    fuzz_require(compressed.error.empty(), "a whole gzip stream gave a read error", input, compressed.error);
    fuzz_require(same_objects(objects.objects, compressed.objects), "gzip and plain text give different objects",
                 input);
  }
  if (mode == 1 || mode == 3) {
    MemoryFile file(text);
    objects = read_all(ingest::RpslReader::open_file(file.path()));
  }

  auto source = std::make_shared<const std::string>("fuzz");
  auto file_name = std::make_shared<const std::string>("fuzz.db");
  ingest::RegistryCollector collector;
  for (const ingest::RpslObject& object : objects.objects) {
    for (const auto& [line, problem] : object.syntax_errors) {
      fuzz_require(fuzz::one_report_line(problem), "a syntax error spans lines", input, problem);
    }
    collector.add(object, dns::Origin::in_file(source, file_name, object.line));
  }
  ingest::IngestResult result = std::move(collector).finish();
  for (const dns::Reject& r : result.rejects) {
    fuzz_require(fuzz::one_report_line(r.reason) && fuzz::one_report_line(r.key), "a reject spans report lines",
                 input, r.key + " / " + r.reason);
  }
  for (const dns::Reject& r : result.warnings) {
    fuzz_require(fuzz::one_report_line(r.reason), "a warning spans report lines", input, r.reason);
  }
  for (const dns::Delegation& d : result.delegations) {
    fuzz_require(!d.nameservers.empty(), "a delegation without nameservers was accepted", input);
    check_master_lines(d, input);
    check_rpsl_round_trip(d, d.child.to_text_no_dot(), input);
  }
  for (const dns::ClasslessDelegation& c : result.classless) {
    fuzz_require(c.first < c.last, "a classless range with first >= last was accepted", input);
    fuzz_require(c.delegation.child.parent() == c.block, "a classless range outside its /24 was accepted", input);
    check_master_lines(c.delegation, input);
    check_rpsl_round_trip(c.delegation, c.delegation.child.to_text_no_dot(), input);
  }
  return 0;
}
