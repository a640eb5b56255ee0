#include "notify.h"

#include <ciutils/error.h>

#include <iostream>

int main(int argc, char** argv) {
  return ciutils::guarded_main("notify", std::cerr, ciutils::notify::run, argc, argv);
}
