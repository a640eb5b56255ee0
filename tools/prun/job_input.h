// Job lines (or template items) read from stdin or a file a chunk at a time, so
// the queue holds a bounded read-ahead instead of the whole input: a pipe from a
// slow producer feeds the pool as items arrive, and a million-line file costs no
// more memory than a short one.
#pragma once

#include "job.h"

#include "ciutils/fd.h"

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::prun {

// How the input is cut into items and items into jobs.
struct InputFormat {
  std::string delimiter = "\n";  // -d DELIM, -0 ("\0")
  bool skip_empty = false;       // --skip-empty: drop items that are empty or blank
  std::size_t per_job = 1;       // -N n: items per job (0: one item read, none used)
};
// The delimiter of -d with its C escapes read as GNU parallel reads them (\n, \t, \0,
// \\, \xHH, \ooo); UsageError naming the flag when empty or bad.
std::string parse_delimiter(std::string_view text);

class JobInput {
public:
  // Reads stdin when path is empty or "-", else the file (UsageError naming `flag`
  // when it cannot be opened). In template mode each item is an argument, empty ones
  // included (unless skip_empty), and format.per_job of them make a job; otherwise an
  // item is a command: blank ones and those starting with '#' are skipped. An item
  // holding a NUL byte is a UsageError naming it.
  JobInput(const std::string& path, bool template_mode, InputFormat format = {},
           std::string_view flag = "--arg-file");

  // The descriptor to poll for more input, or -1 when all of it has been read.
  int fd() const;
  bool done() const { return !m_fd.valid(); }
  // One read(2) of the input (it blocks only when nothing is ready); complete items
  // become jobs appended to queue, numbered on from the last. Returns how many.
  std::size_t read_some(std::deque<Job>& queue);
  // Everything left, blocking until the end of the input.
  void read_all(std::deque<Job>& queue);
  // True when read_some would not wait (data or the end of the input is ready).
  bool ready() const;
  // True when the input is a regular file: it ends, however fast it is read.
  bool regular_file() const;
  std::size_t jobs_read() const { return m_number; }
  // Numbers the next job last + 1 (the jobs of a plan's later steps number on).
  void number_from(std::size_t last) { m_number = last; }
  // Each line describes its job (a queue worker's plan jobs): decode fills the job from
  // it instead of the line being the command.
  void decode_with(std::function<void(std::string_view line, Job& job)> decode) { m_decode = std::move(decode); }

private:
  void add_item(std::string_view item, std::deque<Job>& queue);
  void add_job(std::deque<Job>& queue);
  void end_of_file(std::deque<Job>& queue);

  UniqueFd m_fd;       // stdin as a dup(2)
  std::string m_name;  // "stdin" or the file, for errors
  std::size_t m_line = 0;  // item number in the input
  bool m_template;
  InputFormat m_format;
  std::string m_partial;  // an item not yet ended
  std::size_t m_scanned = 0;  // bytes of m_partial known to hold no delimiter
  std::string m_buffer;
  std::vector<std::string> m_args;  // -N: the items of the job being gathered
  std::size_t m_number = 0;
  std::function<void(std::string_view, Job&)> m_decode;
};

// A template job's name: its arguments joined by spaces; a record needs a name, so an
// empty item is named as the shell sees it ('') and a job without arguments by its number.
std::string template_job_name(const std::vector<std::string>& args, std::size_t number);

// Every item of a file (or stdin), for an input source that must be known whole.
std::vector<std::string> read_items(const std::string& path, const InputFormat& format, std::string_view flag);

}  // namespace ciutils::prun
