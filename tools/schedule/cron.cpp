#include "cron.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace ciutils::schedule {
namespace {

struct FieldInfo {
  const char* name;
  int min;
  int max;
  int hash_min;  // H's range (day-of-month: 1-28, so every month has the day)
  int hash_max;
};

constexpr std::array<FieldInfo, 6> k_fields{{
    {"second", 0, 59, 0, 59},
    {"minute", 0, 59, 0, 59},
    {"hour", 0, 23, 0, 23},
    {"day-of-month", 1, 31, 1, 28},
    {"month", 1, 12, 1, 12},
    {"day-of-week", 0, 7, 0, 6},
}};

constexpr std::array<const char*, 12> k_month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                    "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 7> k_day_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

class FieldParser {
public:
  FieldParser(int position, std::size_t kind, std::string_view name)
      : m_position(position), m_kind(kind), m_info(k_fields[kind]), m_name(name) {}

  std::uint64_t parse(std::string_view text) const {
    if (text.empty()) fail("empty field");
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (true) {
      auto comma = text.find(',', start);
      auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (item.empty()) fail("empty list item in '" + std::string(text) + "'");
      bits |= parse_item(item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (m_kind == 5 && (bits & (1ULL << 7))) bits = (bits | 1ULL) & ~(1ULL << 7);  // 7 is Sunday
    return bits;
  }

private:
  [[noreturn]] void fail(const std::string& message) const {
    throw CronError("field " + std::to_string(m_position) + " (" + m_info.name + "): " + message);
  }

  int parse_value(std::string_view text) const {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (m_kind == 4 || m_kind == 5) {
      if (m_kind == 4) {
        for (std::size_t i = 0; i < k_month_names.size(); ++i)
          if (lower == k_month_names[i]) return static_cast<int>(i) + 1;
      } else {
        for (std::size_t i = 0; i < k_day_names.size(); ++i)
          if (lower == k_day_names[i]) return static_cast<int>(i);
      }
    }
    int value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
      fail("invalid value '" + std::string(text) + "'");
    if (value < m_info.min || value > m_info.max)
      fail("value " + std::to_string(value) + " out of range " + std::to_string(m_info.min) + "-" +
           std::to_string(m_info.max));
    return value;
  }

  int parse_step(std::string_view text) const {
    int step = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || step <= 0)
      fail("invalid step '" + std::string(text) + "'");
    if (step > m_info.max - m_info.min + 1)
      fail("step " + std::to_string(step) + " larger than the range " + std::to_string(m_info.min) + "-" +
           std::to_string(m_info.max));
    return step;
  }

  std::uint64_t parse_item(std::string_view item) const {
    std::string_view range = item;
    std::optional<int> step;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      step = parse_step(item.substr(slash + 1));
    }
    int lo = m_info.min;
    int hi = m_kind == 5 ? 6 : m_info.max;
    if (range == "*" || range == "?") {
    } else if (range == "H" || range.starts_with("H(")) {
      int hlo = m_info.hash_min;
      int hhi = m_info.hash_max;
      if (range != "H") {
        if (!range.ends_with(")")) fail("invalid hash range '" + std::string(range) + "'");
        auto inner = range.substr(2, range.size() - 3);
        auto dash = inner.find('-');
        if (dash == std::string_view::npos) fail("invalid hash range '" + std::string(range) + "', expected H(a-b)");
        hlo = parse_value(inner.substr(0, dash));
        hhi = parse_value(inner.substr(dash + 1));
        if (hlo > hhi) fail("range " + std::to_string(hlo) + "-" + std::to_string(hhi) + " is backwards");
      }
      auto hash = field_hash(m_name, m_info.name);
      if (!step) {
        int v = hlo + static_cast<int>(hash % static_cast<std::uint32_t>(hhi - hlo + 1));
        return 1ULL << v;
      }
      int first = hlo + static_cast<int>(hash % static_cast<std::uint32_t>(std::min(*step, hhi - hlo + 1)));
      std::uint64_t bits = 0;
      for (int v = first; v <= hhi; v += *step) bits |= 1ULL << v;
      return bits;
    } else {
      auto dash = range.find('-');
      if (dash == std::string_view::npos) {
        lo = parse_value(range);
        if (!step) hi = lo;  // "5/15" means 5-max/15
      } else {
        lo = parse_value(range.substr(0, dash));
        hi = parse_value(range.substr(dash + 1));
        if (lo > hi) fail("range " + std::to_string(lo) + "-" + std::to_string(hi) + " is backwards");
      }
    }
    std::uint64_t bits = 0;
    for (int v = lo; v <= hi; v += step.value_or(1)) bits |= 1ULL << v;
    return bits;
  }

  int m_position;
  std::size_t m_kind;
  FieldInfo m_info;
  std::string_view m_name;
};

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string_view macro(std::string_view text, bool hashed) {
  if (hashed) {  // Jenkins' forms: spread over the period by the schedule's name
    if (text == "@yearly" || text == "@annually") return "H H H H *";
    if (text == "@monthly") return "H H H * *";
    if (text == "@weekly") return "H H * * H";
    if (text == "@daily") return "H H * * *";
    if (text == "@midnight") return "H H(0-2) * * *";
    if (text == "@hourly") return "H * * * *";
    return {};
  }
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return {};
}

bool is_star(std::string_view field) { return field.starts_with('*') || field.starts_with('?'); }

}  // namespace

std::uint32_t field_hash(std::string_view name, std::string_view field) {
  std::uint32_t h = 2166136261u;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  for (char c : name) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : field) mix(static_cast<unsigned char>(c));
  return h;
}

CronSpec parse_cron(std::string_view text, std::string_view name, bool hash_macros) {
  CronSpec spec;
  spec.text = std::string(text);
  auto fields = split_fields(text);
  if (fields.empty()) throw CronError("empty cron expression");
  if (fields[0].starts_with('@')) {
    if (fields[0] == "@every") {
      if (fields.size() != 2) throw CronError("@every takes one duration, e.g. '@every 10m'");
      std::chrono::milliseconds d{};
      try {
        d = ciutils::parse_duration(fields[1], "@every");
      } catch (const ciutils::Error& e) {
        throw CronError(e.what());
      }
      if (d < std::chrono::seconds(1) || d.count() % 1000 != 0)
        throw CronError("@every: duration must be a whole number of seconds, at least 1s");
      spec.every = std::chrono::duration_cast<std::chrono::seconds>(d);
      return spec;
    }
    if (fields.size() != 1) throw CronError("'" + std::string(fields[0]) + "' takes no fields");
    auto expanded = macro(fields[0], hash_macros);
    if (expanded.empty())
      throw CronError("unknown macro '" + std::string(fields[0]) +
                      "' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every D)");
    auto out = parse_cron(expanded, name);
    out.text = spec.text;
    out.expanded = std::string(expanded);
    return out;
  }
  if (fields.size() != 5 && fields.size() != 6)
    throw CronError("expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got " +
                    std::to_string(fields.size()));
  std::size_t offset = fields.size() == 6 ? 0 : 1;
  std::array<std::uint64_t, 6> bits{};
  bits[0] = 1;  // second 0 when there is no seconds field
  for (std::size_t i = 0; i < fields.size(); ++i) {
    FieldParser parser(static_cast<int>(i + 1), i + offset, name);
    bits[i + offset] = parser.parse(fields[i]);
  }
  spec.seconds = bits[0];
  spec.minutes = bits[1];
  spec.hours = static_cast<std::uint32_t>(bits[2]);
  spec.days = static_cast<std::uint32_t>(bits[3]);
  spec.months = static_cast<std::uint16_t>(bits[4]);
  spec.weekdays = static_cast<std::uint8_t>(bits[5]);
  spec.days_star = is_star(fields[3 - offset]);
  spec.weekdays_star = is_star(fields[5 - offset]);
  // A day that never comes ("0 0 30 2 *") is refused here, so every command says the same.
  // Only a restricted day-of-month with any day-of-week can miss every month.
  if (!spec.days_star && spec.weekdays_star && !next_local(spec, date::local_days(date::year(2026) / 1 / 1)))
    throw CronError("'" + spec.text + "' never fires");
  return spec;
}

bool day_matches(const CronSpec& spec, date::sys_days day) {
  date::year_month_day ymd(day);
  if (!(spec.months & (1u << static_cast<unsigned>(ymd.month())))) return false;
  bool dom = spec.days & (1u << static_cast<unsigned>(ymd.day()));
  bool dow = spec.weekdays & (1u << date::weekday(day).c_encoding());
  if (spec.days_star || spec.weekdays_star) return dom && dow;
  return dom || dow;
}

namespace {

// First time of day >= (h, m, s) that matches, in seconds since midnight.
std::optional<int> first_time_of_day(const CronSpec& spec, int h0, int m0, int s0) {
  for (int h = h0; h < 24; ++h) {
    if (!(spec.hours & (1u << h))) continue;
    for (int m = (h == h0 ? m0 : 0); m < 60; ++m) {
      if (!(spec.minutes & (1ULL << m))) continue;
      for (int s = (h == h0 && m == m0 ? s0 : 0); s < 60; ++s) {
        if (spec.seconds & (1ULL << s)) return h * 3600 + m * 60 + s;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<date::local_seconds> next_local(const CronSpec& spec, date::local_seconds after) {
  auto t = after + std::chrono::seconds(1);
  auto day = date::floor<date::days>(t);
  auto sod = static_cast<int>((t - day).count());
  constexpr int k_horizon_days = 366 * 8 + 2;
  for (int i = 0; i < k_horizon_days; ++i) {
    auto d = day + date::days(i);
    if (!day_matches(spec, date::sys_days(d.time_since_epoch()))) continue;
    auto tod = i == 0 ? first_time_of_day(spec, sod / 3600, sod / 60 % 60, sod % 60) : first_time_of_day(spec, 0, 0, 0);
    if (tod) return d + std::chrono::seconds(*tod);
  }
  return std::nullopt;
}

}  // namespace ciutils::schedule
