#include "record.h"

#include "ciutils/timestamp.h"

#include <boost/json.hpp>

#include <cmath>
#include <cstdio>

namespace ciutils::prun {

const char* status_name(Status status) {
  switch (status) {
    case Status::passed: return "passed";
    case Status::failed: return "failed";
    case Status::error: return "error";
    case Status::timeout: return "timeout";
    case Status::skipped: return "skipped";
    case Status::flaky: return "flaky";
  }
  return "error";
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  auto cont = [&](std::size_t k) {
    return k < text.size() && (static_cast<unsigned char>(text[k]) & 0xC0) == 0x80;
  };
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool ok = len > 0;
    for (std::size_t k = 1; ok && k < len; ++k) ok = cont(i + k);
    if (ok && len == 3) {
      auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (ok && len == 4) {
      auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

boost::json::object make_record(const Job& job, const std::string& command, const Outcome& outcome,
                                const RunInfo& run) {
  boost::json::object r;
  r["name"] = sanitize_utf8(job.name);
  r["classname"] = sanitize_utf8(job.classname);
  r["status"] = status_name(outcome.status);
  if (outcome.exit_code) {
    r["exit_code"] = *outcome.exit_code;
  } else {
    r["exit_code"] = nullptr;
  }
  if (outcome.signal) {
    r["signal"] = *outcome.signal;
  } else {
    r["signal"] = nullptr;
  }
  r["timed_out"] = outcome.timed_out;
  if (outcome.attempts > 0) {
    r["started_at"] = format_utc(outcome.started_at, 3);
  } else {
    r["started_at"] = nullptr;
  }
  r["duration_s"] = std::round(outcome.duration_s * 1000.0) / 1000.0;
  r["attempts"] = outcome.attempts;
  if (outcome.slot >= 0) {
    r["slot"] = outcome.slot;
  } else {
    r["slot"] = nullptr;
  }
  r["host"] = run.host;
  r["run_id"] = run.run_id;
  r["command"] = sanitize_utf8(command);
  r["message"] = sanitize_utf8(outcome.message);
  r["stdout_tail"] = sanitize_utf8(outcome.stdout_tail);
  r["stderr_tail"] = sanitize_utf8(outcome.stderr_tail);
  if (outcome.log.empty()) {
    r["log"] = nullptr;
  } else {
    r["log"] = outcome.log;
  }
  return r;
}

std::string joblog_header() {
  return "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";
}

std::string joblog_line(const Job& job, const std::string& command, const Outcome& outcome,
                        const RunInfo&, std::size_t received) {
  double start = std::chrono::duration<double>(outcome.started_at.time_since_epoch()).count();
  // As GNU parallel: -1 for a job it killed at its timeout, 0 for one ended by a signal.
  int exitval = outcome.timed_out ? -1 : outcome.signal ? 0 : outcome.exit_code.value_or(0);
  char head[160];
  std::snprintf(head, sizeof head, "%zu\t:\t%.3f\t%.3f\t0\t%zu\t%d\t%d\t", job.number, start,
                outcome.duration_s, received, exitval, outcome.signal.value_or(0));
  std::string line = head;
  for (char c : command) line += (c == '\n' || c == '\t') ? ' ' : c;
  line += '\n';
  return line;
}

}  // namespace ciutils::prun
