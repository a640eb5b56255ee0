#include "queue_command.h"

#include "job_input.h"
#include "job_order.h"
#include "output.h"
#include "plan.h"
#include "prun.h"
#include "queue_store.h"
#include "queue_worker.h"

#include "ciutils/error.h"
#include "ciutils/json.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>
#include <boost/program_options/parsers.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

namespace ciutils::prun {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds k_default_ttl{24 * 3600 * 1000};
constexpr milliseconds k_default_lease{30000};

struct QueueOptions {
  std::string queue;
  std::string run_id;
  std::optional<RedisUrl> url;  // --redis, else $REDIS_URL
  std::string ns;
  std::vector<std::string> arg_files;
  std::string plan_file;
  std::string timings;
  std::string ttl;
  std::string lease;
  std::string max_crashes;
  std::string fallback;
  std::string timeout;
  bool exit_when_drained = false;
  bool no_exit_when_drained = false;
  bool append = false;
  std::string wait;
  CommonOptions common;
};

// A verb's flags as parsed; what the verb does not declare stays empty.
QueueOptions queue_options(const Invocation& inv) {
  QueueOptions q;
  q.queue = inv.flag("queue").value_or("");
  q.run_id = inv.flag("run-id").value_or("");
  q.ns = inv.flag("namespace").value_or("");
  q.arg_files = inv.value_or("arg-file", std::vector<std::string>());
  q.plan_file = inv.flag("plan").value_or("");
  q.timings = inv.flag("timings").value_or("");
  q.ttl = inv.flag("ttl").value_or("");
  q.lease = inv.flag("lease-timeout").value_or("");
  q.max_crashes = inv.flag("max-crashes").value_or("");
  q.fallback = inv.flag("fallback").value_or("");
  q.exit_when_drained = inv.value_or("exit-when-drained", false);
  q.no_exit_when_drained = inv.value_or("no-exit-when-drained", false);
  q.append = inv.value_or("append", false);
  q.wait = inv.flag("wait").value_or("");
  q.common = inv.common;
  q.url = inv.redis_url();
  return q;
}

void add_run_id_flags(po::options_description& desc) {
  desc.add_options()
      ("queue", po::value<std::string>()->value_name("Q"), "the queue (shared by the runs of one suite)")
      ("run-id", po::value<std::string>()->value_name("ID"), "the run: the same on every node of one CI run");
}

void add_job_list_flags(po::options_description& desc) {
  desc.add_options()
      ("arg-file,a", po::value<std::vector<std::string>>()->composing()->value_name("FILE"), "the job list, one job a line (default: stdin for push)")
      ("plan,f", po::value<std::string>()->value_name("FILE"), "a plan file: its steps' jobs, run in step order, each as prun runs it")
      ("timings", po::value<std::string>()->value_name("FILE"), "a previous results file: longest-known jobs first")
      ("ttl", po::value<std::string>()->value_name("D"), "the run's keys expire after D (default 24h)")
      ("fallback", po::value<std::string>()->value_name("shard:K/N"),
       "Redis unreachable at start: run this node's static share (prun --shard K/N) of the -a list");
}

// The job list as prun's one streamed input source.
InputSource list_source(const std::string& path) {
  InputSource source;
  source.path = path;
  source.is_file = true;
  source.flag = "--arg-file";
  return source;
}

void check_run(const QueueOptions& q) {
  if (!q.plan_file.empty() && !q.arg_files.empty()) throw UsageError("--plan and --arg-file exclude each other");
  if (!q.plan_file.empty() && q.append) throw UsageError("--append: a plan is one whole run; --append adds job lists");
  if (q.arg_files.size() > 1) throw UsageError("--arg-file: one job list per run (given " + std::to_string(q.arg_files.size()) + " times)");
  if (q.queue.empty()) throw UsageError("--queue: required");
  if (q.run_id.empty()) throw UsageError("--run-id: required");
  validate_queue_name(q.queue, "--queue");
  validate_queue_name(q.run_id, "--run-id");
  KeySpace::checked(q.ns.empty() ? std::nullopt : std::optional(q.ns));  // before any connection
}

RedisUrl url_of(const QueueOptions& q) {
  return *q.url;
}

QueueKeys keys_of(const QueueOptions& q) {
  return QueueKeys(KeySpace::checked(q.ns.empty() ? std::nullopt : std::optional(q.ns)), q.queue, q.run_id);
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
  return buffer;
}

std::string jobs_text(long long n) { return std::to_string(n) + (n == 1 ? " job" : " jobs"); }

std::string run_name(const QueueOptions& q) { return "run " + q.run_id + " of queue " + q.queue; }

UsageError no_such_run(const QueueOptions& q) { return UsageError("no " + run_name(q) + " (never pushed, or expired)"); }

void note(const QueueOptions& q, const std::string& line) {
  if (!q.common.quiet) std::cerr << "prun: " << line << "\n";
}

// The job list as push loads it: prun's parsing of job lines, longest-known first, each
// with its expected duration; the digest names the list in input order.
struct JobList {
  std::vector<PushedJob> jobs;
  std::string digest;
  std::string plan_text;  // a plan's, else empty
};

// A plan's jobs: every step's, in step order (a jobs step's longest-known first); the
// digest names the plan's text.
JobList read_plan_jobs(const QueueOptions& q, std::string& text) {
  if (std::filesystem::is_directory(q.plan_file)) throw UsageError("--plan: " + q.plan_file + ": is a directory");
  text = read_text_file(q.plan_file);
  Plan plan = parse_plan(text, q.plan_file);
  Timings timings;
  if (!q.timings.empty()) timings = read_timings(q.timings);
  double known = 0;
  for (const auto& [name, seconds] : timings) known += seconds;
  double unknown = timings.empty() ? 1.0 : known / static_cast<double>(timings.size());
  JobList list;
  list.digest = sha1_hex("plan\n" + text);
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& step = plan.steps[i];
    std::vector<Job> jobs;
    for (std::size_t k = 0; k < step.commands.size(); ++k) {
      Job job;
      job.name = step.commands[k].name;
      job.command = step.commands[k].command;
      job.fixed_slot = step.kind == PlanStep::Kind::list ? static_cast<int>(k) : -1;
      jobs.push_back(std::move(job));
    }
    if (step.kind == PlanStep::Kind::jobs) order_by_timings(jobs, timings);
    for (auto& job : jobs) {
      auto it = timings.find(job.name);
      PushedJob pushed;
      pushed.line = std::move(job.command);
      pushed.estimate_s = it != timings.end() ? it->second : unknown;
      pushed.timed = it != timings.end();
      pushed.step = static_cast<int>(i);
      pushed.name = std::move(job.name);
      pushed.classname = step.name;
      pushed.slot = job.fixed_slot;
      list.jobs.push_back(std::move(pushed));
    }
  }
  return list;
}

JobList read_job_list(const QueueOptions& q) {
  JobInput input(q.arg_files.empty() ? std::string() : q.arg_files.front(), false);
  std::deque<Job> read;
  input.read_all(read);
  std::vector<Job> jobs(std::make_move_iterator(read.begin()), std::make_move_iterator(read.end()));
  JobList list;
  std::string all;
  for (const auto& job : jobs) {
    all += job.name;
    all += '\n';
  }
  list.digest = sha1_hex(all);
  Timings timings;
  if (!q.timings.empty()) timings = read_timings(q.timings);
  order_by_timings(jobs, timings);
  double known = 0;
  std::size_t n_known = 0;
  for (const auto& job : jobs) {
    if (auto it = timings.find(job.name); it != timings.end()) {
      known += it->second;
      ++n_known;
    }
  }
  double unknown = n_known > 0 ? known / static_cast<double>(n_known) : 1.0;
  for (auto& job : jobs) {
    auto it = timings.find(job.name);
    PushedJob pushed;
    pushed.estimate_s = it != timings.end() ? it->second : unknown;
    pushed.timed = it != timings.end();
    pushed.line = std::move(job.name);
    list.jobs.push_back(std::move(pushed));
  }
  return list;
}

JobList read_list(const QueueOptions& q) {
  if (q.plan_file.empty()) return read_job_list(q);
  std::string text;
  JobList list = read_plan_jobs(q, text);
  list.plan_text = std::move(text);
  return list;
}

// Pushes the list; exit 2 for a different list under the same run id.
int push_list(Redis& redis, const QueueOptions& q, const JobList& list) {
  milliseconds ttl = q.ttl.empty() ? k_default_ttl : parse_duration(q.ttl, "--ttl");
  if (ttl.count() <= 0) throw UsageError("--ttl: must be more than 0");
  auto result = push_run(redis, keys_of(q), list.digest, list.jobs, ttl, host_name() + ":" + std::to_string(::getpid()),
                         q.append, list.plan_text);
  if (result.outcome == PushOutcome::different) {
    throw UsageError(run_name(q) + " was loaded with a different job list (" + jobs_text(result.total) +
                     "); a new list needs a new --run-id");
  }
  if (result.outcome == PushOutcome::sealed) {
    throw UsageError(run_name(q) + " is sealed (" + jobs_text(result.total) + "); no list can be added to it");
  }
  if (result.outcome == PushOutcome::open) {
    throw UsageError(run_name(q) + " is open (" + jobs_text(result.total) +
                     " so far): add lists with --append, close it with prun queue seal");
  }
  if (q.common.json) {
    boost::json::object o;
    o["queue"] = q.queue;
    o["run_id"] = q.run_id;
    o["jobs"] = result.total;
    o["loaded"] = result.outcome == PushOutcome::loaded;
    std::cout << to_json(o) << "\n";
  }
  if (result.outcome == PushOutcome::loaded && q.append) {
    note(q, "added " + jobs_text(static_cast<long long>(list.jobs.size())) + " to " + run_name(q) + " (" +
                jobs_text(result.total) + " in all; open until prun queue seal)");
  } else if (result.outcome == PushOutcome::loaded) {
    note(q, "loaded " + jobs_text(result.total) + " into " + run_name(q) + " (expires in " +
                format_duration(ttl) + ")");
  } else if (q.append) {
    note(q, "this list is already in " + run_name(q) + " (" + jobs_text(result.total) + " in all)");
  } else {
    note(q, run_name(q) + " is already loaded (" + jobs_text(result.total) + ")");
  }
  return 0;
}

// Redis unreachable (not refusing: a wrong password is no outage to fall back from).
bool unreachable(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const RedisRefusedError&) {
    return false;
  } catch (const ServiceError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

int queue_push(Invocation& inv) {
  QueueOptions q = queue_options(inv);
  check_run(q);
  if (!q.fallback.empty()) parse_fallback(q.fallback);
  JobList list = read_list(q);
  auto url = url_of(q);
  try {
    auto redis = Redis::connect(url);
    return push_list(redis, q, list);
  } catch (...) {
    if (q.fallback.empty() || !unreachable(std::current_exception())) throw;
    try {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "prun: WARNING: " << e.what() << "; nothing pushed: the workers fall back to their static share (--fallback "
                << q.fallback << ")\n";
    }
    return 0;
  }
}

int queue_work(Invocation& inv) {
  QueueOptions q = queue_options(inv);
  check_run(q);
  po::variables_map run_flags = inv.vm;  // the job list is the queue's, not a local input source
  for (const char* flag : {"arg-file", "plan", "timings"}) run_flags.erase(flag);
  Options o = options_from(run_flags, inv.common);
  if (o.shard) throw UsageError("--shard: a queue worker takes what is left; --fallback shard:K/N is the static split");
  if (o.resume != Options::Resume::none) throw UsageError("--resume, --resume-failed and --retry-failed work on local runs only");
  if (!o.plan_file.empty()) throw UsageError("--plan: a queue holds job lines (push them with -a)");
  if (!o.sources.empty()) throw UsageError("':::' and '::::': a queue worker's items come from the queue");
  if (o.input_format.delimiter != "\n" || o.input_format.per_job != 1 || o.input_format.skip_empty ||
      o.context_replace || o.link) {
    throw UsageError("-d, -0, -N, -X, --link and --skip-empty: a queue worker takes the pushed lines one job each");
  }
  if (o.dry_run) throw UsageError("--dry-run: see the run with prun queue status");
  if (!o.run_id.empty() && o.run_id != q.run_id) throw UsageError("--run-id given twice");
  Worker worker;
  worker.host = host_name();
  worker.id = worker.host + ":" + std::to_string(::getpid()) + ":" + random_token().substr(5, 6);
  if (!q.lease.empty()) {
    worker.lease = parse_duration(q.lease, "--lease-timeout");
    if (worker.lease < milliseconds(100)) throw UsageError("--lease-timeout: at least 100ms");
  } else {
    worker.lease = k_default_lease;
  }
  QueueFeed::Waiting waiting;
  if (q.exit_when_drained && q.no_exit_when_drained) {
    throw UsageError("--exit-when-drained and --no-exit-when-drained: choose one");
  }
  waiting.keep_waiting = q.no_exit_when_drained;
  if (!q.wait.empty()) waiting.limit = parse_duration(q.wait, "--wait");
  waiting.for_push = waiting.keep_waiting || waiting.limit;
  if (!q.max_crashes.empty()) worker.max_crashes = static_cast<int>(parse_integer(q.max_crashes, "--max-crashes", 1, 1000));
  std::optional<Shard> fallback;
  if (!q.fallback.empty()) {
    fallback = parse_fallback(q.fallback);
    if (!q.plan_file.empty()) throw UsageError("--fallback: a plan's steps run in order across the workers; there is no static share of a plan");
    if (q.arg_files.empty()) throw UsageError("--fallback needs the job list: -a FILE (the list push loads)");
  }
  std::optional<JobList> list;
  if (!q.arg_files.empty() || !q.plan_file.empty()) list = read_list(q);
  o.run_id = q.run_id;

  auto url = url_of(q);
  auto feed = std::make_unique<QueueFeed>(url, keys_of(q), worker, o.jobs, waiting);
  try {
    if (list) {
      auto redis = Redis::connect(url);
      QueueOptions quiet = q;
      quiet.common.quiet = o.common.quiet;
      quiet.common.json = false;
      quiet.append = false;
      push_list(redis, quiet, *list);
    }
    feed->start();
  } catch (...) {
    if (!fallback || !unreachable(std::current_exception())) throw;
    feed.reset();
    try {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "prun: WARNING: " << e.what() << "\nprun: WARNING: running this node's static share instead: --shard "
                << fallback->index << "/" << fallback->total << " of the job list (--fallback)\n";
    }
    o.arg_files = q.arg_files;
    o.sources = {list_source(q.arg_files.front())};
    o.timings_file = q.timings;
    o.shard = fallback;
    return execute(std::move(o));
  }
  RunHooks hooks;
  hooks.on_record = [&feed](const Job& job, const boost::json::object& record, bool cancelled) {
    feed->on_record(job, record, cancelled);
  };
  if (!feed->plan_text().empty()) {
    if (!o.command_template.empty()) throw UsageError("-- TEMPLATE: " + run_name(q) + " holds a plan; its steps say what runs");
    hooks.plan = parse_plan(feed->plan_text(), "the plan of " + run_name(q));
    hooks.step_input = [&feed](std::size_t step, int slots) { return feed->step_input(step, slots); };
  } else {
    o.arg_files = {feed->input_path()};
    o.sources = {list_source(feed->input_path())};
  }
  bool quiet = o.common.quiet;
  int code = execute(std::move(o), hooks);
  auto summary = feed->finish();
  if (!quiet) {
    for (const auto& line : summary.notes) std::cerr << "prun: " << line << "\n";
  }
  if (!summary.error.empty()) {
    std::cerr << "prun: error: " << summary.error << " (results of this worker since then are only local; its "
              << "leased jobs return to the queue when their leases expire)\n";
    return to_int(ExitCode::unavailable);
  }
  return code;
}

namespace {

std::string progress_line(const RunStatus& s, std::optional<milliseconds> eta) {
  long long bad = s.count("failed") + s.count("timeout") + s.count("error");
  std::string line = "prun: " + std::to_string(s.done) + "/" + std::to_string(s.total) + " done";
  if (bad > 0) line += ", " + std::to_string(bad) + " failed";
  line += ", " + std::to_string(s.leased) + " running, " + std::to_string(s.queued) + " queued";
  if (eta) line += ", ETA " + format_duration(*eta);
  if (!s.sealed) line += " (open: more lists may come)";
  return line + "\n";
}

}  // namespace

int queue_wait(Invocation& inv) {
  QueueOptions q = queue_options(inv);
  q.timeout = inv.flag("timeout").value_or("");
  check_run(q);
  std::optional<Clock::time_point> deadline;
  if (!q.timeout.empty()) deadline = Clock::now() + parse_duration(q.timeout, "--timeout");
  auto keys = keys_of(q);
  auto url = url_of(q);
  auto redis = Redis::connect(url);
  auto blocking = Redis::connect(url);
  blocking.set_command_timeout(milliseconds(11000));
  auto started = Clock::now();
  std::optional<double> done_s_at_start;
  Clock::time_point last_print{};
  long long last_done = -1;
  std::string last_id;
  bool tty = ::isatty(2) == 1;
  while (true) {
    auto s = read_status(redis, keys);
    auto now = Clock::now();
    if (s) {
      if (!done_s_at_start) done_s_at_start = s->done_estimate_s;
      std::optional<milliseconds> eta;
      double rate_done = s->done_estimate_s - *done_s_at_start;
      if (rate_done > 0 && s->done < s->total) {
        double elapsed = std::chrono::duration<double>(now - started).count();
        eta = milliseconds(static_cast<long long>((s->estimate_s - s->done_estimate_s) * elapsed / rate_done * 1000));
      }
      bool changed = s->done != last_done;
      if (!q.common.quiet && (s->finished() || (changed && now - last_print >= (tty ? milliseconds(1000) : milliseconds(10000))))) {
        std::cerr << progress_line(*s, eta);
        last_print = now;
      }
      last_done = s->done;
      if (s->finished()) {
        long long bad = s->count("failed") + s->count("timeout") + s->count("error");
        if (q.common.json) {
          boost::json::object o;
          o["queue"] = q.queue;
          o["run_id"] = q.run_id;
          o["total"] = s->total;
          o["failed"] = bad;
          o["passed"] = bad == 0;
          std::cout << to_json(o) << "\n";
        }
        return bad == 0 ? 0 : 1;
      }
    }
    milliseconds block(1000);
    if (deadline) {
      if (now >= *deadline) {
        std::cerr << "prun: error: timed out waiting for " << run_name(q) << ": "
                  << (s ? std::to_string(s->done) + "/" + std::to_string(s->total) + " done" : "never pushed") << "\n";
        return to_int(ExitCode::timeout);
      }
      block = std::min(block, std::chrono::ceil<milliseconds>(*deadline - now));
    }
    if (last_id.empty()) {
      auto last = redis.command({"XREVRANGE", keys.results(), "+", "-", "COUNT", "1"});
      last_id = last.size() > 0 ? last[0][0].string() : "0-0";
    }
    // Wakes as soon as a record lands (or after the block, for expired leases and the deadline).
    auto got = blocking.command({"XREAD", "COUNT", "1000", "BLOCK", std::to_string(std::max<long long>(block.count(), 1)),
                                 "STREAMS", keys.results(), last_id});
    if (!got.is_nil() && got.size() > 0) {
      auto entries = got[0][1];
      if (entries.size() > 0) last_id = entries[entries.size() - 1][0].string();
    }
  }
}

int queue_seal(Invocation& inv) {
  QueueOptions q = queue_options(inv);
  check_run(q);
  auto redis = Redis::connect(url_of(q));
  auto sealed = seal_run(redis, keys_of(q));
  if (!sealed) throw no_such_run(q);
  note(q, sealed->sealed_now ? "sealed " + run_name(q) + " with " + jobs_text(sealed->total)
                             : run_name(q) + " was already sealed (" + jobs_text(sealed->total) + ")");
  return 0;
}

int queue_results(Invocation& inv) {
  QueueOptions q = queue_options(inv);
  check_run(q);
  auto keys = keys_of(q);
  auto redis = Redis::connect(url_of(q));
  if (!read_status(redis, keys)) throw no_such_run(q);
  std::string after = "0";
  while (true) {
    auto records = read_results(redis, keys.results(), after, 1000);
    if (records.empty()) break;
    std::string out;
    for (const auto& r : records) {
      out += r;
      out += '\n';
    }
    write_all(1, out);
  }
  return 0;
}

int queue_status(Invocation& inv) {
  QueueOptions q = queue_options(inv);
  check_run(q);
  auto redis = Redis::connect(url_of(q));
  auto s = read_status(redis, keys_of(q));
  if (!s) throw no_such_run(q);
  static constexpr const char* k_statuses[] = {"passed", "flaky", "failed", "timeout", "error", "skipped"};
  if (q.common.json) {
    boost::json::object o;
    o["queue"] = q.queue;
    o["run_id"] = q.run_id;
    o["total"] = s->total;
    o["queued"] = s->queued;
    o["leased"] = s->leased;
    o["done"] = s->done;
    o["sealed"] = s->sealed;
    for (const char* status : k_statuses) o[status] = s->count(status);
    o["quarantined"] = s->count("quarantined");
    o["duplicates"] = s->duplicates;
    o["expires_at"] = format_utc(SysTime(milliseconds(s->expires_ms)));
    boost::json::array by;
    for (const auto& h : s->leased_by) by.push_back(boost::json::object{{"worker", h.worker}, {"host", h.host}, {"jobs", h.jobs}});
    o["leased_by"] = std::move(by);
    std::cout << to_json(o) << "\n";
    return 0;
  }
  std::string out = run_name(q) + (s->sealed ? "" : " (open)") + ": " + jobs_text(s->total) + ", " + std::to_string(s->done) + " done";
  std::string parts;
  for (const char* status : k_statuses) {
    if (long long n = s->count(status); n > 0) parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + status;
  }
  if (!parts.empty()) out += " (" + parts + ")";
  out += ", " + std::to_string(s->leased) + " leased, " + std::to_string(s->queued) + " queued; " +
         std::to_string(s->count("quarantined")) + " quarantined, " + std::to_string(s->duplicates) + " duplicates\n";
  for (const auto& h : s->leased_by) out += "  leased by " + h.worker + ": " + std::to_string(h.jobs) + "\n";
  std::cout << out;
  return 0;
}

void queue_push_options(po::options_description& desc) {
  add_run_id_flags(desc);
  add_job_list_flags(desc);
  desc.add_options()("append", po::bool_switch(), "add this list to the run, which stays open for more until prun queue seal");
}

void queue_work_options(po::options_description& desc) {
  add_run_id_flags(desc);
  add_job_list_flags(desc);
  desc.add_options()
      ("lease-timeout", po::value<std::string>()->value_name("D"), "a silent worker's jobs return to the queue after D (default 30s)")
      ("max-crashes", po::value<std::string>()->value_name("N"), "quarantine a job whose worker was lost N times (default 2)")
      ("exit-when-drained", po::bool_switch(), "end once nothing is queued or leased (the default)")
      ("no-exit-when-drained", po::bool_switch(), "wait for the run to be pushed, and for more jobs until it is sealed and done")
      ("wait", po::value<std::string>()->value_name("D"),
       "with nothing to run, wait at most D: for the push, and for more jobs of an open run");
  add_run_flags(desc);
}

void queue_wait_options(po::options_description& desc) {
  add_run_id_flags(desc);
  desc.add_options()("timeout", po::value<std::string>()->value_name("D"), "give up after D (exit 124)");
}

void queue_run_options(po::options_description& desc) { add_run_id_flags(desc); }

Shard parse_fallback(std::string_view text) {
  std::string_view prefix = "shard:";
  auto slash = text.find('/');
  if (!text.starts_with(prefix) || slash == std::string_view::npos) {
    throw UsageError("--fallback: invalid value '" + std::string(text) + "' (expected shard:K/N)");
  }
  Shard shard;
  shard.total = static_cast<int>(parse_integer(text.substr(slash + 1), "--fallback", 1, 100000));
  shard.index = static_cast<int>(parse_integer(text.substr(prefix.size(), slash - prefix.size()), "--fallback", 1, 100000));
  if (shard.index > shard.total) {
    throw UsageError("--fallback: shard " + std::to_string(shard.index) + " is beyond the total " +
                     std::to_string(shard.total) + " (K is 1-based)");
  }
  return shard;
}

}  // namespace ciutils::prun
