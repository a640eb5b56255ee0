#include "status_view.h"

#include "scripts.h"

#include "ciutils/cli.h"
#include "ciutils/control_escape.h"
#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace ciutils::lockctl {

namespace json = boost::json;

std::string iso_ms(long long ms) {
  return format_utc(SysTime(std::chrono::duration_cast<SysTime::duration>(milliseconds(ms))), 3);
}

namespace {

const json::object& object_or_empty(const json::value* v) {
  static const json::object k_empty;
  return v && v->is_object() ? v->as_object() : k_empty;
}

const json::array& array_or_empty(const json::value* v) {
  static const json::array k_empty;
  return v && v->is_array() ? v->as_array() : k_empty;
}

json::array to_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

// A field the script passes as JSON text (labels, props, reserved); `fallback` when empty.
json::value json_field(const json::object& o, const char* key, json::value fallback) {
  std::string text = string_field(o, key);
  if (text.empty()) return fallback;
  json::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? fallback : v;
}

std::string seconds_text(long long ms) { return format_duration(milliseconds(std::max(0LL, ms))); }

// A string field as shown on a terminal: owners, job URLs and reasons come from users
// and environments, so their control characters are made visible.
std::string shown(const json::object& o, const char* key) { return escape_control(string_field(o, key)); }

}  // namespace

json::value reservation_view(const std::string& raw) {
  json::value v = json_field(json::object{{"r", raw}}, "r", nullptr);
  if (!v.is_object()) return nullptr;
  const auto& rv = v.as_object();
  const long long until = integer_field(rv, "until");
  return json::object{{"note", string_field(rv, "note")},
                      {"owner", string_field(rv, "owner")},
                      {"since", iso_ms(integer_field(rv, "since"))},
                      {"until", until > 0 ? json::value(iso_ms(until)) : json::value(nullptr)}};
}

json::object status_view(const json::object& reply, const Target& target) {
  const long long now = integer_field(reply, "now");
  json::object view;
  view["name"] = target.name;
  view["kind"] = target.pool ? "pool" : "resource";
  view["now"] = iso_ms(now);
  json::array resources;
  for (const auto& rv : array_or_empty(reply.if_contains("resources"))) {
    const auto& r = rv.as_object();
    json::object out;
    out["name"] = string_field(r, "name");
    out["slots"] = integer_field(r, "slots");
    out["fence"] = integer_field(r, "fence");
    const json::value* leaving = r.if_contains("leaving");
    out["leaving"] = leaving && leaving->is_bool() && leaving->as_bool();
    json::array holders;
    for (const auto& hv : array_or_empty(r.if_contains("holders"))) {
      const auto& h = hv.as_object();
      const auto& ci = object_or_empty(h.if_contains("ci"));
      holders.push_back(json::object{
          {"token", string_field(h, "token")},
          {"owner", string_field(h, "owner")},
          {"ci", string_field(ci, "system")},
          {"job_url", string_field(ci, "job_url")},
          {"job", string_field(ci, "job")},
          {"since", iso_ms(integer_field(h, "since"))},
          {"expires_at", iso_ms(integer_field(h, "expires"))},
          {"fence", integer_field(h, "fence")},
          {"resources", to_array(string_list(h.at("resources")))},
      });
    }
    out["held"] = holders.size();
    out["holders"] = std::move(holders);
    out["labels"] = json_field(r, "labels", json::array{});
    out["props"] = json_field(r, "props", json::object{});
    out["reserved"] = reservation_view(string_field(r, "reserved"));
    resources.push_back(std::move(out));
  }
  view["resources"] = std::move(resources);
  json::array queue;
  for (const auto& wv : array_or_empty(reply.if_contains("queue"))) {
    const auto& w = wv.as_object();
    const auto& ci = object_or_empty(w.if_contains("ci"));
    queue.push_back(json::object{
        {"position", integer_field(w, "position")},
        {"token", string_field(w, "token")},
        {"owner", string_field(w, "owner")},
        {"target", string_field(w, "target")},
        {"kind", string_field(w, "kind")},
        {"names", to_array(string_list(w.contains("names") ? w.at("names") : json::value(nullptr)))},
        {"label", string_field(w, "label")},
        {"quantity", integer_field(w, "quantity")},
        {"priority", integer_field(w, "priority")},
        {"since", iso_ms(integer_field(w, "since"))},
        {"waiting_ms", now - integer_field(w, "since")},
        {"ci", string_field(ci, "system")},
        {"job_url", string_field(ci, "job_url")},
    });
  }
  view["queue"] = std::move(queue);
  return view;
}

json::object read_status(Redis& redis, const std::string& prefix, const Target& target) {
  auto reply = call_script(redis, status_script(), prefix, {target.name, target.pool ? "pool" : "resource"});
  return status_view(reply, target);
}

void print_status(std::ostream& out, const json::object& view) {
  if (string_field(view, "kind") == "pool") out << "pool " << string_field(view, "name") << "\n";
  for (const auto& rv : view.at("resources").as_array()) {
    const auto& r = rv.as_object();
    out << string_field(r, "name") << "  " << integer_field(r, "held") << "/" << integer_field(r, "slots")
        << " held  fence " << integer_field(r, "fence");
    if (r.at("leaving").as_bool()) out << "  (removed from its pool; leaves when free)";
    const auto& labels = r.at("labels").as_array();
    if (!labels.empty()) {
      out << "  labels";
      for (const auto& l : labels) out << " " << escape_control(std::string(l.as_string()));
    }
    out << "\n";
    if (r.at("reserved").is_object()) {
      const auto& rv = r.at("reserved").as_object();
      out << "  reserved by " << shown(rv, "owner") << "  since " << string_field(rv, "since");
      if (!string_field(rv, "until").empty()) out << "  until " << string_field(rv, "until");
      if (!string_field(rv, "note").empty()) out << "  note " << shown(rv, "note");
      out << "\n";
    }
    for (const auto& [key, value] : r.at("props").as_object()) {
      out << "  prop " << std::string(key) << "="
          << escape_control(value.is_string() ? std::string(value.as_string()) : json::serialize(value)) << "\n";
    }
    for (const auto& hv : r.at("holders").as_array()) {
      const auto& h = hv.as_object();
      out << "  held by " << shown(h, "owner") << "  since " << string_field(h, "since") << "  expires "
          << string_field(h, "expires_at") << "  fence " << integer_field(h, "fence") << "  token "
          << string_field(h, "token");
      if (!string_field(h, "job_url").empty()) out << "  job " << shown(h, "job_url");
      out << "\n";
    }
  }
  const auto& queue = view.at("queue").as_array();
  if (!queue.empty()) {
    out << "queue:\n";
    for (const auto& wv : queue) {
      const auto& w = wv.as_object();
      out << "  " << integer_field(w, "position") << ". " << shown(w, "owner") << "  wants ";
      if (string_field(w, "kind") == "pool") {
        out << integer_field(w, "quantity") << " of pool " << string_field(w, "target");
        if (!string_field(w, "label").empty()) out << " labelled '" << shown(w, "label") << "'";
      } else if (const auto& names = w.at("names").as_array(); names.size() > 1) {
        for (std::size_t i = 0; i < names.size(); ++i) out << (i ? " + " : "") << std::string(names[i].as_string());
      } else {
        out << string_field(w, "target");
      }
      out << "  waiting " << seconds_text(integer_field(w, "waiting_ms"));
      if (integer_field(w, "priority") != 0) out << "  priority " << integer_field(w, "priority");
      if (!string_field(w, "job_url").empty()) out << "  job " << shown(w, "job_url");
      out << "\n";
    }
  }
}

namespace {

// The names N of every key "<ns>:{lock:N}:<suffix>" (SCAN, so no registry key is needed;
// on every master of a cluster); suffix may end in '*'.
std::set<std::string> scan_tags(Redis& redis, const KeySpace& keys, const std::string& suffix) {
  const std::string head = keys.name() + ":{lock:";
  const std::string pattern_tail = "}:" + suffix;
  const bool open_end = suffix.ends_with('*');
  const std::string tail = open_end ? pattern_tail.substr(0, pattern_tail.size() - 1) : pattern_tail;
  std::set<std::string> names;
  for (const auto& key : redis.scan(head + "*" + pattern_tail)) {
    if (!key.starts_with(head)) continue;
    auto close = key.find("}:", head.size());
    if (close == std::string::npos) continue;
    if (open_end ? key.compare(close, tail.size(), tail) != 0 : key.compare(close, std::string::npos, tail) != 0) {
      continue;
    }
    names.insert(key.substr(head.size(), close - head.size()));
  }
  return names;
}

}  // namespace

json::object read_pools(Redis& redis, const KeySpace& keys) {
  json::object pools;
  for (const auto& p : scan_tags(redis, keys, "name")) {
    if (p.starts_with("pool:") || !read_name(redis, keys, p).is_pool) continue;
    auto members = redis.command({"SMEMBERS", pool_prefix(keys, p) + "members"}).strings();
    std::sort(members.begin(), members.end());
    pools[p] = to_array(members);
  }
  return pools;
}

json::object read_everything(Redis& redis, const KeySpace& keys) {
  json::array pools;
  std::set<std::string> pooled;
  for (const auto& [name, members] : read_pools(redis, keys)) {
    Target t = Target::of_pool(std::string(name));
    pools.push_back(read_status(redis, pool_prefix(keys, t.name), t));
    for (const auto& m : members.as_array()) pooled.insert(std::string(m.as_string()));
  }
  // Every resource ever granted has a fencing counter, which never expires; a standalone
  // resource may also be known by its reservation, labels or properties alone.
  std::set<std::string> names;
  for (const char* suffix : {"fence:*", "reserved", "labels", "props"}) {
    for (const auto& n : scan_tags(redis, keys, suffix)) {
      if (!n.starts_with("pool:")) names.insert(n);
    }
  }
  json::array resources;
  for (const auto& n : names) {
    if (pooled.count(n)) continue;
    Target t = Target::of_resources({n});
    resources.push_back(read_status(redis, resource_prefix(keys, n), t));
  }
  return json::object{{"pools", std::move(pools)}, {"resources", std::move(resources)}};
}

void print_list(std::ostream& out, const json::object& all) {
  for (const auto& pv : all.at("pools").as_array()) {
    const auto& p = pv.as_object();
    long long held = 0;
    std::string members;
    for (const auto& rv : p.at("resources").as_array()) {
      held += integer_field(rv.as_object(), "held") > 0 ? 1 : 0;
      members += " " + string_field(rv.as_object(), "name");
    }
    out << "pool " << string_field(p, "name") << "  " << held << "/" << p.at("resources").as_array().size()
        << " in use  " << p.at("queue").as_array().size() << " waiting  members:" << members << "\n";
  }
  for (const auto& rv : all.at("resources").as_array()) {
    const auto& s = rv.as_object();
    for (const auto& r : s.at("resources").as_array()) {
      const auto& ro = r.as_object();
      out << string_field(ro, "name") << "  " << integer_field(ro, "held") << "/" << integer_field(ro, "slots")
          << " held  " << s.at("queue").as_array().size() << " waiting  fence " << integer_field(ro, "fence");
      for (const auto& h : ro.at("holders").as_array()) out << "  " << shown(h.as_object(), "owner");
      if (ro.at("reserved").is_object()) out << "  reserved by " << shown(ro.at("reserved").as_object(), "owner");
      out << "\n";
    }
  }
}

json::array read_history(Redis& redis, const std::vector<std::string>& prefixes, const std::string& resource,
                         long long limit) {
  // Stream ids are "<ms>-<seq>": ordered by that pair across the streams.
  auto id_order = [](const std::string& id) {
    auto dash = id.find('-');
    return std::pair{std::stoll(id.substr(0, dash)), std::stoll(id.substr(dash + 1))};
  };
  std::vector<std::pair<std::pair<long long, long long>, json::object>> merged;
  for (const auto& prefix : prefixes) {
    auto reply = redis.command({"XREVRANGE", prefix + "history:" + resource, "+", "-", "COUNT", std::to_string(limit)});
    for (std::size_t i = 0; i < reply.size(); ++i) {
      Reply entry = reply[i];
      json::object e;
      e["id"] = entry[0].string();
      auto fields = entry[1].strings();
      for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
        const std::string& k = fields[f];
        const std::string& v = fields[f + 1];
        if (k == "at") {
          e["at"] = iso_ms(std::stoll(v));
        } else if (k == "fence" || k == "waited_ms" || k == "held_ms") {
          e[k] = std::stoll(v);
        } else {
          e[k] = v;
        }
      }
      merged.emplace_back(id_order(entry[0].string()), std::move(e));
    }
  }
  std::stable_sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array events;
  std::size_t skip = merged.size() > static_cast<std::size_t>(limit) ? merged.size() - static_cast<std::size_t>(limit) : 0;
  for (std::size_t i = skip; i < merged.size(); ++i) events.push_back(std::move(merged[i].second));
  return events;
}

void print_history(std::ostream& out, const json::array& events) {
  for (const auto& ev : events) {
    const auto& e = ev.as_object();
    out << string_field(e, "at") << "  " << string_field(e, "event") << "  " << shown(e, "owner");
    if (e.contains("fence")) out << "  fence " << integer_field(e, "fence");
    if (integer_field(e, "waited_ms") > 0) out << "  waited " << seconds_text(integer_field(e, "waited_ms"));
    if (e.contains("held_ms")) out << "  held " << seconds_text(integer_field(e, "held_ms"));
    if (!string_field(e, "job").empty()) out << "  job " << shown(e, "job");
    if (!string_field(e, "reason").empty()) out << "  reason " << shown(e, "reason");
    out << "\n";
  }
}

}  // namespace ciutils::lockctl
