#include "ciutils/command.h"

#include "ciutils/error.h"
#include "ciutils/exit_codes.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace ciutils;

namespace {

std::string g_seen;

void echo_options(po::options_description& desc) {
  desc.add_options()("file,f", po::value<std::string>()->value_name("FILE"), "the file")(
      "word", po::value<std::string>(), "a word");
}

int run_echo(Invocation& inv) {
  g_seen = inv.flag("file").value_or("-") + "|" + inv.flag("word").value_or("-");
  for (const auto& w : inv.command) g_seen += "|" + w;
  return 7;
}

int run_redis(Invocation& inv) {
  g_seen = std::string(inv.redis_named() ? "named|" : "") + inv.redis_url().redacted() + "|" + inv.key_space().name();
  if (inv.redis_url_text().find("pw") != std::string::npos) g_seen += "|" + inv.redis_url_text();
  return 0;
}

int run_names(Invocation& inv) {
  for (const auto& w : inv.value_or("name", std::vector<std::string>{})) g_seen += w + "|";
  g_seen += inv.flag("file").value_or("-");
  return 0;
}

constexpr std::string_view k_name_words[] = {"some", "all"};

constexpr Command k_commands[] = {
    {.name = "echo", .group = "Files", .summary = "print the flags", .usage = "demo echo -f FILE [WORD]",
     .description = "Prints what it was given.", .options = echo_options, .positional = "word",
     .positional_max = 1, .takes_command = false, .run = run_echo},
    {.name = "exec", .group = "Files", .summary = "take a command", .usage = "demo exec -- CMD",
     .description = "Takes a command.", .options = echo_options, .takes_command = true, .run = run_echo},
    {.name = "store", .group = "Redis", .summary = "use Redis", .usage = "demo store", .description = "Connects.",
     .redis = true, .run = run_redis},
    {.name = "names", .group = "Redis", .summary = "take names", .usage = "demo names NAME... [-f FILE]",
     .description = "Takes names.", .options = echo_options, .positional = "name", .positional_max = -1,
     .words = k_name_words, .run = run_names},
    {.name = "each", .group = "Files", .summary = "run a template",
     .usage = "demo each [-f FILE] TEMPLATE...\n       demo each [-f FILE] -- TEMPLATE...",
     .description = "Runs a template.", .options = echo_options, .positional = "name", .positional_max = -1,
     .positional_is_command = true, .run = run_names},
};
constexpr EnvVar k_env[] = {{"DEMO_HOME", "where demo keeps its files"}};
constexpr std::string_view k_codes[] = {"0", "2", "3"};
constexpr Tool k_tool{.name = "demo", .summary = "a demonstration", .description = "Demonstrates the table.",
                      .commands = k_commands, .environment = k_env, .exit_codes = k_codes};

// A tool whose default command runs when the first word is no command's name (fetch URL).
int run_get(Invocation& inv) {
  g_seen = "get:" + inv.flag("url").value_or("-") + "|" + inv.flag("output").value_or("-");
  return 0;
}
int run_put(Invocation& inv) {
  g_seen = "put:" + inv.flag("path").value_or("-") + "|" + inv.flag("url").value_or("-");
  return 0;
}
void get_options(po::options_description& desc) {
  desc.add_options()("output,o", po::value<std::string>()->value_name("DIR"), "where to");
}
constexpr Command k_get_put[] = {
    {.name = "", .summary = "download", .usage = "getter [OPTIONS] URL", .description = "Downloads URL.",
     .options = get_options, .positional = "url", .positional_max = 1, .run = run_get},
    {.name = "put", .summary = "upload PATH to URL", .usage = "getter put PATH URL", .description = "Uploads.",
     .positional = "path url", .positional_max = 1, .run = run_put},
};
constexpr Tool k_getter{.name = "getter", .summary = "gets", .description = "Gets and puts.",
                        .commands = k_get_put, .exit_codes = k_codes};

std::ostringstream* g_out = nullptr;
const Tool* g_tool = &k_tool;

int demo_main(int argc, char** argv) { return run_tool(*g_tool, argc, argv, *g_out, *g_out); }

struct Result {
  int code;
  std::string out;
  std::string err;
};

// Runs `demo ARGS...` (or another tool's) as its main would, through guarded_main("demo").
Result run(std::vector<std::string> args) {
  args.insert(args.begin(), "demo");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  g_out = &out;
  g_seen.clear();
  int code = guarded_main("demo", err, demo_main, static_cast<int>(argv.size()), argv.data());
  g_out = nullptr;
  return {code, out.str(), err.str()};
}

Result run_getter(std::vector<std::string> args) {
  g_tool = &k_getter;
  auto r = run(std::move(args));
  g_tool = &k_tool;
  return r;
}

}  // namespace

TEST(Command, RunsTheNamedCommandWithItsFlagsAndPositional) {
  auto r = run({"echo", "-f", "a.json", "hello"});
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(g_seen, "a.json|hello");
  r = run({"exec", "--file", "x", "--", "sh", "-c", "--file"});
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(g_seen, "x|-|sh|-c|--file");
}

TEST(Command, APositionalNoFlagDeclaresIsAHiddenListOfWords) {
  auto r = run({"names", "a", "-f", "x", "b", "c"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(g_seen, "a|b|c|x");
  r = run({"names"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(g_seen, "-");
  r = run({"names", "--help"});
  EXPECT_EQ(r.out.find("--name"), std::string::npos) << r.out;
  EXPECT_NE(run({"--completion"}).out.find("    names) words=\"all some\"; flags=\"--file --help --json --quiet --verbose --version --word -f -h -q -v\" ;;\n"),
            std::string::npos);
}

TEST(Command, AHiddenPositionalIsNoFlag) {
  auto r = run({"names", "--name", "a"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: --name: unknown option\n");
  r = run({"names", "--name=a"});
  EXPECT_EQ(r.err, "demo: error: --name: unknown option\n");
  EXPECT_EQ(g_seen, "");
  r = run({"names", "--", "--name"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(g_seen, "--name|-");
}

TEST(Command, ACommandInPositionalWordsIsGivenOnOneSideOfTheDashes) {
  auto r = run({"each", "-f", "x", "echo", "{}"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(g_seen, "echo|{}|x");
  r = run({"each", "-f", "x", "--", "echo", "-n"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(g_seen, "echo|-n|x");
  r = run({"each", "echo", "--", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: TEMPLATE: given both before and after '--' (give it on one side)\n");
  EXPECT_EQ(g_seen, "");
  r = run({"each", "-f", "x", "--", "echo", "--", "y"});  // a second -- is the command's own
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(g_seen, "echo|--|y|x");
}

TEST(Command, UsageErrorsNameWhatIsWrong) {
  EXPECT_EQ(run({}).err, "demo: error: COMMAND: missing (see demo --help)\n");
  EXPECT_EQ(run({"frob"}).err, "demo: error: 'frob': unknown command (see demo --help)\n");
  EXPECT_EQ(run({"--frob"}).err, "demo: error: --frob: unknown option; a command comes first (see demo --help)\n");
  EXPECT_EQ(run({"echo", "--bogus"}).err, "demo: error: --bogus: unknown option\n");
  EXPECT_EQ(run({"echo", "-f"}).err, "demo: error: --file: missing value\n");
  EXPECT_EQ(run({"echo", "a", "b"}).err, "demo: error: 'b': unexpected argument\n");
  EXPECT_EQ(run({"echo", "-f", "a", "-f", "b"}).err, "demo: error: --file: given more than once\n");
  EXPECT_EQ(run({"exec"}).err, "demo: error: CMD: missing (put the command after --)\n");
  EXPECT_EQ(run({"echo", "a", "b"}).code, 2);
  EXPECT_EQ(g_seen, "");
}

TEST(Command, HelpComesFromTheDeclaration) {
  auto r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage: demo COMMAND [OPTIONS]\n\nDemonstrates the table.\n\nFiles:\n  echo"), std::string::npos);
  EXPECT_NE(r.out.find("\nRedis:\n  store                           use Redis\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Every command that uses Redis takes --redis URL and --namespace NS."), std::string::npos);
  EXPECT_NE(r.out.find("  DEMO_HOME           where demo keeps its files\n"), std::string::npos);
  EXPECT_NE(r.out.find("Exit status:\n  0           success"), std::string::npos);
  r = run({"echo", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("Usage: demo echo -f FILE [WORD]\n\nPrints what it was given.\n\nOptions:\n", 0), 0u);
  EXPECT_NE(r.out.find("-f [ --file ] FILE"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("--redis"), std::string::npos);
  EXPECT_EQ(r.out.find("REDIS_URL"), std::string::npos);
  r = run({"store", "--help"});
  EXPECT_NE(r.out.find("--redis URL"), std::string::npos);
  EXPECT_NE(r.out.find("--namespace NS"), std::string::npos);
  EXPECT_NE(r.out.find("REDIS_URL"), std::string::npos);
  EXPECT_EQ(r.out.find("redis-url"), std::string::npos);
}

TEST(Command, OldSpellingOfRedisWorksWithAWarning) {
  auto r = run({"store", "--redis-url", "redis://h:1/2", "--namespace", "ns"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(g_seen, "named|redis://h:1/2|ns");
  EXPECT_EQ(r.err, "demo: warning: --redis-url is deprecated and will be removed in the next release: use --redis\n");
  r = run({"store", "--redis", "redis://:pw@h:1/2", "--namespace", "n2"});
  EXPECT_EQ(g_seen, "named|redis://:***@h:1/2|n2|redis://:pw@h:1/2");
  r = run({"store", "--redis-url", "redis://h:1/2", "--redis", "redis://h:1/3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: --redis-url: give --redis only (--redis-url is its old spelling)\n");
  r = run({"store", "--namespace", "a:b"});
  EXPECT_EQ(r.err, "demo: error: --namespace: invalid namespace 'a:b'\n");
  unsetenv("REDIS_URL");
  unsetenv("CIUTILS_NAMESPACE");
  EXPECT_EQ(run({"store"}).code, 0);
  EXPECT_EQ(g_seen, "redis://127.0.0.1:6379/0|ciutils");
  EXPECT_EQ(run({"store", "--redis", "redis://h:1/0"}).code, 0);
  EXPECT_EQ(g_seen, "named|redis://h:1/0|ciutils");
}

TEST(Command, ManPageAndCompletionComeFromTheSameTable) {
  auto man = run({"--man"}).out;
  EXPECT_EQ(man.rfind(".TH DEMO 1", 0), 0u);
  EXPECT_NE(man.find(".SH NAME\ndemo \\- a demonstration\n"), std::string::npos);
  EXPECT_NE(man.find(".SS \"demo store\"\n"), std::string::npos);
  EXPECT_NE(man.find("\\-\\-namespace NS"), std::string::npos);
  EXPECT_NE(man.find(".SH EXIT STATUS\n"), std::string::npos);
  // Each usage line is a SYNOPSIS entry of its own at the margin, however --help indents it.
  auto synopsis = man.substr(man.find(".SH SYNOPSIS\n"), man.find(".SH DESCRIPTION") - man.find(".SH SYNOPSIS\n"));
  EXPECT_NE(synopsis.find(".ti -4n\ndemo each [\\-f FILE] TEMPLATE...\n.br\n.ti -4n\ndemo each [\\-f FILE] \\-\\- TEMPLATE...\n"),
            std::string::npos)
      << synopsis;
  EXPECT_EQ(synopsis.find("\n "), std::string::npos) << synopsis;
  auto completion = run({"--completion"}).out;
  EXPECT_NE(completion.find("    echo) words=\"\"; flags=\"--file --help --json --quiet --verbose --version --word -f -h -q -v\" ;;\n"),
            std::string::npos);
  EXPECT_NE(completion.find("    *) words=\"each echo exec names store\"; flags=\"--help --version\" ;;\n"), std::string::npos);
  EXPECT_NE(completion.find("complete -o default -F _ciutils_demo "), std::string::npos);
}

TEST(Command, FlagsWithoutAValueMayComeBeforeTheCommandWord) {
  auto r = run({"--json", "-q", "echo", "-f", "a"});
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(g_seen, "a|-");
  r = run({"-f", "a", "echo"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: -f: unknown option; a command comes first (see demo --help)\n");
}

TEST(Command, AFlagOfAnotherCommandSaysWhichTakesIt) {
  auto r = run({"store", "--file", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: --file: only for demo echo\n");
  r = run_getter({"http://h/a", "--part"});
  EXPECT_EQ(r.err, "demo: error: --part: unknown option\n");
  r = run_getter({"put", "a", "b", "-o", "x"});
  EXPECT_EQ(r.err, "demo: error: -o: only for getter\n");
}

TEST(Command, TheDefaultCommandRunsWhenTheFirstWordIsNoCommand) {
  EXPECT_EQ(run_getter({"http://h/a.tgz", "-o", "d"}).code, 0);
  EXPECT_EQ(g_seen, "get:http://h/a.tgz|d");
  EXPECT_EQ(run_getter({"-o", "d", "http://h/b.tgz"}).code, 0);
  EXPECT_EQ(g_seen, "get:http://h/b.tgz|d");
  EXPECT_EQ(run_getter({}).code, 0);
  EXPECT_EQ(g_seen, "get:-|-");
  EXPECT_EQ(run_getter({"put", "logs", "s3://b/k"}).code, 0);
  EXPECT_EQ(g_seen, "put:logs|s3://b/k");
  auto r = run_getter({"--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: --bogus: unknown option\n");
  r = run_getter({"put", "a", "b", "c"});
  EXPECT_EQ(r.err, "demo: error: 'c': unexpected argument\n");
  r = run_getter({"a", "b"});
  EXPECT_EQ(r.err, "demo: error: 'b': unexpected argument\n");
}

TEST(Command, TheDefaultCommandsHelpIsTheTools) {
  auto help = run_getter({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out.rfind("Usage: getter [OPTIONS] URL\n       getter put PATH URL\n\nGets and puts.\n\nOptions:\n", 0), 0u)
      << help.out;
  EXPECT_NE(help.out.find("-o [ --output ] DIR"), std::string::npos);
  EXPECT_NE(help.out.find("\nCommands:\n  put PATH URL                    upload PATH to URL\n"), std::string::npos)
      << help.out;
  EXPECT_EQ(help.out.find("--url"), std::string::npos) << "a positional-only flag is hidden";
  EXPECT_EQ(run_getter({"http://h/a.tgz", "--help"}).out, help.out);
  EXPECT_EQ(run_getter({"put", "--help"}).out.rfind("Usage: getter put PATH URL\n\nUploads.\n", 0), 0u);
  auto completion = run_getter({"--completion"}).out;
  EXPECT_NE(completion.find("    \"\") words=\"put\"; flags=\"--help --json --output --quiet --verbose --version -h -o -q -v\" ;;\n"),
            std::string::npos)
      << completion;
  EXPECT_NE(completion.find("    *) words=\"\"; flags=\"--help --json --output"), std::string::npos);
  auto man = run_getter({"--man"}).out;
  EXPECT_NE(man.find(".SS \"getter\"\n"), std::string::npos);
  EXPECT_NE(man.find(".SS \"getter put\"\n"), std::string::npos);
}

// A group of commands named by a second word (`runner queue push`) beside a default command.
int run_push(Invocation& inv) {
  g_seen = "push:" + inv.flag("queue").value_or("-") + "|" + inv.key_space().name();
  return 0;
}
void queue_options(po::options_description& desc) {
  desc.add_options()("queue", po::value<std::string>()->value_name("Q"), "the queue");
}
constexpr Command k_queue_commands[] = {
    {.name = "push", .summary = "load jobs", .usage = "runner queue push --queue Q", .description = "Loads jobs.",
     .options = queue_options, .redis = true, .quiet = "no notes (the jobs' output still prints)", .run = run_push},
    {.name = "wait", .summary = "wait for them", .usage = "runner queue wait --queue Q", .description = "Waits.",
     .options = queue_options, .redis = true, .run = run_push},
};
constexpr Command k_runner_commands[] = {
    {.name = "", .summary = "run jobs", .usage = "runner [OPTIONS]", .description = "Runs jobs.", .options = get_options,
     .run = run_get},
    {.name = "queue", .summary = "jobs in Redis", .usage = "runner queue push|wait ...",
     .description = "One run's jobs in Redis.", .commands = k_queue_commands},
};
constexpr Tool k_runner{.name = "runner", .summary = "runs", .description = "Runs jobs.",
                        .commands = k_runner_commands, .exit_codes = k_codes};

Result run_runner(std::vector<std::string> args) {
  g_tool = &k_runner;
  auto r = run(std::move(args));
  g_tool = &k_tool;
  return r;
}

TEST(Command, AGroupsCommandsAreNamedByTheSecondWord) {
  EXPECT_EQ(run_runner({"queue", "push", "--queue", "q", "--namespace", "ns"}).code, 0);
  EXPECT_EQ(g_seen, "push:q|ns");
  EXPECT_EQ(run_runner({"-o", "d"}).code, 0);
  EXPECT_EQ(g_seen, "get:-|d");
  EXPECT_EQ(run_runner({"queue"}).err, "demo: error: COMMAND: missing (see runner queue --help)\n");
  auto r = run_runner({"queue", "frob"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "demo: error: 'frob': unknown command (see runner queue --help)\n");
  EXPECT_EQ(run_runner({"queue", "--frob"}).err,
            "demo: error: --frob: unknown option; a command comes first (see runner queue --help)\n");
  EXPECT_EQ(run_runner({"queue", "push", "--bogus"}).err, "demo: error: --bogus: unknown option\n");

  auto help = run_runner({"queue", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out.rfind("Usage: runner queue push|wait ...\n\nOne run's jobs in Redis.\n\nCommands:\n"
                           "  push --queue Q                  load jobs\n",
                           0),
            0u)
      << help.out;
  EXPECT_NE(help.out.find("Run `runner queue COMMAND --help` for a command's options."), std::string::npos);
  EXPECT_NE(help.out.find("REDIS_URL"), std::string::npos);
  EXPECT_NE(help.out.find("Exit status:"), std::string::npos);
  auto wait = run_runner({"queue", "wait", "--help"}).out;
  EXPECT_EQ(wait.rfind("Usage: runner queue wait --queue Q\n\nWaits.\n", 0), 0u);
  EXPECT_NE(wait.find("print only errors"), std::string::npos);
  auto push = run_runner({"queue", "push", "--help"}).out;
  EXPECT_NE(push.find("-q [ --quiet ]        no notes (the jobs' output still prints)\n"), std::string::npos) << push;
  auto tool = run_runner({"--help"}).out;
  EXPECT_NE(tool.find("  queue push|wait ...             jobs in Redis\n"), std::string::npos) << tool;

  auto completion = run_runner({"--completion"}).out;
  EXPECT_NE(completion.find("    queue) words=\"push wait\"; flags=\"--help\" ;;\n"), std::string::npos) << completion;
  EXPECT_NE(completion.find("    \"queue push\") words=\"\"; flags=\"--help --json --namespace --queue"), std::string::npos);
  auto man = run_runner({"--man"}).out;
  EXPECT_NE(man.find("runner queue wait \\-\\-queue Q\n"), std::string::npos) << man;
  EXPECT_NE(man.find(".SS \"runner queue\"\n"), std::string::npos);
  EXPECT_NE(man.find(".SS \"runner queue push\"\n"), std::string::npos);
}

TEST(ExitCodes, EveryToolsHelpListsTheSharedCodesItUsesThenItsOwn) {
  constexpr std::string_view codes[] = {"0", "2"};
  EXPECT_EQ(exit_status_text("schedule", codes),
            "Exit status:\n"
            "  0           success (\"nothing to do\" is success too)\n"
            "  2           usage error or invalid input; the one-line message names the flag,\n"
            "              file, line or field\n"
            "  1           `take`: no task within `--wait`; `ack`/`fail`: no worker holds the\n"
            "              task\n"
            "  130 / 143   `work`, `daemon`: interrupted / terminated (`work` hands back\n"
            "              unfinished tasks)\n");
  constexpr std::string_view unknown[] = {"99"};
  EXPECT_THROW(exit_status_text("schedule", unknown), std::logic_error);
}

TEST(ExitCodes, TheTableIsDocsExitCodesRowForRow) {
  std::ifstream page(CIUTILS_DOCS_DIR "/exit-codes.md");
  ASSERT_TRUE(page) << "cannot read docs/exit-codes.md";
  std::vector<std::string> documented;
  for (std::string line; std::getline(page, line);) {
    if (!line.starts_with("| ") || line.starts_with("|---") || line.starts_with("| code |") ||
        line.starts_with("| tool |"))
      continue;
    std::vector<std::string> cells;
    for (std::size_t at = 2; at < line.size();) {
      auto end = line.find(" |", at);
      if (end == std::string::npos) break;
      cells.push_back(line.substr(at, end - at));
      at = end + 3;
    }
    documented.push_back(cells.size() == 2 ? "|" + cells[0] + "|" + cells[1]
                                           : cells.at(0) + "|" + cells.at(1) + "|" + cells.at(2));
  }
  std::vector<std::string> table;
  for (const auto& row : exit_code_table())
    table.push_back(std::string(row.tool) + "|" + std::string(row.code) + "|" + std::string(row.meaning));
  EXPECT_EQ(table, documented);
}
