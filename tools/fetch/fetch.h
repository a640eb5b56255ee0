// fetch: download an archive and unpack it safely in one streaming pass; upload results.
#pragma once

namespace ciutils::fetch {

int run(int argc, char** argv);

}  // namespace ciutils::fetch
