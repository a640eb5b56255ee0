#include "ciutils/exit_codes.h"

#include "ciutils/error.h"
#include "ciutils/text_wrap.h"

namespace ciutils {

namespace {

constexpr ExitCodeRow k_rows[] = {
    {"", "0", "success (\"nothing to do\" is success too)"},
    {"", "1", "what was run or checked failed: a test, a job, a verification"},
    {"", "2", "usage error or invalid input; the one-line message names the flag, file, line or field"},
    {"", "3", "a service was unreachable or refused after retries (Redis, HTTP, SMTP)"},
    {"", "4", "refused for integrity or safety (checksum mismatch, unsafe archive entry, budget exceeded); "
              "nothing was published"},
    {"", "75", "lock not acquired within `--wait` (lockctl; `--conflict-exit-code` changes it, as `flock -E` does)"},
    {"", "124", "a child timed out and was killed"},
    {"", "125", "the tool itself failed while running a child (an unexpected internal error)"},
    {"", "126 / 127", "a child could not be executed / was not found"},
    {"", "128+N", "a child was killed by signal N; 130 / 143 when the tool itself was interrupted (SIGINT) / "
                  "terminated (SIGTERM)"},
    {"", "child's own", "`lockctl run` and `schedule work` pass the child's exit code through"},
    {"lockctl", "74", "`run`: the lease was lost (force-released, or Redis unreachable past its expiry); the "
                      "command's process group was stopped"},
    {"lockctl", "124", "`run`: `--max-hold` passed; the command's process group was stopped"},
    {"lockctl", "1", "`release`/`renew` refused: the lease expired, was force-released, or is held by someone else "
                     "(releasing a lease already released is 0)"},
    {"lockctl", "129 / 130 / 143", "SIGHUP / SIGINT / SIGTERM while waiting for a lease: the wait was withdrawn"},
    {"fetch", "130 / 143", "interrupted (SIGINT) / terminated (SIGTERM); nothing was published"},
    {"prun", "129", "cancelled by SIGHUP (130 SIGINT, 143 SIGTERM)"},
    {"prun", "124", "`queue wait`: `--timeout` passed before every job was recorded"},
    {"schedule", "1", "`take`: no task within `--wait`; `ack`/`fail`: no worker holds the task"},
    {"schedule", "130 / 143", "`work`, `daemon`: interrupted / terminated (`work` hands back unfinished tasks)"},
    {"report", "1", "`--fail-on-failure` was given and a test failed, errored or timed out"},
    {"report", "130 / 143", "`serve`: stopped by SIGINT / SIGTERM, after answering the requests in flight"},
};

}  // namespace

std::span<const ExitCodeRow> exit_code_table() { return k_rows; }

std::string exit_status_text(std::string_view tool, std::span<const std::string_view> shared) {
  std::string out = "Exit status:\n";
  for (std::string_view code : shared) {
    bool found = false;
    for (const auto& row : k_rows) {
      if (row.tool.empty() && row.code == code) {
        out += wrap_entry(row.code, row.meaning, 14);
        found = true;
      }
    }
    if (!found) throw std::logic_error("exit code '" + std::string(code) + "' is not in the table");
  }
  for (const auto& row : k_rows) {
    if (row.tool == tool) out += wrap_entry(row.code, row.meaning, 14);
  }
  return out;
}

}  // namespace ciutils
