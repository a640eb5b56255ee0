# Every external dependency, found once, with the Debian package to install when missing.
find_package(PkgConfig)
if(NOT PkgConfig_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config")
endif()

find_package(Boost 1.81 COMPONENTS program_options json)
if(NOT Boost_FOUND)
  message(FATAL_ERROR "Boost 1.81 with program_options and json not found: "
                      "apt-get install libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev")
endif()
find_package(Threads REQUIRED)

function(ciutils_pkg name module package)
  pkg_check_modules(${name} IMPORTED_TARGET ${module})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${package}")
  endif()
endfunction()

ciutils_pkg(CURL libcurl libcurl4-openssl-dev)
ciutils_pkg(ARCHIVE libarchive libarchive-dev)
ciutils_pkg(OPENSSL libcrypto libssl-dev)
ciutils_pkg(HIREDIS hiredis libhiredis-dev)

# libcurl, libarchive and libcrypto are loaded on first use (lib/ciutils/lazy_library.h), so
# the tools compile against their headers only: curl_headers, archive_headers, crypto_headers.
foreach(lazy curl archive crypto)
  string(TOUPPER ${lazy} pkg)
  if(lazy STREQUAL "crypto")
    set(pkg OPENSSL)
  endif()
  add_library(${lazy}_headers INTERFACE)
  target_include_directories(${lazy}_headers SYSTEM INTERFACE ${${pkg}_INCLUDE_DIRS})
  target_compile_options(${lazy}_headers INTERFACE ${${pkg}_CFLAGS_OTHER})
endforeach()

find_path(DATE_TZ_INCLUDE_DIR date/tz.h)
find_library(DATE_TZ_LIBRARY date-tz)
if(NOT DATE_TZ_INCLUDE_DIR OR NOT DATE_TZ_LIBRARY)
  message(FATAL_ERROR "date-tz not found: apt-get install libhowardhinnant-date-dev tzdata")
endif()
# date_headers: the date library's calendar and time-zone types (header-only use); date_tz
# adds its compiled OS time-zone database, which schedule's tests compare schedule's own
# zone reader with (tools/schedule/zone.h).
add_library(date_headers INTERFACE)
target_include_directories(date_headers SYSTEM INTERFACE ${DATE_TZ_INCLUDE_DIR})
target_compile_definitions(date_headers INTERFACE USE_OS_TZDB=1)
add_library(date_tz INTERFACE)
target_link_libraries(date_tz INTERFACE date_headers ${DATE_TZ_LIBRARY})

if(CIUTILS_TESTS)
  find_package(GTest)
  if(NOT GTest_FOUND)
    message(FATAL_ERROR "GoogleTest not found: apt-get install libgtest-dev libgmock-dev")
  endif()
  find_program(BATS bats)
  if(NOT BATS)
    message(FATAL_ERROR "bats not found: apt-get install bats bats-support bats-assert")
  endif()
endif()
