#include "ciutils/timestamp.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace ciutils {

std::string format_utc(SysTime t, int digits) {
  using namespace std::chrono;
  auto since = t.time_since_epoch();
  auto secs = floor<seconds>(since);
  auto micros = duration_cast<microseconds>(since - secs).count();
  // Civil time by hand: no time zone involved, nothing read from /etc/localtime.
  auto day = floor<days>(secs);
  year_month_day ymd{sys_days(day)};
  hh_mm_ss hms{secs - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (digits == 3) {
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(micros / 1000));
    out += buf;
  } else if (digits == 6) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros));
    out += buf;
  }
  out += 'Z';
  return out;
}

std::optional<SysTime> parse_utc(std::string_view text) {
  using namespace std::chrono;
  auto field = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > text.size()) {
      return false;
    }
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && ptr == text.data() + pos + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':' || !field(0, 4, y) || !field(5, 2, mo) || !field(8, 2, d) ||
      !field(11, 2, h) || !field(14, 2, mi) || !field(17, 2, s)) {
    return std::nullopt;
  }
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  // The system clock counts nanoseconds in 64 bits: 1677 to 2262. Beyond, converting would
  // overflow (found by fuzz/report_input); such a record is malformed, not a moment.
  if (!ymd.ok() || y < 1700 || y > 2200 || h > 23 || mi > 59 || s > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  microseconds frac{0};
  if (text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    long long value = 0;
    int count = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 6) {
        value = value * 10 + (text[pos] - '0');
        ++count;
      }
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
    while (count < 6) {
      value *= 10;
      ++count;
    }
    frac = microseconds(value);
  }
  std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00" && zone != "+0000") {
    return std::nullopt;
  }
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s) + frac;
}

}  // namespace ciutils
