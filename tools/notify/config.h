// The destinations file (--config): named destinations with tags.
//
//   {"destinations": {
//      "oncall": {"url": "victorops://${VO_API_KEY}/frontend", "tags": ["frontend"]},
//      "chat":   {"url": "slack://${SLACK_WEBHOOK}", "tags": ["frontend"], "required": false}}}
#pragma once

#include "destination.h"

#include <ciutils/secrets.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::notify {

struct Config {
  std::vector<Destination> destinations;  // in file order

  const Destination* find(std::string_view name) const;
  // Destinations carrying tag, in file order.
  std::vector<const Destination*> tagged(std::string_view tag) const;
};

// Parses the file; every error names file:line:column and the field.
Config parse_config(const std::string& text, const std::string& source, Secrets& secrets);
Config read_config(const std::filesystem::path& path, Secrets& secrets);

}  // namespace ciutils::notify
