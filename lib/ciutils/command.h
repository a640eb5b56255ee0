// One declaration per command (name, summary, usage, options, environment, exit codes), from
// which the tool's --help, its option parser, its man page and its bash completion are all
// made (docs/cli.md). A tool is a Tool whose main is one call to run_tool().
#pragma once

#include "ciutils/cli.h"
#include "ciutils/redis.h"

#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

struct EnvVar {
  std::string_view name;
  std::string_view meaning;
};

// What a command's run function gets: its parsed flags and where to write.
struct Invocation {
  std::string_view tool;
  po::variables_map vm;
  CommonOptions common;
  std::vector<std::string> command;  // the words after "--" (Command::takes_command)
  std::ostream& out;
  std::ostream& err;

  // The flag's value when given.
  std::optional<std::string> flag(const char* name) const;
  template <class T>
  T value_or(const char* name, T fallback) const {
    return vm.count(name) != 0 ? vm[name].as<T>() : fallback;
  }
  // --redis, else $REDIS_URL, else redis://127.0.0.1:6379/0; --redis-url is the old spelling.
  RedisUrl redis_url() const;
  // Whether a Redis was named: --redis (or its old spelling) given, or $REDIS_URL set.
  bool redis_named() const;
  // The same URL as given, unparsed (for a command that parses it later, once per connection).
  std::string redis_url_text() const;
  // --namespace, else $CIUTILS_NAMESPACE, else ciutils (checked as KeySpace::checked does).
  KeySpace key_space() const;
};

struct Command {
  // As typed after the tool's name. "" is the tool's default command: it runs when the first
  // argument is no command's name (`fetch URL` beside `fetch put PATH URL`), and the tool's
  // --help shows its usage and flags.
  std::string_view name = {};
  std::string_view group = {};        // heading the tool's command list puts it under
  std::string_view summary = {};      // one line, for the command list and completion
  std::string_view usage = {};        // "schedule tick -f FILE"
  std::string_view description = {};  // the paragraph --help prints under the usage
  void (*options)(po::options_description&) = nullptr;  // the command's own flags
  // The flags positional arguments fill, in order, separated by spaces ("path url"); each
  // takes one, the last takes positional_max (-1: any number). A name the command's options
  // do not declare is a hidden flag: a string, or a list when it takes more than one.
  std::string_view positional = {};
  int positional_max = 0;
  // The last positional is a command: typed before "--" or after it, never on both sides
  // (`prun echo {}` and `prun -- echo {}` are one command; `prun echo -- x` is an error).
  bool positional_is_command = false;
  bool redis = false;            // takes --redis URL and --namespace NS
  bool takes_command = false;    // "-- CMD [ARG...]" ends its arguments
  std::span<const std::string_view> words = {};  // what its first argument may be, for completion
  const char* quiet = nullptr;   // what -q does when it is more than "print only errors"
  int (*run)(Invocation&) = nullptr;
  // A group of commands named by a second word (`prun queue push`): the group's --help lists
  // them, its usage and description say what they share, and it has no run of its own.
  std::span<const Command> commands = {};
};

struct Tool {
  std::string_view name = {};
  std::string_view summary = {};       // one line: the man page's NAME
  std::string_view description = {};   // the paragraph of the tool's own --help
  std::span<const Command> commands = {};
  std::span<const EnvVar> environment = {};         // besides Redis's, which commands with `redis` add
  std::span<const std::string_view> exit_codes = {};  // the shared codes of docs/exit-codes.md it uses
};

// Parses argv, prints --help/--version or runs the command; returns the exit code.
// `TOOL --man` and `TOOL --completion` print the man page and the bash completion.
int run_tool(const Tool& tool, int argc, char** argv, std::ostream& out, std::ostream& err);

// A command's arguments (after its name) parsed as run_tool parses them, without running it.
Invocation parse_invocation(std::string_view tool, const Command& command, std::vector<std::string> args,
                            std::ostream& out, std::ostream& err);

// The tool's help (no command) or a command's help, exactly as --help prints it.
std::string tool_help(const Tool& tool);
std::string command_help(const Tool& tool, const Command& command);
std::string group_help(const Tool& tool, const Command& group);

// The option set a command is parsed with: its own flags, Redis's, then the common ones.
po::options_description command_options(const Command& command, CommonOptions& common);

std::string man_page(const Tool& tool);
std::string bash_completion(const Tool& tool);

}  // namespace ciutils
