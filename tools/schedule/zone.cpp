#include "zone.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace ciutils::schedule {
namespace {

// Beyond every transition; far enough that adding an offset cannot overflow.
constexpr std::int64_t k_beginning = -(std::int64_t{1} << 59);
constexpr std::int64_t k_end = std::int64_t{1} << 59;

class Reader {
public:
  explicit Reader(std::string_view data) : m_data(data) {}
  bool has(std::size_t n) const { return m_data.size() - m_at >= n; }
  std::string_view take(std::size_t n) {
    auto out = m_data.substr(m_at, n);
    m_at += n;
    return out;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::int64_t big_endian(std::size_t n) {  // n = 4 or 8, signed
    std::uint64_t v = 0;
    for (unsigned char c : take(n)) v = (v << 8) | c;
    if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
  }

private:
  std::string_view m_data;
  std::size_t m_at = 0;
};

struct Counts {
  std::uint32_t isut, isstd, leap, time, type, chars;
};

std::optional<Counts> header(Reader& in, char& version) {
  if (!in.has(44) || in.take(4) != "TZif") return std::nullopt;
  version = static_cast<char>(in.u8());
  in.take(15);
  Counts c{};
  for (auto* field : {&c.isut, &c.isstd, &c.leap, &c.time, &c.type, &c.chars}) {
    *field = static_cast<std::uint32_t>(in.big_endian(4));
  }
  if (c.type == 0 || c.chars == 0) return std::nullopt;
  return c;
}

std::size_t block_size(const Counts& c, std::size_t time_size) {
  return c.time * time_size + c.time + c.type * 6 + c.chars + c.leap * (time_size + 4) + c.isstd + c.isut;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.size() > 255) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+' || c == '.';
    if (!ok) return false;
  }
  std::string_view rest = name;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  return true;
}

// The running executable's path, also where /proc is not mounted (a bare chroot).
std::string executable_path() {
  char buffer[PATH_MAX];
  auto n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n > 0) return std::string(buffer, static_cast<std::size_t>(n));
  auto* execfn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
  if (execfn == nullptr) return {};
  char* resolved = realpath(execfn, nullptr);
  if (resolved == nullptr) return {};
  std::string out(resolved);
  std::free(resolved);
  return out;
}

}  // namespace

std::optional<Zone> Zone::parse(std::string name, std::string_view tzif) {
  Reader in(tzif);
  char version = 0;
  auto counts = header(in, version);
  if (!counts) return std::nullopt;
  std::size_t time_size = 4;
  if (version >= '2') {  // skip the 32-bit block; the 64-bit one follows with its own header
    if (!in.has(block_size(*counts, 4))) return std::nullopt;
    in.take(block_size(*counts, 4));
    counts = header(in, version);
    if (!counts) return std::nullopt;
    time_size = 8;
  }
  const auto& c = *counts;
  if (!in.has(block_size(c, time_size))) return std::nullopt;

  Zone zone;
  zone.m_name = std::move(name);
  zone.m_starts.push_back(k_beginning);
  for (std::uint32_t i = 0; i < c.time; ++i) zone.m_starts.push_back(in.big_endian(time_size));
  zone.m_kinds.push_back(0);  // before the first transition: type 0 (RFC 8536, 3.2)
  for (std::uint32_t i = 0; i < c.time; ++i) zone.m_kinds.push_back(in.u8());
  std::vector<std::pair<std::int32_t, std::pair<bool, std::uint8_t>>> raw;
  for (std::uint32_t i = 0; i < c.type; ++i) {
    auto offset = static_cast<std::int32_t>(in.big_endian(4));
    bool dst = in.u8() != 0;
    auto index = in.u8();
    raw.push_back({offset, {dst, index}});
  }
  auto chars = in.take(c.chars);
  for (const auto& [offset, rest] : raw) {
    auto [dst, index] = rest;
    if (index >= chars.size()) return std::nullopt;
    auto abbrev = chars.substr(index);
    abbrev = abbrev.substr(0, abbrev.find('\0'));
    zone.m_types.push_back({offset, dst, std::string(abbrev)});
  }
  for (auto kind : zone.m_kinds) {
    if (kind >= zone.m_types.size()) return std::nullopt;
  }
  if (!std::is_sorted(zone.m_starts.begin(), zone.m_starts.end())) return std::nullopt;
  return zone;
}

std::size_t Zone::period_at(std::int64_t t) const {
  auto it = std::upper_bound(m_starts.begin(), m_starts.end(), t);
  return static_cast<std::size_t>(std::distance(m_starts.begin(), it)) - 1;
}

date::sys_info Zone::info_of(std::size_t period) const {
  const auto& type = m_types[m_kinds[period]];
  date::sys_info info;
  info.begin = date::sys_seconds(std::chrono::seconds(m_starts[period]));
  info.end = date::sys_seconds(std::chrono::seconds(period + 1 < m_starts.size() ? m_starts[period + 1] : k_end));
  info.offset = std::chrono::seconds(type.offset);
  // TZif records whether a type is daylight saving time, not by how much: an hour.
  info.save = std::chrono::minutes(type.dst ? 60 : 0);
  info.abbrev = type.abbrev;
  return info;
}

date::sys_info Zone::get_info(date::sys_seconds t) const { return info_of(period_at(t.time_since_epoch().count())); }

date::local_seconds Zone::to_local(date::sys_seconds t) const {
  return date::local_seconds((t + get_info(t).offset).time_since_epoch());
}

date::local_info Zone::get_info(date::local_seconds t) const {
  // A wall-clock time L belongs to period p when p.begin <= L - p.offset < p.end. No offset
  // is a day or more, so only the periods in force within a day of L (as UTC) can hold it.
  constexpr std::int64_t day = 86400;
  auto local = t.time_since_epoch().count();
  auto first = period_at(local - day);
  auto last = period_at(local + day);
  std::vector<std::size_t> holding;
  std::optional<std::size_t> before;  // the last period whose wall-clock times end at or before L
  for (auto p = first; p <= last; ++p) {
    auto offset = m_types[m_kinds[p]].offset;
    auto end = p + 1 < m_starts.size() ? m_starts[p + 1] : k_end;
    if (m_starts[p] <= local - offset && local - offset < end) {
      holding.push_back(p);
    } else if (end <= local - offset) {
      before = p;
    }
  }
  date::local_info out{};
  if (holding.size() == 1) {
    out.result = date::local_info::unique;
    out.first = info_of(holding[0]);
  } else if (holding.size() >= 2) {
    out.result = date::local_info::ambiguous;
    out.first = info_of(holding[0]);
    out.second = info_of(holding[1]);
  } else {
    out.result = date::local_info::nonexistent;
    auto gap_before = before.value_or(first);
    out.first = info_of(gap_before);
    out.second = info_of(std::min(gap_before + 1, m_starts.size() - 1));
  }
  return out;
}

std::vector<std::string> zone_directories() {
  std::vector<std::string> out;
  if (const char* tzdir = std::getenv("TZDIR"); tzdir != nullptr && *tzdir != '\0') out.emplace_back(tzdir);
  auto exe = executable_path();
  auto slash = exe.rfind('/');
  if (slash != std::string::npos) out.push_back(exe.substr(0, slash) + "/../share/zoneinfo");
  out.emplace_back("/usr/share/zoneinfo");
  return out;
}

std::optional<Zone> load_zone(std::string_view name, const std::vector<std::string>& directories) {
  if (!valid_name(name)) return std::nullopt;
  for (const auto& directory : directories) {
    std::ifstream file(directory + "/" + std::string(name), std::ios::binary);
    if (!file) continue;
    std::ostringstream data;
    data << file.rdbuf();
    if (file.bad()) continue;
    if (auto zone = Zone::parse(std::string(name), data.str())) return zone;
  }
  return std::nullopt;
}

}  // namespace ciutils::schedule
