// tick, daemon, enqueue, take, ack, fail, work, status, dead-letters, history.
#include "commands.h"

#include "control.h"
#include "keys.h"
#include "tasks.h"
#include "tick.h"
#include "worker.h"

#include "ciutils/control_escape.h"
#include "ciutils/error.h"
#include "ciutils/json.h"
#include "ciutils/process.h"

#include <boost/json.hpp>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <ostream>

namespace ciutils::schedule {
namespace {

std::string require(const std::string& value, const char* flag) {
  if (value.empty()) throw UsageError(std::string(flag) + " is required");
  return value;
}

void check_queue(const std::string& queue) {
  require(queue, "--queue");
  if (!valid_name(queue)) throw UsageError("--queue: '" + queue + "' must be 1-200 letters, digits, '.', '_' or '-'");
}

// Workers are one consumer per process; `take` shares one per host (its tasks are
// reclaimed by idle time, not by owner), so one-shot takes do not pile up consumers.
std::string default_consumer(const char* role) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  if (std::string_view(role) == "take") return std::string(host) + ":take";
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + role;
}

void print_decisions(CommandContext& ctx, const CommonOptions& common, const std::vector<TickDecision>& decisions) {
  for (const auto& d : decisions) {
    if (common.json) {
      ctx.out << to_json(boost::json::object{{"schedule", d.schedule},
                                             {"slot", d.slot},
                                             {"id", d.schedule + "@" + d.slot},
                                             {"decision", d.decision}})
              << "\n";
    } else if (!common.quiet) {
      ctx.out << d.schedule << "@" << d.slot << ": " << escape_control(d.decision) << "\n";
    }
  }
  ctx.out.flush();
}

}  // namespace

int cmd_tick(CommandContext& ctx) {
  CommonOptions common;
  std::string file;
  std::size_t batch = k_default_batch;
  po::options_description desc("Options");
  desc.add_options()
      ("file,f", po::value(&file), "schedule file (JSON)")
      ("now", po::value<std::string>(), "take this UTC time as now instead of Redis time (for tests)")
      ("batch", po::value(&batch), "schedules per Lua script call (default 2000)");
  add_redis_options(desc);
  add_common_options(desc, common);
  auto vm = parse_args(ctx.args, desc);
  if (show_help(common, ctx, "schedule tick -f FILE",
                "Enqueues every due slot of every schedule (and missed ones per catch_up), exactly once\n"
                "however many ticks run at once on however many hosts, then exits. Call it every minute\n"
                "from system cron, a Jenkins cron job or a GitHub `on: schedule` workflow.",
                desc))
    return 0;
  require(file, "-f/--file");
  if (batch < 1 || batch > 10000) throw UsageError("--batch: must be from 1 to 10000");
  auto list = load_schedules(file);
  auto now_flag = now_of(vm);
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  auto now = now_flag ? *now_flag : redis_now(redis);
  auto decisions = run_tick(redis, space, list, now, batch);
  print_decisions(ctx, common, decisions);
  return 0;
}

int cmd_daemon(CommandContext& ctx) {
  CommonOptions common;
  std::string file;
  po::options_description desc("Options");
  desc.add_options()("file,f", po::value(&file), "schedule file (JSON)");
  add_redis_options(desc);
  add_common_options(desc, common);
  auto vm = parse_args(ctx.args, desc);
  if (show_help(common, ctx, "schedule daemon -f FILE",
                "Runs tick whenever a slot falls due, sleeping until the next one in between. SIGHUP\n"
                "reloads the file (a file that does not validate is refused and the old one kept).\n"
                "SIGTERM/SIGINT stop it. Redis outages are retried every 5s; the next tick catches up.",
                desc))
    return 0;
  require(file, "-f/--file");
  auto list = load_schedules(file);
  auto space = space_of(vm);
  auto url = redis_url_of(vm);
  SignalWatch signals({SIGHUP, SIGTERM, SIGINT});
  std::optional<Redis> redis;
  auto log = [&](const std::string& message) {
    if (!common.quiet) ctx.err << "schedule: " << message << std::endl;
  };
  log("daemon: " + std::to_string(list.size()) + " schedules from " + file);
  while (true) {
    std::chrono::milliseconds sleep_for(5000);
    try {
      if (!redis) redis.emplace(Redis::connect(url));
      // Redis time is the clock; the local clock only measures how long to sleep.
      auto local_before = std::chrono::system_clock::now();
      auto reply = redis->command({"TIME"});
      auto server = SysTime(std::chrono::seconds(std::stoll(reply[0].string())) +
                            std::chrono::microseconds(std::stoll(reply[1].string())));
      auto skew = server - local_before;
      auto now = date::floor<std::chrono::seconds>(server);
      print_decisions(ctx, common, run_tick(*redis, space, list, now));
      std::optional<SysSeconds> next;
      for (const auto& s : list) {
        auto n = next_slot(s.timing, now);
        if (n && (!next || *n < *next)) next = n;
      }
      auto target = next ? SysTime(*next) : SysTime(now + std::chrono::hours(1));
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(target - (std::chrono::system_clock::now() + skew));
      sleep_for = std::clamp(until + std::chrono::milliseconds(5), std::chrono::milliseconds(0),
                             std::chrono::milliseconds(std::chrono::hours(1)));
    } catch (const ServiceError& e) {
      log(std::string("tick failed, retrying in 5s: ") + e.what());
      redis.reset();
    }
    pollfd p{signals.fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(sleep_for.count()));
    for (int sig : signals.read()) {
      if (sig == SIGHUP) {
        try {
          list = load_schedules(file);
          log("reloaded " + file + ": " + std::to_string(list.size()) + " schedules");
        } catch (const UsageError& e) {
          log(std::string("reload refused, keeping the previous schedules: ") + e.what());
        }
      } else {
        log("daemon: stopping");
        return sig == SIGINT ? to_int(ExitCode::interrupted) : to_int(ExitCode::terminated);
      }
    }
  }
}

int cmd_enqueue(CommandContext& ctx) {
  CommonOptions common;
  std::string queue, name = "adhoc", payload_text = "{}";
  po::options_description desc("Options");
  desc.add_options()
      ("queue", po::value(&queue), "the queue")
      ("name", po::value(&name), "schedule name for the task id and history (default adhoc)")
      ("payload", po::value(&payload_text), "task payload, a JSON object (default {})");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("payload", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule enqueue --queue Q [--name N] [PAYLOAD]",
                "Enqueues an ad-hoc task (e.g. after a deploy) and prints it. Its id is N@<now UTC>.", desc))
    return 0;
  check_queue(queue);
  if (!valid_name(name)) throw UsageError("--name: '" + name + "' must be 1-200 letters, digits, '.', '_' or '-'");
  auto payload = parse_json(payload_text, "payload");
  if (!payload.is_object()) throw UsageError("payload: must be a JSON object");
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  auto task = enqueue(redis, QueueKeys(space, queue), name, payload.as_object());
  if (!common.quiet) ctx.out << task << "\n";
  return 0;
}

int cmd_take(CommandContext& ctx) {
  CommonOptions common;
  std::string queue, wait_text = "0", visibility_text = "5m", consumer;
  po::options_description desc("Options");
  desc.add_options()
      ("queue", po::value(&queue), "the queue")
      ("wait", po::value(&wait_text), "wait up to this long for a task (default 0: do not wait)")
      ("visibility", po::value(&visibility_text),
       "how long the task stays leased without an ack before another worker reclaims it (default 5m)")
      ("consumer", po::value(&consumer), "consumer name (default host:take)");
  add_redis_options(desc);
  add_common_options(desc, common);
  auto vm = parse_args(ctx.args, desc);
  if (show_help(common, ctx, "schedule take --queue Q [--wait D]",
                "Leases one task and prints it as JSON. Finish it with `schedule ack ID` or\n"
                "`schedule fail ID`; unfinished, it is reclaimed after --visibility.",
                desc))
    return 0;
  check_queue(queue);
  auto wait = parse_duration(wait_text, "--wait");
  auto visibility = parse_duration(visibility_text, "--visibility");
  if (visibility < std::chrono::seconds(1)) throw UsageError("--visibility: must be at least 1s");
  if (consumer.empty()) consumer = default_consumer("take");
  auto space = space_of(vm);
  auto url = redis_url_of(vm);
  auto redis = Redis::connect(url);
  QueueKeys keys(space, queue);
  std::optional<Task> task;
  if (wait.count() > 0) {
    auto blocking = Redis::connect(url);
    task = take(redis, blocking, keys, consumer, visibility, wait);
  } else {
    task = take_now(redis, keys, consumer, visibility);
  }
  if (!task) {
    if (!common.quiet) ctx.err << "schedule: no task on queue " << queue << "\n";
    return to_int(ExitCode::failed);
  }
  ctx.out << to_json(task->doc) << "\n";
  return 0;
}

int cmd_ack(CommandContext& ctx) {
  CommonOptions common;
  std::string queue, id;
  po::options_description desc("Options");
  desc.add_options()
      ("id", po::value(&id), "task id")
      ("queue", po::value(&queue), "the queue (default: $TASK_QUEUE)");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("id", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule ack ID --queue Q", "Finishes a taken task.", desc)) return 0;
  queue = flag_env_default(vm, "queue", "TASK_QUEUE", "");
  check_queue(queue);
  require(id, "ID");
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  if (!ack(redis, QueueKeys(space, queue), id))
    throw Error(ExitCode::failed, "task " + id + " is not held by any worker on queue " + queue);
  return 0;
}

int cmd_fail(CommandContext& ctx) {
  CommonOptions common;
  std::string queue, id, retry_text = "10s", reason = "failed";
  int max_attempts = 3;
  po::options_description desc("Options");
  desc.add_options()
      ("id", po::value(&id), "task id")
      ("queue", po::value(&queue), "the queue (default: $TASK_QUEUE)")
      ("retry-in", po::value(&retry_text), "retry after this long (default 10s)")
      ("max-attempts", po::value(&max_attempts), "dead-letter instead once this many attempts failed (default 3)")
      ("reason", po::value(&reason), "reason recorded with a dead letter");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("id", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule fail ID --queue Q [--retry-in D] [--max-attempts N]",
                "Fails a taken task: it is retried after --retry-in as the next attempt, or moved to the\n"
                "dead letters once --max-attempts attempts have failed.",
                desc))
    return 0;
  queue = flag_env_default(vm, "queue", "TASK_QUEUE", "");
  check_queue(queue);
  require(id, "ID");
  if (max_attempts < 1) throw UsageError("--max-attempts: must be at least 1");
  auto delay = parse_duration(retry_text, "--retry-in");
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  QueueKeys keys(space, queue);
  auto task = held_task(redis, keys, id);
  if (!task) throw Error(ExitCode::failed, "task " + id + " is not held by any worker on queue " + queue);
  bool ok = task->attempt >= max_attempts
                ? dead_letter(redis, keys, id, reason + " on attempt " + std::to_string(task->attempt) + " of " +
                                                  std::to_string(max_attempts))
                : retry(redis, keys, id, delay, true);
  if (!ok) throw Error(ExitCode::failed, "task " + id + " is not held by any worker on queue " + queue);
  if (!common.quiet)
    ctx.err << "schedule: task " << id
            << (task->attempt >= max_attempts ? " moved to the dead letters"
                                              : " will be retried in " + format_duration(delay))
            << "\n";
  return 0;
}

int cmd_work(CommandContext& ctx) {
  CommonOptions common;
  WorkerOptions options;
  std::string visibility = "5m", timeout = "0", grace = "30s", kill_grace = "5s", retry_delay = "10s",
              retry_max = "10m", infra;
  auto split = std::find(ctx.args.begin(), ctx.args.end(), "--");
  std::vector<std::string> own(ctx.args.begin(), split);
  if (split != ctx.args.end()) options.command.assign(split + 1, ctx.args.end());
  po::options_description desc("Options");
  desc.add_options()
      ("queue", po::value(&options.queue), "the queue")
      ("jobs,j", po::value(&options.jobs), "tasks run at once (default 1)")
      ("max-attempts", po::value(&options.max_attempts),
       "attempts before a failing task goes to the dead letters (default 3)")
      ("visibility", po::value(&visibility),
       "a task whose worker stops heartbeating is reclaimed after this long (default 5m)")
      ("timeout", po::value(&timeout), "kill CMD's process group after this long (default 0: none)")
      ("kill-grace", po::value(&kill_grace), "SIGTERM to SIGKILL delay for a timed-out CMD (default 5s)")
      ("grace", po::value(&grace), "on SIGTERM, let running tasks finish this long before handing them back (default 30s)")
      ("retry-delay", po::value(&retry_delay), "backoff before the first retry, doubling after (default 10s)")
      ("retry-max-delay", po::value(&retry_max), "backoff cap (default 10m)")
      ("infra-exit-codes", po::value(&infra),
       "comma-separated exit codes meaning an infrastructure error: retried without counting an attempt")
      ("max-tasks", po::value(&options.max_tasks), "exit 0 after taking this many tasks")
      ("exit-when-empty", po::bool_switch(&options.exit_when_empty), "exit 0 once the queue's work is finished (no task left, none leased, no retry waiting)")
      ("consumer", po::value(&options.consumer), "consumer name (default host:pid:work)");
  add_redis_options(desc);
  add_common_options(desc, common);
  auto vm = parse_args(own, desc);
  if (show_help(common, ctx, "schedule work --queue Q [-j N] [OPTIONS] -- CMD [ARG...]",
                "Takes tasks and runs CMD once per task: the task JSON on stdin; TASK_ID, TASK_QUEUE,\n"
                "TASK_ATTEMPT, TASK_SCHEDULE, TASK_SLOT and TASK_PAYLOAD_<FIELD> in the environment.\n"
                "Exit 0 acks; other codes retry with backoff, then dead-letter. CMD runs in its own\n"
                "process group; the lease is heartbeated while it runs. CMD dies with the worker, even\n"
                "by kill -9; descendants that left its group are killed when the task ends. History\n"
                "write failures are logged and never cost a result.",
                desc))
    return 0;
  check_queue(options.queue);
  if (options.command.empty()) throw UsageError("CMD is required after --");
  if (options.jobs < 1 || options.jobs > 1024) throw UsageError("--jobs: must be from 1 to 1024");
  if (options.max_attempts < 1) throw UsageError("--max-attempts: must be at least 1");
  if (options.max_tasks < 0) throw UsageError("--max-tasks: must not be negative");
  options.visibility = parse_duration(visibility, "--visibility");
  if (options.visibility < std::chrono::seconds(1)) throw UsageError("--visibility: must be at least 1s");
  options.timeout = parse_duration(timeout, "--timeout");
  options.grace = parse_duration(grace, "--grace");
  options.kill_grace = parse_duration(kill_grace, "--kill-grace");
  options.retry_delay = parse_duration(retry_delay, "--retry-delay");
  options.retry_max_delay = parse_duration(retry_max, "--retry-max-delay");
  if (!infra.empty()) {
    std::size_t start = 0;
    while (start <= infra.size()) {
      auto comma = infra.find(',', start);
      auto item = infra.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      options.infra_exit_codes.insert(static_cast<int>(parse_integer(item, "--infra-exit-codes", 1, 255)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (options.consumer.empty()) options.consumer = default_consumer("work");
  options.quiet = common.quiet;
  options.verbose = common.verbose;
  return run_worker(options, space_of(vm), redis_url_of(vm), ctx.err);
}

int cmd_status(CommandContext& ctx) {
  CommonOptions common;
  std::string file;
  std::vector<std::string> queues;
  po::options_description desc("Options");
  desc.add_options()
      ("file,f", po::value(&file), "schedule file: report its schedules and their queues")
      ("queue", po::value(&queues)->composing(), "report this queue (repeatable)")
      ("now", po::value<std::string>(), "take this UTC time as now");
  add_redis_options(desc);
  add_common_options(desc, common);
  auto vm = parse_args(ctx.args, desc);
  if (show_help(common, ctx, "schedule status [-f FILE] [--queue Q]...",
                "Per schedule: last decided slot, next slot, lag, run in flight, pause. Per queue: length,\n"
                "pending tasks by consumer, oldest pending age, retries waiting, dead letters.",
                desc))
    return 0;
  std::vector<Schedule> list;
  if (!file.empty()) list = load_schedules(file);
  for (const auto& s : list)
    if (std::find(queues.begin(), queues.end(), s.queue) == queues.end()) queues.push_back(s.queue);
  for (const auto& q : queues) check_queue(q);
  if (queues.empty()) throw UsageError("-f/--file or --queue is required");
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  auto now = now_of(vm).value_or(redis_now(redis));
  boost::json::array schedules_json, queues_json;
  const auto pauses = list.empty() ? std::map<std::string, Pause>{} : read_pauses(redis, space, now);
  for (const auto& s : list) {
    QueueKeys keys(space, s.queue);
    auto last = redis.command({"HGET", keys.last, s.name});
    auto holder = redis.command({"GET", keys.lease(s.name)});
    auto ttl = redis.command({"PTTL", keys.lease(s.name)});
    auto next = next_slot(s.timing, now);
    auto due = latest_slots(s.timing, now - std::chrono::hours(24 * 400), now, 1);
    boost::json::object row{{"schedule", s.name}, {"queue", s.queue}};
    row["last_slot"] = last.is_nil() ? boost::json::value(nullptr)
                                     : boost::json::value(format_utc(SysSeconds(std::chrono::seconds(std::stoll(last.string()))), 0));
    row["next_slot"] = next ? boost::json::value(format_utc(*next, 0)) : boost::json::value(nullptr);
    long long lag = 0;
    if (!due.empty() && !last.is_nil() && std::stoll(last.string()) < due.back().time_since_epoch().count())
      lag = (now - due.back()).count();
    row["lag_s"] = lag;
    row["in_flight"] = holder.is_nil() ? boost::json::value(nullptr) : boost::json::value(holder.string());
    row["lease_ms"] = ttl.integer() > 0 ? ttl.integer() : 0;
    if (auto p = pauses.find(s.name); p != pauses.end()) {
      boost::json::object o{{"since", p->second.since}, {"reason", p->second.reason}};
      o["until"] = p->second.until ? boost::json::value(format_utc(*p->second.until, 0)) : boost::json::value(nullptr);
      row["paused"] = o;
    } else {
      row["paused"] = nullptr;
    }
    schedules_json.push_back(row);
  }
  for (const auto& q : queues) {
    QueueKeys keys(space, q);
    boost::json::object row{{"queue", q}};
    row["length"] = redis.command({"XLEN", keys.tasks}).integer();
    row["retrying"] = redis.command({"ZCARD", keys.delayed}).integer();
    row["dead_letters"] = redis.command({"XLEN", keys.dead}).integer();
    boost::json::object by_consumer;
    long long pending = 0, oldest_ms = 0;
    if (redis.command({"EXISTS", keys.tasks}).integer() == 1) {
      try {
        auto summary = redis.command({"XPENDING", keys.tasks, std::string(k_group)});
        pending = summary[0].integer();
        if (summary.size() > 3 && summary[3].is_array()) {
          for (std::size_t i = 0; i < summary[3].size(); ++i)
            by_consumer[summary[3][i][0].string()] = std::stoll(summary[3][i][1].string());
        }
        auto first = redis.command({"XRANGE", keys.tasks, "-", "+", "COUNT", "1"});
        if (first.size() > 0) {
          auto id = first[0][0].string();
          auto ms = std::stoll(id.substr(0, id.find('-')));
          auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
          oldest_ms = std::max(0LL, now_ms - ms);
        }
      } catch (const RedisReplyError&) {
      }
    }
    row["pending"] = pending;
    row["pending_by_consumer"] = by_consumer;
    row["oldest_age_s"] = oldest_ms / 1000;
    queues_json.push_back(row);
  }
  if (common.json) {
    ctx.out << to_json(boost::json::object{{"schedules", schedules_json}, {"queues", queues_json}}) << "\n";
    return 0;
  }
  if (!schedules_json.empty()) {
    ctx.out << "SCHEDULE\tQUEUE\tLAST SLOT\tNEXT SLOT\tLAG\tIN FLIGHT\tPAUSED\n";
    for (const auto& v : schedules_json) {
      const auto& o = v.as_object();
      auto str = [&](const char* k) {
        return o.at(k).is_null() ? std::string("-") : escape_control(o.at(k).as_string());
      };
      ctx.out << str("schedule") << "\t" << str("queue") << "\t" << str("last_slot") << "\t" << str("next_slot") << "\t"
              << o.at("lag_s").as_int64() << "s\t" << str("in_flight") << "\t";
      if (o.at("paused").is_null()) {
        ctx.out << "-\n";
      } else {
        const auto& p = o.at("paused").as_object();
        ctx.out << "since " << std::string(p.at("since").as_string());
        if (!p.at("until").is_null()) ctx.out << " until " << std::string(p.at("until").as_string());
        if (!p.at("reason").as_string().empty()) ctx.out << " (" << escape_control(p.at("reason").as_string()) << ")";
        ctx.out << "\n";
      }
    }
  }
  ctx.out << "QUEUE\tLENGTH\tPENDING\tOLDEST\tRETRYING\tDEAD\tCONSUMERS\n";
  for (const auto& v : queues_json) {
    const auto& o = v.as_object();
    std::string consumers;
    for (const auto& c : o.at("pending_by_consumer").as_object())
      consumers += (consumers.empty() ? "" : ",") + escape_control(c.key()) + "=" + std::to_string(c.value().as_int64());
    ctx.out << std::string(o.at("queue").as_string()) << "\t" << o.at("length").as_int64() << "\t" << o.at("pending").as_int64()
            << "\t" << o.at("oldest_age_s").as_int64() << "s\t" << o.at("retrying").as_int64() << "\t"
            << o.at("dead_letters").as_int64() << "\t" << (consumers.empty() ? "-" : consumers) << "\n";
  }
  return 0;
}

int cmd_dead_letters(CommandContext& ctx) {
  CommonOptions common;
  std::string queue;
  bool requeue = false;
  std::size_t limit = 100;
  po::options_description desc("Options");
  desc.add_options()
      ("queue", po::value(&queue), "the queue")
      ("requeue", po::bool_switch(&requeue), "move every dead letter back onto the queue as attempt 1")
      ("limit", po::value(&limit), "list at most this many (default 100)");
  add_redis_options(desc);
  add_common_options(desc, common);
  auto vm = parse_args(ctx.args, desc);
  if (show_help(common, ctx, "schedule dead-letters --queue Q [--requeue]",
                "Lists the tasks that failed --max-attempts times, with the reason; --requeue puts them\n"
                "back onto the queue.",
                desc))
    return 0;
  check_queue(queue);
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  QueueKeys keys(space, queue);
  if (requeue) {
    auto n = requeue_dead_letters(redis, keys);
    if (!common.quiet) ctx.err << "schedule: requeued " << n << " dead letter" << (n == 1 ? "" : "s") << "\n";
    return 0;
  }
  for (const auto& d : dead_letters(redis, keys, limit)) {
    if (common.json) {
      boost::json::value task = boost::json::string(d.task);
      try {
        task = parse_json(d.task, "dead letter");
      } catch (const UsageError&) {
      }
      ctx.out << to_json(boost::json::object{{"task", task}, {"reason", d.reason}, {"at", d.at}}) << "\n";
    } else {
      std::string id = d.entry;
      try {
        auto t = parse_json(d.task, "dead letter");
        if (t.is_object() && t.as_object().contains("id")) id = std::string(t.as_object().at("id").as_string());
      } catch (const std::exception&) {
      }
      ctx.out << d.at << "\t" << escape_control(id) << "\t" << escape_control(d.reason) << "\n";
    }
  }
  return 0;
}

int cmd_history(CommandContext& ctx) {
  CommonOptions common;
  std::string name;
  std::size_t limit = 20;
  po::options_description desc("Options");
  desc.add_options()
      ("name", po::value(&name), "the schedule")
      ("limit", po::value(&limit), "the last this many runs (default 20)");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("name", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule history NAME [--limit N]",
                "Finished runs of a schedule, oldest first: id, slot, enqueued, started, ended, worker,\n"
                "exit, attempts, status (a capped stream of the last ~1000).",
                desc))
    return 0;
  require(name, "NAME");
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  auto rows = read_history(redis, space, name, limit);
  for (const auto& row : rows) {
    if (common.json) {
      boost::json::object o;
      for (const auto& [k, v] : row) o[k] = v;
      ctx.out << to_json(o) << "\n";
    } else {
      std::string line;
      for (const auto& [k, v] : row) {
        if (k == "id" || k == "status" || k == "exit" || k == "attempts" || k == "started" || k == "ended" ||
            k == "worker")
          line += (line.empty() ? "" : "  ") + k + "=" + (v.empty() ? "-" : escape_control(v));
      }
      ctx.out << line << "\n";
    }
  }
  return 0;
}

}  // namespace ciutils::schedule
