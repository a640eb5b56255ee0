#include "signals.h"

#include <ciutils/error.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace ciutils::fetch {

namespace {

// Read by the download's reader thread too: a lock-free atomic (safe in a signal handler).
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);
struct sigaction g_old_int {};
struct sigaction g_old_term {};

extern "C" void on_signal(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);
}

}  // namespace

SignalWatch::SignalWatch() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
}

SignalWatch::~SignalWatch() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int pending_signal() { return g_signal; }

void throw_if_interrupted() {
  int sig = g_signal;
  if (sig == SIGINT) throw Error(ExitCode::interrupted, "interrupted by SIGINT; nothing was published");
  if (sig == SIGTERM) throw Error(ExitCode::terminated, "terminated by SIGTERM; nothing was published");
}

void sleep_interruptible(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  for (;;) {
    throw_if_interrupted();
    auto now = std::chrono::steady_clock::now();
    if (now >= end) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
}

}  // namespace ciutils::fetch
