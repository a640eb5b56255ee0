// Job lines (or template items) read from stdin or -a files a chunk at a time,
// so the queue holds a bounded read-ahead instead of the whole input: a pipe
// from a slow producer feeds the pool as lines arrive, and a million-line file
// costs no more memory than a short one.
#pragma once

#include "job.h"

#include "ciutils/fd.h"

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace ciutils::prun {

class JobInput {
public:
  // Reads stdin when files is empty, else each file in turn (UsageError naming
  // --arg-file when one cannot be opened). In template mode each line is an
  // item; otherwise a command, and lines starting with '#' are comments. Blank
  // lines are skipped either way. A line holding a NUL byte is a UsageError naming it.
  JobInput(const std::vector<std::string>& files, bool template_mode);

  // The descriptor to poll for more input, or -1 when all of it has been read.
  int fd() const;
  bool done() const { return m_index >= m_fds.size(); }
  // One read(2) of the current input (it blocks only when nothing is ready);
  // complete lines become jobs appended to queue, numbered on from the last.
  // Returns how many.
  std::size_t read_some(std::deque<Job>& queue);
  // Everything left, blocking until the end of the input.
  void read_all(std::deque<Job>& queue);
  // True when read_some would not wait (data or the end of the input is ready).
  bool ready() const;
  // True when the current input is a regular file: it ends, however fast it is read.
  bool regular_file() const;
  std::size_t jobs_read() const { return m_number; }

private:
  void add_line(std::string_view line, std::deque<Job>& queue);
  void end_of_file(std::deque<Job>& queue);

  std::vector<UniqueFd> m_fds;  // stdin as a dup(2)
  std::vector<std::string> m_names;  // "stdin" or the file, for errors
  std::size_t m_line = 0;            // line number in the current input
  std::size_t m_index = 0;
  bool m_template;
  std::string m_partial;
  std::string m_buffer;
  std::size_t m_number = 0;
};

}  // namespace ciutils::prun
