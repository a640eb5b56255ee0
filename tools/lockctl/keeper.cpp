#include "keeper.h"

#include "runner.h"
#include "scripts.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>

namespace ciutils::lockctl {

using Clock = std::chrono::steady_clock;

namespace {

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

void detach_stdio() {
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);
}

[[noreturn]] void keep(const RedisUrl& url, const Grant& grant, std::optional<milliseconds> max_hold,
                       std::optional<pid_t> watch_pid) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE}) ::signal(sig, SIG_DFL);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  const auto interval = std::max(grant.ttl / 3, milliseconds(50));
  const auto hold_deadline = max_hold ? Clock::now() + *max_hold : Clock::time_point::max();
  auto valid_until = Clock::now() + milliseconds(grant.expires_ms - grant.now_ms);
  auto next = Clock::now() + interval;
  std::string prefix = grant.prefix;  // follows the lease when a pool change moves it
  std::optional<Redis> redis;
  while (true) {
    while (Clock::now() < next) {
      if (watch_pid && !process_alive(*watch_pid)) ::_exit(0);  // the lease expires within one TTL
      if (Clock::now() >= hold_deadline) {
        try {
          if (!redis) redis.emplace(Redis::connect(url));
          release_lease(*redis, prefix, grant.token, grant.resources.front());
        } catch (...) {
        }
        ::_exit(0);
      }
      std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), next - Clock::now()));
    }
    const auto sent = Clock::now();
    try {
      if (!redis) {
        Redis::Options options;
        options.connect_timeout = std::min(interval, milliseconds(2000));
        options.command_timeout = std::min(interval, milliseconds(2000));
        redis.emplace(Redis::connect(url, options));
      }
      auto reply = call_lease_script(*redis, renew_script(), prefix, {grant.token, std::to_string(grant.ttl.count())});
      if (string_field(reply, "status") != "renewed") ::_exit(0);
      valid_until = sent + grant.ttl;
      next = sent + interval;
    } catch (...) {
      redis.reset();
      if (Clock::now() >= valid_until) ::_exit(0);
      next = Clock::now() + std::min(interval, milliseconds(250));
    }
  }
}

}  // namespace

pid_t start_keeper(const RedisUrl& url, const Grant& grant, std::optional<milliseconds> max_hold,
                   std::optional<pid_t> watch_pid) {
  Pipe report = make_pipe();
  pid_t first = ::fork();
  if (first < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (first == 0) {
    ::setsid();
    pid_t second = ::fork();
    if (second != 0) {
      [[maybe_unused]] auto n = ::write(report.write.get(), &second, sizeof second);
      ::_exit(second < 0 ? 1 : 0);
    }
    detach_stdio();
    keep(url, grant, max_hold, watch_pid);
  }
  report.write.reset();
  pid_t keeper = -1;
  [[maybe_unused]] auto n = ::read(report.read.get(), &keeper, sizeof keeper);
  int status = 0;
  ::waitpid(first, &status, 0);
  if (keeper <= 0) throw std::runtime_error("could not start the keep-alive renewer");
  return keeper;
}

}  // namespace ciutils::lockctl
