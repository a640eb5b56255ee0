# Warnings for every target of the project: ciutils_warnings(<target>).
function(ciutils_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CIUTILS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
