// SIGINT/SIGTERM turned into a flag that long loops poll, so that an interrupted fetch
// unwinds normally: the transfer is aborted and the staging area removed by destructors.
#pragma once

#include <chrono>

namespace ciutils::fetch {

// Installs the handlers for its lifetime (restoring the previous ones afterwards).
class SignalWatch {
public:
  SignalWatch();
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;
};

// The signal received (0 when none).
int pending_signal();

// Throws Error(interrupted|terminated, "interrupted by SIGINT") once a signal arrived.
void throw_if_interrupted();

// Sleeps for d, waking early (and throwing) on a signal.
void sleep_interruptible(std::chrono::milliseconds d);

}  // namespace ciutils::fetch
