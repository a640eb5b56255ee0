// A shared library loaded on first use. libcurl, libarchive and libcrypto bring 40-odd
// libraries with them; loading them at every start cost a tool ~10 ms before it did anything.
// The tools call those libraries' functions as usual: lazy_curl.cpp, lazy_archive.cpp and
// lazy_crypto.cpp define each function the tools use, and the first call loads the library.
#pragma once

namespace ciutils {

class LazyLibrary {
public:
  // soname as dlopen takes it ("libcurl.so.4"); package is named in the error message.
  constexpr LazyLibrary(const char* soname, const char* package) : m_soname(soname), m_package(package) {}

  // The address of symbol in the library, loading it on the first call (thread-safe).
  // Throws std::runtime_error naming the library and the package when either is missing.
  void* symbol(const char* name);

  // symbol() as a pointer to a function of type F.
  template <class F>
  F* function(const char* name) {
    return reinterpret_cast<F*>(symbol(name));
  }

private:
  void* handle();

  const char* m_soname;
  const char* m_package;
};

}  // namespace ciutils

// Inside a forwarding definition: `real` is the library's own function of the same name.
#define CIUTILS_LAZY_REAL(library, name) \
  static auto* const real = (library).function<decltype(::name)>(#name)
