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
  if (value.empty()) throw UsageError(std::string(flag) + ": required");
  return value;
}

void check_queue(const std::string& queue) {
  require(queue, "--queue");
  if (!valid_name(queue)) throw UsageError("--queue: '" + queue + "' must be 1-200 letters, digits, '.', '_' or '-'");
}

// --min-replicas N, checked before anything is written.
int min_replicas_of(Invocation& inv) {
  const int n = inv.value_or<int>("min-replicas", 0);
  if (n < 0 || n > 100) throw UsageError("--min-replicas: " + std::to_string(n) + " is out of range 0..100");
  if (n > 0 && !inv.redis_url().cluster.empty()) {
    throw UsageError("--min-replicas: not supported on a Redis Cluster URL (each master has its own replicas)");
  }
  return n;
}

// Workers are one consumer per process; `take` shares one per host (its tasks are
// reclaimed by idle time, not by owner), so one-shot takes do not pile up consumers.
std::string default_consumer(const char* role) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  if (std::string_view(role) == "take") return std::string(host) + ":take";
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + role;
}

void print_decisions(Invocation& inv, const std::vector<TickDecision>& decisions) {
  for (const auto& d : decisions) {
    if (inv.common.json) {
      inv.out << to_json(boost::json::object{{"schedule", d.schedule},
                                             {"slot", d.slot},
                                             {"id", d.schedule + "@" + d.slot},
                                             {"decision", d.decision}})
              << "\n";
    } else if (!inv.common.quiet) {
      inv.out << d.schedule << "@" << d.slot << ": " << escape_control(d.decision) << "\n";
    }
  }
  inv.out.flush();
}

}  // namespace

int cmd_tick(Invocation& inv) {
  const std::string file = inv.flag("file").value_or("");
  const auto batch = inv.value_or<std::size_t>("batch", k_default_batch);
  require(file, "-f/--file");
  if (batch < 1 || batch > 10000) throw UsageError("--batch: must be from 1 to 10000");
  const int min_replicas = min_replicas_of(inv);
  auto list = load_schedules(file);
  auto now_flag = now_of(inv);
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  auto now = now_flag ? *now_flag : redis_now(redis);
  auto decisions = run_tick(redis, space, list, now, batch, min_replicas);
  print_decisions(inv, decisions);
  return 0;
}

int cmd_daemon(Invocation& inv) {
  const std::string file = inv.flag("file").value_or("");
  require(file, "-f/--file");
  auto list = load_schedules(file);
  auto space = inv.key_space();
  auto url = inv.redis_url();
  SignalWatch signals({SIGHUP, SIGTERM, SIGINT});
  std::optional<Redis> redis;
  auto log = [&](const std::string& message) {
    if (!inv.common.quiet) inv.err << "schedule: " << message << std::endl;
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
      print_decisions(inv, run_tick(*redis, space, list, now));
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

int cmd_enqueue(Invocation& inv) {
  const std::string queue = inv.flag("queue").value_or("");
  const std::string name = inv.flag("name").value_or("adhoc");
  const std::string payload_text = inv.flag("payload").value_or("{}");
  check_queue(queue);
  if (!valid_name(name)) throw UsageError("--name: '" + name + "' must be 1-200 letters, digits, '.', '_' or '-'");
  auto payload = parse_json(payload_text, "payload");
  if (!payload.is_object()) throw UsageError("payload: must be a JSON object");
  const int min_replicas = min_replicas_of(inv);
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  auto task = enqueue(redis, QueueKeys(space, queue), name, payload.as_object());
  require_replicas(redis, min_replicas, "the task");
  if (!inv.common.quiet) inv.out << task << "\n";
  return 0;
}

int cmd_take(Invocation& inv) {
  const std::string queue = inv.flag("queue").value_or("");
  const std::string wait_text = inv.flag("wait").value_or("0");
  const std::string visibility_text = inv.flag("visibility").value_or("5m");
  std::string consumer = inv.flag("consumer").value_or("");
  check_queue(queue);
  auto wait = parse_duration(wait_text, "--wait");
  auto visibility = parse_duration(visibility_text, "--visibility");
  if (visibility < std::chrono::seconds(1)) throw UsageError("--visibility: must be at least 1s");
  if (consumer.empty()) consumer = default_consumer("take");
  auto space = inv.key_space();
  auto url = inv.redis_url();
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
    if (!inv.common.quiet) inv.err << "schedule: no task on queue " << queue << "\n";
    return to_int(ExitCode::failed);
  }
  inv.out << to_json(task->doc) << "\n";
  return 0;
}

int cmd_ack(Invocation& inv) {
  std::string queue;
  const std::string id = inv.flag("id").value_or("");
  queue = flag_env_default(inv.vm, "queue", "TASK_QUEUE", "");
  check_queue(queue);
  require(id, "ID");
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  if (ack(redis, QueueKeys(space, queue), Finisher::by_id(id)) != Finished::done)
    throw Error(ExitCode::failed, "task " + id + " is not held by any worker on queue " + queue);
  return 0;
}

int cmd_fail(Invocation& inv) {
  std::string queue;
  const std::string id = inv.flag("id").value_or("");
  const std::string retry_text = inv.flag("retry-in").value_or("10s");
  const std::string reason = inv.flag("reason").value_or("failed");
  const int max_attempts = inv.value_or<int>("max-attempts", 3);
  queue = flag_env_default(inv.vm, "queue", "TASK_QUEUE", "");
  check_queue(queue);
  require(id, "ID");
  if (max_attempts < 1) throw UsageError("--max-attempts: must be at least 1");
  auto delay = parse_duration(retry_text, "--retry-in");
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  QueueKeys keys(space, queue);
  auto task = held_task(redis, keys, id);
  if (!task) throw Error(ExitCode::failed, "task " + id + " is not held by any worker on queue " + queue);
  const auto who = Finisher::by_id(id);
  auto finished = task->attempt >= max_attempts
                      ? dead_letter(redis, keys, who, reason + " on attempt " + std::to_string(task->attempt) + " of " +
                                                          std::to_string(max_attempts))
                      : retry(redis, keys, who, delay, true);
  if (finished != Finished::done) throw Error(ExitCode::failed, "task " + id + " is not held by any worker on queue " + queue);
  if (!inv.common.quiet)
    inv.err << "schedule: task " << id
            << (task->attempt >= max_attempts ? " moved to the dead letters"
                                              : " will be retried in " + format_duration(delay))
            << "\n";
  return 0;
}

int cmd_work(Invocation& inv) {
  WorkerOptions options;
  options.command = inv.command;
  options.queue = inv.flag("queue").value_or("");
  options.jobs = inv.value_or<int>("jobs", options.jobs);
  options.max_attempts = inv.value_or<int>("max-attempts", options.max_attempts);
  options.max_tasks = inv.value_or<long long>("max-tasks", options.max_tasks);
  options.exit_when_empty = inv.vm.count("exit-when-empty") != 0;
  options.consumer = inv.flag("consumer").value_or("");
  const std::string visibility = inv.flag("visibility").value_or("5m");
  const std::string timeout = inv.flag("timeout").value_or("0");
  const std::string grace = inv.flag("grace").value_or("30s");
  const std::string kill_grace = inv.flag("kill-grace").value_or("5s");
  const std::string retry_delay = inv.flag("retry-delay").value_or("10s");
  const std::string retry_max = inv.flag("retry-max-delay").value_or("10m");
  const std::string infra = inv.flag("infra-exit-codes").value_or("");
  check_queue(options.queue);
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
  options.min_replicas = min_replicas_of(inv);
  options.quiet = inv.common.quiet;
  options.verbose = inv.common.verbose;
  return run_worker(options, inv.key_space(), inv.redis_url(), inv.err);
}

int cmd_status(Invocation& inv) {
  const std::string file = inv.flag("file").value_or("");
  auto queues = inv.value_or<std::vector<std::string>>("queue", {});
  std::vector<Schedule> list;
  if (!file.empty()) list = load_schedules(file);
  for (const auto& s : list)
    if (std::find(queues.begin(), queues.end(), s.queue) == queues.end()) queues.push_back(s.queue);
  for (const auto& q : queues) check_queue(q);
  if (queues.empty()) throw UsageError("-f/--file: required (or --queue Q)");
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  auto now = now_of(inv).value_or(redis_now(redis));
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
  if (inv.common.json) {
    inv.out << to_json(boost::json::object{{"schedules", schedules_json}, {"queues", queues_json}}) << "\n";
    return 0;
  }
  if (!schedules_json.empty()) {
    inv.out << "SCHEDULE\tQUEUE\tLAST SLOT\tNEXT SLOT\tLAG\tIN FLIGHT\tPAUSED\n";
    for (const auto& v : schedules_json) {
      const auto& o = v.as_object();
      auto str = [&](const char* k) {
        return o.at(k).is_null() ? std::string("-") : escape_control(o.at(k).as_string());
      };
      inv.out << str("schedule") << "\t" << str("queue") << "\t" << str("last_slot") << "\t" << str("next_slot") << "\t"
              << o.at("lag_s").as_int64() << "s\t" << str("in_flight") << "\t";
      if (o.at("paused").is_null()) {
        inv.out << "-\n";
      } else {
        const auto& p = o.at("paused").as_object();
        inv.out << "since " << std::string(p.at("since").as_string());
        if (!p.at("until").is_null()) inv.out << " until " << std::string(p.at("until").as_string());
        if (!p.at("reason").as_string().empty()) inv.out << " (" << escape_control(p.at("reason").as_string()) << ")";
        inv.out << "\n";
      }
    }
  }
  inv.out << "QUEUE\tLENGTH\tPENDING\tOLDEST\tRETRYING\tDEAD\tCONSUMERS\n";
  for (const auto& v : queues_json) {
    const auto& o = v.as_object();
    std::string consumers;
    for (const auto& c : o.at("pending_by_consumer").as_object())
      consumers += (consumers.empty() ? "" : ",") + escape_control(c.key()) + "=" + std::to_string(c.value().as_int64());
    inv.out << std::string(o.at("queue").as_string()) << "\t" << o.at("length").as_int64() << "\t" << o.at("pending").as_int64()
            << "\t" << o.at("oldest_age_s").as_int64() << "s\t" << o.at("retrying").as_int64() << "\t"
            << o.at("dead_letters").as_int64() << "\t" << (consumers.empty() ? "-" : consumers) << "\n";
  }
  return 0;
}

int cmd_dead_letters(Invocation& inv) {
  const std::string queue = inv.flag("queue").value_or("");
  const bool requeue = inv.vm.count("requeue") != 0;
  const auto limit = inv.value_or<std::size_t>("limit", 100);
  check_queue(queue);
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  QueueKeys keys(space, queue);
  if (requeue) {
    auto n = requeue_dead_letters(redis, keys);
    if (!inv.common.quiet) inv.err << "schedule: requeued " << n << " dead letter" << (n == 1 ? "" : "s") << "\n";
    return 0;
  }
  for (const auto& d : dead_letters(redis, keys, limit)) {
    if (inv.common.json) {
      boost::json::value task = boost::json::string(d.task);
      try {
        task = parse_json(d.task, "dead letter");
      } catch (const UsageError&) {
      }
      inv.out << to_json(boost::json::object{{"task", task}, {"reason", d.reason}, {"at", d.at}}) << "\n";
    } else {
      std::string id = d.entry;
      try {
        auto t = parse_json(d.task, "dead letter");
        if (t.is_object() && t.as_object().contains("id")) id = std::string(t.as_object().at("id").as_string());
      } catch (const std::exception&) {
      }
      inv.out << d.at << "\t" << escape_control(id) << "\t" << escape_control(d.reason) << "\n";
    }
  }
  return 0;
}

int cmd_history(Invocation& inv) {
  const std::string name = inv.flag("name").value_or("");
  const auto limit = inv.value_or<std::size_t>("limit", 20);
  require(name, "NAME");
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  auto rows = read_history(redis, space, name, limit);
  for (const auto& row : rows) {
    if (inv.common.json) {
      boost::json::object o;
      for (const auto& [k, v] : row) o[k] = v;
      inv.out << to_json(o) << "\n";
    } else {
      std::string line;
      for (const auto& [k, v] : row) {
        if (k == "id" || k == "status" || k == "exit" || k == "attempts" || k == "started" || k == "ended" ||
            k == "worker" || k == "warning")
          line += (line.empty() ? "" : "  ") + k + "=" + (v.empty() ? "-" : escape_control(v));
      }
      inv.out << line << "\n";
    }
  }
  return 0;
}

}  // namespace ciutils::schedule
