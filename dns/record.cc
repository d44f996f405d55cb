#include "dns/record.h"

#include <fmt/format.h>

#include "dns/rdata.h"

namespace rdnsprov::dns {

void append_master_line(std::string& out, const Record& record) {
  record.owner.append_text(out);
  fmt::format_to(std::back_inserter(out), "\t{}\tIN\t{}\t", record.ttl, rrtype_to_text(record.type));
  out += rdata::to_text(record.type, record.rdata);
  out.push_back('\n');
}

std::string master_line(const Record& record) {
  std::string out;
  append_master_line(out, record);
  return out;
}

}  // namespace rdnsprov::dns
