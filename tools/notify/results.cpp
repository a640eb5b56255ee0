#include "results.h"

#include <ciutils/error.h>
#include <ciutils/json.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace ciutils::notify {

namespace {
constexpr std::array<std::string_view, 6> k_statuses{"passed", "failed", "error", "timeout", "skipped", "flaky"};
}

RunOutcome read_results(std::istream& in, const std::string& source) {
  RunOutcome out;
  JsonlReader reader(in, source);
  while (auto record = reader.next()) {
    std::string where = source + ":" + std::to_string(reader.line());
    if (!record->is_object()) throw UsageError(where + ": expected a JSON object");
    const auto& obj = record->as_object();
    auto status = get_string(obj, "status", where);
    if (std::find(k_statuses.begin(), k_statuses.end(), status) == k_statuses.end())
      throw UsageError(where + ": field 'status': unknown status '" + status + "'");
    auto name = get_string(obj, "name", where);
    ++out.total;
    if (status == "failed" || status == "error" || status == "timeout") {
      out.failed = true;
      out.failed_tests.push_back({name, status, find_string(obj, "message", where).value_or("")});
    }
  }
  return out;
}

RunOutcome read_results_file(const std::filesystem::path& path) {
  if (path == "-") return read_results(std::cin, "<stdin>");
  std::ifstream in(path);
  if (!in) throw UsageError(path.string() + ": " + std::strerror(errno));
  return read_results(in, path.string());
}

}  // namespace ciutils::notify
