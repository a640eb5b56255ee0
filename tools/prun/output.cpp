#include "output.h"

#include "ciutils/timestamp.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <system_error>

namespace ciutils::prun {

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string neutralise_workflow_commands(std::string_view line) {
  constexpr std::string_view k_zero_width_space = "\xE2\x80\x8B";
  std::string out;
  out.reserve(line.size() + 6);
  auto first = line.find_first_not_of(" \t\r\f\v");
  for (std::size_t i = 0; i < line.size(); ++i) {
    out += line[i];
    if (i == first && line.substr(i, 2) == "::") out += k_zero_width_space;
    if (line.substr(i, 3) == "##[") out += k_zero_width_space;
  }
  return out;
}

std::string one_line(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

void LineTagger::append_line(std::string& out, std::string_view line) {
  if (m_timestamps) {
    out += format_utc(std::chrono::system_clock::now(), 3);
    out += ' ';
  }
  out += m_prefix;
  if (m_neutralise && (line.find("::") != std::string_view::npos || line.find("##[") != std::string_view::npos)) {
    out += neutralise_workflow_commands(line);
  } else {
    out += line;
  }
  out += '\n';
}

std::string LineTagger::tag(std::string_view data) {
  std::string out;
  tag_into(out, data);
  return out;
}

void LineTagger::tag_into(std::string& out, std::string_view data) {
  out.clear();
  while (!data.empty()) {
    const void* nl = std::memchr(data.data(), '\n', data.size());
    if (nl == nullptr) {
      m_partial.append(data);
      if (m_partial.size() >= k_max_line) {
        append_line(out, m_partial);
        m_partial.clear();
      }
      break;
    }
    auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
    if (m_partial.empty()) {
      append_line(out, data.substr(0, len));
    } else {
      m_partial.append(data.substr(0, len));
      append_line(out, m_partial);
      m_partial.clear();
    }
    data.remove_prefix(len + 1);
  }
}

void LineTagger::feed(std::string_view data) {
  tag_into(m_out, data);
  if (!m_out.empty() && m_target) m_target(m_out);
  if (m_out.capacity() > (4u << 20)) std::string().swap(m_out);
}

void LineTagger::finish() {
  if (m_partial.empty()) return;
  std::string out;
  append_line(out, m_partial);
  m_partial.clear();
  if (m_target) m_target(out);
}

void Tail::append(std::string_view data) {
  if (m_limit == 0) return;
  if (data.size() >= m_limit) {
    m_data.assign(data.substr(data.size() - m_limit));
    return;
  }
  m_data.append(data);
  if (m_data.size() > 2 * m_limit) m_data.erase(0, m_data.size() - m_limit);
}

std::string Tail::str() const {
  if (m_data.size() <= m_limit) return m_data;
  return m_data.substr(m_data.size() - m_limit);
}

namespace {

std::string tag_prefix(const CaptureSettings& s) {
  // A tag starts the line: under GitHub Actions it must not start a workflow command.
  if (s.tag) return (s.github ? neutralise_workflow_commands(*s.tag) : *s.tag) + "\t";
  return "[" + std::to_string(s.slot) + "/" + std::to_string(s.job) + "] ";
}

}  // namespace

void Spool::append(std::string_view data) {
  if (!m_spill.valid() && m_memory.size() + data.size() <= m_limit) {
    m_memory.append(data);
    return;
  }
  if (!m_error.empty()) return;
  if (!m_spill.valid()) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmp = dir != nullptr && *dir != '\0' ? dir : "/tmp";
    int fd = ::open(tmp.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
      m_error = "output beyond " + std::to_string(m_limit >> 10) + " KiB lost: no temporary file in " + tmp + ": " +
                std::strerror(errno);
      return;
    }
    m_spill.reset(fd);
    write_all(fd, m_memory);
    m_spilled = static_cast<off_t>(m_memory.size());
    m_memory.clear();
    m_memory.shrink_to_fit();
  }
  write_all(m_spill.get(), data);
  m_spilled += static_cast<off_t>(data.size());
}

void Spool::hand_to(OutputSink& sink) {
  if (m_spill.valid()) {
    sink.write_file(std::move(m_spill), m_spilled);
    m_spilled = 0;
  } else {
    sink.write(m_memory);
    m_memory.clear();
  }
}

JobCapture::JobCapture(const CaptureSettings& settings, OutputSink* out, OutputSink* err)
    : m_settings(settings),
      m_out_sink(out),
      m_err_sink(err),
      m_out_tail(settings.tail_bytes),
      m_err_tail(settings.tail_bytes),
      m_combined_tail(64 * 1024),
      m_out_spool(k_memory_limit / 2),
      m_err_spool(k_memory_limit / 2),
      m_out_lines(nullptr, tag_prefix(settings), settings.timestamps, settings.github),
      m_err_lines(nullptr, tag_prefix(settings), settings.timestamps, settings.github),
      m_out_combined(nullptr, "", false),
      m_err_combined(nullptr, "", false) {
  if (!settings.log_path.empty()) {
    int fd = ::open(settings.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), settings.log_path);
    m_log.reset(fd);
  }
  auto combined = [this](std::string_view lines) {
    m_combined_tail.append(lines);
    if (m_log.valid()) write_all(m_log.get(), lines);
  };
  m_out_combined = LineTagger(combined, "", false);
  m_err_combined = LineTagger(combined, "", false);
  if (settings.mode == OutputMode::tag) {
    m_out_lines = LineTagger([out](std::string_view s) { out->write(s); }, tag_prefix(settings), settings.timestamps,
                             settings.github);
    m_err_lines = LineTagger([err](std::string_view s) { err->write(s); }, tag_prefix(settings), settings.timestamps,
                             settings.github);
  }
}

void JobCapture::on_data(int stream, std::string_view data) {
  if (data.empty()) return;
  m_bytes += data.size();
  m_last[stream == 1 ? 1 : 2] = data.back();
  if (stream == 2) m_err_bytes += data.size();
  (stream == 1 ? m_out_tail : m_err_tail).append(data);
  (stream == 1 ? m_out_combined : m_err_combined).feed(data);
  switch (m_settings.mode) {
    case OutputMode::tag:
      (stream == 1 ? m_out_lines : m_err_lines).feed(data);
      break;
    case OutputMode::ungroup:
      // GitHub Actions: stderr too goes inside the stop-commands fence of stdout (a fence
      // on one stream cannot cover another: the runner reads them concurrently).
      (stream == 1 || m_settings.github ? m_out_sink : m_err_sink)->write(data);
      break;
    case OutputMode::group:
      (stream == 1 ? m_out_spool : m_err_spool).append(data);
      break;
  }
}

void JobCapture::on_eof(int stream) {
  (stream == 1 ? m_out_combined : m_err_combined).finish();
  if (m_settings.mode == OutputMode::tag) (stream == 1 ? m_out_lines : m_err_lines).finish();
}

bool JobCapture::replay(OutputSink& sink) {
  m_out_spool.hand_to(sink);
  bool has_err = m_err_bytes > 0;
  if (has_err && m_last[1] != '\n') sink.write("\n");  // stderr starts on a line of its own
  m_err_spool.hand_to(sink);
  return has_err ? m_last[2] != '\n' : m_last[1] != '\n';
}

std::string JobCapture::error() const {
  return m_out_spool.error().empty() ? m_err_spool.error() : m_out_spool.error();
}

std::string random_token() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string token = "prun-";
  for (int i = 0; i < 24; ++i) token += "0123456789abcdef"[digit(device)];
  return token;
}

std::string github_stop_commands(std::string_view token) { return "::stop-commands::" + std::string(token) + "\n"; }

std::string github_resume_commands(std::string_view token) { return "::" + std::string(token) + "::\n"; }

}  // namespace ciutils::prun
