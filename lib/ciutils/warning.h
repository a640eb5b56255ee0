// Warnings the user must see from inside the library (TLS verification turned off, …).
#pragma once

#include <string>

namespace ciutils {

// Written as "tool: warning: message" to the stream guarded_main (error.h) was given, once
// per distinct message per process; dropped outside guarded_main. Thread-safe.
void warn_once(const std::string& message);

}  // namespace ciutils
