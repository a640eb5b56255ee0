// What the report commands share: inputs, flag parsing with --help, exit codes.
#pragma once

#include "result.h"

#include "ciutils/cli.h"
#include "ciutils/redis.h"

#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

extern const char* const k_exit_codes;

struct Inputs {
  std::vector<std::string> files;
  bool allow_empty = false;
};

// The hidden positional "input", and --allow-empty among the visible flags.
void add_input_options(po::options_description& hidden, po::options_description& visible, Inputs& in);

// Every result of every input, in order; UsageError when there are none (unless allowed).
std::vector<TestResult> read_all(const Inputs& in);

// Prints an input warning as "report: warning: …" on stderr.
void warn_on_stderr(const std::string& text);

// Adds the common flags to `visible`, parses args against visible + hidden (`all`) with
// INPUT... positional when `positional_inputs`; prints --help / --version and returns
// false when one of them was asked for.
bool parse(const std::vector<std::string>& args, po::options_description& visible, bool positional_inputs,
           CommonOptions& common, std::string_view synopsis, std::string_view description, std::string_view extra,
           po::options_description& all, po::variables_map& vm);

// --redis URL and --namespace NS, spelt and described as in every ciutils tool.
void add_redis_options(po::options_description& visible, std::string& redis_url, std::string& ns);

// --namespace, else $CIUTILS_NAMESPACE, else "ciutils"; UsageError naming --namespace when
// it is empty or holds '{', '}', ':' or a space (it could not prefix a hash-tagged key).
KeySpace key_space(const po::variables_map& vm, const std::string& ns);

// Connects to --redis, else $REDIS_URL, else redis://127.0.0.1:6379/0.
Redis connect_redis(const std::string& redis_url);

int cmd_store(const std::vector<std::string>& args);
int cmd_history(const std::vector<std::string>& args);
int cmd_html(const std::vector<std::string>& args);
int cmd_serve(const std::vector<std::string>& args);

}  // namespace ciutils::report
