#include "ciutils/key_slot.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace ciutils {

namespace {

constexpr std::array<std::uint16_t, 256> crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    auto crc = static_cast<std::uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    table[i] = crc;
  }
  return table;
}

constexpr auto k_crc16_table = crc16_table();

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::uint16_t crc16(std::string_view data) {
  std::uint16_t crc = 0;
  for (char c : data) {
    crc = static_cast<std::uint16_t>((crc << 8) ^ k_crc16_table[((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xff]);
  }
  return crc;
}

int key_slot(std::string_view key) {
  if (auto open = key.find('{'); open != std::string_view::npos) {
    if (auto close = key.find('}', open + 1); close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16(key) % k_cluster_slots;
}

std::optional<std::string> command_key(const std::vector<std::string>& args) {
  if (args.size() < 2) return std::nullopt;
  const std::string name = upper(args[0]);
  if (name == "EVALSHA" || name == "EVAL" || name == "EVALSHA_RO" || name == "EVAL_RO" || name == "FCALL") {
    if (args.size() < 4) return std::nullopt;
    long long keys = 0;
    auto [ptr, ec] = std::from_chars(args[2].data(), args[2].data() + args[2].size(), keys);
    if (ec != std::errc() || keys < 1) return std::nullopt;
    return args[3];
  }
  if (name == "XREAD" || name == "XREADGROUP") {
    auto streams = std::find_if(args.begin(), args.end(), [](const std::string& a) { return upper(a) == "STREAMS"; });
    if (streams == args.end() || streams + 1 == args.end()) return std::nullopt;
    return *(streams + 1);
  }
  if (name == "XGROUP" || name == "XINFO" || name == "OBJECT" || name == "MEMORY") {
    if (args.size() < 3) return std::nullopt;
    return args[2];
  }
  static constexpr std::string_view k_keyless[] = {
      "PING", "TIME", "SCAN", "SCRIPT", "INFO", "CLUSTER", "DBSIZE", "FLUSHALL", "FLUSHDB", "ACL", "CLIENT", "AUTH",
      "SELECT", "ROLE", "COMMAND", "CONFIG", "WAIT", "ECHO", "KEYS", "RANDOMKEY", "ASKING", "READONLY", "HELLO",
      "SENTINEL", "DEBUG", "FUNCTION", "LATENCY", "SLOWLOG"};
  if (std::find(std::begin(k_keyless), std::end(k_keyless), name) != std::end(k_keyless)) return std::nullopt;
  return args[1];
}

}  // namespace ciutils
