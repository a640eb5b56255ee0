# ciutils_add_tool(<name> SOURCES <files> [TESTS <files>] [LIBS <targets>])
#
# SOURCES are the tool's own files except main.cpp; they become <name>_core so that
# the executable and the unit tests (<name>_test) link the same code. The program is
# installed as ${CIUTILS_PROGRAM_PREFIX}<name>.
function(ciutils_add_tool name)
  cmake_parse_arguments(ARG "" "" "SOURCES;TESTS;LIBS" ${ARGN})
  add_library(${name}_core STATIC ${ARG_SOURCES})
  ciutils_warnings(${name}_core)
  target_include_directories(${name}_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name}_core PUBLIC ciutils ${ARG_LIBS})

  add_executable(${name} main.cpp)
  ciutils_warnings(${name})
  target_link_libraries(${name} PRIVATE ${name}_core)
  set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name})
  # The prefix is read when installing, so `cmake --install` and
  # `cmake -DCIUTILS_PROGRAM_PREFIX=ci- -P cmake_install.cmake` can both set it.
  install(PROGRAMS $<TARGET_FILE:${name}> DESTINATION ${CMAKE_INSTALL_BINDIR}
          RENAME "\${CIUTILS_PROGRAM_PREFIX}${name}")

  # Its man page and bash completion, written from its --help (scripts/tool-docs), installed
  # under the same prefixed name.
  set(share ${CMAKE_BINARY_DIR}/share)
  set(man ${share}/man/man1/${name}.1)
  set(completion ${share}/bash-completion/completions/${name})
  add_custom_command(OUTPUT ${man} ${completion}
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/tool-docs $<TARGET_FILE:${name}> ${share}
    DEPENDS ${name} ${PROJECT_SOURCE_DIR}/scripts/tool-docs
    COMMENT "Writing the man page and bash completion of ${name}")
  add_custom_target(${name}_docs ALL DEPENDS ${man} ${completion})
  install(FILES ${man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 RENAME "\${CIUTILS_PROGRAM_PREFIX}${name}.1")
  install(FILES ${completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          RENAME "\${CIUTILS_PROGRAM_PREFIX}${name}")

  if(CIUTILS_TESTS AND ARG_TESTS)
    ciutils_unit_tests(${name}_test SOURCES ${ARG_TESTS} LIBS ${name}_core)
  endif()
endfunction()
