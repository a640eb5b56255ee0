#include "schedule.h"

#include "ciutils/error.h"

#include <iostream>

int main(int argc, char** argv) {
  return ciutils::guarded_main("schedule", std::cerr, ciutils::schedule::run, argc, argv);
}
