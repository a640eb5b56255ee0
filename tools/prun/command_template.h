// Command templates: "gzip -9 {}" filled with a job's arguments, its job number and slot.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::prun {

// Quotes text for /bin/sh when it holds anything but safe characters.
std::string shell_quote(std::string_view text);

// The words after "--" joined into one shell command text; each word is used as written,
// so "sh -c" syntax in a word ("a | b") still works.
std::string join_template(const std::vector<std::string>& words);

// Fills GNU parallel's replacement strings with a job's arguments (one per input source,
// or -N of them): {} all of them, {.} without extension, {/} basename, {//} directory,
// {/.} basename without extension (each argument shell-quoted, joined by spaces), {N} and
// {N.} {N/} {N//} {N/.} the Nth argument ({-N} counting from the end; nothing when there
// is none), {#} the job number and {%} the slot. Without any replacement string the quoted
// arguments are appended. context_replace (-X): a word holding {} or its variants is
// repeated once per argument.
std::string expand_template(std::string_view text, const std::vector<std::string>& args, std::size_t job,
                            int slot, bool context_replace = false);

// The same replacement strings filled as they are, unquoted, and nothing appended: for
// text that is not run by a shell (--tagstring).
std::string expand_plain(std::string_view text, const std::vector<std::string>& args, std::size_t job, int slot);

// --no-shell: the template's words as a program's argv, each filled unquoted; a word
// that is only {} (or a variant) gives one argument per item; without any replacement
// string the items are appended, one argument each.
std::vector<std::string> expand_argv(const std::vector<std::string>& words, const std::vector<std::string>& args,
                                     std::size_t job, int slot);

// argv as one line a shell would read back as the same argv (for records and --dry-run).
std::string quoted_argv(const std::vector<std::string>& argv);

// The first thing in braces that looks like a replacement string prun does not fill
// ({0}, {+.}, {= perl =}), or nullopt.
std::optional<std::string> unsupported_replacement(std::string_view text);

// The highest N of the positional replacement strings {N…} and {-N…} in text (0: none).
std::size_t highest_position(std::string_view text);

// Plan commands: fills {#} (job number) and {%} (slot), except after '$' ("${#}" is
// the shell's own). {} is left alone: a plan command has no item.
std::string expand_numbers(std::string_view text, std::size_t job, int slot);

// True when text holds {%}: the command depends on the slot, so expand at dispatch.
bool template_uses_slot(std::string_view text);

}  // namespace ciutils::prun
