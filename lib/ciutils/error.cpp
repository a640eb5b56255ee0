#include "ciutils/error.h"

#include <exception>

namespace ciutils {

int guarded_main(std::string_view tool, std::ostream& err, int (*body)(int, char**), int argc,
                 char** argv) {
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
