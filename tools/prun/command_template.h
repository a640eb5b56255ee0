// Command templates: "gzip -9 {}" filled with an item, its job number and slot.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::prun {

// Quotes text for /bin/sh when it holds anything but safe characters.
std::string shell_quote(std::string_view text);

// The words after "--" joined into one shell command text; each word is used as written,
// so "sh -c" syntax in a word ("a | b") still works.
std::string join_template(const std::vector<std::string>& words);

// Fills {} (item, shell-quoted), {#} (job number) and {%} (slot). Without any {} the
// quoted item is appended after a space.
std::string expand_template(std::string_view text, std::string_view item, std::size_t job, int slot);

// Plan commands: fills {#} (job number) and {%} (slot), except after '$' ("${#}" is
// the shell's own). {} is left alone: a plan command has no item.
std::string expand_numbers(std::string_view text, std::size_t job, int slot);

// True when text holds {%}: the command depends on the slot, so expand at dispatch.
bool template_uses_slot(std::string_view text);

}  // namespace ciutils::prun
