// Each lockctl command's flags, declared once for its command table (lockctl.cpp), and the
// checks of what was given: pure (no Redis), so every flag combination is unit-tested.
#pragma once

#include "lock_store.h"

#include "ciutils/cli.h"

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace ciutils::lockctl {

// Options every command shares.
struct Connection {
  std::string redis_url;   // --redis (old spelling --redis-url), REDIS_URL, default
  std::string ns;          // --namespace, CIUTILS_NAMESPACE, "ciutils"
};

struct Parsed {
  CommonOptions common;
  Connection connection;
};

// The flags of each command (the command table gives them --redis, --namespace and the
// common ones).
void acquire_options(po::options_description& desc);
void run_options(po::options_description& desc);
void release_options(po::options_description& desc);
void renew_options(po::options_description& desc);
void force_release_options(po::options_description& desc);
void status_options(po::options_description& desc);
void history_options(po::options_description& desc);
void reserve_options(po::options_description& desc);
void unreserve_options(po::options_description& desc);
void serve_options(po::options_description& desc);

// What each command's parse below reads its positional words (RESOURCE...) from.
inline constexpr const char* k_arguments = "argument";

// The parses below check the flags in vm (parsed from the command's options) and the
// positional words; they leave `parsed` to the caller. They throw UsageError.

// acquire and run.
struct AcquireCli {
  Parsed parsed;
  AcquireRequest request;
  int conflict_exit_code = 75;
  bool keep_alive = false;
  std::optional<pid_t> watch_pid;
  std::optional<milliseconds> max_hold;
  milliseconds kill_grace{10000};
  int min_replicas = 0;              // replicas that must acknowledge the grant and renewals
  std::vector<std::string> command;  // run: after "--"
};

// `is_run`: the `run` command (`command`: the words after "--", --kill-grace).
AcquireCli parse_acquire_cli(const po::variables_map& vm, std::vector<std::string> command, bool is_run,
                             const EnvLookup& env);

// release / renew / force-release: RESOURCE and a token.
struct TokenCli {
  Parsed parsed;
  std::string resource;
  std::string token;  // force-release: may be empty (all holders)
  std::optional<milliseconds> ttl;
};
TokenCli parse_token_cli(const po::variables_map& vm, const std::string& command, const EnvLookup& env);

// status / list / history / pool / reserve / unreserve: names after the command.
struct QueryCli {
  Parsed parsed;
  std::vector<std::string> names;
  std::optional<std::string> pool;
  long long limit = 50;
  // reserve: the note shown by status, how long (nullopt: until unreserve), by whom.
  std::string note;
  std::optional<milliseconds> reserve_for;
  std::string owner;
};
QueryCli parse_query_cli(const po::variables_map& vm, const std::string& command, const EnvLookup& env);

// serve: the HTTP API (serve.h); serve hash-key NAME [GLOB...].
struct ServeCli {
  Parsed parsed;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string tls_cert;
  std::string tls_key;
  std::string api_keys;            // the key file
  milliseconds default_ttl{std::chrono::minutes(10)};  // /maybe leases, and /v1 without "ttl"
  milliseconds max_wait{std::chrono::minutes(10)};     // the longest /v1/acquire wait
  double rate_limit = 20;          // requests per second per key (bursts of twice that); 0: none
  std::size_t max_connections = 512;
  milliseconds read_timeout{10000};  // a whole request, once begun
  // hash-key: the key's name and globs.
  bool hash_key = false;
  std::vector<std::string> names;
};
ServeCli parse_serve_cli(const po::variables_map& vm);

}  // namespace ciutils::lockctl
