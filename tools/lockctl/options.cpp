#include "options.h"

#include "label_expr.h"
#include "names.h"

#include "ciutils/error.h"
#include "ciutils/redis.h"

#include <algorithm>

namespace ciutils::lockctl {

namespace {

constexpr milliseconds k_default_ttl{60000};
constexpr milliseconds k_min_ttl{1000};
// Upper bounds: a lease of centuries would defeat "locks cannot leak", and a far-off
// deadline would overflow the clocks.
constexpr milliseconds k_max_ttl{std::chrono::hours(24)};
constexpr milliseconds k_max_wait{std::chrono::hours(24 * 7)};
constexpr milliseconds k_max_hold{std::chrono::hours(24 * 30)};
constexpr milliseconds k_max_kill_grace{std::chrono::hours(1)};

constexpr milliseconds k_max_serve_wait{std::chrono::hours(1)};

std::optional<std::string> opt(const po::variables_map& vm, const char* name) {
  if (vm.count(name) == 0) return std::nullopt;
  return vm[name].as<std::string>();
}

std::vector<std::string> arguments(const po::variables_map& vm) {
  if (vm.count(k_arguments) == 0) return {};
  return vm[k_arguments].as<std::vector<std::string>>();
}

// A duration flag within [min, max]; the message names the flag and the limit.
milliseconds bounded_duration(const std::string& text, const char* flag, milliseconds min, milliseconds max) {
  milliseconds d = parse_duration(text, flag);
  if (d < min) throw UsageError(std::string(flag) + ": " + text + " is shorter than the minimum " + format_duration(min));
  if (d > max) throw UsageError(std::string(flag) + ": " + text + " is longer than the limit " + format_duration(max));
  return d;
}

// The one RESOURCE a command takes.
const std::string& one_resource(const std::vector<std::string>& names, const std::string& command) {
  if (names.empty()) throw UsageError("RESOURCE: missing");
  if (names.size() > 1) throw UsageError("'" + names[1] + "': unexpected argument (" + command + " takes one RESOURCE)");
  validate_name(names.front(), "RESOURCE");
  return names.front();
}

// The flags acquire and run share.
void lease_options(po::options_description& desc, const char* max_hold, const char* min_replicas) {
  desc.add_options()
      ("pool", po::value<std::string>()->value_name("POOL"), "take any free member of POOL")
      ("label", po::value<std::string>()->value_name("EXPR"), "take members of the pool whose labels match EXPR ('linux && gpu', '!arm || eu'); the pool is --pool or $LOCKCTL_POOL")
      ("quantity", po::value<std::string>()->value_name("K"), "with --pool or --label: take K members, all or nothing")
      ("slots", po::value<std::string>()->value_name("N"), "the resource has N slots (a semaphore); default 1")
      ("ttl", po::value<std::string>()->value_name("D"), "lease time to live, renewed by run/--keep-alive (default 60s, 1s..1d)")
      ("wait", po::value<std::string>()->value_name("D"), "give up after D (at most 7d; default: wait as long as it takes)")
      ("no-wait", "do not wait: fail at once when busy (same as --wait 0)")
      ("priority", po::value<std::string>()->value_name("N"), "queue priority -1000..1000; higher goes first (default 0)")
      ("owner", po::value<std::string>()->value_name("NAME"), "owner recorded with the lease (else $LOCKCTL_OWNER, host:pid)")
      ("conflict-exit-code", po::value<std::string>()->value_name("N"), "exit status when not acquired (default 75)")
      ("min-replicas", po::value<std::string>()->value_name("N"), min_replicas)
      ("max-hold", po::value<std::string>()->value_name("D"), max_hold);
}

void token_option(po::options_description& desc) {
  desc.add_options()("token", po::value<std::string>()->value_name("T"), "the lease token printed by acquire (else $LOCKCTL_TOKEN)");
}

void owner_option(po::options_description& desc) {
  desc.add_options()("owner", po::value<std::string>()->value_name("NAME"), "who reserves or unreserves, for status and history (else $LOCKCTL_OWNER, host:pid)");
}

}  // namespace

void acquire_options(po::options_description& desc) {
  lease_options(desc, "with --keep-alive: stop renewing and release after D (at most 30d)",
                "N replicas must acknowledge the grant within 1s, else it is released and lockctl exits 3 (default 0)");
  desc.add_options()
      ("keep-alive", "leave a background renewer that keeps the lease until it is released")
      ("watch-pid", po::value<std::string>()->value_name("PID"), "with --keep-alive: stop renewing when PID exits");
}

void run_options(po::options_description& desc) {
  lease_options(desc, "stop the command and release after D in total (at most 30d)",
                "N replicas must acknowledge the grant (exit 3 if not within 1s, before COMMAND runs) and each renewal (the command is stopped, 74, when the lease runs out unacknowledged); default 0");
  desc.add_options()
      ("kill-grace", po::value<std::string>()->value_name("D"), "time between TERM (or a forwarded signal) and KILL when stopping the command (default 10s, at most 1h)");
}

void release_options(po::options_description& desc) { token_option(desc); }

void renew_options(po::options_description& desc) {
  token_option(desc);
  desc.add_options()("ttl", po::value<std::string>()->value_name("D"), "new time to live from now (default 60s, 1s..1d)");
}

void force_release_options(po::options_description& desc) {
  desc.add_options()("holder", po::value<std::string>()->value_name("TOKEN"), "end only this holder's lease (default: all holders)");
}

void status_options(po::options_description& desc) {
  desc.add_options()("pool", po::value<std::string>()->value_name("POOL"), "show a pool and its members");
}

void history_options(po::options_description& desc) {
  desc.add_options()("limit", po::value<std::string>()->value_name("N"), "the last N events (default 50)");
}

void reserve_options(po::options_description& desc) {
  desc.add_options()
      ("note", po::value<std::string>()->value_name("TEXT"), "why, shown by status and history (at most 500 characters)")
      ("for", po::value<std::string>()->value_name("D"), "the reservation ends by itself after D (at most 30d; default: at unreserve)");
  owner_option(desc);
}

void unreserve_options(po::options_description& desc) { owner_option(desc); }

void serve_options(po::options_description& desc) {
  desc.add_options()
      ("listen", po::value<std::string>()->value_name("HOST:PORT"), "address to serve on (default 127.0.0.1:8080; port 0: any free port, printed)")
      ("api-keys", po::value<std::string>()->value_name("FILE"), "the keys' SHA-256 hashes, one a line: HASH NAME [GLOB...] (required)")
      ("tls-cert", po::value<std::string>()->value_name("FILE"), "serve HTTPS with this PEM certificate chain (with --tls-key)")
      ("tls-key", po::value<std::string>()->value_name("FILE"), "the certificate's PEM private key")
      ("default-ttl", po::value<std::string>()->value_name("D"), "lease of a /maybe slot and of /v1/acquire without ttl (default 10m, 1s..1d)")
      ("max-wait", po::value<std::string>()->value_name("D"), "the longest wait /v1/acquire may ask for (default 10m, at most 1h)")
      ("rate-limit", po::value<std::string>()->value_name("N"), "requests per second per key, bursts of 2N; 0: no limit (default 20)")
      ("max-connections", po::value<std::string>()->value_name("N"), "open connections at most (default 512)")
      ("read-timeout", po::value<std::string>()->value_name("D"), "a request must arrive whole within D, else its connection is closed (default 10s, 100ms..10m)");
}

AcquireCli parse_acquire_cli(const po::variables_map& vm, std::vector<std::string> command, bool is_run,
                             const EnvLookup& env) {
  AcquireCli cli;
  cli.command = std::move(command);
  std::vector<std::string> names = arguments(vm);
  auto& req = cli.request;
  std::optional<std::string> pool = opt(vm, "pool");
  std::optional<std::string> label = opt(vm, "label");
  if (label && !pool) {
    pool = env("LOCKCTL_POOL");
    if (!pool) throw UsageError("--label: needs the pool it chooses from: --pool POOL (or $LOCKCTL_POOL)");
  }
  if (pool) {
    if (!names.empty()) throw UsageError("--pool: give either RESOURCE... or --pool, not both");
    validate_name(*pool, "--pool");
    req.target = Target::of_pool(*pool);
    if (label) req.target.label = parse_label_expr(*label);
  } else if (names.empty()) {
    throw UsageError("RESOURCE: missing (or --pool POOL)");
  } else {
    for (const auto& n : names) {
      validate_name(n, "RESOURCE");
      if (std::count(names.begin(), names.end(), n) > 1) throw UsageError("RESOURCE: '" + n + "' is given twice");
    }
    if (names.size() > 100) throw UsageError("RESOURCE: too many (at most 100 taken together)");
    req.target = Target::of_resources(names);
  }

  if (auto q = opt(vm, "quantity")) {
    if (!req.target.pool) throw UsageError("--quantity: needs --pool or --label");
    req.target.quantity = static_cast<int>(parse_integer(*q, "--quantity", 1, 1000));
  }
  if (auto s = opt(vm, "slots")) {
    if (req.target.pool) throw UsageError("--slots: applies to a RESOURCE, not to --pool");
    req.slots = parse_integer(*s, "--slots", 1, 100000);
  }
  req.ttl = k_default_ttl;
  if (auto t = opt(vm, "ttl")) req.ttl = bounded_duration(*t, "--ttl", k_min_ttl, k_max_ttl);
  if (vm.count("no-wait") && vm.count("wait")) throw UsageError("--no-wait: give --wait or --no-wait, not both");
  if (vm.count("no-wait")) req.wait = milliseconds(0);
  if (auto w = opt(vm, "wait")) req.wait = bounded_duration(*w, "--wait", milliseconds(0), k_max_wait);
  if (auto p = opt(vm, "priority")) req.priority = static_cast<int>(parse_integer(*p, "--priority", -1000, 1000));
  req.owner = opt(vm, "owner").value_or(env("LOCKCTL_OWNER").value_or(default_owner()));
  if (req.owner.empty() || req.owner.size() > 200) throw UsageError("--owner: must be 1 to 200 characters");
  req.ci = detect_ci_context(env);
  if (auto c = opt(vm, "conflict-exit-code")) {
    cli.conflict_exit_code = static_cast<int>(parse_integer(*c, "--conflict-exit-code", 1, 255));
  }
  if (auto n = opt(vm, "min-replicas")) cli.min_replicas = static_cast<int>(parse_integer(*n, "--min-replicas", 0, 100));
  if (auto m = opt(vm, "max-hold")) {
    cli.max_hold = bounded_duration(*m, "--max-hold", milliseconds(0), k_max_hold);
    if (cli.max_hold->count() <= 0) throw UsageError("--max-hold: must be longer than 0");
  }
  if (is_run) {
    if (auto g = opt(vm, "kill-grace")) {
      cli.kill_grace = bounded_duration(*g, "--kill-grace", milliseconds(0), k_max_kill_grace);
    }
  } else {
    cli.keep_alive = vm.count("keep-alive") != 0;
    if (auto p = opt(vm, "watch-pid")) {
      if (!cli.keep_alive) throw UsageError("--watch-pid: needs --keep-alive");
      cli.watch_pid = static_cast<pid_t>(parse_integer(*p, "--watch-pid", 1, 4194304));
    }
    if (cli.max_hold && !cli.keep_alive) throw UsageError("--max-hold: needs --keep-alive (or use lockctl run)");
  }
  return cli;
}

TokenCli parse_token_cli(const po::variables_map& vm, const std::string& command, const EnvLookup& env) {
  TokenCli cli;
  cli.resource = one_resource(arguments(vm), command);
  if (command == "force-release") {
    if (auto h = opt(vm, "holder")) {
      validate_token(*h, "--holder");
      cli.token = *h;
    }
  } else {
    auto token = opt(vm, "token");
    if (!token) token = env("LOCKCTL_TOKEN");
    if (!token) throw UsageError("--token: missing (or $LOCKCTL_TOKEN)");
    validate_token(*token, "--token");
    cli.token = *token;
  }
  if (auto t = opt(vm, "ttl")) cli.ttl = bounded_duration(*t, "--ttl", k_min_ttl, k_max_ttl);
  return cli;
}

ServeCli parse_serve_cli(const po::variables_map& vm) {
  ServeCli cli;
  cli.names = arguments(vm);
  if (!cli.names.empty()) {
    if (cli.names.front() != "hash-key") {
      throw UsageError("'" + cli.names.front() + "': unexpected argument (serve takes options, or hash-key NAME)");
    }
    cli.hash_key = true;
    cli.names.erase(cli.names.begin());
    if (cli.names.empty()) throw UsageError("NAME: missing (lockctl serve hash-key NAME [GLOB...])");
    if (cli.names.front().size() > 64) throw UsageError("NAME: longer than 64 characters");
    return cli;
  }
  if (auto listen = opt(vm, "listen")) {
    auto colon = listen->rfind(':');
    if (colon == std::string::npos || colon == 0) throw UsageError("--listen: expected HOST:PORT, got '" + *listen + "'");
    cli.host = listen->substr(0, colon);
    if (cli.host.size() > 2 && cli.host.front() == '[' && cli.host.back() == ']') cli.host = cli.host.substr(1, cli.host.size() - 2);
    cli.port = static_cast<int>(parse_integer(listen->substr(colon + 1), "--listen port", 0, 65535));
  }
  auto keys = opt(vm, "api-keys");
  if (!keys) throw UsageError("--api-keys: missing (make its lines with: lockctl serve hash-key NAME)");
  cli.api_keys = *keys;
  cli.tls_cert = opt(vm, "tls-cert").value_or("");
  cli.tls_key = opt(vm, "tls-key").value_or("");
  if (cli.tls_cert.empty() != cli.tls_key.empty()) {
    throw UsageError(std::string(cli.tls_key.empty() ? "--tls-key" : "--tls-cert") + ": missing (--tls-cert and --tls-key go together)");
  }
  if (auto t = opt(vm, "default-ttl")) cli.default_ttl = bounded_duration(*t, "--default-ttl", k_min_ttl, k_max_ttl);
  if (auto w = opt(vm, "max-wait")) cli.max_wait = bounded_duration(*w, "--max-wait", milliseconds(0), k_max_serve_wait);
  if (auto r = opt(vm, "rate-limit")) cli.rate_limit = static_cast<double>(parse_integer(*r, "--rate-limit", 0, 1000000));
  if (auto t = opt(vm, "read-timeout")) cli.read_timeout = bounded_duration(*t, "--read-timeout", milliseconds(100), std::chrono::minutes(10));
  if (auto c = opt(vm, "max-connections")) cli.max_connections = static_cast<std::size_t>(parse_integer(*c, "--max-connections", 1, 100000));
  return cli;
}

namespace {

// pool OP ...: the words after "pool".
void check_pool_command(const std::vector<std::string>& names) {
  if (names.empty()) throw UsageError("COMMAND: missing (lockctl pool set, add, remove, list, set-labels or set-props)");
  const std::string& op = names.front();
  if (op == "list") {
    if (names.size() > 1) throw UsageError("'" + names[1] + "': unexpected argument (pool list takes none)");
  } else if (op == "set" || op == "add" || op == "remove") {
    if (names.size() < 2) throw UsageError("POOL: missing (lockctl pool " + op + " POOL MEMBER...)");
    validate_name(names[1], "POOL");
    if (names.size() < 3) throw UsageError("MEMBER: missing (lockctl pool " + op + " POOL MEMBER...)");
    for (std::size_t i = 2; i < names.size(); ++i) validate_name(names[i], "MEMBER");
  } else if (op == "set-labels" || op == "set-props") {
    if (names.size() < 2) throw UsageError("RESOURCE: missing (lockctl pool " + op + " RESOURCE ...)");
    validate_name(names[1], "RESOURCE");
    if (names.size() > 202) throw UsageError(std::string(op == "set-labels" ? "LABEL" : "KEY=VALUE") + ": at most 200");
    for (std::size_t i = 2; i < names.size(); ++i) {
      const std::string& item = names[i];
      if (op == "set-labels") {
        validate_name(item, "LABEL");
      } else {
        auto eq = item.find('=');
        validate_prop_key(item.substr(0, eq == std::string::npos ? item.size() : eq), item);
        if (eq == std::string::npos) validate_prop_key("", item);
        if (item.size() - eq - 1 > 4096) throw UsageError("KEY=VALUE: the value of '" + item.substr(0, eq) + "' is longer than 4096 bytes");
      }
    }
  } else {
    throw UsageError("'" + op + "': unknown pool command (expected set, add, remove, list, set-labels or set-props)");
  }
}

}  // namespace

QueryCli parse_query_cli(const po::variables_map& vm, const std::string& command, const EnvLookup& env) {
  QueryCli cli;
  cli.names = arguments(vm);
  cli.pool = opt(vm, "pool");
  if (cli.pool) validate_name(*cli.pool, "--pool");
  if (auto l = opt(vm, "limit")) cli.limit = parse_integer(*l, "--limit", 1, 10000);
  if (command == "status") {
    if (cli.pool && !cli.names.empty()) throw UsageError("--pool: give either RESOURCE or --pool, not both");
    if (!cli.names.empty()) one_resource(cli.names, command);
  } else if (command == "history") {
    one_resource(cli.names, command);
  } else if (command == "list") {
    if (!cli.names.empty()) throw UsageError("'" + cli.names.front() + "': unexpected argument (list takes none)");
  } else if (command == "reserve" || command == "unreserve") {
    one_resource(cli.names, command);
    if (auto n = opt(vm, "note")) cli.note = *n;
    if (cli.note.size() > 500) throw UsageError("--note: longer than 500 characters");
    if (auto f = opt(vm, "for")) cli.reserve_for = bounded_duration(*f, "--for", k_min_ttl, k_max_hold);
    cli.owner = opt(vm, "owner").value_or(env("LOCKCTL_OWNER").value_or(default_owner()));
    if (cli.owner.empty() || cli.owner.size() > 200) throw UsageError("--owner: must be 1 to 200 characters");
  } else if (command == "pool") {
    check_pool_command(cli.names);
  }
  return cli;
}

}  // namespace ciutils::lockctl
