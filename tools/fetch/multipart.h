// The pure parts of S3's multipart upload: cutting a stream into parts, the part size for
// a file of known size, and the XML of CreateMultipartUpload / CompleteMultipartUpload.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::fetch {

constexpr std::uint64_t k_min_part_size = 5ULL << 20;        // S3: every part but the last
constexpr std::uint64_t k_max_part_size = 5ULL << 30;        // S3: largest part
constexpr std::uint64_t k_max_single_put = 5ULL << 30;       // S3: largest PutObject
constexpr std::uint64_t k_default_part_size = 8ULL << 20;
constexpr int k_max_parts = 10000;                           // S3: part numbers 1..10000

// Collects a stream into parts of exactly part_size bytes (the last one shorter): feed()
// hands every full part to on_part as soon as it is complete; the rest stays buffered, so
// at most one part is held in memory.
class PartSplitter {
public:
  using OnPart = std::function<void(int number, std::span<const char> part)>;
  PartSplitter(std::size_t part_size, OnPart on_part);
  void feed(std::span<const char> data);
  // The bytes not yet handed on (the last, short part, or all of a stream shorter than a part).
  std::span<const char> rest() const { return {m_buffer.data(), m_buffer.size()}; }
  // Parts handed to on_part so far.
  int parts() const { return m_parts; }

private:
  std::size_t m_part_size;
  OnPart m_on_part;
  std::vector<char> m_buffer;
  int m_parts = 0;
};

// The part size for a file of `size` bytes: `requested`, grown when needed so that the
// file fits in k_max_parts parts.
std::uint64_t part_size_for(std::uint64_t size, std::uint64_t requested);

struct CompletedPart {
  int number = 0;
  std::string etag;  // as the server sent it, quotes included
};

// The CompleteMultipartUpload request body.
std::string complete_multipart_xml(const std::vector<CompletedPart>& parts);

// The text of the first <name>…</name> element of an XML document, entities decoded.
std::optional<std::string> xml_element(std::string_view xml, std::string_view name);

}  // namespace ciutils::fetch
