// The exit codes of docs/exit-codes.md as one table: every --help's "Exit status" section is
// printed from it, and tests/cli_consistency.bats keeps it equal to the page.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace ciutils {

struct ExitCodeRow {
  std::string_view tool;     // "" for a code every tool may use (the page's first table)
  std::string_view code;     // "0", "126 / 127", "128+N"
  std::string_view meaning;  // as the page words it
};

std::span<const ExitCodeRow> exit_code_table();

// "Exit status:" and the rows a tool's --help shows: the shared codes listed in `shared`
// (as the table spells them), then the tool's own rows.
std::string exit_status_text(std::string_view tool, std::span<const std::string_view> shared);

}  // namespace ciutils
