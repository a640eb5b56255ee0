// lockctl: locks on shared test environments in Redis.
#pragma once

namespace ciutils::lockctl {

int run(int argc, char** argv);

}  // namespace ciutils::lockctl
