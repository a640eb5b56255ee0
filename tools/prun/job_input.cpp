#include "job_input.h"

#include "ciutils/error.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace ciutils::prun {

namespace {

constexpr std::size_t k_chunk = 64 * 1024;

}  // namespace

JobInput::JobInput(const std::vector<std::string>& files, bool template_mode) : m_template(template_mode) {
  if (files.empty()) {
    int fd = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) throw UsageError(std::string("stdin: ") + std::strerror(errno));
    m_fds.emplace_back(fd);
    m_names.emplace_back("stdin");
  }
  for (const auto& file : files) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw UsageError("--arg-file: " + file + ": " + std::strerror(errno));
    m_fds.emplace_back(fd);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw UsageError("--arg-file: " + file + ": is a directory");
    m_names.push_back(file);
  }
  m_buffer.resize(k_chunk);
}

int JobInput::fd() const { return done() ? -1 : m_fds[m_index].get(); }

void JobInput::add_line(std::string_view line, std::deque<Job>& queue) {
  ++m_line;
  if (line.find('\0') != std::string_view::npos) {
    throw UsageError(m_names[m_index] + ":" + std::to_string(m_line) +
                     ": a NUL byte in a job line (the shell would see the line cut there)");
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return;
  if (!m_template && line[first] == '#') return;
  Job job;
  job.name = std::string(line);
  if (m_template) {
    job.item = job.name;
    job.has_template = true;
  } else {
    job.command = job.name;
  }
  job.number = ++m_number;
  queue.push_back(std::move(job));
}

void JobInput::end_of_file(std::deque<Job>& queue) {
  if (!m_partial.empty()) add_line(m_partial, queue);
  m_partial.clear();
  m_fds[m_index].reset();
  ++m_index;
  m_line = 0;
}

std::size_t JobInput::read_some(std::deque<Job>& queue) {
  if (done()) return 0;
  std::size_t before = queue.size();
  ssize_t n = ::read(m_fds[m_index].get(), m_buffer.data(), m_buffer.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n < 0) throw Error(ExitCode::tool_failed, std::string("reading the job list: ") + std::strerror(errno));
  if (n == 0) {
    end_of_file(queue);
    return queue.size() - before;
  }
  std::string_view data(m_buffer.data(), static_cast<std::size_t>(n));
  while (!data.empty()) {
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      m_partial.append(data);
      break;
    }
    if (m_partial.empty()) {
      add_line(data.substr(0, nl), queue);
    } else {
      m_partial.append(data.substr(0, nl));
      add_line(m_partial, queue);
      m_partial.clear();
    }
    data.remove_prefix(nl + 1);
  }
  return queue.size() - before;
}

void JobInput::read_all(std::deque<Job>& queue) {
  while (!done()) read_some(queue);
}

bool JobInput::regular_file() const {
  struct stat st {};
  return !done() && ::fstat(fd(), &st) == 0 && S_ISREG(st.st_mode);
}

bool JobInput::ready() const {
  if (done()) return false;
  pollfd p{fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace ciutils::prun
