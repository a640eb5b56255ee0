// A job's captured output: tails for its record, an optional log file, and the live
// forms of --tag (prefixed lines) and --ungroup (pass-through); --group keeps the
// whole output (in memory, spilling to an unlinked temp file) to print when it ends.
#pragma once

#include "ciutils/fd.h"
#include "options.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace ciutils::prun {

// Writes all of data to fd (blocking; EINTR and EAGAIN retried). Errors are ignored:
// a closed stdout must not stop the jobs.
void write_all(int fd, std::string_view data);

// Splits a byte stream into lines and writes each with a prefix, one write per chunk.
// A line longer than k_max_line is cut and written in pieces.
class LineTagger {
public:
  static constexpr std::size_t k_max_line = 1 << 20;
  LineTagger(int fd, std::string prefix, bool timestamps) : m_fd(fd), m_prefix(std::move(prefix)), m_timestamps(timestamps) {}
  void feed(std::string_view data);
  void finish();  // writes a last line without a newline
  // The text one feed() would write (for tests; feed() writes it).
  std::string tag(std::string_view data);

private:
  void tag_into(std::string& out, std::string_view data);
  void append_line(std::string& out, std::string_view line);
  int m_fd;
  std::string m_prefix;
  bool m_timestamps;
  std::string m_partial;
  std::string m_out;  // reused between feeds: no allocation per chunk
};

// Keeps the last `limit` bytes written to it.
class Tail {
public:
  explicit Tail(std::size_t limit) : m_limit(limit) {}
  void append(std::string_view data);
  std::string str() const;

private:
  std::size_t m_limit;
  std::string m_data;
};

struct CaptureSettings {
  OutputMode mode = OutputMode::group;
  bool timestamps = false;
  std::size_t tail_bytes = 4096;
  std::string log_path;  // empty: no log file
  int slot = 0;
  std::size_t job = 0;
};

class JobCapture {
public:
  static constexpr std::size_t k_memory_limit = 1 << 20;
  explicit JobCapture(const CaptureSettings& settings);
  // stream: 1 stdout, 2 stderr.
  void on_data(int stream, std::string_view data);
  void on_eof(int stream);
  std::string stdout_tail() const { return m_out_tail.str(); }
  std::string stderr_tail() const { return m_err_tail.str(); }
  std::string combined_tail() const { return m_combined_tail.str(); }
  std::size_t bytes() const { return m_bytes; }
  // --group: writes everything captured to fd, in arrival order.
  void replay(int fd);

private:
  CaptureSettings m_settings;
  Tail m_out_tail;
  Tail m_err_tail;
  Tail m_combined_tail;
  UniqueFd m_log;
  std::string m_memory;
  UniqueFd m_spill;
  std::size_t m_bytes = 0;
  LineTagger m_out_tagger;
  LineTagger m_err_tagger;
};

// GitHub Actions: "::stop-commands::TOKEN" / "::TOKEN::" around untrusted output, so it
// cannot run workflow commands.
std::string random_token();
std::string github_stop_commands(std::string_view token);
std::string github_resume_commands(std::string_view token);

}  // namespace ciutils::prun
