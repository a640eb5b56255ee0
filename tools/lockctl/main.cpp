#include "lockctl.h"

#include "ciutils/error.h"

#include <iostream>

int main(int argc, char** argv) {
  return ciutils::guarded_main("lockctl", std::cerr, ciutils::lockctl::run, argc, argv);
}
