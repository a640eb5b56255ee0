#include "ciutils/error.h"

#include "ciutils/warning.h"

#include <exception>
#include <mutex>
#include <set>

namespace ciutils {

namespace {

struct WarningSink {
  std::mutex mutex;
  std::ostream* stream = nullptr;
  std::string tool;
  std::set<std::string> shown;
};

WarningSink& warning_sink() {
  static WarningSink sink;
  return sink;
}

}  // namespace

void warn_once(const std::string& message) {
  WarningSink& sink = warning_sink();
  std::lock_guard lock(sink.mutex);
  if (sink.stream == nullptr || !sink.shown.insert(message).second) return;
  *sink.stream << sink.tool << ": warning: " << message << std::endl;
}

int guarded_main(std::string_view tool, std::ostream& err, int (*body)(int, char**), int argc,
                 char** argv) {
  // Warnings go to err while body runs, and nowhere once it returned: err may be a
  // caller's local stream (as in the unit tests), which must not be written after it is gone.
  struct SinkScope {
    SinkScope(std::ostream& err, std::string_view tool) { set(&err, tool); }
    ~SinkScope() { set(nullptr, {}); }
    static void set(std::ostream* stream, std::string_view tool) {
      WarningSink& sink = warning_sink();
      std::lock_guard lock(sink.mutex);
      sink.stream = stream;
      sink.tool = tool;
    }
  } scope(err, tool);
  try {
    return body(argc, argv);
  } catch (const Error& e) {
    err << tool << ": error: " << e.what() << '\n';
    return to_int(e.code());
  } catch (const std::exception& e) {
    err << tool << ": error: " << e.what() << '\n';
    return to_int(ExitCode::tool_failed);
  }
}

}  // namespace ciutils
