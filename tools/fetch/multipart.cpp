#include "multipart.h"

#include <ciutils/html_escape.h>

#include <algorithm>
#include <cstring>

namespace ciutils::fetch {

namespace {

std::string xml_unescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> k_entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&#34;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : k_entities) {
        if (text.substr(i).starts_with(entity)) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace

PartSplitter::PartSplitter(std::size_t part_size, OnPart on_part)
    : m_part_size(part_size), m_on_part(std::move(on_part)) {
  m_buffer.reserve(part_size);
}

void PartSplitter::feed(std::span<const char> data) {
  while (!data.empty()) {
    std::size_t take = std::min(data.size(), m_part_size - m_buffer.size());
    m_buffer.insert(m_buffer.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (m_buffer.size() == m_part_size) {
      m_on_part(m_parts + 1, std::span<const char>(m_buffer.data(), m_buffer.size()));
      ++m_parts;
      m_buffer.clear();
    }
  }
}

std::uint64_t part_size_for(std::uint64_t size, std::uint64_t requested) {
  std::uint64_t needed = (size + k_max_parts - 1) / k_max_parts;
  return std::max(requested, needed);
}

std::string complete_multipart_xml(const std::vector<CompletedPart>& parts) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& part : parts)
    xml += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" + html_escape(part.etag) +
           "</ETag></Part>";
  xml += "</CompleteMultipartUpload>";
  return xml;
}

std::optional<std::string> xml_element(std::string_view xml, std::string_view name) {
  std::string open = "<" + std::string(name) + ">";
  std::string close = "</" + std::string(name) + ">";
  auto start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  auto end = xml.find(close, start);
  if (end == std::string_view::npos) return std::nullopt;
  return xml_unescape(xml.substr(start, end - start));
}

}  // namespace ciutils::fetch
