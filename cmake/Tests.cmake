include(GoogleTest)

# ciutils_unit_tests(<name> SOURCES ... LIBS ...): one gtest binary, its cases registered in ctest.
function(ciutils_unit_tests name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  ciutils_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "CIUTILS_BUILD_DIR=${CMAKE_BINARY_DIR};CIUTILS_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    TIMEOUT 300)
endfunction()

# Every tests/*.bats file is one ctest test; the helpers put the built tools first on PATH.
function(ciutils_register_bats)
  file(GLOB bats_files ${CMAKE_SOURCE_DIR}/tests/*.bats)
  list(SORT bats_files)
  foreach(file IN LISTS bats_files)
    get_filename_component(stem ${file} NAME_WE)
    add_test(NAME bats.${stem} COMMAND ${BATS} --print-output-on-failure ${file})
    set_tests_properties(bats.${stem} PROPERTIES
      ENVIRONMENT "CIUTILS_BUILD_DIR=${CMAKE_BINARY_DIR};CIUTILS_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
      TIMEOUT 600)
  endforeach()
  # CodeNarc's JVM needs several CPU minutes; on a runner shared with other jobs, more.
  if(TEST bats.jenkins_lint)
    set_tests_properties(bats.jenkins_lint PROPERTIES TIMEOUT 1500)
  endif()
endfunction()
