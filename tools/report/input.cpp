#include "input.h"

#include "ciutils/error.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace ciutils::report {

namespace {
constexpr std::size_t k_chunk = 64 * 1024;
}

bool ChunkReader::fill() {
  if (m_eof) {
    return false;
  }
  if (m_pos > 0 && m_pos == m_buffer.size()) {
    m_buffer.clear();
    m_pos = 0;
  }
  std::size_t old = m_buffer.size();
  m_buffer.resize(old + k_chunk);
  m_in.read(m_buffer.data() + old, static_cast<std::streamsize>(k_chunk));
  auto got = static_cast<std::size_t>(m_in.gcount());
  m_buffer.resize(old + got);
  if (got < k_chunk) {
    if (m_in.bad()) {
      throw UsageError(m_source + ": read error");
    }
    m_eof = true;
  }
  return got > 0;
}

std::string_view ChunkReader::next() {
  if (m_pos == m_buffer.size() && !fill()) {
    return {};
  }
  std::string_view out(m_buffer.data() + m_pos, m_buffer.size() - m_pos);
  m_pos = m_buffer.size();
  return out;
}

std::string_view ChunkReader::peek(std::size_t bytes) {
  while (m_buffer.size() - m_pos < bytes && fill()) {
  }
  return std::string_view(m_buffer).substr(m_pos, bytes);
}

bool ChunkReader::next_line(std::string& line) {
  line.clear();
  while (true) {
    std::size_t nl = m_buffer.find('\n', m_pos);
    if (nl != std::string::npos) {
      line.append(m_buffer, m_pos, nl - m_pos);
      m_pos = nl + 1;
      break;
    }
    line.append(m_buffer, m_pos, std::string::npos);
    m_pos = m_buffer.size();
    if (!fill()) {
      if (line.empty()) {
        return false;
      }
      break;
    }
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return true;
}

Format detect_format(std::string_view head, std::string_view source) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") {
    head.remove_prefix(3);
  }
  std::size_t start = head.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos) {
    head.remove_prefix(start);
    if (head.front() == '{') return Format::jsonl;
    if (head.front() == '<') return Format::junit;
    for (std::string_view prefix : {"TAP version", "1..", "ok", "not ok", "#", "Bail out!"}) {
      if (head.substr(0, prefix.size()) == prefix) {
        return Format::tap;
      }
    }
  }
  throw UsageError(std::string(source) +
                   ": cannot tell the format (expected result records as JSON Lines, TAP or JUnit XML)");
}

std::string source_stem(std::string_view source) {
  if (source == "<stdin>") {
    return "tests";
  }
  std::size_t slash = source.find_last_of('/');
  if (slash != std::string_view::npos) {
    source.remove_prefix(slash + 1);
  }
  std::size_t dot = source.find('.');
  if (dot != std::string_view::npos && dot > 0) {
    source = source.substr(0, dot);
  }
  return source.empty() ? "tests" : std::string(source);
}

std::size_t read_input(std::istream& in, const std::string& source, const ResultSink& sink,
                       const WarningSink& warn) {
  ChunkReader reader(in, source);
  std::string_view head = reader.peek(4096);
  if (head.empty()) {
    throw UsageError(source + ": empty file (0 bytes): refusing it, as CI servers would show an \"[empty]\" failure");
  }
  if (head.find_first_not_of(" \t\r\n") == std::string_view::npos && reader.peek(k_chunk * 4).find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return 0;  // only blank lines: no results
  }
  switch (detect_format(head, source)) {
    case Format::jsonl: return read_jsonl(reader, sink);
    case Format::tap: return read_tap(reader, sink);
    case Format::junit: return read_junit_xml(reader, sink, warn);
  }
  return 0;
}

std::size_t read_inputs(const std::vector<std::string>& inputs, const ResultSink& sink,
                        const WarningSink& warn) {
  std::size_t total = 0;
  for (const auto& input : inputs) {
    if (input == "-") {
      total += read_input(std::cin, "<stdin>", sink, warn);
      continue;
    }
    std::error_code ec;
    if (std::filesystem::is_directory(input, ec)) {
      throw UsageError(input + ": is a directory");
    }
    std::ifstream file(input, std::ios::binary);
    if (!file) {
      throw UsageError(input + ": " + std::strerror(errno));
    }
    total += read_input(file, input, sink, warn);
  }
  return total;
}

}  // namespace ciutils::report
