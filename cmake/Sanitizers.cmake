# CIUTILS_SANITIZE=ON builds everything with ASan + UBSan; a UBSan finding aborts.
if(CIUTILS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
