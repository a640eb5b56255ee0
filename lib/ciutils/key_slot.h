// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag, modulo 16384,
// and which argument of a command names the key a cluster routes it by.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

inline constexpr int k_cluster_slots = 16384;

// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
std::uint16_t crc16(std::string_view data);

// The slot of a key: of what lies between the first '{' and the next '}' when that is
// not empty (the hash tag), else of the whole key.
int key_slot(std::string_view key);

// The key a cluster routes a command by (the first key it names), or nullopt for a
// command that names none (PING, TIME, SCAN, SCRIPT LOAD, an EVALSHA with no keys).
std::optional<std::string> command_key(const std::vector<std::string>& args);

}  // namespace ciutils
