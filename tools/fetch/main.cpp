#include "fetch.h"

#include <ciutils/error.h>

#include <iostream>

int main(int argc, char** argv) { return ciutils::guarded_main("fetch", std::cerr, ciutils::fetch::run, argc, argv); }
