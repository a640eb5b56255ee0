# CIUTILS_FUZZ=ON builds the libFuzzer targets of fuzz/ (clang only): every object is
# instrumented for coverage and built with ASan + UBSan, and each target links libFuzzer.
# Without it, each target is built with a replay main and its corpus runs as a test.
option(CIUTILS_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
if(CIUTILS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CIUTILS_FUZZ=ON needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
