#include "tree_record.h"

#include <boost/json.hpp>

#include <cstdio>
#include <map>
#include <sys/stat.h>

namespace ciutils::fetch {

namespace {

constexpr int k_version = 1;

// The record is written as text directly (a JSON document of 10,000 entries built as a
// DOM first would cost several MiB more at the peak).
void put_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  out += '"';
}

void put_entry(std::string& out, const TreeEntry& e) {
  out += '[';
  put_string(out, e.path);
  out += ',' + std::to_string(e.mode) + ',' + std::to_string(e.size) + ',' + std::to_string(e.mtime_ns) + ',' +
         std::to_string(e.ctime_ns) + ',' + std::to_string(e.inode);
  if (S_ISLNK(e.mode)) {
    out += ',';
    put_string(out, e.target);
  }
  out += ']';
}

TreeEntry entry_of(const boost::json::value& value) {
  const auto& a = value.as_array();
  if (a.size() < 6) throw std::invalid_argument("short entry");
  TreeEntry e;
  e.path = std::string(a[0].as_string());
  e.mode = a[1].to_number<unsigned>();
  e.size = a[2].to_number<std::uint64_t>();
  e.mtime_ns = a[3].to_number<std::int64_t>();
  e.ctime_ns = a[4].to_number<std::int64_t>();
  e.inode = a[5].to_number<std::uint64_t>();
  if (S_ISLNK(e.mode)) {
    if (a.size() < 7) throw std::invalid_argument("symlink without target");
    e.target = std::string(a[6].as_string());
  }
  return e;
}

std::string describe(const TreeEntry& e) { return e.path.empty() ? "the destination itself" : "'" + e.path + "'"; }

// Which recorded fact of an entry changed, or "" when none did.
std::string changed_field(const TreeEntry& was, const TreeEntry& now) {
  if ((was.mode & S_IFMT) != (now.mode & S_IFMT)) return "type";
  if (was.mode != now.mode) return "mode";
  if (was.inode != now.inode) return "inode";
  if (was.size != now.size) return "size";
  if (was.mtime_ns != now.mtime_ns) return "mtime";
  if (was.ctime_ns != now.ctime_ns) return "ctime";
  if (was.target != now.target) return "symlink target";
  return "";
}

}  // namespace

std::string tree_record_json(const TreeRecord& r) {
  std::string out;
  out.reserve(128 * (r.entries.size() + r.manifest.entries.size()) + 256);
  out += "{\"version\":" + std::to_string(k_version) + ",\"destination\":";
  put_string(out, r.destination);
  out += ",\"sha256\":";
  put_string(out, r.sha256);
  out += ",\"strip_components\":" + std::to_string(r.strip_components) +
         ",\"stamp_ctime_ns\":" + std::to_string(r.stamp_ctime_ns) + ",\"device\":" + std::to_string(r.device) +
         ",\"root\":";
  put_entry(out, r.root);
  out += ",\"entries\":[";
  for (std::size_t i = 0; i < r.entries.size(); ++i) {
    if (i > 0) out += ',';
    put_entry(out, r.entries[i]);
  }
  out += "],\"entry_count\":" + std::to_string(r.manifest.entry_count) +
         ",\"unpacked_bytes\":" + std::to_string(r.manifest.unpacked_bytes) + ",\"files\":[";
  for (std::size_t i = 0; i < r.manifest.entries.size(); ++i) {
    const ManifestEntry& m = r.manifest.entries[i];
    if (i > 0) out += ',';
    out += '[';
    put_string(out, m.path);
    out += ',';
    put_string(out, m.type);
    out += ',' + std::to_string(m.size) + ',' + std::to_string(m.mode) + ',';
    put_string(out, m.sha256);
    out += ',';
    put_string(out, m.target);
    out += ']';
  }
  out += "]}\n";
  return out;
}

std::optional<TreeRecord> parse_tree_record(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.allow_invalid_utf8 = true;  // file names are bytes
  boost::json::monotonic_resource arena;
  boost::json::value value = boost::json::parse(text, ec, &arena, options);
  if (ec) return std::nullopt;
  try {
    const auto& obj = value.as_object();
    if (obj.at("version").to_number<int>() != k_version) return std::nullopt;
    TreeRecord r;
    r.destination = std::string(obj.at("destination").as_string());
    r.sha256 = std::string(obj.at("sha256").as_string());
    r.strip_components = obj.at("strip_components").to_number<int>();
    r.stamp_ctime_ns = obj.at("stamp_ctime_ns").to_number<std::int64_t>();
    r.device = obj.at("device").to_number<std::uint64_t>();
    r.root = entry_of(obj.at("root"));
    for (const auto& e : obj.at("entries").as_array()) r.entries.push_back(entry_of(e));
    r.manifest.entry_count = obj.at("entry_count").to_number<std::uint64_t>();
    r.manifest.unpacked_bytes = obj.at("unpacked_bytes").to_number<std::uint64_t>();
    for (const auto& f : obj.at("files").as_array()) {
      const auto& a = f.as_array();
      if (a.size() != 6) return std::nullopt;
      r.manifest.entries.push_back({std::string(a[0].as_string()), std::string(a[1].as_string()),
                                    a[2].to_number<std::uint64_t>(), a[3].to_number<unsigned>(),
                                    std::string(a[4].as_string()), std::string(a[5].as_string())});
    }
    for (std::size_t i = 1; i < r.entries.size(); ++i)
      if (!(r.entries[i - 1].path < r.entries[i].path)) return std::nullopt;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> tree_difference(const TreeRecord& record, const TreeEntry& root,
                                           const std::vector<TreeEntry>& now, const ContentHash& hash) {
  if (std::string field = changed_field(record.root, root); !field.empty())
    return describe(root) + ": " + field + " changed";
  std::map<std::string, const ManifestEntry*> manifest;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < record.entries.size() || j < now.size()) {
    if (j == now.size() || (i < record.entries.size() && record.entries[i].path < now[j].path))
      return describe(record.entries[i]) + " is missing";
    if (i == record.entries.size() || now[j].path < record.entries[i].path)
      return describe(now[j]) + " was added";
    const TreeEntry& was = record.entries[i];
    if (std::string field = changed_field(was, now[j]); !field.empty()) return describe(was) + ": " + field + " changed";
    if (S_ISREG(was.mode) && was.ctime_ns >= record.stamp_ctime_ns) {
      if (manifest.empty())
        for (const auto& m : record.manifest.entries) manifest[m.path] = &m;  // the last entry of a path wins
      auto it = manifest.find(was.path);
      if (it == manifest.end() || it->second->type != "file" || it->second->sha256.empty())
        return describe(was) + " is not in the manifest";
      auto current = hash(was.path);
      if (!current || *current != it->second->sha256) return describe(was) + ": content changed";
    }
    ++i;
    ++j;
  }
  return std::nullopt;
}

}  // namespace ciutils::fetch
