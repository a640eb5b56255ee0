// lockctl serve's API keys: a file of SHA-256 hashes, one key a line, so the file holds no
// secret. Each line is "HASH NAME [GLOB...]": the key's SHA-256 in hex, a name shown as the
// lease owner and in the log (never the key), and the resource and pool names it may lock
// (shell globs; none: all). Blank lines and lines starting with '#' are skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::lockctl {

struct ApiKey {
  std::string hash;  // lower-case hex
  std::string name;
  std::vector<std::string> globs;

  // Whether the key may lock this resource or pool name.
  bool allows(const std::string& name) const;
};

class ApiKeys {
public:
  // Throws UsageError naming the file and line.
  static ApiKeys load(const std::string& path);
  static ApiKeys parse(std::string_view text, const std::string& path);

  // The entry whose hash is the key's, compared in constant time over every entry.
  const ApiKey* find(std::string_view key) const;
  std::size_t size() const { return m_keys.size(); }

private:
  std::vector<ApiKey> m_keys;
};

// The key file line for a key: "HASH NAME [GLOB...]".
std::string key_file_line(std::string_view key, const std::string& name, const std::vector<std::string>& globs);

}  // namespace ciutils::lockctl
