// fetch's streaming unpacker: any bytes as a tar (plain, gzip, bzip2, xz, zstd) or zip
// stream, read by libarchive from memory and written by fetch's own writer below a
// scratch destination. Invariants: nothing is ever written outside the destination
// (a sibling directory stays empty, nothing else appears beside it), and every symlink
// left in the destination points inside it.
#include "invariant.h"

#include <archive_reader.h>
#include <byte_source.h>
#include <ciutils/error.h>
#include <download_stream.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace fs = std::filesystem;
using namespace ciutils::fetch;

namespace {

class MemorySource : public ByteSource {
public:
  MemorySource(const std::uint8_t* data, std::size_t size) : m_data(reinterpret_cast<const char*>(data)), m_size(size) {}
  std::span<const char> read() override {
    // Small chunks, so that entries and headers straddle reads as they do on the network.
    std::size_t take = std::min<std::size_t>(m_size - m_at, 4096);
    std::span<const char> chunk(m_data + m_at, take);
    m_at += take;
    return chunk;
  }
  std::optional<std::uint64_t> size() const override { return m_size; }

private:
  const char* m_data;
  std::size_t m_size;
  std::size_t m_at = 0;
};

const fs::path& scratch() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("ciutils-fuzz-archive." + std::to_string(getpid()));
    fs::remove_all(d);
    fs::create_directories(d / "outside");
    return d;
  }();
  return dir;
}

bool inside(const fs::path& root, const fs::path& p) {
  auto rel = p.lexically_normal().lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path root = scratch() / "dest";
  fs::remove_all(root);
  fs::create_directory(root);
  Budgets budgets;
  budgets.max_bytes = 64 << 20;
  budgets.max_entries = 2000;
  MemorySource source(data, size);
  try {
    DownloadStream stream(source, budgets.max_download);
    extract_archive(stream, root, budgets, 0, EntryFilter{}, false, "fuzz.archive");
  } catch (const ciutils::IntegrityError&) {
  } catch (const ciutils::UsageError&) {
  }
  FUZZ_ASSERT(fs::is_empty(scratch() / "outside"));
  for (const auto& entry : fs::directory_iterator(scratch()))
    FUZZ_ASSERT(entry.path().filename() == "dest" || entry.path().filename() == "outside");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_symlink()) continue;
    fs::path target = fs::read_symlink(entry.path());
    FUZZ_ASSERT(target.is_relative());
    FUZZ_ASSERT(inside(root, entry.path().parent_path() / target) ||
                (entry.path().parent_path() / target).lexically_normal() == root.lexically_normal());
  }
  return 0;
}
