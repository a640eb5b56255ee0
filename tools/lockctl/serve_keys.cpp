#include "serve_keys.h"

#include "names.h"

#include "ciutils/error.h"
#include "ciutils/sha256.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ciutils::lockctl {

bool ApiKey::allows(const std::string& resource) const {
  if (globs.empty()) return true;
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& glob) { return ::fnmatch(glob.c_str(), resource.c_str(), 0) == 0; });
}

ApiKeys ApiKeys::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--api-keys: " + path + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

ApiKeys ApiKeys::parse(std::string_view text, const std::string& path) {
  ApiKeys keys;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string word; words >> word;) fields.push_back(word);
    if (fields.empty() || fields.front().starts_with("#")) continue;
    std::string where = path + ":" + std::to_string(number) + ": ";
    ApiKey key;
    key.hash = fields.front();
    std::transform(key.hash.begin(), key.hash.end(), key.hash.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!is_sha256_hex(key.hash)) {
      throw UsageError(where + "expected the key's SHA-256 (64 hex digits) first (make a line with: lockctl serve hash-key NAME)");
    }
    if (fields.size() < 2) throw UsageError(where + "missing the key's NAME after its hash");
    key.name = fields[1];
    if (key.name.size() > 64) throw UsageError(where + "the NAME is longer than 64 characters");
    key.globs.assign(fields.begin() + 2, fields.end());
    keys.m_keys.push_back(std::move(key));
  }
  if (keys.m_keys.empty()) throw UsageError("--api-keys: " + path + ": no keys in the file");
  return keys;
}

const ApiKey* ApiKeys::find(std::string_view key) const {
  const std::string hash = sha256_hex(key);
  const ApiKey* found = nullptr;
  for (const auto& entry : m_keys) {
    unsigned char difference = 0;
    for (std::size_t i = 0; i < hash.size(); ++i) difference |= static_cast<unsigned char>(hash[i] ^ entry.hash[i]);
    if (difference == 0 && !found) found = &entry;
  }
  return found;
}

std::string key_file_line(std::string_view key, const std::string& name, const std::vector<std::string>& globs) {
  std::string line = sha256_hex(key) + " " + name;
  for (const auto& glob : globs) line += " " + glob;
  return line;
}

}  // namespace ciutils::lockctl
