#include "ciutils/command.h"

#include "ciutils/error.h"
#include "ciutils/exit_codes.h"
#include "ciutils/text_wrap.h"
#include "ciutils/warning.h"

#include <algorithm>
#include <cctype>
#include <ostream>
#include <sstream>

namespace ciutils {

namespace {

constexpr EnvVar k_redis_environment[] = {
    {"REDIS_URL", "redis://[user:password@]host:port/db, rediss://... (TLS), redis+cluster://..., redis+sentinel://... or "
                  "unix:///path.sock?db=N (default redis://127.0.0.1:6379/0; --redis wins)"},
    {"CIUTILS_REDIS_CACERT, CIUTILS_REDIS_CERT, CIUTILS_REDIS_KEY",
     "rediss://: the CA to trust, a client certificate and its key"},
    {"CIUTILS_NAMESPACE", "key prefix (default ciutils; --namespace wins; no '{', '}', ':' or spaces)"},
};

constexpr std::size_t k_term_column = 22;

bool any_redis(std::span<const Command> commands) {
  return std::any_of(commands.begin(), commands.end(), [](const Command& c) { return c.redis || any_redis(c.commands); });
}

bool uses_redis(const Tool& tool) { return any_redis(tool.commands); }

std::string environment_text(const Tool& tool, bool redis) {
  std::string out;
  if (redis) {
    for (const auto& e : k_redis_environment) out += wrap_entry(e.name, e.meaning, k_term_column);
  }
  for (const auto& e : tool.environment) out += wrap_entry(e.name, e.meaning, k_term_column);
  return out.empty() ? out : "Environment:\n" + out;
}

std::string footer(const Tool& tool, bool redis) {
  std::string env = environment_text(tool, redis);
  return (env.empty() ? "" : env + "\n") + exit_status_text(tool.name, tool.exit_codes);
}

void add_redis_options(po::options_description& desc) {
  desc.add_options()
      ("redis", po::value<std::string>()->value_name("URL"), "Redis URL (else $REDIS_URL)")
      ("namespace", po::value<std::string>()->value_name("NS"), "key prefix (else $CIUTILS_NAMESPACE, ciutils)");
}

// Old spellings, accepted for one release with a warning (CHANGELOG.md lists them).
struct Alias {
  const char* old_name;
  const char* name;
};
constexpr Alias k_redis_aliases[] = {{"redis-url", "redis"}};

// The flags a help text names: "-f", "--file".
std::vector<std::string> flag_names(const po::options_description& desc) {
  std::vector<std::string> out;
  for (const auto& option : desc.options()) {
    std::istringstream words(option->format_name());
    for (std::string word; words >> word;) {
      if (word.size() > 1 && word[0] == '-') out.push_back(word);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string>& words, const char* separator = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

// The flags of the commands (and their groups' commands) that take a value: "--ttl", "-j".
std::vector<std::string> value_flag_names(std::span<const Command> commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) {
    auto sub = value_flag_names(c.commands);
    out.insert(out.end(), sub.begin(), sub.end());
    if (!c.commands.empty()) continue;
    CommonOptions common;
    auto desc = command_options(c, common);
    for (const auto& option : desc.options()) {
      if (option->semantic()->max_tokens() == 0) continue;
      po::options_description one;
      one.add(option);
      auto names = flag_names(one);
      out.insert(out.end(), names.begin(), names.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

const Command* find_command(const Tool& tool, std::string_view name) {
  for (const auto& c : tool.commands) {
    if (!c.name.empty() && c.name == name) return &c;
  }
  return nullptr;
}

const Command* default_command(const Tool& tool) {
  for (const auto& c : tool.commands) {
    if (c.name.empty()) return &c;
  }
  return nullptr;
}

// What the command's usage calls the command it takes: the word after "-- " ("-- COMMAND
// [ARG...]", "[-- TEMPLATE]"), else CMD.
std::string command_word(const Command& command) {
  auto at = command.usage.find("-- ");
  if (at == std::string_view::npos) return "CMD";
  std::string word;
  for (char c : command.usage.substr(at + 3)) {
    if (!std::isupper(static_cast<unsigned char>(c)) && c != '_') break;
    word += c;
  }
  return word.empty() ? "CMD" : word;
}

// The usages a usage text holds, one a line starting with the tool's name; a line that does
// not is the one before it continued. Lines are indented to sit under "Usage: " in --help.
std::vector<std::string> usages_of(std::string_view text, std::string_view tool) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    line.erase(0, start);
    if (out.empty() || line.starts_with(std::string(tool) + " ")) {
      out.push_back(line);
    } else {
      out.back() += " " + line;
    }
  }
  return out;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// The option arg ("--spool", "--spool=x", "-q") names in desc, or nullptr.
const po::option_description* declared(const po::options_description& desc, const std::string& arg) {
  if (arg.starts_with("--")) return desc.find_nothrow(arg.substr(2, arg.find('=') - 2), false);
  if (arg.size() >= 2 && arg[0] == '-') return desc.find_nothrow(arg.substr(0, 2), false);
  return nullptr;
}

// Flags without a value may come before the command word: `notify -q flush` is
// `notify flush -q`. Returns the arguments with the command word first when they are such.
std::vector<std::string> command_word_first(const Tool& tool, std::vector<std::string> args) {
  auto word = std::find_if(args.begin(), args.end(), [](const std::string& a) { return !a.starts_with("-"); });
  if (word == args.begin() || word == args.end()) return args;
  const Command* command = find_command(tool, *word);
  if (command == nullptr) return args;
  CommonOptions common;
  auto desc = command_options(*command, common);
  for (auto it = args.begin(); it != word; ++it) {
    const auto* option = declared(desc, *it);
    if (option == nullptr || option->semantic()->max_tokens() != 0) return args;
  }
  std::rotate(args.begin(), word, word + 1);
  return args;
}

// "--claim-timeout: unknown option" for a flag another of the tool's commands declares
// becomes "--claim-timeout: only for notify flush".
void throw_if_another_commands(const Tool& tool, const Command& command, const std::string& message) {
  const std::string suffix = ": unknown option";
  if (!message.ends_with(suffix)) return;
  const std::string flag = message.substr(0, message.size() - suffix.size());
  for (const auto& other : tool.commands) {
    if (&other == &command || other.options == nullptr) continue;
    po::options_description desc;
    other.options(desc);
    if (declared(desc, flag) == nullptr) continue;
    std::string where = std::string(tool.name) + (other.name.empty() ? "" : " " + std::string(other.name));
    throw UsageError(flag + ": only for " + where);
  }
}

std::string options_text(const Command& command) {
  CommonOptions common;
  std::ostringstream out;
  out << command_options(command, common);
  return out.str();
}

int run_command(const Tool& tool, const Command& command, std::vector<std::string> args, std::ostream& out,
                std::ostream& err) {
  auto parsed = [&] {
    try {
      return parse_invocation(tool.name, command, std::move(args), out, err);
    } catch (const UsageError& e) {
      throw_if_another_commands(tool, command, e.what());
      throw;
    }
  };
  Invocation inv = parsed();
  if (inv.common.help) {
    out << (command.name.empty() ? tool_help(tool) : command_help(tool, command));
    return 0;
  }
  if (inv.common.version) {
    out << version_text(tool.name) << "\n";
    return 0;
  }
  if (command.takes_command && inv.command.empty()) {
    throw UsageError(command_word(command) + ": missing (put the command after --)");
  }
  return command.run(inv);
}

// `TOOL GROUP SUB ARGS...`: args are the words after GROUP.
int run_group(const Tool& tool, const Command& group, std::vector<std::string> args, std::ostream& out,
              std::ostream& err) {
  const std::string see = " (see " + std::string(tool.name) + " " + std::string(group.name) + " --help)";
  if (args.empty()) throw UsageError("COMMAND: missing" + see);
  const std::string& word = args.front();
  if (word == "-h" || word == "--help" || word == "help") {
    out << group_help(tool, group);
    return 0;
  }
  for (const auto& c : group.commands) {
    if (c.name == word) return run_command(tool, c, {args.begin() + 1, args.end()}, out, err);
  }
  if (word.starts_with("-")) throw UsageError(word + ": unknown option; a command comes first" + see);
  throw UsageError("'" + word + "': unknown command" + see);
}

// "  push --queue Q ...   load the run's jobs": a command's line in a list of commands.
std::string command_list(std::string_view prefix, std::span<const Command> commands) {
  std::string out;
  std::string_view group = "\x01";
  for (const auto& c : commands) {
    if (c.name.empty()) continue;
    if (c.group != group) {
      group = c.group;
      out += "\n" + (group.empty() ? std::string("Commands") : std::string(group)) + ":\n";
    }
    std::string_view usage = c.usage;
    if (usage.starts_with(prefix) && usage.size() > prefix.size()) usage.remove_prefix(prefix.size() + 1);
    out += wrap_entry(usage, c.summary, 34);
  }
  return out;
}

}  // namespace

std::optional<std::string> Invocation::flag(const char* name) const {
  if (vm.count(name) == 0) return std::nullopt;
  return vm[name].as<std::string>();
}

RedisUrl Invocation::redis_url() const { return parse_redis_url(redis_url_text()); }

std::string Invocation::redis_url_text() const {
  auto url = flag("redis");
  for (const auto& alias : k_redis_aliases) {
    if (auto old = flag(alias.old_name)) {
      if (url) {
        throw UsageError("--" + std::string(alias.old_name) + ": give --" + alias.name +
                         " only (--" + alias.old_name + " is its old spelling)");
      }
      warn_once("--" + std::string(alias.old_name) + " is deprecated and will be removed in the next release: use --" +
                alias.name);
      url = old;
    }
  }
  return url ? *url : redis_url_from_env();
}

bool Invocation::redis_named() const {
  if (flag("redis") || env_value("REDIS_URL")) return true;
  return std::any_of(std::begin(k_redis_aliases), std::end(k_redis_aliases),
                     [this](const Alias& alias) { return vm.count(alias.old_name) != 0; });
}

KeySpace Invocation::key_space() const { return KeySpace::checked(flag("namespace")); }

Invocation parse_invocation(std::string_view tool, const Command& command, std::vector<std::string> args,
                            std::ostream& out, std::ostream& err) {
  Invocation inv{tool, {}, {}, {}, out, err};
  if (command.takes_command) {
    auto split = std::find(args.begin(), args.end(), "--");
    if (split != args.end()) {
      inv.command.assign(split + 1, args.end());
      args.erase(split, args.end());
    }
  }
  po::options_description all = command_options(command, inv.common);
  if (command.redis) {
    for (const auto& alias : k_redis_aliases) all.add_options()(alias.old_name, po::value<std::string>());
  }
  po::positional_options_description positional;
  auto names = words_of(command.positional);
  std::vector<std::string> hidden;  // reachable as positional words only, never as --NAME
  for (std::size_t i = 0; i < names.size(); ++i) {
    int count = i + 1 == names.size() ? command.positional_max : 1;
    positional.add(names[i].c_str(), count);
    if (all.find_nothrow(names[i], false) != nullptr) continue;
    hidden.push_back(names[i]);
    if (count == 1) {
      all.add_options()(names[i].c_str(), po::value<std::string>());
    } else {
      all.add_options()(names[i].c_str(), po::value<std::vector<std::string>>());
    }
  }
  if (command.positional_is_command && !names.empty()) {
    auto split = std::find(args.begin(), args.end(), "--");
    if (split != args.end() && split + 1 != args.end()) {
      auto before = parse_args({args.begin(), split}, all, positional, hidden);
      if (before.count(names.back()) != 0) {
        throw UsageError(command_word(command) + ": given both before and after '--' (give it on one side)");
      }
    }
  }
  inv.vm = parse_args(args, all, positional, hidden);
  return inv;
}

po::options_description command_options(const Command& command, CommonOptions& common) {
  po::options_description desc("Options");
  if (command.options != nullptr) command.options(desc);
  if (command.redis) add_redis_options(desc);
  if (command.quiet != nullptr) {
    add_common_options(desc, common, command.quiet);
  } else {
    add_common_options(desc, common);
  }
  return desc;
}

std::string tool_help(const Tool& tool) {
  const Command* main_command = default_command(tool);
  std::string out = "Usage: ";
  if (main_command == nullptr) {
    out += std::string(tool.name) + " COMMAND [OPTIONS]\n";
  } else {
    out += std::string(main_command->usage) + "\n";
    for (const auto& c : tool.commands) {
      if (!c.name.empty()) out += "       " + std::string(c.usage) + "\n";
    }
  }
  out += "\n" + std::string(tool.description) + "\n";
  if (main_command != nullptr) out += "\n" + options_text(*main_command);
  out += command_list(tool.name, tool.commands) + "\n";
  if (uses_redis(tool)) out += "Every command that uses Redis takes --redis URL and --namespace NS.\n";
  out += "Run `" + std::string(tool.name) + " COMMAND --help` for a command's options.\n\n";
  return out + footer(tool, uses_redis(tool));
}

std::string group_help(const Tool& tool, const Command& group) {
  std::string prefix = std::string(tool.name) + " " + std::string(group.name);
  std::string out = "Usage: " + std::string(group.usage) + "\n\n" + std::string(group.description) + "\n";
  out += command_list(prefix, group.commands) + "\n";
  out += "Run `" + prefix + " COMMAND --help` for a command's options.\n\n";
  return out + footer(tool, any_redis(group.commands));
}

std::string command_help(const Tool& tool, const Command& command) {
  CommonOptions common;
  std::ostringstream out;
  out << "Usage: " << command.usage << "\n\n" << command.description << "\n\n" << command_options(command, common)
      << "\n" << footer(tool, command.redis);
  return out.str();
}

int run_tool(const Tool& tool, int argc, char** argv, std::ostream& out, std::ostream& err) {
  auto args = args_of(argc, argv);
  const std::string name(tool.name);
  const Command* main_command = default_command(tool);
  if (args.empty()) {
    if (main_command != nullptr) return run_command(tool, *main_command, args, out, err);
    throw UsageError("COMMAND: missing (see " + name + " --help)");
  }
  const std::string first = args.front();
  if (first == "-h" || first == "--help" || first == "help") {
    out << tool_help(tool);
    return 0;
  }
  if (first == "--version") {
    out << version_text(tool.name) << "\n";
    return 0;
  }
  if (first == "--man") {
    out << man_page(tool);
    return 0;
  }
  if (first == "--completion") {
    out << bash_completion(tool);
    return 0;
  }
  args = command_word_first(tool, std::move(args));
  if (const Command* command = find_command(tool, args.front())) {
    if (!command->commands.empty()) return run_group(tool, *command, {args.begin() + 1, args.end()}, out, err);
    return run_command(tool, *command, {args.begin() + 1, args.end()}, out, err);
  }
  if (main_command != nullptr) return run_command(tool, *main_command, args, out, err);
  if (first.starts_with("-")) throw UsageError(first + ": unknown option; a command comes first (see " + name + " --help)");
  throw UsageError("'" + first + "': unknown command (see " + name + " --help)");
}

std::string man_page(const Tool& tool) {
  std::string name(tool.name);
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  std::string out = ".TH " + upper + " 1 \"\" \"" + version_text(tool.name) + "\" \"ciutils\"\n";
  out += ".SH NAME\n" + name + " \\- " + roff(tool.summary) + "\n";
  // One entry per usage line (a usage's own lines are indented under "Usage: " for --help),
  // each wrapped with its continuation lines indented under the tool's name.
  out += ".SH SYNOPSIS\n.nh\n.ad l\n.in +4n\n";
  auto synopsis = [&](std::string_view usage) {
    for (const auto& line : usages_of(usage, tool.name)) out += ".ti -4n\n" + roff(line) + "\n.br\n";
  };
  for (const auto& c : tool.commands) {
    if (c.commands.empty()) synopsis(c.usage);
    for (const auto& s : c.commands) synopsis(s.usage);
  }
  out += ".in -4n\n.ad\n.hy\n.SH DESCRIPTION\n" + roff(tool.description) + "\n";
  out += ".SH COMMANDS\n";
  for (const auto& c : tool.commands) {
    std::string title = c.name.empty() ? name : name + " " + std::string(c.name);
    std::string help = c.commands.empty() ? command_help(tool, c) : group_help(tool, c);
    out += ".SS \"" + title + "\"\n.nf\n" + roff(help) + ".fi\n";
    for (const auto& s : c.commands) {
      out += ".SS \"" + title + " " + std::string(s.name) + "\"\n.nf\n" + roff(command_help(tool, s)) + ".fi\n";
    }
  }
  std::string env = environment_text(tool, uses_redis(tool));
  if (!env.empty()) out += ".SH ENVIRONMENT\n.nf\n" + roff(env.substr(env.find('\n') + 1)) + ".fi\n";
  std::string status = exit_status_text(tool.name, tool.exit_codes);
  out += ".SH EXIT STATUS\n.nf\n" + roff(status.substr(status.find('\n') + 1)) + ".fi\n";
  out += ".SH SEE ALSO\nThe ciutils documentation: /usr/share/doc/ciutils (or share/doc/ciutils in a release "
         "tarball).\n";
  return out;
}

std::string bash_completion(const Tool& tool) {
  std::string name(tool.name);
  std::string fn = "_ciutils_" + name;
  std::replace(fn.begin(), fn.end(), '-', '_');
  std::string group_names;
  for (const auto& c : tool.commands) {
    if (!c.commands.empty()) group_names += (group_names.empty() ? "" : "|") + std::string(c.name);
  }
  // The loop finds the command ("queue push" for a group's) and counts the positional words
  // after it (n), skipping each flag's value; completing a flag's value is left to bash.
  const std::string value_flags = joined(value_flag_names(tool.commands), "|");
  std::ostringstream out;
  out << "# bash completion for " << name << " (" << version_text(tool.name) << "), generated from its commands.\n"
      << fn << "() {\n"
      << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" sub=\"\" n=0 i w words flags\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    w=\"${COMP_WORDS[i]}\"\n"
      << "    case \"$w\" in\n"
      << "      --) return 0 ;;\n";
  if (!value_flags.empty()) {
    out << "      " << value_flags << ") ((i + 1 == COMP_CWORD)) && return 0; ((i++)) ;;\n";
  }
  out << "      -*) ;;\n";
  if (group_names.empty()) {
    out << "      *) if [ -z \"$sub\" ]; then sub=\"$w\"; else n=$((n + 1)); fi ;;\n";
  } else {  // a group's command is its second word: sub is "queue push"
    out << "      *) if [ -z \"$sub\" ]; then sub=\"$w\"\n"
        << "         else case \"$sub\" in " << group_names << ") sub=\"$sub $w\" ;; *) n=$((n + 1)) ;; esac; fi ;;\n";
  }
  out << "    esac\n";
  out << "  done\n"
      << "  case \"$sub\" in\n";
  std::vector<std::string> names;
  std::string default_flags = "--help --version";
  for (const auto& c : tool.commands) {
    if (!c.commands.empty()) {
      std::vector<std::string> words;
      for (const auto& s : c.commands) {
        CommonOptions common;
        auto flags = flag_names(command_options(s, common));
        std::sort(flags.begin(), flags.end());
        out << "    \"" << c.name << " " << s.name << "\") words=\"\"; flags=\"" << joined(flags) << "\" ;;\n";
        words.emplace_back(s.name);
      }
      std::sort(words.begin(), words.end());
      out << "    " << c.name << ") words=\"" << joined(words) << "\"; flags=\"--help\" ;;\n";
      names.emplace_back(c.name);
      continue;
    }
    if (c.name.empty()) {
      CommonOptions common;
      auto flags = flag_names(command_options(c, common));
      std::sort(flags.begin(), flags.end());
      default_flags = joined(flags);
      continue;
    }
    CommonOptions common;
    auto flags = flag_names(command_options(c, common));
    std::sort(flags.begin(), flags.end());
    std::vector<std::string> words(c.words.begin(), c.words.end());
    std::sort(words.begin(), words.end());
    out << "    " << c.name << ") words=\"" << joined(words) << "\"; flags=\"" << joined(flags) << "\" ;;\n";
    names.emplace_back(c.name);
  }
  std::sort(names.begin(), names.end());
  if (default_command(tool) == nullptr) {
    out << "    *) words=\"" << joined(names) << "\"; flags=\"--help --version\" ;;\n";
  } else {
    out << "    \"\") words=\"" << joined(names) << "\"; flags=\"" << default_flags << "\" ;;\n"
        << "    *) words=\"\"; flags=\"" << default_flags << "\" ;;\n";
  }
  out
      << "  esac\n"
      << "  ((n == 0)) || words=\"\"  # a command's words are its first argument's choices\n"
      << "  if [[ \"$cur\" == -* ]]; then\n"
      << "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
      << "  else\n"
      << "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      << "  fi\n"
      << "}\n"
      << "complete -o default -F " << fn << " \"$(basename \"${BASH_SOURCE[0]:-" << name << "}\")\"\n";
  return out.str();
}

}  // namespace ciutils
