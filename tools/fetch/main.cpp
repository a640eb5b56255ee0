#include "fetch.h"

#include <ciutils/error.h>

#include <clocale>
#include <iostream>

int main(int argc, char** argv) {
  // libarchive converts UTF-8 entry names (zip's UTF-8 flag, pax headers) to the locale's
  // character set: in the "C" locale a name like "données" is not valid. Only the
  // character type is set, so numbers and messages stay as in "C".
  std::setlocale(LC_CTYPE, "C.UTF-8");
  return ciutils::guarded_main("fetch", std::cerr, ciutils::fetch::run, argc, argv);
}
