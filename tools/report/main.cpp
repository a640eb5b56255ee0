#include "report.h"

#include "ciutils/error.h"

#include <iostream>

int main(int argc, char** argv) {
  return ciutils::guarded_main("report", std::cerr, ciutils::report::run, argc, argv);
}
