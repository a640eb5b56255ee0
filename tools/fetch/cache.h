// The download cache: archives stored by the SHA-256 of their bytes (objects/<sha256>),
// and per URL the validators of the last response (urls/<sha256 of the URL>.json), so a
// repeated fetch revalidates with If-None-Match / If-Modified-Since and downloads nothing.
// With extraction, trees/<sha256 of the destination's path>.json records what was published
// there (see tree_record.h), so an unchanged destination need not be extracted again.
// Every file appears by rename(2) from a complete temp file, so processes sharing the
// cache never see partial objects; objects are immutable once named.
#pragma once

#include <ciutils/fd.h>

#include <filesystem>
#include <optional>
#include <string>

namespace ciutils::fetch {

struct CachedUrl {
  std::string sha256;
  std::string etag;
  std::string last_modified;
};

class Cache {
public:
  // Creates dir/objects, dir/urls and dir/trees as needed; UsageError naming --cache when
  // impossible, or (unless shared) when dir or one of them is writable by group or others
  // or not owned by the user: whoever can write there can swap the archive for any URL.
  Cache(std::filesystem::path dir, bool shared);

  std::optional<std::filesystem::path> object(const std::string& sha256) const;
  std::optional<CachedUrl> lookup(const std::string& url) const;
  void remember(const std::string& url, const CachedUrl& entry) const;
  // Whether the object's bytes still hash to its name (reads it whole).
  bool object_intact(const std::string& sha256) const;
  // Removes an object whose bytes do not match its name.
  void forget_object(const std::string& sha256) const;

  // The tree record's text for a destination key (tree_key()), if there is one.
  std::optional<std::string> tree_record(const std::string& key) const;
  // Replaces the tree record for key atomically; Error when it cannot be written.
  void store_tree_record(const std::string& key, const std::string& text) const;

  // A new object being written; it appears under its hash on commit, or vanishes.
  class Writer {
  public:
    explicit Writer(const std::filesystem::path& objects);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    int fd() const { return m_fd.get(); }
    void restart();
    void commit(const std::string& sha256);

  private:
    std::filesystem::path m_objects;
    std::filesystem::path m_temp;
    UniqueFd m_fd;
    bool m_committed = false;
  };
  std::unique_ptr<Writer> writer() const { return std::make_unique<Writer>(m_dir / "objects"); }

private:
  std::filesystem::path m_dir;
};

}  // namespace ciutils::fetch
