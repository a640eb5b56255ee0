#include "prun.h"

#include "ciutils/error.h"

#include <iostream>

int main(int argc, char** argv) { return ciutils::guarded_main("prun", std::cerr, ciutils::prun::run, argc, argv); }
