// notify's command line: flags, help text.
#pragma once

#include <ciutils/cli.h>

#include <string>
#include <vector>

namespace ciutils::notify {

// Flag values as given; run() validates and converts them.
struct Options {
  CommonOptions common;
  std::vector<std::string> to;
  std::vector<std::string> tags;
  std::vector<std::string> links;
  std::string config;
  std::string title;
  std::string message;
  bool stdin_message = false;
  std::string key;
  std::string status;
  std::string from;
  std::string threshold;
  std::string recover_after;
  std::string remind;
  std::string state_ttl;
  std::string severity;
  std::string source;
  std::string spool;
  std::string claim_timeout;
  std::string redis;
  std::string ns;  // --namespace
  bool dry_run = false;
};

// The flags, storing into o (the positional destinations are added by run()).
po::options_description describe_options(Options& o);

// The --help text (synopsis, description, flags, environment, exit status).
std::string usage(Options& o);

}  // namespace ciutils::notify
