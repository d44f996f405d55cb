#include "dns/record.h"

#include <charconv>

#include "dns/rdata.h"

namespace rdnsprov::dns {

void append_master_line(std::string& out, const Record& record) {
  record.owner.append_text(out);
  out.push_back('\t');
  char ttl[10];
  auto [end, ec] = std::to_chars(ttl, ttl + sizeof ttl, record.ttl);
  out.append(ttl, end);
  out += "\tIN\t";
  out += rrtype_to_text(record.type);
  out.push_back('\t');
  rdata::append_text(out, record.type, record.rdata);
  out.push_back('\n');
}

std::string master_line(const Record& record) {
  std::string out;
  append_master_line(out, record);
  return out;
}

}  // namespace rdnsprov::dns
