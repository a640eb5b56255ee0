#include "config.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>
#include <ciutils/json.h>

#include <boost/json.hpp>

#include <algorithm>

namespace ciutils::notify {

namespace json = boost::json;

const Destination* Config::find(std::string_view name) const {
  for (const auto& d : destinations)
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<const Destination*> Config::tagged(std::string_view tag) const {
  std::vector<const Destination*> out;
  for (const auto& d : destinations)
    if (std::find(d.tags.begin(), d.tags.end(), tag) != d.tags.end()) out.push_back(&d);
  return out;
}

Config parse_config(const std::string& text, const std::string& source, Secrets& secrets) {
  auto doc = JsonDocument::parse(text, source);
  Config config;
  if (!doc.root().is_object()) doc.fail("", "expected an object with \"destinations\"");
  const auto& root = doc.root().as_object();
  for (const auto& [k, v] : root)
    if (k != "destinations") doc.fail("/" + std::string(k), "unknown field '" + std::string(k) + "'");
  const auto* dests = root.if_contains("destinations");
  if (!dests || !dests->is_object()) doc.fail("/destinations", "field 'destinations': expected an object");
  for (const auto& [name_sv, value] : dests->as_object()) {
    std::string name(name_sv);
    std::string ptr = "/destinations/" + name;
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        }))
      doc.fail(ptr, "destination name '" + name + "' may hold only letters, digits, '-', '_' and '.'");
    if (!value.is_object()) doc.fail(ptr, "expected an object");
    const auto& obj = value.as_object();
    for (const auto& [k, v] : obj)
      if (k != "url" && k != "tags" && k != "required" && k != "timeout" && k != "retries" && k != "rate")
        doc.fail(ptr + "/" + std::string(k), "unknown field '" + std::string(k) + "'");
    const auto* url = obj.if_contains("url");
    if (!url || !url->is_string()) doc.fail(ptr + "/url", "field 'url': expected a string");
    auto dest = parse_destination(std::string(url->as_string()), doc.where(ptr + "/url"), secrets);
    dest.name = name;
    if (const auto* tags = obj.if_contains("tags")) {
      if (!tags->is_array()) doc.fail(ptr + "/tags", "field 'tags': expected an array of strings");
      for (const auto& t : tags->as_array()) {
        if (!t.is_string() || t.as_string().empty())
          doc.fail(ptr + "/tags", "field 'tags': expected an array of strings");
        dest.tags.emplace_back(t.as_string());
      }
    }
    if (const auto* req = obj.if_contains("required")) {
      if (!req->is_bool()) doc.fail(ptr + "/required", "field 'required': expected true or false");
      dest.required = req->as_bool();
    }
    if (const auto* t = obj.if_contains("timeout")) {
      if (!t->is_string()) doc.fail(ptr + "/timeout", "field 'timeout': expected a duration such as \"10s\"");
      dest.timeout = parse_duration(t->as_string(), doc.where(ptr + "/timeout"));
    }
    if (const auto* r = obj.if_contains("retries")) {
      if (!r->is_int64() || r->as_int64() < 0 || r->as_int64() > 20)
        doc.fail(ptr + "/retries", "field 'retries': expected an integer from 0 to 20");
      dest.retries = static_cast<int>(r->as_int64());
    }
    if (const auto* r = obj.if_contains("rate")) {
      if (!r->is_string()) doc.fail(ptr + "/rate", "field 'rate': expected COUNT/PERIOD such as \"1/s\"");
      dest.rate_interval = parse_rate(r->as_string(), doc.where(ptr + "/rate"));
    }
    config.destinations.push_back(std::move(dest));
  }
  return config;
}

Config read_config(const std::filesystem::path& path, Secrets& secrets) {
  return parse_config(read_text_file(path), path.string(), secrets);
}

}  // namespace ciutils::notify
