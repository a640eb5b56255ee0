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

// --help / --version handled; true when the command should stop there. Also warns
// about a deprecated flag spelling.
bool help_or_version(const Parsed& p, const std::string& command) {
  if (p.connection.deprecated && !p.common.quiet) std::cerr << "lockctl: warning: " << *p.connection.deprecated << "\n";
  if (p.common.help) {
    std::cout << command_help(command);
    return true;
  }
  if (p.common.version) {
    std::cout << version_text("lockctl") << "\n";
    return true;
  }
  return false;
}

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

int cmd_acquire(const std::vector<std::string>& args, bool is_run) {
  AcquireCli cli = parse_acquire_cli(args, is_run, real_env);
  if (help_or_version(cli.parsed, is_run ? "run" : "acquire")) return 0;
  RedisUrl url = parse_redis_url(cli.parsed.connection.redis_url);
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

int cmd_token(const std::vector<std::string>& args, const std::string& command) {
  TokenCli cli = parse_token_cli(args, command, real_env);
  if (help_or_version(cli.parsed, command)) return 0;
  Redis redis = connect_to(cli.parsed.connection);
  KeySpace keys(cli.parsed.connection.ns);
  std::string prefix = scope_prefix_for_name(redis, keys, cli.resource);
  const bool as_json = cli.parsed.common.json;

  if (command == "force-release") {
    auto reply = call_script(redis, force_release_script(), prefix, {cli.resource, cli.token});
    long long count = integer_field(reply, "count");
    if (as_json) {
      json::object o{{"resource", cli.resource}, {"forced", count}};
      std::cout << json::serialize(o) << "\n";
    } else if (!cli.parsed.common.quiet) {
      std::cerr << "lockctl: " << cli.resource << ": force-released " << count << " lease(s)\n";
    }
    if (count == 0 && !cli.token.empty()) {
      throw Error(ExitCode::failed, cli.resource + " is not held by " + cli.token);
    }
    return 0;
  }

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
    throw Error(ExitCode::failed, "lease on " + cli.resource + " was already released");
  }
  if (status == "expired") throw Error(ExitCode::failed, "lease on " + cli.resource + " already expired");
  if (status == "forced") throw Error(ExitCode::failed, "lease on " + cli.resource + " was force-released");
  if (status == "held-by-other") {
    auto owners = string_list(reply.at("owners"));
    std::string who;
    for (const auto& o : owners) who += (who.empty() ? "" : ", ") + o;
    throw Error(ExitCode::failed, cli.resource + " is held by someone else (" + who + ")");
  }
  throw Error(ExitCode::failed, cli.resource + " is not held by this token");
}

// Sets (or clears, value "") a resource's labels, props or reservation where its state lives.
json::object set_resource_field(Redis& redis, const KeySpace& keys, const std::string& resource, const char* field,
                                const std::string& value, const std::string& event, const json::object& fields,
                                long long length_ms) {
  for (int hops = 0; hops < 8; ++hops) {
    if (read_name(redis, keys, resource).is_pool) {
      throw UsageError("'" + resource + "' is a pool, not a resource (name one of its members)");
    }
    const std::string prefix = scope_prefix(redis, keys, Target::of_resources({resource}));
    auto reply = call_script(redis, resource_setting_script(), prefix,
                             {resource, field, value, event, json::serialize(fields), std::to_string(length_ms)});
    const std::string status = string_field(reply, "status");
    if (status == "ok") return reply;
    // "moved": a pool change moved the resource meanwhile; "pending": it is moving it (finish
    // the change); "is-pool": it became a pool.
    if (status == "pending") settle_moves(redis, prefix);
  }
  throw std::runtime_error("'" + resource + "' keeps moving between pools; try again");
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
      if (props.contains(key)) throw UsageError("property '" + key + "' is given twice");
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

int cmd_query(const std::vector<std::string>& args, const std::string& command) {
  QueryCli cli = parse_query_cli(args, command, real_env);
  if (help_or_version(cli.parsed, command)) return 0;
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

int cmd_serve(const std::vector<std::string>& args) {
  ServeCli cli = parse_serve_cli(args, real_env);
  if (help_or_version(cli.parsed, "serve")) return 0;
  if (cli.hash_key) {
    std::string key;
    std::getline(std::cin, key);
    if (key.empty()) throw UsageError("hash-key: no key on stdin (e.g. openssl rand -hex 32 | tee key | lockctl serve hash-key NAME)");
    std::vector<std::string> globs(cli.names.begin() + 1, cli.names.end());
    std::cout << key_file_line(key, cli.names.front(), globs) << "\n";
    return 0;
  }
  return run_serve(cli, std::cerr);
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<std::string> args = args_of(argc, argv);
  if (args.empty()) throw UsageError("COMMAND: missing (see lockctl --help)");
  const std::string command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << command_help("");
    return 0;
  }
  if (command == "--version") {
    std::cout << version_text("lockctl") << "\n";
    return 0;
  }
  if (command == "acquire") return cmd_acquire(rest, false);
  if (command == "run") return cmd_acquire(rest, true);
  if (command == "release" || command == "renew" || command == "force-release") return cmd_token(rest, command);
  if (command == "status" || command == "list" || command == "history" || command == "pool" || command == "reserve" ||
      command == "unreserve") {
    return cmd_query(rest, command);
  }
  if (command == "serve") return cmd_serve(rest);
  throw UsageError("'" + command + "': unknown command (see lockctl --help)");
}

}  // namespace ciutils::lockctl
