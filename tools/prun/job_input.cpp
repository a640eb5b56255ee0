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

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string parse_delimiter(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char c = text[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && i + 1 < text.size() && hex_digit(text[i + 1]) >= 0) {
          value = value * 16 + hex_digit(text[++i]);
          ++digits;
        }
        if (digits == 0) throw UsageError("--delimiter: '\\x' needs hexadecimal digits in '" + std::string(text) + "'");
        out += static_cast<char>(value);
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int value = c - '0', digits = 1;
          while (digits < 3 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7') {
            value = value * 8 + (text[++i] - '0');
            ++digits;
          }
          out += static_cast<char>(value & 0xff);
        } else {
          throw UsageError("--delimiter: unknown escape '\\" + std::string(1, c) + "' in '" + std::string(text) + "'");
        }
    }
  }
  if (out.empty()) throw UsageError("--delimiter: empty value");
  return out;
}

JobInput::JobInput(const std::string& path, bool template_mode, InputFormat format, std::string_view flag)
    : m_template(template_mode), m_format(std::move(format)) {
  if (path.empty() || path == "-") {
    int fd = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) throw UsageError(std::string("stdin: ") + std::strerror(errno));
    m_fd = UniqueFd(fd);
    m_name = "stdin";
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw UsageError(std::string(flag) + ": " + path + ": " + std::strerror(errno));
    m_fd = UniqueFd(fd);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw UsageError(std::string(flag) + ": " + path + ": is a directory");
    m_name = path;
  }
  m_buffer.resize(k_chunk);
}

int JobInput::fd() const { return m_fd.get(); }

void JobInput::add_item(std::string_view item, std::deque<Job>& queue) {
  ++m_line;
  if (item.find('\0') != std::string_view::npos) {
    throw UsageError(m_name + ":" + std::to_string(m_line) +
                     ": a NUL byte in a job line (the shell would see the line cut there; -0 reads NUL-separated items)");
  }
  if (m_format.delimiter == "\n" && !item.empty() && item.back() == '\r') item.remove_suffix(1);
  auto first = item.find_first_not_of(" \t\n\r");
  bool blank = first == std::string_view::npos;
  if (!m_template) {
    if (blank || item[first] == '#') return;
  } else if (blank && m_format.skip_empty) {
    return;
  }
  if (m_format.per_job == 0) {  // -N0: the item is read, not used
    add_job(queue);
    return;
  }
  m_args.emplace_back(item);
  if (m_args.size() >= m_format.per_job) add_job(queue);
}

void JobInput::add_job(std::deque<Job>& queue) {
  Job job;
  job.number = ++m_number;
  if (m_template) {
    job.name = template_job_name(m_args, job.number);
    job.args = std::move(m_args);
    job.has_template = true;
  } else {
    for (std::size_t i = 0; i < m_args.size(); ++i) job.command += (i > 0 ? " " : "") + m_args[i];
    job.name = job.command;
    if (m_decode) m_decode(std::string(job.command), job);
  }
  m_args.clear();
  queue.push_back(std::move(job));
}

void JobInput::end_of_file(std::deque<Job>& queue) {
  // A final delimiter ends the last item; text after it is one more item.
  if (!m_partial.empty()) add_item(m_partial, queue);
  if (!m_args.empty()) add_job(queue);  // -N: the last, shorter group
  m_partial.clear();
  m_scanned = 0;
  m_fd.reset();
}

std::size_t JobInput::read_some(std::deque<Job>& queue) {
  if (done()) return 0;
  std::size_t before = queue.size();
  ssize_t n = ::read(m_fd.get(), m_buffer.data(), m_buffer.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n < 0) throw Error(ExitCode::tool_failed, std::string("reading the job list: ") + std::strerror(errno));
  if (n == 0) {
    end_of_file(queue);
    return queue.size() - before;
  }
  m_partial.append(m_buffer.data(), static_cast<std::size_t>(n));
  const std::string& delim = m_format.delimiter;
  std::size_t start = 0;
  std::size_t from = m_scanned;
  while (true) {
    auto at = m_partial.find(delim, from);
    if (at == std::string::npos) break;
    add_item(std::string_view(m_partial).substr(start, at - start), queue);
    start = at + delim.size();
    from = start;
  }
  m_partial.erase(0, start);
  // A delimiter may be cut between two reads: rescan its length less one.
  m_scanned = m_partial.size() >= delim.size() ? m_partial.size() - delim.size() + 1 : 0;
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

std::string template_job_name(const std::vector<std::string>& args, std::size_t number) {
  if (args.empty()) return "job " + std::to_string(number);
  std::string name;
  for (std::size_t i = 0; i < args.size(); ++i) name += (i > 0 ? " " : "") + args[i];
  return name.empty() ? "''" : name;
}

std::vector<std::string> read_items(const std::string& path, const InputFormat& format, std::string_view flag) {
  InputFormat one = format;
  one.per_job = 1;
  JobInput input(path, true, one, flag);
  std::deque<Job> jobs;
  input.read_all(jobs);
  std::vector<std::string> items;
  items.reserve(jobs.size());
  for (auto& job : jobs) items.push_back(std::move(job.args.front()));
  return items;
}

}  // namespace ciutils::prun
