#include "ingest/rpsl_reader.h"

#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "ingest/printable.h"

namespace rdnsprov::ingest {
namespace {

// Large reads keep the per-call overhead of zlib and the kernel out of the profile; the buffer grows only for a
// line longer than itself.
constexpr std::size_t kChunkSize = std::size_t{1} << 20;
constexpr unsigned kZlibBufferSize = 256 * 1024;

struct GzClose {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

bool is_attribute_name_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string_view trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

// A value without its end-of-line comment (RFC 2622 §2: `#` to the end of the line), trimmed.
std::string_view value_part(std::string_view text) {
  if (const void* hash = std::memchr(text.data(), '#', text.size())) {
    text = text.substr(0, static_cast<std::size_t>(static_cast<const char*>(hash) - text.data()));
  }
  return trim(text);
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  while (p < end) {
    // Registry dumps are almost all ASCII: skip eight bytes at a time while no high bit is set.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t length;
    unsigned char min2 = 0x80;
    unsigned char max2 = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) min2 = 0xa0;   // overlong
      if (c == 0xed) max2 = 0x9f;   // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) min2 = 0x90;   // overlong
      if (c == 0xf4) max2 = 0x8f;   // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    if (p[1] < min2 || p[1] > max2) return false;
    for (std::size_t i = 2; i < length; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
    }
    p += length;
  }
  return true;
}

void latin1_to_utf8(std::string_view text, std::string& out) {
  out.clear();
  for (unsigned char c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
}

}  // namespace

std::string_view RpslObject::class_name() const {
  return attributes.empty() ? std::string_view() : std::string_view(attributes.front().name);
}

std::string_view RpslObject::key() const {
  return attributes.empty() ? std::string_view() : std::string_view(attributes.front().value);
}

struct RpslReader::Input {
  std::string path;   // for messages; empty for text in memory
  GzFile file;        // null for text in memory
  std::string buffer;
  std::size_t begin = 0;  // unread bytes are buffer[begin, end)
  std::size_t end = 0;
  bool at_eof = false;
  std::uint64_t line_number = 0;
  std::string converted;                // the current line in UTF-8 when it was ISO-8859-1
  std::vector<RpslAttribute> spare;     // attributes of earlier objects, kept for their string capacity

  // The next line without its LF or CRLF; false at the end. The view is valid until the next call.
  bool read_line(std::string_view& line) {
    while (true) {
      if (const void* newline = std::memchr(buffer.data() + begin, '\n', end - begin)) {
        auto at = static_cast<std::size_t>(static_cast<const char*>(newline) - buffer.data());
        line = std::string_view(buffer.data() + begin, at - begin);
        begin = at + 1;
        break;
      }
      if (at_eof) {
        if (begin == end) return false;
        line = std::string_view(buffer.data() + begin, end - begin);  // last line without a newline
        begin = end;
        break;
      }
      fill();
    }
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  }

  void fill() {
    if (begin > 0) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (end == buffer.size()) buffer.resize(buffer.size() * 2);  // a line longer than the buffer
    std::size_t room = std::min<std::size_t>(buffer.size() - end, INT_MAX);
    int n = gzread(file.get(), buffer.data() + end, static_cast<unsigned>(room));
    if (n < 0) throw_read_error();
    if (n == 0) {
      // gzread reports a stream cut short (Z_BUF_ERROR, "unexpected end of file") as a plain end of input; only
      // gzerror tells it apart from a whole dump.
      int code = Z_OK;
      gzerror(file.get(), &code);
      if (code != Z_OK) throw_read_error();
      at_eof = true;
      return;
    }
    end += static_cast<std::size_t>(n);
  }

  [[noreturn]] void throw_read_error() {
    int code = Z_OK;
    const char* message = gzerror(file.get(), &code);
    if (code == Z_ERRNO) {
      throw std::system_error(errno, std::generic_category(), fmt::format("cannot read {}", path));
    }
    const char* what = code == Z_BUF_ERROR ? "the gzip stream is truncated" : "the gzip stream is corrupt";
    throw std::system_error(std::make_error_code(std::errc::io_error),
                            fmt::format("cannot read {}: {} ({}); the dump is incomplete", path, what,
                                        message ? message : "no detail"));
  }

  // The line as UTF-8: kept when it is valid UTF-8, converted from ISO-8859-1 otherwise.
  std::string_view decode(std::string_view line) {
    if (is_valid_utf8(line)) return line;
    latin1_to_utf8(line, converted);
    return converted;
  }

  RpslAttribute& add_attribute(RpslObject& object) {
    if (spare.empty()) return object.attributes.emplace_back();
    RpslAttribute& attribute = object.attributes.emplace_back(std::move(spare.back()));
    spare.pop_back();
    return attribute;
  }
};

RpslReader::RpslReader(std::unique_ptr<Input> input) : input_(std::move(input)) {}
RpslReader::RpslReader(RpslReader&&) noexcept = default;
RpslReader& RpslReader::operator=(RpslReader&&) noexcept = default;
RpslReader::~RpslReader() = default;

RpslReader RpslReader::open_file(const std::filesystem::path& path) {
  auto input = std::make_unique<Input>();
  input->path = path.string();
  errno = 0;
  // gzopen reads gzip (recognised by its magic bytes, concatenated members included) and plain files alike.
  input->file.reset(gzopen(input->path.c_str(), "rb"));
  if (!input->file) {
    int error = errno != 0 ? errno : ENOMEM;
    throw std::system_error(error, std::generic_category(), fmt::format("cannot open {}", input->path));
  }
  if (gzbuffer(input->file.get(), kZlibBufferSize) != 0) {
    throw std::system_error(std::make_error_code(std::errc::not_enough_memory),
                            fmt::format("cannot set up reading {}", input->path));
  }
  input->buffer.resize(kChunkSize);
  return RpslReader(std::move(input));
}

RpslReader RpslReader::from_text(std::string text) {
  auto input = std::make_unique<Input>();
  input->buffer = std::move(text);
  input->end = input->buffer.size();
  input->at_eof = true;
  return RpslReader(std::move(input));
}

bool RpslReader::next(RpslObject& object) {
  Input& in = *input_;
  // Hand the previous object's strings back to the pool: their capacity is reused, so a steady stream of objects
  // allocates nothing per line.
  for (RpslAttribute& attribute : object.attributes) in.spare.push_back(std::move(attribute));
  object.attributes.clear();
  object.syntax_errors.clear();
  object.line = 0;

  bool in_object = false;
  std::string_view raw;
  while (in.read_line(raw)) {
    std::string_view line = in.decode(raw);
    if (is_blank(line)) {
      if (in_object) return true;
      continue;
    }
    // `%` and `#` lines between objects are comments (dump headers). Inside an object a `#` line is a comment
    // too (RFC 2622 §2: comments may be anywhere) and cannot change a value.
    if (line.front() == '#' || (!in_object && line.front() == '%')) continue;
    if (!in_object) {
      in_object = true;
      object.line = in.line_number;
    }

    char first = line.front();
    if (first == ' ' || first == '\t' || first == '+') {
      if (object.attributes.empty()) {
        object.syntax_errors.emplace_back(in.line_number, "continuation line with no attribute before it");
        continue;
      }
      std::string_view more = value_part(line.substr(1));
      if (more.empty()) continue;  // a `+` or comment-only line adds nothing
      std::string& value = object.attributes.back().value;
      if (!value.empty()) value.push_back(' ');
      value.append(more);
      continue;
    }

    std::size_t colon = 0;
    while (colon < line.size() && is_attribute_name_byte(static_cast<unsigned char>(line[colon]))) ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') {
      object.syntax_errors.emplace_back(
          in.line_number,
          fmt::format("\"{}\" is neither \"attribute: value\" nor a continuation line", printable_excerpt(line, 60)));
      continue;
    }
    RpslAttribute& attribute = in.add_attribute(object);
    attribute.name.clear();
    for (std::size_t i = 0; i < colon; ++i) {
      char c = line[i];
      attribute.name.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
    }
    attribute.value.assign(value_part(line.substr(colon + 1)));
    attribute.line = in.line_number;
  }
  return in_object;
}

}  // namespace rdnsprov::ingest
