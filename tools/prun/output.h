// A job's captured output: tails for its record, an optional log file, and the live
// forms of --tag (prefixed lines) and --ungroup (pass-through); --group keeps each
// stream whole (in memory, spilling to an unlinked temp file) to print when it ends.
#pragma once

#include "ciutils/fd.h"
#include "options.h"
#include "output_sink.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ciutils::prun {

// Writes all of data to fd (blocking; EINTR and EAGAIN retried), for files. Errors are
// ignored: a full disk must not stop the jobs.
void write_all(int fd, std::string_view data);

// Splits a byte stream into lines and hands each to a target with a prefix, one call per
// chunk, so no line is ever cut by another stream's text. A line longer than k_max_line is
// cut and written in pieces. With neutralise, GitHub workflow commands in the lines are
// made inert (see neutralise_workflow_commands).
class LineTagger {
public:
  using Target = std::function<void(std::string_view)>;
  static constexpr std::size_t k_max_line = 1 << 20;
  LineTagger(Target target, std::string prefix, bool timestamps, bool neutralise = false)
      : m_target(std::move(target)), m_prefix(std::move(prefix)), m_timestamps(timestamps), m_neutralise(neutralise) {}
  void feed(std::string_view data);
  void finish();  // writes a last line without a newline
  // The text one feed() would write (for tests; feed() writes it).
  std::string tag(std::string_view data);

private:
  void tag_into(std::string& out, std::string_view data);
  void append_line(std::string& out, std::string_view line);
  Target m_target;
  std::string m_prefix;
  bool m_timestamps;
  bool m_neutralise;
  std::string m_partial;
  std::string m_out;  // reused between feeds: no allocation per chunk
};

// GitHub Actions runs a line as a workflow command when it starts with "::" after blanks,
// or when it holds "##[" anywhere. A zero-width space after the first ':' or '#' makes
// such a line plain text and leaves it readable.
std::string neutralise_workflow_commands(std::string_view line);

// text with line breaks turned into spaces (a name in a header: a plan's may hold them).
std::string one_line(std::string text);

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
  bool github = false;  // --tag lines: workflow commands neutralised
  std::size_t tail_bytes = 4096;
  std::string log_path;  // empty: no log file
  int slot = 0;
  std::size_t job = 0;
  std::optional<std::string> tag;  // --tagstring filled: the --tag prefix before a tab
};

// Bytes kept in memory up to a limit, then in an unlinked temporary file ($TMPDIR). When no
// temporary file can be made, what does not fit is dropped and error() says why.
class Spool {
public:
  explicit Spool(std::size_t memory_limit) : m_limit(memory_limit) {}
  void append(std::string_view data);
  // Queues everything kept on sink (the spill file by reference) and empties the spool.
  void hand_to(OutputSink& sink);
  const std::string& error() const { return m_error; }

private:
  std::size_t m_limit;
  std::string m_memory;
  UniqueFd m_spill;
  off_t m_spilled = 0;
  std::string m_error;
};

class JobCapture {
public:
  static constexpr std::size_t k_memory_limit = 1 << 20;
  // out/err: where --tag and --ungroup write as output arrives (unused by --group).
  JobCapture(const CaptureSettings& settings, OutputSink* out, OutputSink* err);
  // stream: 1 stdout, 2 stderr.
  void on_data(int stream, std::string_view data);
  void on_eof(int stream);
  std::string stdout_tail() const { return m_out_tail.str(); }
  std::string stderr_tail() const { return m_err_tail.str(); }
  // The last 64 KiB of both streams, whole lines in the order they were completed.
  std::string combined_tail() const { return m_combined_tail.str(); }
  std::size_t bytes() const { return m_bytes; }
  // --group: queues everything captured on sink, stdout first, then stderr. Returns true
  // when what it queued ends in the middle of a line.
  bool replay(OutputSink& sink);
  // Why part of the output could not be kept (no usable temporary directory), or empty.
  std::string error() const;

private:
  CaptureSettings m_settings;
  OutputSink* m_out_sink;
  OutputSink* m_err_sink;
  Tail m_out_tail;
  Tail m_err_tail;
  Tail m_combined_tail;
  UniqueFd m_log;
  Spool m_out_spool;
  Spool m_err_spool;
  std::size_t m_bytes = 0;
  char m_last[3] = {'\n', '\n', '\n'};  // the last byte of each stream ([1], [2])
  std::size_t m_err_bytes = 0;      // bytes of stderr
  LineTagger m_out_lines;     // --tag: to stdout
  LineTagger m_err_lines;     // --tag: to stderr
  LineTagger m_out_combined;  // whole lines to the combined tail and the log
  LineTagger m_err_combined;
};

// GitHub Actions: "::stop-commands::TOKEN" / "::TOKEN::" around untrusted output, so it
// cannot run workflow commands.
std::string random_token();
std::string github_stop_commands(std::string_view token);
std::string github_resume_commands(std::string_view token);

}  // namespace ciutils::prun
