// Command templates: "gzip -9 {}" filled with an item, its job number and slot.
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

// Fills GNU parallel's replacement strings: {} the item, {.} without its extension, {/}
// its basename, {//} its directory, {/.} its basename without extension (each shell-quoted),
// {#} the job number and {%} the slot. Without any of them the quoted item is appended
// after a space.
std::string expand_template(std::string_view text, std::string_view item, std::size_t job, int slot);

// The first thing in braces that looks like a replacement string prun does not fill
// ({1}, {2.}, {= perl =}), or nullopt.
std::optional<std::string> unsupported_replacement(std::string_view text);

// Plan commands: fills {#} (job number) and {%} (slot), except after '$' ("${#}" is
// the shell's own). {} is left alone: a plan command has no item.
std::string expand_numbers(std::string_view text, std::size_t job, int slot);

// True when text holds {%}: the command depends on the slot, so expand at dispatch.
bool template_uses_slot(std::string_view text);

}  // namespace ciutils::prun
