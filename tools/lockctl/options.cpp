#include "options.h"

#include "label_expr.h"
#include "names.h"

#include "ciutils/error.h"
#include "ciutils/redis.h"

#include <algorithm>
#include <sstream>

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

const char* const k_environment = R"(Environment:
  REDIS_URL            redis://[user:password@]host:port/db, rediss://… (TLS) or
                       unix:///path.sock?db=N (default redis://127.0.0.1:6379/0)
  CIUTILS_REDIS_CACERT, CIUTILS_REDIS_CERT, CIUTILS_REDIS_KEY
                       rediss://: the CA to trust, a client certificate and its key
  CIUTILS_NAMESPACE    key prefix (default ciutils)
  LOCKCTL_TOKEN        the lease token for release and renew when --token is not given
  LOCKCTL_OWNER        the owner recorded with leases, waits and reservations (default host:pid)
  LOCKCTL_POOL         the pool --label chooses from when --pool is not given
  GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, BUILD_URL, CI_JOB_URL,
  BUILDKITE_BUILD_URL, CIRCLE_BUILD_URL
                       the CI job recorded with leases and waits
)";

const char* const k_exit_codes = R"(Exit status:
  0        success (also: releasing a lease that was already released)
  1        release/renew refused: the lease expired, was force-released, or the
           resource is held by someone else; force-release --holder: not held
  2        usage error or invalid input (the message names the flag or value)
  3        Redis unreachable, or refusing (a password is needed or wrong, no
           permission, a read-only replica, still loading, …); the URL is shown
           with its password redacted
  74       run: the lease was lost; the command's process group was stopped
  75       not acquired within --wait (--conflict-exit-code changes it)
  124      run: --max-hold passed; the command's process group was stopped
  125      lockctl itself failed
  126/127  run: the command could not be executed / was not found
  129/130/143  SIGHUP / SIGINT / SIGTERM while waiting (the wait is withdrawn)
  other    run: the command's own exit status (128+N when killed by signal N)
)";

std::optional<std::string> opt(const po::variables_map& vm, const char* name) {
  if (vm.count(name) == 0) return std::nullopt;
  return vm[name].as<std::string>();
}

// A duration flag within [min, max]; the message names the flag and the limit.
milliseconds bounded_duration(const std::string& text, const char* flag, milliseconds min, milliseconds max) {
  milliseconds d = parse_duration(text, flag);
  if (d < min) throw UsageError(std::string(flag) + ": " + text + " is shorter than the minimum " + format_duration(min));
  if (d > max) throw UsageError(std::string(flag) + ": " + text + " is longer than the limit " + format_duration(max));
  return d;
}

void add_connection(po::options_description& desc) {
  desc.add_options()
      ("redis", po::value<std::string>()->value_name("URL"), "Redis URL (else $REDIS_URL)")
      ("namespace", po::value<std::string>()->value_name("NS"), "key prefix (else $CIUTILS_NAMESPACE, ciutils)");
}

Connection connection_of(const po::variables_map& vm, const EnvLookup& env) {
  Connection c;
  auto url = opt(vm, "redis");
  if (auto old = opt(vm, "redis-url")) {
    if (url) throw UsageError("give --redis only (--redis-url is its deprecated old spelling)");
    url = old;
    c.deprecated = "--redis-url is deprecated and will be removed in the next release: use --redis";
  }
  c.redis_url = url.value_or(env("REDIS_URL").value_or("redis://127.0.0.1:6379/0"));
  // The environment is looked up here (not by KeySpace::checked) so that tests can inject it.
  c.ns = KeySpace::checked(opt(vm, "namespace").value_or(env("CIUTILS_NAMESPACE").value_or("ciutils"))).name();
  return c;
}

po::options_description serve_description(CommonOptions& common) {
  po::options_description desc("Options");
  add_common_options(desc, common);
  add_connection(desc);
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
  return desc;
}

po::options_description acquire_description(bool is_run, CommonOptions& common) {
  po::options_description desc("Options");
  add_common_options(desc, common);
  add_connection(desc);
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
      ("min-replicas", po::value<std::string>()->value_name("N"), is_run
           ? "N replicas must acknowledge the grant (exit 3 if not within 1s, before COMMAND runs) and each renewal (the command is stopped, 74, when the lease runs out unacknowledged); default 0"
           : "N replicas must acknowledge the grant within 1s, else it is released and lockctl exits 3 (default 0)")
      ("max-hold", po::value<std::string>()->value_name("D"), is_run ? "stop the command and release after D in total (at most 30d)"
                                                                      : "with --keep-alive: stop renewing and release after D (at most 30d)");
  if (is_run) {
    desc.add_options()
        ("kill-grace", po::value<std::string>()->value_name("D"), "time between TERM (or a forwarded signal) and KILL when stopping the command (default 10s, at most 1h)");
  } else {
    desc.add_options()
        ("keep-alive", "leave a background renewer that keeps the lease until it is released")
        ("watch-pid", po::value<std::string>()->value_name("PID"), "with --keep-alive: stop renewing when PID exits");
  }
  return desc;
}

po::options_description token_description(const std::string& command, CommonOptions& common) {
  po::options_description desc("Options");
  add_common_options(desc, common);
  add_connection(desc);
  if (command == "force-release") {
    desc.add_options()("holder", po::value<std::string>()->value_name("TOKEN"), "end only this holder's lease (default: all holders)");
  } else {
    desc.add_options()("token", po::value<std::string>()->value_name("T"), "the lease token printed by acquire (else $LOCKCTL_TOKEN)");
  }
  if (command == "renew") {
    desc.add_options()("ttl", po::value<std::string>()->value_name("D"), "new time to live from now (default 60s, 1s..1d)");
  }
  return desc;
}

po::options_description query_description(const std::string& command, CommonOptions& common) {
  po::options_description desc("Options");
  add_common_options(desc, common);
  add_connection(desc);
  if (command == "status") {
    desc.add_options()("pool", po::value<std::string>()->value_name("POOL"), "show a pool and its members");
  }
  if (command == "history") {
    desc.add_options()("limit", po::value<std::string>()->value_name("N"), "the last N events (default 50)");
  }
  if (command == "reserve") {
    desc.add_options()
        ("note", po::value<std::string>()->value_name("TEXT"), "why, shown by status and history (at most 500 characters)")
        ("for", po::value<std::string>()->value_name("D"), "the reservation ends by itself after D (at most 30d; default: at unreserve)");
  }
  if (command == "reserve" || command == "unreserve") {
    desc.add_options()("owner", po::value<std::string>()->value_name("NAME"), "who reserves or unreserves, for status and history (else $LOCKCTL_OWNER, host:pid)");
  }
  return desc;
}

// Parses desc's flags plus the positional names (RESOURCE…, hidden from --help) into "name".
po::variables_map parse_with_names(const std::vector<std::string>& args, const po::options_description& desc) {
  po::options_description hidden;
  hidden.add_options()("name", po::value<std::vector<std::string>>())(
      "redis-url", po::value<std::string>(), "deprecated spelling of --redis");
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("name", -1);
  return parse_args(args, all, pos);
}

struct Synopsis {
  const char* command;
  const char* synopsis;
  const char* description;
};

const Synopsis k_synopses[] = {
    {"acquire", "lockctl acquire RESOURCE... | --pool POOL [--label EXPR] [--quantity K] [--ttl D] [--wait D | --no-wait] [--keep-alive]",
     "Takes a lease on RESOURCE (several: all of them at once, or none; they must be members\n"
     "of one pool), or on any free member(s) of POOL whose labels match --label, and prints\n"
     "the granted resource name(s) on one line and the lease token on the next. Waiters\n"
     "queue in FIFO order (then by --priority). Without --keep-alive the lease expires after\n"
     "--ttl unless renewed: prefer `lockctl run` when the work is one command."},
    {"run", "lockctl run RESOURCE... | --pool POOL [--label EXPR] [--quantity K] [--ttl D] [--wait D] [--max-hold D] -- COMMAND [ARG...]",
     "Acquires, runs COMMAND in its own process group with LOCKCTL_RESOURCE, LOCKCTL_RESOURCES,\n"
     "LOCKCTL_TOKEN, LOCKCTL_FENCE, LOCKCTL_FENCES and the resources' properties\n"
     "(LOCKCTL_PROP_<KEY> of the first, LOCKCTL_RESOURCE<i>_PROP_<KEY> of resource i from 0)\n"
     "set, renews the lease every TTL/3 from a separate connection, forwards INT/TERM/HUP to the group (KILL after --kill-grace if it\n"
     "still runs; exit 128+N), releases at the end and exits with COMMAND's status. When the\n"
     "lease is lost the group gets TERM, then KILL after --kill-grace, and lockctl exits 74.\n"
     "COMMAND dies with lockctl, even by kill -9; descendants that left its process group are\n"
     "killed at release and named in a warning."},
    {"release", "lockctl release RESOURCE --token T",
     "Ends the lease T on RESOURCE (all resources it covers). Owner-safe: only the token's\n"
     "holder can release; releasing twice succeeds."},
    {"renew", "lockctl renew RESOURCE --token T [--ttl D]", "Extends the lease T to --ttl from now and prints the new expiry."},
    {"status", "lockctl status [RESOURCE | --pool POOL]",
     "Shows holders (owner, CI job, since, expiry, fence) and the waiting queue in order.\n"
     "Without arguments, the same as `lockctl list`."},
    {"list", "lockctl list", "Lists every known resource and pool with its holders and waiters."},
    {"history", "lockctl history RESOURCE [--limit N]",
     "Shows the last events of RESOURCE (or a pool): acquired (with the wait), released,\n"
     "expired, forced, lost, abandoned."},
    {"force-release", "lockctl force-release RESOURCE [--holder TOKEN]",
     "Administrator's escape hatch: ends the leases on RESOURCE (whole leases, every\n"
     "resource they cover), recorded in the history as forced."},
    {"pool", "lockctl pool set|add|remove POOL MEMBER... | lockctl pool list |\n"
     "       lockctl pool set-labels RESOURCE [LABEL...] | lockctl pool set-props RESOURCE [KEY=VALUE...]",
     "Defines pools: named sets of resources. A change is checked, then moves each member\n"
     "in a few steps that never let it be granted twice (on a Redis Cluster too); a change\n"
     "killed half way is finished by the next one. A resource belongs to at most one pool,\n"
     "and a name is either a pool or a resource (exit 2 otherwise). Adding or removing a\n"
     "held resource keeps its leases.\n"
     "set-labels replaces a resource's labels (chosen by acquire/run --label EXPR);\n"
     "set-props replaces its properties, given to `run` as LOCKCTL_PROP_<KEY> (upper case)\n"
     "and shown by acquire --json. Without LABEL or KEY=VALUE they are cleared. Labels and\n"
     "properties go with the resource when it joins or leaves a pool."},
    {"reserve", "lockctl reserve RESOURCE [--note TEXT] [--for D]",
     "Takes RESOURCE out of rotation: nobody is granted it (by name, --pool or --label)\n"
     "until `lockctl unreserve RESOURCE` or, with --for, until D has passed. Leases that\n"
     "hold it keep running. status shows the note, who reserved it and until when."},
    {"serve", "lockctl serve --api-keys FILE [--listen HOST:PORT] [--tls-cert F --tls-key F] [--default-ttl D] |\n"
     "       lockctl serve hash-key NAME [GLOB...] < key",
     "Serves the locks over HTTP for jobs without Redis access: call-me's API\n"
     "(GET/POST/DELETE /maybe?environment=E with X-API-KEY; /maybe leases last --default-ttl)\n"
     "and a JSON API under /v1 (acquire with wait, renew, release, status, history, pools),\n"
     "both through the same scripts as the commands, so HTTP and command-line waiters share\n"
     "one FIFO queue. GET /healthz answers 200 while Redis does. SIGTERM/SIGINT drain:\n"
     "no new connections, waiting requests answered 503, then exit 0. docs/lockctl-api.yaml\n"
     "describes every route. hash-key reads a key on stdin and prints its --api-keys line."},
    {"unreserve", "lockctl unreserve RESOURCE [--owner NAME]", "Ends a reservation; waiters are granted RESOURCE again."},
};

const Synopsis* find_synopsis(const std::string& command) {
  for (const auto& s : k_synopses) {
    if (command == s.command) return &s;
  }
  return nullptr;
}

std::string extra_text() { return std::string(k_environment) + "\n" + k_exit_codes; }

}  // namespace

AcquireCli parse_acquire_cli(const std::vector<std::string>& args_in, bool is_run, const EnvLookup& env) {
  AcquireCli cli;
  std::vector<std::string> args = args_in;
  if (is_run) {
    auto dash = std::find(args.begin(), args.end(), "--");
    if (dash != args.end()) {
      cli.command.assign(dash + 1, args.end());
      args.erase(dash, args.end());
    }
  }
  po::options_description desc = acquire_description(is_run, cli.parsed.common);
  cli.parsed.vm = parse_with_names(args, desc);
  const auto& vm = cli.parsed.vm;
  if (cli.parsed.common.help || cli.parsed.common.version) return cli;
  cli.parsed.connection = connection_of(vm, env);

  std::vector<std::string> names;
  if (vm.count("name")) names = vm["name"].as<std::vector<std::string>>();
  auto& req = cli.request;
  std::optional<std::string> pool = opt(vm, "pool");
  std::optional<std::string> label = opt(vm, "label");
  if (label && !pool) {
    pool = env("LOCKCTL_POOL");
    if (!pool) throw UsageError("--label needs the pool it chooses from: --pool POOL (or $LOCKCTL_POOL)");
  }
  if (pool) {
    if (!names.empty()) throw UsageError("give either RESOURCE... or --pool, not both");
    validate_name(*pool, "pool");
    req.target = Target::of_pool(*pool);
    if (label) req.target.label = parse_label_expr(*label);
  } else if (names.empty()) {
    throw UsageError(is_run && cli.command.empty() && !args_in.empty() && args_in.front() != "--"
                         ? "RESOURCE: missing (or --pool POOL; and the command after --)"
                         : "RESOURCE: missing (or --pool POOL)");
  } else if (is_run && cli.command.empty() && names.size() > 1) {
    throw UsageError("too many arguments (put the command after --)");
  } else {
    for (const auto& n : names) {
      validate_name(n, "resource");
      if (std::count(names.begin(), names.end(), n) > 1) throw UsageError("resource '" + n + "' is given twice");
    }
    if (names.size() > 100) throw UsageError("too many resources (at most 100 taken together)");
    req.target = Target::of_resources(names);
  }
  if (is_run && cli.command.empty()) throw UsageError("missing the command to run after --");

  if (auto q = opt(vm, "quantity")) {
    if (!req.target.pool) throw UsageError("--quantity needs --pool or --label");
    req.target.quantity = static_cast<int>(parse_integer(*q, "--quantity", 1, 1000));
  }
  if (auto s = opt(vm, "slots")) {
    if (req.target.pool) throw UsageError("--slots applies to a RESOURCE, not to --pool");
    req.slots = parse_integer(*s, "--slots", 1, 100000);
  }
  req.ttl = k_default_ttl;
  if (auto t = opt(vm, "ttl")) req.ttl = bounded_duration(*t, "--ttl", k_min_ttl, k_max_ttl);
  if (vm.count("no-wait") && vm.count("wait")) throw UsageError("--wait and --no-wait are mutually exclusive");
  if (vm.count("no-wait")) req.wait = milliseconds(0);
  if (auto w = opt(vm, "wait")) req.wait = bounded_duration(*w, "--wait", milliseconds(0), k_max_wait);
  if (auto p = opt(vm, "priority")) req.priority = static_cast<int>(parse_integer(*p, "--priority", -1000, 1000));
  req.owner = opt(vm, "owner").value_or(env("LOCKCTL_OWNER").value_or(default_owner()));
  if (req.owner.empty() || req.owner.size() > 200) throw UsageError("--owner: must be 1 to 200 characters");
  req.ci = detect_ci_context(env);
  if (auto c = opt(vm, "conflict-exit-code")) {
    cli.conflict_exit_code = static_cast<int>(parse_integer(*c, "--conflict-exit-code", 1, 255));
  }
  if (auto n = opt(vm, "min-replicas")) {
    cli.min_replicas = static_cast<int>(parse_integer(*n, "--min-replicas", 0, 100));
    if (cli.min_replicas > 0 && !parse_redis_url(cli.parsed.connection.redis_url).cluster.empty()) {
      throw UsageError("--min-replicas: not supported on a Redis Cluster URL (each master has its own replicas)");
    }
  }
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
      if (!cli.keep_alive) throw UsageError("--watch-pid needs --keep-alive");
      cli.watch_pid = static_cast<pid_t>(parse_integer(*p, "--watch-pid", 1, 4194304));
    }
    if (cli.max_hold && !cli.keep_alive) throw UsageError("--max-hold needs --keep-alive (or use lockctl run)");
  }
  return cli;
}

TokenCli parse_token_cli(const std::vector<std::string>& args, const std::string& command, const EnvLookup& env) {
  TokenCli cli;
  po::options_description desc = token_description(command, cli.parsed.common);
  cli.parsed.vm = parse_with_names(args, desc);
  const auto& vm = cli.parsed.vm;
  if (cli.parsed.common.help || cli.parsed.common.version) return cli;
  cli.parsed.connection = connection_of(vm, env);
  std::vector<std::string> names;
  if (vm.count("name")) names = vm["name"].as<std::vector<std::string>>();
  if (names.empty()) throw UsageError("RESOURCE: missing");
  if (names.size() > 1) throw UsageError("too many arguments");
  validate_name(names.front(), "resource");
  cli.resource = names.front();
  if (command == "force-release") {
    if (auto h = opt(vm, "holder")) {
      validate_token(*h, "--holder");
      cli.token = *h;
    }
  } else {
    auto token = opt(vm, "token");
    if (!token) token = env("LOCKCTL_TOKEN");
    if (!token) throw UsageError("missing --token (or $LOCKCTL_TOKEN)");
    validate_token(*token, "--token");
    cli.token = *token;
  }
  if (auto t = opt(vm, "ttl")) cli.ttl = bounded_duration(*t, "--ttl", k_min_ttl, k_max_ttl);
  return cli;
}

ServeCli parse_serve_cli(const std::vector<std::string>& args, const EnvLookup& env) {
  ServeCli cli;
  po::options_description desc = serve_description(cli.parsed.common);
  cli.parsed.vm = parse_with_names(args, desc);
  const auto& vm = cli.parsed.vm;
  if (cli.parsed.common.help || cli.parsed.common.version) return cli;
  if (vm.count("name")) cli.names = vm["name"].as<std::vector<std::string>>();
  if (!cli.names.empty()) {
    if (cli.names.front() != "hash-key") throw UsageError("unknown argument '" + cli.names.front() + "' (serve takes options, or hash-key NAME)");
    cli.hash_key = true;
    cli.names.erase(cli.names.begin());
    if (cli.names.empty()) throw UsageError("hash-key: missing NAME");
    if (cli.names.front().size() > 64) throw UsageError("hash-key: NAME is longer than 64 characters");
    return cli;
  }
  cli.parsed.connection = connection_of(vm, env);
  if (auto listen = opt(vm, "listen")) {
    auto colon = listen->rfind(':');
    if (colon == std::string::npos || colon == 0) throw UsageError("--listen: expected HOST:PORT, got '" + *listen + "'");
    cli.host = listen->substr(0, colon);
    if (cli.host.size() > 2 && cli.host.front() == '[' && cli.host.back() == ']') cli.host = cli.host.substr(1, cli.host.size() - 2);
    cli.port = static_cast<int>(parse_integer(listen->substr(colon + 1), "--listen port", 0, 65535));
  }
  auto keys = opt(vm, "api-keys");
  if (!keys) throw UsageError("missing --api-keys FILE (make its lines with: lockctl serve hash-key NAME)");
  cli.api_keys = *keys;
  cli.tls_cert = opt(vm, "tls-cert").value_or("");
  cli.tls_key = opt(vm, "tls-key").value_or("");
  if (cli.tls_cert.empty() != cli.tls_key.empty()) throw UsageError("--tls-cert and --tls-key go together");
  if (auto t = opt(vm, "default-ttl")) cli.default_ttl = bounded_duration(*t, "--default-ttl", k_min_ttl, k_max_ttl);
  if (auto w = opt(vm, "max-wait")) cli.max_wait = bounded_duration(*w, "--max-wait", milliseconds(0), k_max_serve_wait);
  if (auto r = opt(vm, "rate-limit")) cli.rate_limit = static_cast<double>(parse_integer(*r, "--rate-limit", 0, 1000000));
  if (auto t = opt(vm, "read-timeout")) cli.read_timeout = bounded_duration(*t, "--read-timeout", milliseconds(100), std::chrono::minutes(10));
  if (auto c = opt(vm, "max-connections")) cli.max_connections = static_cast<std::size_t>(parse_integer(*c, "--max-connections", 1, 100000));
  return cli;
}

QueryCli parse_query_cli(const std::vector<std::string>& args, const std::string& command, const EnvLookup& env) {
  QueryCli cli;
  po::options_description desc = query_description(command, cli.parsed.common);
  cli.parsed.vm = parse_with_names(args, desc);
  const auto& vm = cli.parsed.vm;
  if (cli.parsed.common.help || cli.parsed.common.version) return cli;
  cli.parsed.connection = connection_of(vm, env);
  if (vm.count("name")) cli.names = vm["name"].as<std::vector<std::string>>();
  cli.pool = opt(vm, "pool");
  if (cli.pool) validate_name(*cli.pool, "pool");
  if (auto l = opt(vm, "limit")) cli.limit = parse_integer(*l, "--limit", 1, 10000);
  if (command == "status") {
    if (cli.pool && !cli.names.empty()) throw UsageError("give either RESOURCE or --pool, not both");
    if (cli.names.size() > 1) throw UsageError("too many arguments");
    for (const auto& n : cli.names) validate_name(n, "resource");
  } else if (command == "history") {
    if (cli.names.empty()) throw UsageError("RESOURCE: missing");
    if (cli.names.size() > 1) throw UsageError("too many arguments");
    validate_name(cli.names.front(), "resource");
  } else if (command == "list") {
    if (!cli.names.empty()) throw UsageError("too many arguments");
  } else if (command == "reserve" || command == "unreserve") {
    if (cli.names.empty()) throw UsageError("RESOURCE: missing");
    if (cli.names.size() > 1) throw UsageError("too many arguments");
    validate_name(cli.names.front(), "resource");
    if (auto n = opt(vm, "note")) cli.note = *n;
    if (cli.note.size() > 500) throw UsageError("--note: longer than 500 characters");
    if (auto f = opt(vm, "for")) cli.reserve_for = bounded_duration(*f, "--for", k_min_ttl, k_max_hold);
    cli.owner = opt(vm, "owner").value_or(env("LOCKCTL_OWNER").value_or(default_owner()));
    if (cli.owner.empty() || cli.owner.size() > 200) throw UsageError("--owner: must be 1 to 200 characters");
  } else if (command == "pool") {
    if (cli.names.empty()) throw UsageError("missing pool command: set, add, remove, list, set-labels or set-props");
    const std::string& op = cli.names.front();
    if (op == "list") {
      if (cli.names.size() > 1) throw UsageError("too many arguments");
    } else if (op == "set" || op == "add" || op == "remove") {
      if (cli.names.size() < 2) throw UsageError("pool " + op + ": missing POOL");
      validate_name(cli.names[1], "pool");
      if (cli.names.size() < 3) throw UsageError("pool " + op + ": missing MEMBER");
      for (std::size_t i = 2; i < cli.names.size(); ++i) validate_name(cli.names[i], "resource");
    } else if (op == "set-labels" || op == "set-props") {
      if (cli.names.size() < 2) throw UsageError("pool " + op + ": missing RESOURCE");
      validate_name(cli.names[1], "resource");
      if (cli.names.size() > 202) throw UsageError("pool " + op + ": at most 200 " + (op == "set-labels" ? "labels" : "properties"));
      for (std::size_t i = 2; i < cli.names.size(); ++i) {
        const std::string& item = cli.names[i];
        if (op == "set-labels") {
          validate_name(item, "label");
        } else {
          auto eq = item.find('=');
          validate_prop_key(item.substr(0, eq == std::string::npos ? item.size() : eq), item);
          if (eq == std::string::npos) validate_prop_key("", item);
          if (item.size() - eq - 1 > 4096) throw UsageError("property '" + item.substr(0, eq) + "': value longer than 4096 bytes");
        }
      }
    } else {
      throw UsageError("unknown pool command '" + op + "' (expected set, add, remove, list, set-labels or set-props)");
    }
  }
  return cli;
}

std::string command_help(const std::string& command) {
  CommonOptions common;
  const Synopsis* s = find_synopsis(command);
  if (s == nullptr) {
    std::ostringstream out;
    out << "Usage: lockctl COMMAND [OPTIONS] [ARGS]\n\n"
        << "Locks on shared test environments in Redis: mutexes, N-slot semaphores and pools,\n"
        << "with leases that expire when a CI job dies, fair FIFO waiting and fencing tokens.\n\n"
        << "Commands:\n";
    for (const auto& c : k_synopses) out << "  " << c.synopsis << "\n";
    out << "\nEvery command takes -h/--help, --json, -q, -v, --redis URL and --namespace NS.\n\n"
        << extra_text();
    return out.str();
  }
  if (command == "acquire" || command == "run") {
    return help_text(s->synopsis, s->description, acquire_description(command == "run", common), extra_text());
  }
  if (command == "release" || command == "renew" || command == "force-release") {
    return help_text(s->synopsis, s->description, token_description(command, common), extra_text());
  }
  if (command == "serve") {
    return help_text(s->synopsis, s->description, serve_description(common), extra_text());
  }
  return help_text(s->synopsis, s->description, query_description(command, common), extra_text());
}

}  // namespace ciutils::lockctl
