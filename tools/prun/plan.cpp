#include "plan.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <initializer_list>

namespace ciutils::prun {

namespace {

namespace json = boost::json;

class PlanParser {
public:
  explicit PlanParser(const JsonDocument& doc) : m_doc(doc) {}

  Plan parse() {
    const auto& root = m_doc.root();
    if (!root.is_object()) m_doc.fail("", "a plan must be a JSON object");
    const auto& obj = root.as_object();
    check_keys(obj, "", {"name", "workers", "timeout", "retries", "env", "setup", "teardown", "steps", "cleanup"});
    Plan plan;
    if (auto v = obj.if_contains("name")) plan.name = string_of(*v, "/name");
    if (auto v = obj.if_contains("workers")) plan.workers = integer_of(*v, "/workers", 1, 4096);
    if (auto v = obj.if_contains("timeout")) plan.timeout = duration_of(*v, "/timeout");
    if (auto v = obj.if_contains("retries")) plan.retries = integer_of(*v, "/retries", 0, 1000);
    if (auto v = obj.if_contains("env")) plan.env = env_of(*v, "/env");
    if (auto v = obj.if_contains("setup")) plan.setup = commands_of(*v, "/setup");
    if (auto v = obj.if_contains("teardown")) plan.teardown = commands_of(*v, "/teardown");
    auto steps = obj.if_contains("steps");
    if (steps == nullptr) m_doc.fail("", "a plan needs \"steps\"");
    plan.steps = steps_of(*steps, "/steps");
    if (plan.steps.empty()) m_doc.fail("/steps", "steps: a plan needs at least one step");
    if (auto v = obj.if_contains("cleanup")) plan.cleanup = steps_of(*v, "/cleanup");
    return plan;
  }

private:
  void check_keys(const json::object& obj, const std::string& at, std::initializer_list<std::string_view> keys) {
    for (const auto& kv : obj) {
      bool known = false;
      for (auto k : keys) known = known || kv.key() == k;
      if (!known) m_doc.fail(at + "/" + std::string(kv.key()), "unknown field '" + std::string(kv.key()) + "'");
    }
  }

  std::string string_of(const json::value& v, const std::string& at) {
    if (!v.is_string()) m_doc.fail(at, "expected a string");
    return std::string(v.as_string());
  }

  std::string command_of(const json::value& v, const std::string& at) {
    std::string s = string_of(v, at);
    if (s.find_first_not_of(" \t\n") == std::string::npos) m_doc.fail(at, "empty command");
    return s;
  }

  // "workers" for "/steps/2/workers": the field an error is about.
  static std::string field_name(const std::string& at) { return at.substr(at.rfind('/') + 1); }

  int integer_of(const json::value& v, const std::string& at, long long min, long long max) {
    if (!v.is_int64() && !v.is_uint64()) m_doc.fail(at, field_name(at) + ": expected a whole number");
    long long n = v.is_int64() ? v.as_int64() : static_cast<long long>(std::min<std::uint64_t>(v.as_uint64(), 1ULL << 62));
    if (n < min || n > max) {
      m_doc.fail(at, field_name(at) + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return static_cast<int>(n);
  }

  std::chrono::milliseconds duration_of(const json::value& v, const std::string& at) {
    std::chrono::milliseconds d{};
    if (v.is_number()) {
      double seconds = v.to_number<double>();
      if (seconds <= 0) m_doc.fail(at, field_name(at) + ": must be more than 0");
      d = std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
    } else if (v.is_string()) {
      try {
        d = parse_duration(std::string(v.as_string()), "timeout");
      } catch (const UsageError& e) {
        m_doc.fail(at, e.what());
      }
    } else {
      m_doc.fail(at, field_name(at) + ": expected a duration (\"90s\", \"10m\") or a number of seconds");
    }
    if (d.count() <= 0) m_doc.fail(at, field_name(at) + ": must be more than 0");
    return d;
  }

  std::vector<std::string> env_of(const json::value& v, const std::string& at) {
    if (!v.is_object()) m_doc.fail(at, "expected an object of variables");
    std::vector<std::string> env;
    for (const auto& kv : v.as_object()) {
      std::string key(kv.key());
      std::string where = at + "/" + key;
      if (key.empty() || key.find('=') != std::string::npos) m_doc.fail(where, "invalid variable name '" + key + "'");
      if (kv.value().is_string()) {
        env.push_back(key + "=" + std::string(kv.value().as_string()));
      } else if (kv.value().is_number()) {
        env.push_back(key + "=" + json::serialize(kv.value()));
      } else {
        m_doc.fail(where, "expected a string");
      }
    }
    return env;
  }

  std::vector<std::string> commands_of(const json::value& v, const std::string& at) {
    std::vector<std::string> out;
    if (v.is_string()) {
      out.push_back(command_of(v, at));
      return out;
    }
    if (!v.is_array()) m_doc.fail(at, "expected a command or a list of commands");
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      out.push_back(command_of(v.as_array()[i], at + "/" + std::to_string(i)));
    }
    return out;
  }

  PlanCommand job_of(const json::value& v, const std::string& at) {
    if (v.is_string()) {
      std::string c = command_of(v, at);
      return {c, c};
    }
    if (!v.is_object()) m_doc.fail(at, "expected a command or {\"name\", \"command\"}");
    const auto& obj = v.as_object();
    check_keys(obj, at, {"name", "command"});
    auto cmd = obj.if_contains("command");
    if (cmd == nullptr) m_doc.fail(at, "a job needs \"command\"");
    PlanCommand pc;
    pc.command = command_of(*cmd, at + "/command");
    pc.name = obj.contains("name") ? string_of(obj.at("name"), at + "/name") : pc.command;
    return pc;
  }

  std::vector<PlanStep> steps_of(const json::value& v, const std::string& at) {
    if (!v.is_array()) m_doc.fail(at, "expected a list of steps");
    std::vector<PlanStep> steps;
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      steps.push_back(step_of(v.as_array()[i], at + "/" + std::to_string(i), i));
    }
    return steps;
  }

  PlanStep step_of(const json::value& v, const std::string& at, std::size_t index) {
    PlanStep step;
    if (v.is_string()) {
      step.commands.push_back({command_of(v, at), command_of(v, at)});
      step.name = step.commands[0].command;
      return step;
    }
    if (!v.is_object()) m_doc.fail(at, "expected a step: a command or an object");
    const auto& obj = v.as_object();
    check_keys(obj, at, {"name", "command", "commands", "jobs", "workers", "timeout", "retries", "env"});
    int forms = int(obj.contains("command")) + int(obj.contains("commands")) + int(obj.contains("jobs"));
    if (forms != 1) m_doc.fail(at, "a step needs exactly one of \"command\", \"commands\" or \"jobs\"");
    if (auto c = obj.if_contains("command")) {
      step.kind = PlanStep::Kind::command;
      std::string cmd = command_of(*c, at + "/command");
      step.commands.push_back({cmd, cmd});
    } else {
      bool list = obj.contains("commands");
      step.kind = list ? PlanStep::Kind::list : PlanStep::Kind::jobs;
      std::string key = list ? "commands" : "jobs";
      const auto& arr = obj.at(key);
      if (!arr.is_array()) m_doc.fail(at + "/" + key, "expected a list of commands");
      if (arr.as_array().empty()) m_doc.fail(at + "/" + key, "empty list");
      for (std::size_t i = 0; i < arr.as_array().size(); ++i) {
        step.commands.push_back(job_of(arr.as_array()[i], at + "/" + key + "/" + std::to_string(i)));
      }
    }
    if (auto w = obj.if_contains("workers")) {
      if (step.kind != PlanStep::Kind::jobs) m_doc.fail(at + "/workers", "\"workers\" belongs to a \"jobs\" step");
      step.workers = integer_of(*w, at + "/workers", 1, 4096);
    }
    if (auto t = obj.if_contains("timeout")) step.timeout = duration_of(*t, at + "/timeout");
    if (auto r = obj.if_contains("retries")) step.retries = integer_of(*r, at + "/retries", 0, 1000);
    if (auto e = obj.if_contains("env")) step.env = env_of(*e, at + "/env");
    if (auto n = obj.if_contains("name")) {
      step.name = string_of(*n, at + "/name");
    } else if (step.kind == PlanStep::Kind::command) {
      step.name = step.commands[0].command;
    } else {
      step.name = "step " + std::to_string(index + 1);
    }
    return step;
  }

  const JsonDocument& m_doc;
};

}  // namespace

Plan parse_plan(std::string text, std::string source) {
  JsonDocument doc = JsonDocument::parse(std::move(text), std::move(source));
  return PlanParser(doc).parse();
}

Plan read_plan(const std::string& path) {
  JsonDocument doc = JsonDocument::read_file(path);
  return PlanParser(doc).parse();
}

}  // namespace ciutils::prun
