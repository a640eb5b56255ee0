#include "runner.h"

#include "names.h"
#include "renewer.h"
#include "scripts.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/subreaper.h"

#include <boost/json.hpp>

#include <poll.h>
#include <signal.h>

#include <cstring>
#include <ostream>

namespace ciutils::lockctl {

using Clock = std::chrono::steady_clock;

namespace {
std::vector<std::string> fence_strings(const Grant& grant) {
  std::vector<std::string> out;
  for (long long f : grant.fences) out.push_back(std::to_string(f));
  return out;
}
// Best effort: the history says the holder noticed and stopped its command.
// Skipped when Redis is what failed.
void note_lost(Redis& redis, const Grant& grant, const std::string& why) {
  if (why.starts_with("Redis at ")) return;
  const std::string fields = boost::json::serialize(boost::json::object{{"token", grant.token}, {"reason", why}});
  for (const auto& r : grant.resources) {
    try {
      call_script(redis, note_script(), grant.prefix, {r, "lost", fields});
    } catch (const std::exception&) {
      return;
    }
  }
}

}  // namespace

std::vector<std::string> lease_environment(const Grant& grant) {
  std::vector<std::string> env{
      "LOCKCTL_RESOURCE=" + grant.resources.front(),
      "LOCKCTL_RESOURCES=" + join(grant.resources, " "),
      "LOCKCTL_TOKEN=" + grant.token,
      "LOCKCTL_FENCE=" + std::to_string(grant.fences.front()),
      "LOCKCTL_FENCES=" + join(fence_strings(grant), " "),
  };
  // Properties: LOCKCTL_PROP_<NAME> of the first resource, LOCKCTL_RESOURCE<i>_PROP_<NAME> of each.
  for (std::size_t i = 0; i < grant.props.size(); ++i) {
    for (const auto& [key, value] : grant.props[i]) {
      std::string name = prop_variable(key);
      std::string text = value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
      if (i == 0) env.push_back("LOCKCTL_PROP_" + name + "=" + text);
      env.push_back("LOCKCTL_RESOURCE" + std::to_string(i) + "_PROP_" + name + "=" + text);
    }
  }
  return env;
}

std::string release_lease(Redis& redis, const std::string& prefix, const std::string& token,
                          const std::string& resource) {
  std::string scope = prefix;
  try {
    return string_field(call_lease_script(redis, release_script(), scope, {token, resource}), "status");
  } catch (const ServiceError&) {
    // The connection may have dropped while the command ran (a Redis restart): once more.
    return string_field(call_lease_script(redis, release_script(), scope, {token, resource}), "status");
  }
}

void confirm_grant(Redis& redis, const Grant& grant) {
  try {
    require_replicas(redis, grant.min_replicas, "the grant of " + join(grant.resources, ", "),
                     std::min(k_replica_wait, grant.ttl / 3));
  } catch (const ServiceError&) {
    try {
      release_lease(redis, grant.prefix, grant.token, grant.resources.front());
    } catch (const std::exception&) {
      // it expires within its TTL
    }
    throw;
  }
}

int run_under_lease(Redis& redis, const Grant& grant, const RunOptions& options, SignalWatch& signals,
                    std::ostream& err) {
  SpawnOptions spawn_options;
  spawn_options.argv = options.argv;
  spawn_options.env = environment_with(lease_environment(grant));
  Pipe lost_pipe = make_pipe();
  set_nonblocking(lost_pipe.read.get());

  // Orphaned descendants re-parent to us, so stopping the group also reaps them; the
  // command dies with us even when we are killed with -9 (the next holder may start).
  become_subreaper();
  spawn_options.die_with_parent = true;
  Child child = spawn(spawn_options);
  if (child.exec_errno != 0) {
    wait_for(child.pid);
    release_lease(redis, grant.prefix, grant.token, grant.resources.front());
    throw Error(static_cast<ExitCode>(exit_code_for_exec_errno(child.exec_errno)),
                "cannot run '" + options.argv.front() + "': " + std::strerror(child.exec_errno));
  }
  GroupGuard guard(child.pgid);

  const KillSequence stop_sequence{{SIGTERM, options.kill_grace}, {SIGKILL, milliseconds(2000)}};
  const auto hold_deadline = options.max_hold ? Clock::now() + *options.max_hold : Clock::time_point::max();
  std::optional<int> status;
  int result = -1;
  int forwarded = 0;  // the first signal passed on to the command
  Clock::time_point kill_at{};
  {
    Renewer renewer(redis.url(), grant, lost_pipe.write.get());
    while (!status) {
      if (auto st = try_wait(child.pid)) {
        status = st;
        break;
      }
      pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {lost_pipe.read.get(), POLLIN, 0}};
      ::poll(fds, 2, 100);
      for (int sig : signals.read()) {
        if (sig == SIGCHLD) continue;
        signal_group(child.pgid, sig);
        if (!forwarded) {
          forwarded = sig;
          kill_at = Clock::now() + options.kill_grace;
        }
      }
      if (auto why = renewer.lost()) {
        err << "lockctl: error: " << why.value() << " on " << join(grant.resources, ", ")
            << "; stopping the command (process group " << child.pgid << ")\n";
        status = kill_group(child.pgid, child.pid, stop_sequence);
        result = k_exit_lease_lost;
        note_lost(redis, grant, *why);
      } else if (Clock::now() >= hold_deadline) {
        err << "lockctl: error: held " << join(grant.resources, ", ") << " for --max-hold "
            << format_duration(*options.max_hold) << "; stopping the command (process group " << child.pgid
            << ")\n";
        status = kill_group(child.pgid, child.pid, stop_sequence);
        result = k_exit_max_hold;
      } else if (forwarded && Clock::now() >= kill_at) {
        err << "lockctl: warning: the command still ran --kill-grace " << format_duration(options.kill_grace)
            << " after SIG" << signal_name(forwarded) << "; killing its process group " << child.pgid << "\n";
        status = kill_group(child.pgid, child.pid, {{SIGKILL, milliseconds(2000)}});
        result = 128 + forwarded;
      }
    }
    // Whatever the command left behind in its group must not outlive the lease, nor
    // what escaped the group (setsid, double fork) and was re-parented to us.
    if (group_alive(child.pgid)) {
      kill_group(child.pgid, child.pid, stop_sequence);
    }
    for (const auto& escapee : kill_children([&](pid_t pid) { return pid != guard.watcher(); })) {
      err << "lockctl: warning: killed " << escapee.name << " (pid " << escapee.pid
          << "), which the command left running outside its process group\n";
    }
    guard.dismiss();
    renewer.stop();
  }
  if (!status) status = 0;

  if (result != k_exit_lease_lost) {
    try {
      const std::string released = release_lease(redis, grant.prefix, grant.token, grant.resources.front());
      if (released != "released" && !options.quiet) {
        err << "lockctl: warning: releasing " << join(grant.resources, ", ") << ": " << lease_end_reason(released)
            << "\n";
      }
    } catch (const std::exception& e) {
      err << "lockctl: warning: could not release " << join(grant.resources, ", ") << " (it expires within "
          << format_duration(grant.ttl) << "): " << e.what() << "\n";
    }
  }
  return result >= 0 ? result : exit_code_from_status(*status);
}

}  // namespace ciutils::lockctl
