// notify's flags, declared once for its command table, and their values as given.
#pragma once

#include <ciutils/cli.h>
#include <ciutils/command.h>

#include <string>
#include <vector>

namespace ciutils::notify {

// Flag values as given; the commands validate and convert them.
struct Options {
  CommonOptions common;
  std::vector<std::string> destinations;  // DEST... (positional)
  std::vector<std::string> to;
  std::vector<std::string> tags;
  std::vector<std::string> links;
  std::string config;
  std::string title;
  std::string message;
  bool message_given = false;  // --message, even empty
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
  bool dry_run = false;
};

// The flags of `notify DEST...` and of `notify flush`.
void send_flags(po::options_description& desc);
void flush_flags(po::options_description& desc);

// The parsed flags of either command.
Options options_of(const Invocation& inv);

}  // namespace ciutils::notify
