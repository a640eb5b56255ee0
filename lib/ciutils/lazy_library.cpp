#include "ciutils/lazy_library.h"

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace ciutils {

void* LazyLibrary::handle() {
  // dlopen is thread-safe and returns the loaded object again on later calls; the library
  // stays loaded for the life of the process.
  void* loaded = dlopen(m_soname, RTLD_NOW | RTLD_LOCAL);
  if (loaded == nullptr) {
    const char* why = dlerror();
    throw std::runtime_error("cannot load " + std::string(m_soname) + " (" + (why ? why : "unknown error") +
                             "): install " + m_package);
  }
  return loaded;
}

void* LazyLibrary::symbol(const char* name) {
  void* address = dlsym(handle(), name);
  if (address == nullptr) {
    throw std::runtime_error(std::string(m_soname) + " has no " + name + ": install a newer " + m_package);
  }
  return address;
}

}  // namespace ciutils
