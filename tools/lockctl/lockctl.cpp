#include "lockctl.h"

#include "keeper.h"
#include "lock_store.h"
#include "options.h"
#include "pool_change.h"
#include "runner.h"
#include "scripts.h"
#include "serve.h"
#include "serve_keys.h"
#include "status_view.h"

#include "ciutils/cli.h"
#include "ciutils/command.h"
#include "ciutils/error.h"
#include "ciutils/json.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>

#include <signal.h>

#include <algorithm>
#include <iostream>

namespace ciutils::lockctl {

namespace json = boost::json;

namespace {

std::optional<std::string> real_env(const char* name) { return env_value(name); }

Redis connect_to(const Connection& c) { return Redis::connect(parse_redis_url(c.redis_url)); }

std::string describe(const Target& t) {
  if (!t.pool) {
    std::string out;
    for (std::size_t i = 0; i < t.names.size(); ++i) {
      out += (i == 0 ? "" : i + 1 == t.names.size() ? " and " : ", ") + t.names[i];
    }
    return out;
  }
  std::string label = t.label ? " labelled '" + t.label->text + "'" : "";
  if (t.quantity > 1) return std::to_string(t.quantity) + " members of pool " + t.name + label;
  return "pool " + t.name + label;
}

// The connection and the common flags every command's parse leaves to its caller.
Parsed parsed_of(const Invocation& inv) { return {inv.common, {inv.redis_url_text(), inv.key_space().name()}}; }

json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

void print_grant(const Grant& g, bool as_json, std::optional<pid_t> keeper) {
  if (as_json) {
    json::object o;
    o["resources"] = string_array(g.resources);
    o["token"] = g.token;
    o["fence"] = g.fences.front();
    json::array fences;
    for (long long f : g.fences) fences.emplace_back(f);
    o["fences"] = std::move(fences);
    json::object props;
    for (std::size_t i = 0; i < g.resources.size(); ++i) props[g.resources[i]] = g.props[i];
    o["props"] = std::move(props);
    o["expires_at"] = iso_ms(g.expires_ms);
    o["waited_ms"] = g.waited_ms;
    if (keeper) o["keeper_pid"] = static_cast<long long>(*keeper);
    std::cout << json::serialize(o) << "\n";
  } else {
    std::string names;
    for (const auto& r : g.resources) names += (names.empty() ? "" : " ") + r;
    std::cout << names << "\n" << g.token << "\n";
  }
  std::cout.flush();
}

[[noreturn]] void not_acquired(const AcquireCli& cli) {
  const auto& req = cli.request;
  std::string what = describe(req.target);
  if (req.wait && req.wait->count() == 0) {
    throw Error(static_cast<ExitCode>(cli.conflict_exit_code), "could not acquire " + what + ": busy (--no-wait)");
  }
  throw Error(static_cast<ExitCode>(cli.conflict_exit_code),
              "could not acquire " + what + " within --wait " + format_duration(*req.wait));
}

int cmd_acquire(const Invocation& inv, bool is_run) {
  AcquireCli cli = parse_acquire_cli(inv.vm, inv.command, is_run, real_env);
  cli.parsed = parsed_of(inv);
  RedisUrl url = parse_redis_url(cli.parsed.connection.redis_url);
  if (cli.min_replicas > 0 && !url.cluster.empty()) {
    throw UsageError("--min-replicas: not supported on a Redis Cluster URL (each master has its own replicas)");
  }
  Redis redis = Redis::connect(url);
  KeySpace keys(cli.parsed.connection.ns);
  std::vector<int> watched{SIGINT, SIGTERM, SIGHUP};
  if (is_run) watched.push_back(SIGCHLD);
  SignalWatch signals(watched);
  const bool verbose = cli.parsed.common.verbose;
  auto grant = acquire_lease(redis, keys, cli.request, signals, [verbose](const std::string& what) {
    if (verbose) std::cerr << "lockctl: " << what << "\n";
  });
  if (!grant) not_acquired(cli);
  grant->min_replicas = cli.min_replicas;
  confirm_grant(redis, *grant);
  if (cli.parsed.common.verbose) {
    std::cerr << "lockctl: acquired " << describe(cli.request.target) << " after "
              << format_duration(milliseconds(grant->waited_ms)) << "\n";
  }
  if (!is_run) {
    std::optional<pid_t> keeper;
    if (cli.keep_alive) keeper = start_keeper(url, *grant, cli.max_hold, cli.watch_pid);
    print_grant(*grant, cli.parsed.common.json, keeper);
    return 0;
  }
  RunOptions run_options;
  run_options.argv = cli.command;
  run_options.max_hold = cli.max_hold;
  run_options.kill_grace = cli.kill_grace;
  run_options.quiet = cli.parsed.common.quiet;
  return run_under_lease(redis, *grant, run_options, signals, std::cerr);
}

// Runs a script of one resource (ARGV[1]) where its state lives, following a pool change
// that moves it meanwhile: the script answers "moved" (look the resource up again),
// "pending" (finish the change first) or "is-pool" (it became a pool).
json::object call_at_resource(Redis& redis, const KeySpace& keys, const Script& script,
                              const std::vector<std::string>& args) {
  const std::string& resource = args.front();
  for (int hops = 0; hops < 8; ++hops) {
    if (read_name(redis, keys, resource).is_pool) {
      throw UsageError("RESOURCE: '" + resource + "' is a pool, not a resource (name one of its members)");
    }
    const std::string prefix = scope_prefix(redis, keys, Target::of_resources({resource}));
    auto reply = call_script(redis, script, prefix, args);
    const std::string status = string_field(reply, "status");
    if (status != "moved" && status != "pending" && status != "is-pool") return reply;
    if (status == "pending") settle_moves(redis, prefix);
  }
  throw std::runtime_error("'" + resource + "' keeps moving between pools; try again");
}

int cmd_token(const Invocation& inv, const std::string& command) {
  TokenCli cli = parse_token_cli(inv.vm, command, real_env);
  cli.parsed = parsed_of(inv);
  Redis redis = connect_to(cli.parsed.connection);
  KeySpace keys(cli.parsed.connection.ns);
  const bool as_json = cli.parsed.common.json;

  if (command == "force-release") {
    auto reply = call_at_resource(redis, keys, force_release_script(), {cli.resource, cli.token});
    long long count = integer_field(reply, "count");
    if (as_json) {
      json::object o{{"resource", cli.resource}, {"forced", count}};
      std::cout << json::serialize(o) << "\n";
    } else if (!cli.parsed.common.quiet) {
      std::cerr << "lockctl: " << cli.resource << ": force-released " << count << " lease(s)\n";
    }
    if (count == 0 && !cli.token.empty()) {
      throw Error(ExitCode::failed, "--holder: " + cli.resource + " is not held by " + cli.token);
    }
    return 0;
  }

  std::string prefix = scope_prefix_for_name(redis, keys, cli.resource);
  json::object reply;
  if (command == "renew") {
    milliseconds ttl = cli.ttl.value_or(milliseconds(60000));
    reply = call_lease_script(redis, renew_script(), prefix, {cli.token, std::to_string(ttl.count())});
  } else {
    reply = call_lease_script(redis, release_script(), prefix, {cli.token, cli.resource});
  }
  const std::string status = string_field(reply, "status");
  if (as_json) {
    json::object o{{"resource", cli.resource}, {"status", status}};
    if (status == "renewed") o["expires_at"] = iso_ms(integer_field(reply, "expires"));
    std::cout << json::serialize(o) << "\n";
  }
  if (status == "renewed") {
    if (!as_json) std::cout << iso_ms(integer_field(reply, "expires")) << "\n";
    return 0;
  }
  if (status == "released") return 0;
  if (status == "already-released") {
    if (command == "release") {
      if (!cli.parsed.common.quiet && !as_json) std::cerr << "lockctl: " << cli.resource << ": already released\n";
      return 0;
    }
    throw Error(ExitCode::failed, cli.resource + ": the lease was already released");
  }
  if (status == "expired") throw Error(ExitCode::failed, cli.resource + ": the lease already expired");
  if (status == "forced") throw Error(ExitCode::failed, cli.resource + ": the lease was force-released");
  if (status == "held-by-other") {
    auto owners = string_list(reply.at("owners"));
    std::string who;
    for (const auto& o : owners) who += (who.empty() ? "" : ", ") + o;
    throw Error(ExitCode::failed, cli.resource + ": held by someone else (" + who + ")");
  }
  throw Error(ExitCode::failed, cli.resource + ": not held by this token");
}

// Sets (or clears, value "") a resource's labels, props or reservation where its state lives.
json::object set_resource_field(Redis& redis, const KeySpace& keys, const std::string& resource, const char* field,
                                const std::string& value, const std::string& event, const json::object& fields,
                                long long length_ms) {
  return call_at_resource(redis, keys, resource_setting_script(),
                          {resource, field, value, event, json::serialize(fields), std::to_string(length_ms)});
}

int cmd_setting(const QueryCli& cli, Redis& redis, const KeySpace& keys, const std::string& command) {
  const bool as_json = cli.parsed.common.json;
  const bool quiet = cli.parsed.common.quiet;
  if (command == "reserve" || command == "unreserve") {
    const std::string& resource = cli.names.front();
    json::object reply;
    if (command == "reserve") {
      json::object value{{"note", cli.note}, {"owner", cli.owner}};
      reply = set_resource_field(redis, keys, resource, "reserved", json::serialize(value), "reserved",
                                 {{"owner", cli.owner}, {"reason", cli.note}},
                                 cli.reserve_for ? cli.reserve_for->count() : 0);
    } else {
      reply = set_resource_field(redis, keys, resource, "reserved", "", "unreserved",
                                 {{"owner", cli.owner}, {"reason", "unreserved"}}, 0);
    }
    const long long held = integer_field(reply, "held");
    if (as_json) {
      json::value reserved = reservation_view(command == "reserve" ? string_field(reply, "value") : "");
      std::cout << json::serialize(json::object{{"resource", resource}, {"reserved", reserved}, {"held", held}}) << "\n";
    } else if (!quiet) {
      if (command == "unreserve" && string_field(reply, "before").empty()) {
        std::cerr << "lockctl: " << resource << ": not reserved\n";
      } else if (command == "reserve" && held > 0) {
        std::cerr << "lockctl: " << resource << ": reserved; " << held
                  << " lease(s) still hold it until they end\n";
      }
    }
    return 0;
  }
  // pool set-labels / set-props RESOURCE ITEM...
  const std::string& op = cli.names.front();
  const std::string& resource = cli.names[1];
  std::vector<std::string> items(cli.names.begin() + 2, cli.names.end());
  json::value value;
  if (op == "set-labels") {
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    json::array labels;
    for (const auto& l : items) labels.emplace_back(l);
    value = std::move(labels);
  } else {
    json::object props;
    for (const auto& item : items) {
      auto eq = item.find('=');
      std::string key = item.substr(0, eq);
      if (props.contains(key)) throw UsageError("KEY=VALUE: '" + key + "' is given twice");
      props[key] = item.substr(eq + 1);
    }
    value = std::move(props);
  }
  const bool empty = items.empty();
  set_resource_field(redis, keys, resource, op == "set-labels" ? "labels" : "props",
                     empty ? "" : json::serialize(value), "", {}, 0);
  if (as_json) {
    std::cout << json::serialize(json::object{{"resource", resource}, {op == "set-labels" ? "labels" : "props", value}})
              << "\n";
  }
  return 0;
}

int cmd_query(const Invocation& inv, const std::string& command) {
  QueryCli cli = parse_query_cli(inv.vm, command, real_env);
  cli.parsed = parsed_of(inv);
  Redis redis = connect_to(cli.parsed.connection);
  KeySpace keys(cli.parsed.connection.ns);
  const bool as_json = cli.parsed.common.json;

  if (command == "history") {
    // The events kept under the resource's own tag and under its pool's, if any.
    const std::string& name = cli.names.front();
    std::vector<std::string> prefixes{resource_prefix(keys, name)};
    if (std::string home = scope_prefix_for_name(redis, keys, name); home != prefixes.front()) {
      prefixes.push_back(home);
    }
    json::array events = read_history(redis, prefixes, name, cli.limit);
    if (as_json) {
      std::cout << json::serialize(events) << "\n";
    } else {
      print_history(std::cout, events);
    }
    return 0;
  }
  if (command == "reserve" || command == "unreserve" ||
      (command == "pool" && cli.names.front().starts_with("set-"))) {
    return cmd_setting(cli, redis, keys, command);
  }
  if (command == "pool") {
    const std::string& op = cli.names.front();
    if (op == "list") {
      json::object pools = read_pools(redis, keys);
      // A pool whose last members were removed while held has none to offer.
      for (auto it = pools.begin(); it != pools.end();) {
        it = it->value().as_array().empty() ? pools.erase(it) : it + 1;
      }
      if (as_json) {
        std::cout << json::serialize(pools) << "\n";
      } else {
        for (const auto& [name, members] : pools) {
          std::cout << std::string(name);
          for (const auto& m : members.as_array()) std::cout << " " << std::string(m.as_string());
          std::cout << "\n";
        }
      }
      return 0;
    }
    std::vector<std::string> members(cli.names.begin() + 2, cli.names.end());
    json::array result = change_pool(redis, keys, op, cli.names[1], members);
    if (as_json) {
      std::cout << json::serialize(json::object{{"pool", cli.names[1]}, {"members", result}}) << "\n";
    } else if (cli.parsed.common.verbose) {
      std::cerr << "lockctl: pool " << cli.names[1] << ": " << result.size() << " member(s)\n";
    }
    return 0;
  }
  if (command == "status" && (cli.pool || !cli.names.empty())) {
    Target target = cli.pool ? Target::of_pool(*cli.pool) : Target::of_resources({cli.names.front()});
    if (!target.pool && read_name(redis, keys, target.name).is_pool) {
      target.pool = true;  // `status POOL` reads as `status --pool POOL`
    }
    const std::string prefix = target.pool ? pool_prefix(keys, target.name) : scope_prefix_for_name(redis, keys, target.name);
    json::object view = read_status(redis, prefix, target);
    if (as_json) {
      std::cout << json::serialize(view) << "\n";
    } else {
      print_status(std::cout, view);
    }
    return 0;
  }
  json::object all = read_everything(redis, keys);
  if (as_json) {
    std::cout << json::serialize(all) << "\n";
  } else {
    print_list(std::cout, all);
  }
  return 0;
}

int cmd_serve(Invocation& inv) {
  ServeCli cli = parse_serve_cli(inv.vm);
  if (cli.hash_key) {
    std::string key;
    std::getline(std::cin, key);
    if (key.empty()) throw UsageError("hash-key: no key on stdin (e.g. openssl rand -hex 32 | tee key | lockctl serve hash-key NAME)");
    std::vector<std::string> globs(cli.names.begin() + 1, cli.names.end());
    std::cout << key_file_line(key, cli.names.front(), globs) << "\n";
    return 0;
  }
  cli.parsed = parsed_of(inv);
  return run_serve(cli, std::cerr);
}

int cmd_acquire(Invocation& inv) { return cmd_acquire(inv, false); }
int cmd_run(Invocation& inv) { return cmd_acquire(inv, true); }
int cmd_release(Invocation& inv) { return cmd_token(inv, "release"); }
int cmd_renew(Invocation& inv) { return cmd_token(inv, "renew"); }
int cmd_force_release(Invocation& inv) { return cmd_token(inv, "force-release"); }
int cmd_status(Invocation& inv) { return cmd_query(inv, "status"); }
int cmd_list(Invocation& inv) { return cmd_query(inv, "list"); }
int cmd_history(Invocation& inv) { return cmd_query(inv, "history"); }
int cmd_pool(Invocation& inv) { return cmd_query(inv, "pool"); }
int cmd_reserve(Invocation& inv) { return cmd_query(inv, "reserve"); }
int cmd_unreserve(Invocation& inv) { return cmd_query(inv, "unreserve"); }

constexpr std::string_view k_pool_words[] = {"set", "add", "remove", "list", "set-labels", "set-props"};
constexpr std::string_view k_serve_words[] = {"hash-key"};

constexpr std::string_view k_leases = "Leases";
constexpr std::string_view k_looking = "Looking";
constexpr std::string_view k_admin = "Pools and administration";

constexpr Command k_commands[] = {
    {.name = "acquire", .group = k_leases, .summary = "take a lease and print its token",
     .usage = "lockctl acquire (RESOURCE... | --pool POOL [--label EXPR]) [OPTIONS]",
     .description = "Takes a lease on RESOURCE (several: all of them at once, or none; they must be members\n"
                    "of one pool), or on any free member(s) of POOL whose labels match --label, and prints\n"
                    "the granted resource name(s) on one line and the lease token on the next. Waiters\n"
                    "queue in FIFO order (then by --priority). Without --keep-alive the lease expires after\n"
                    "--ttl unless renewed: prefer `lockctl run` when the work is one command.\n"
                    "A waiter that gets SIGINT, SIGTERM or SIGHUP leaves the queue and exits 130, 143 or 129.",
     .options = acquire_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_acquire},
    {.name = "run", .group = k_leases, .summary = "run COMMAND under a lease, renewed while it runs",
     .usage = "lockctl run (RESOURCE... | --pool POOL [--label EXPR]) [OPTIONS] -- COMMAND [ARG...]",
     .description = "Acquires, runs COMMAND in its own process group with LOCKCTL_RESOURCE, LOCKCTL_RESOURCES,\n"
                    "LOCKCTL_TOKEN, LOCKCTL_FENCE, LOCKCTL_FENCES and the resources' properties\n"
                    "(LOCKCTL_PROP_<KEY> of the first, LOCKCTL_RESOURCE<i>_PROP_<KEY> of resource i from 0)\n"
                    "set, renews the lease every TTL/3 from a separate connection, forwards INT/TERM/HUP to\n"
                    "the group (KILL after --kill-grace if it still runs; exit 128+N), releases at the end\n"
                    "and exits with COMMAND's status. When the lease is lost the group gets TERM, then KILL\n"
                    "after --kill-grace, and lockctl exits 74. COMMAND dies with lockctl, even by kill -9;\n"
                    "descendants that left its process group are killed at release and named in a warning.\n"
                    "While still waiting, SIGINT, SIGTERM or SIGHUP withdraw the wait: exit 130, 143 or 129.",
     .options = run_options, .positional = k_arguments, .positional_max = -1, .redis = true, .takes_command = true,
     .run = cmd_run},
    {.name = "release", .group = k_leases, .summary = "end a lease (releasing twice succeeds)",
     .usage = "lockctl release RESOURCE --token T",
     .description = "Ends the lease T on RESOURCE (all resources it covers). Owner-safe: only the token's\n"
                    "holder can release. Releasing a lease already released succeeds: exit 0, with\n"
                    "`lockctl: RESOURCE: already released` on stderr (none with -q or --json).",
     .options = release_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_release},
    {.name = "renew", .group = k_leases, .summary = "extend a lease and print its new expiry",
     .usage = "lockctl renew RESOURCE --token T [--ttl D]",
     .description = "Extends the lease T to --ttl from now and prints the new expiry.",
     .options = renew_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_renew},
    {.name = "status", .group = k_looking, .summary = "holders and waiters of a resource or pool",
     .usage = "lockctl status [RESOURCE | --pool POOL]",
     .description = "Shows holders (owner, CI job, since, expiry, fence) and the waiting queue in order.\n"
                    "Without arguments, the same as `lockctl list`.",
     .options = status_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_status},
    {.name = "list", .group = k_looking, .summary = "every resource and pool with its holders and waiters",
     .usage = "lockctl list", .description = "Lists every known resource and pool with its holders and waiters.",
     .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_list},
    {.name = "history", .group = k_looking, .summary = "the last events of a resource or pool",
     .usage = "lockctl history RESOURCE [--limit N]",
     .description = "Shows the last events of RESOURCE (or a pool): acquired (with the wait), released,\n"
                    "expired, forced, lost, abandoned.",
     .options = history_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_history},
    {.name = "pool", .group = k_admin, .summary = "define pools; set resources' labels and properties",
     .usage = "lockctl pool (set|add|remove POOL MEMBER... | list | set-labels RESOURCE [LABEL...] |\n"
              "                   set-props RESOURCE [KEY=VALUE...])",
     .description = "Defines pools: named sets of resources. A change is checked, then moves each member\n"
                    "in a few steps that never let it be granted twice (on a Redis Cluster too); a change\n"
                    "killed half way is finished by the next one. A resource belongs to at most one pool,\n"
                    "and a name is either a pool or a resource (exit 2 otherwise). Adding or removing a\n"
                    "held resource keeps its leases.\n"
                    "set-labels replaces a resource's labels (chosen by acquire/run --label EXPR);\n"
                    "set-props replaces its properties, given to `run` as LOCKCTL_PROP_<KEY> (upper case)\n"
                    "and shown by acquire --json. Without LABEL or KEY=VALUE they are cleared. Labels and\n"
                    "properties go with the resource when it joins or leaves a pool.",
     .positional = k_arguments, .positional_max = -1, .redis = true, .words = k_pool_words, .run = cmd_pool},
    {.name = "reserve", .group = k_admin, .summary = "take a resource out of rotation",
     .usage = "lockctl reserve RESOURCE [--note TEXT] [--for D]",
     .description = "Takes RESOURCE out of rotation: nobody is granted it (by name, --pool or --label)\n"
                    "until `lockctl unreserve RESOURCE` or, with --for, until D has passed. Leases that\n"
                    "hold it keep running. status shows the note, who reserved it and until when.",
     .options = reserve_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_reserve},
    {.name = "unreserve", .group = k_admin, .summary = "end a reservation",
     .usage = "lockctl unreserve RESOURCE [--owner NAME]",
     .description = "Ends a reservation; waiters are granted RESOURCE again.",
     .options = unreserve_options, .positional = k_arguments, .positional_max = -1, .redis = true, .run = cmd_unreserve},
    {.name = "force-release", .group = k_admin, .summary = "end the leases on a resource (administrators)",
     .usage = "lockctl force-release RESOURCE [--holder TOKEN]",
     .description = "Administrator's escape hatch: ends the leases on RESOURCE (whole leases, every\n"
                    "resource they cover), recorded in the history as forced.",
     .options = force_release_options, .positional = k_arguments, .positional_max = -1, .redis = true,
     .run = cmd_force_release},
    {.name = "serve", .group = k_admin, .summary = "the locks over HTTP, for jobs without Redis access",
     .usage = "lockctl serve --api-keys FILE [OPTIONS] | lockctl serve hash-key NAME [GLOB...] < key",
     .description = "Serves the locks over HTTP for jobs without Redis access: call-me's API\n"
                    "(GET/POST/DELETE /maybe?environment=E with X-API-KEY; /maybe leases last --default-ttl)\n"
                    "and a JSON API under /v1 (acquire with wait, renew, release, status, history, pools),\n"
                    "both through the same scripts as the commands, so HTTP and command-line waiters share\n"
                    "one FIFO queue. GET /healthz answers 200 while Redis does. SIGTERM/SIGINT drain:\n"
                    "no new connections, waiting requests answered 503, then exit 0. docs/lockctl-api.yaml\n"
                    "describes every route. hash-key reads a key on stdin and prints its --api-keys line.",
     .options = serve_options, .positional = k_arguments, .positional_max = -1, .redis = true, .words = k_serve_words,
     .run = cmd_serve},
};

constexpr EnvVar k_environment[] = {
    {"LOCKCTL_TOKEN", "the lease token for release and renew when --token is not given"},
    {"LOCKCTL_OWNER", "the owner recorded with leases, waits and reservations (default host:pid)"},
    {"LOCKCTL_POOL", "the pool --label chooses from when --pool is not given"},
    {"GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, BUILD_URL, CI_JOB_URL, BUILDKITE_BUILD_URL, CIRCLE_BUILD_URL",
     "the CI job recorded with leases and waits"},
};

constexpr std::string_view k_exit_codes[] = {"0", "2", "3", "75", "125", "126 / 127", "128+N", "child's own"};

constexpr Tool k_tool{
    .name = "lockctl",
    .summary = "locks on shared test environments in Redis: mutexes, semaphores and pools with leases",
    .description = "Locks on shared test environments in Redis: mutexes, N-slot semaphores and pools,\n"
                   "with leases that expire when a CI job dies, fair FIFO waiting and fencing tokens.",
    .commands = k_commands,
    .environment = k_environment,
    .exit_codes = k_exit_codes,
};

}  // namespace

int run(int argc, char** argv) { return run_tool(k_tool, argc, argv, std::cout, std::cerr); }

}  // namespace ciutils::lockctl
