#include "summary.h"
#include "run_stats.h"
#include "text.h"

#include "ciutils/cli.h"

#include <algorithm>
#include <cstdio>

namespace ciutils::report {

std::string markdown_inline(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '@': out += "@&#8203;"; break;
      case '\n':
      case '\r':
      case '\t': out += ' '; break;
      case '\\': case '`': case '*': case '_': case '{': case '}': case '[': case ']':
      case '(': case ')': case '#': case '+': case '!': case '|': case '~': case '$':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// How much detail one rendering carries; each step down drops the least important part.
struct Detail {
  std::size_t skipped = 50;       // skipped tests listed
  std::size_t slowest = 10;       // slowest tests listed
  std::size_t output_bytes = 4096;  // output tail per failure
  std::size_t with_output = 30;   // failures that show output
  std::size_t flaky = 100;
  std::size_t failures = 200;
};

std::string fence_for(std::string_view body) {
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

std::string output_of(const TestResult& r, std::size_t bytes) {
  std::string out = r.stderr_tail.empty() ? r.stdout_tail : r.stderr_tail;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (out.size() > bytes) {
    return "[…]\n" + std::string(tail_of(out, bytes));
  }
  return out;
}

std::string headline(const RunStats& s) {
  std::string h;
  auto part = [&](Status st, const char* word) {
    if (s.count(st) == 0) return;
    if (!h.empty()) h += ", ";
    h += std::to_string(s.count(st)) + " " + word;
  };
  part(Status::failed, "failed");
  part(Status::error, "errored");
  part(Status::timeout, "timed out");
  part(Status::passed, "passed");
  part(Status::flaky, "flaky");
  part(Status::skipped, "skipped");
  if (h.empty()) h = "no tests";
  return h + " (" + std::to_string(s.total) + " tests, " + format_seconds(s.duration_s) + ")";
}

std::string render_markdown(const std::vector<TestResult>& results, const SummaryOptions& o, const Detail& d,
                            bool trimmed) {
  RunStats s = run_stats(results);
  std::string out;
  out += "## " + std::string(s.failures() > 0 ? "❌ " : "✅ ") + markdown_inline(o.title) + ": " +
         headline(s) + "\n\n";
  out += "| passed | failed | errors | timed out | flaky | skipped | total | time |\n";
  out += "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  out += "| " + std::to_string(s.count(Status::passed)) + " | " + std::to_string(s.count(Status::failed)) + " | " +
         std::to_string(s.count(Status::error)) + " | " + std::to_string(s.count(Status::timeout)) + " | " +
         std::to_string(s.count(Status::flaky)) + " | " + std::to_string(s.count(Status::skipped)) + " | " +
         std::to_string(s.total) + " | " + format_seconds(s.duration_s) + " |\n\n";

  auto failures = failures_of(results);
  if (!failures.empty()) {
    out += "### Failed tests (" + std::to_string(failures.size()) + ")\n\n";
    std::size_t shown = 0;
    for (const TestResult* r : failures) {
      if (shown == d.failures) break;
      std::string line = "- **" + markdown_inline(r->name) + "** <sub>" + markdown_inline(r->classname) + "</sub> — " +
                         std::string(status_name(r->status)) + " after " + format_seconds(r->duration_s);
      if (!r->message.empty()) line += ": " + markdown_inline(first_line(r->message));
      out += line + "\n";
      std::string output = shown < d.with_output && d.output_bytes > 0 ? output_of(*r, d.output_bytes) : "";
      if (!output.empty()) {
        std::string fence = fence_for(output);
        out += "\n<details><summary>output</summary>\n\n" + fence + "text\n" + output + "\n" + fence +
               "\n</details>\n\n";
      }
      ++shown;
    }
    if (shown < failures.size()) {
      out += "- … and " + std::to_string(failures.size() - shown) + " more\n";
    }
    out += "\n";
  }
  auto flaky = with_status(results, Status::flaky);
  if (!flaky.empty() && d.flaky > 0) {
    out += "### Flaky tests (" + std::to_string(flaky.size()) + ")\n\n";
    std::size_t shown = 0;
    for (const TestResult* r : flaky) {
      if (shown++ == d.flaky) {
        out += "- … and " + std::to_string(flaky.size() - d.flaky) + " more\n";
        break;
      }
      out += "- **" + markdown_inline(r->name) + "** <sub>" + markdown_inline(r->classname) + "</sub> — " + passed_after(r->attempts);
      if (!r->message.empty()) out += ": " + markdown_inline(first_line(r->message));
      out += "\n";
    }
    out += "\n";
  }
  if (d.slowest > 0 && !results.empty()) {
    out += "### Slowest tests\n\n| test | class | status | time |\n|---|---|---|---:|\n";
    for (const TestResult* r : slowest(results, d.slowest)) {
      out += "| " + markdown_inline(r->name) + " | " + markdown_inline(r->classname) + " | " + status_name(r->status) +
             " | " + format_seconds(r->duration_s) + " |\n";
    }
    out += "\n";
  }
  auto skipped = with_status(results, Status::skipped);
  if (!skipped.empty() && d.skipped > 0) {
    out += "<details><summary>Skipped tests (" + std::to_string(skipped.size()) + ")</summary>\n\n";
    std::size_t shown = 0;
    for (const TestResult* r : skipped) {
      if (shown++ == d.skipped) {
        out += "- … and " + std::to_string(skipped.size() - d.skipped) + " more\n";
        break;
      }
      out += "- " + markdown_inline(r->classname) + " › " + markdown_inline(r->name);
      if (!r->message.empty()) out += ": " + markdown_inline(first_line(r->message));
      out += "\n";
    }
    out += "\n</details>\n\n";
  }
  if (trimmed) {
    out += "_Parts of this summary were left out to stay under " + std::to_string(o.max_bytes) + " bytes._\n";
  }
  return out;
}

std::string render_text(const std::vector<TestResult>& results, const SummaryOptions& o, const Detail& d,
                        bool trimmed) {
  RunStats s = run_stats(results);
  std::string out = o.title + ": " + (s.failures() > 0 ? "FAILED" : "PASSED") + " — " + headline(s) + "\n";
  auto failures = failures_of(results);
  if (!failures.empty()) {
    out += "\nFailed tests (" + std::to_string(failures.size()) + "):\n";
    std::size_t shown = 0;
    for (const TestResult* r : failures) {
      if (shown == d.failures) break;
      out += "  " + std::string(status_name(r->status)) + "  " + r->classname + " › " + r->name + " (" +
             format_seconds(r->duration_s) + ")";
      if (!r->message.empty()) out += ": " + first_line(r->message);
      out += "\n";
      std::string output = shown < d.with_output && d.output_bytes > 0 ? output_of(*r, d.output_bytes) : "";
      if (!output.empty()) {
        std::string_view rest = output;
        while (!rest.empty()) {
          std::size_t nl = rest.find('\n');
          out += "      | " + std::string(rest.substr(0, nl)) + "\n";
          rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        }
      }
      ++shown;
    }
    if (shown < failures.size()) out += "  … and " + std::to_string(failures.size() - shown) + " more\n";
  }
  auto flaky = with_status(results, Status::flaky);
  if (!flaky.empty() && d.flaky > 0) {
    out += "\nFlaky tests (" + std::to_string(flaky.size()) + "):\n";
    std::size_t shown = 0;
    for (const TestResult* r : flaky) {
      if (shown++ == d.flaky) {
        out += "  … and " + std::to_string(flaky.size() - d.flaky) + " more\n";
        break;
      }
      out += "  " + r->classname + " › " + r->name + " (" + passed_after(r->attempts) + ")\n";
    }
  }
  if (d.slowest > 0 && !results.empty()) {
    out += "\nSlowest tests:\n";
    for (const TestResult* r : slowest(results, d.slowest)) {
      out += "  " + format_seconds(r->duration_s) + "  " + r->classname + " › " + r->name + "\n";
    }
  }
  auto skipped = with_status(results, Status::skipped);
  if (!skipped.empty() && d.skipped > 0) {
    out += "\nSkipped tests (" + std::to_string(skipped.size()) + "):\n";
    std::size_t shown = 0;
    for (const TestResult* r : skipped) {
      if (shown++ == d.skipped) {
        out += "  … and " + std::to_string(skipped.size() - d.skipped) + " more\n";
        break;
      }
      out += "  " + r->classname + " › " + r->name + (r->message.empty() ? "" : ": " + first_line(r->message)) + "\n";
    }
  }
  if (trimmed) out += "\n(parts of this summary were left out to stay under " + std::to_string(o.max_bytes) + " bytes)\n";
  return out;
}

// At most max bytes of text, cut after a whole line (a table row, never inside a cell or a
// number) and never leaving a table header without its rows; when not even the first line
// (the headline) fits, cut it after a whole word.
std::string cut_whole(std::string_view text, std::size_t max) {
  std::string_view kept = utf8_prefix(text, max);
  if (kept.size() == text.size()) return std::string(kept);
  auto nl = kept.rfind('\n');
  if (nl == std::string_view::npos) {
    auto space = kept.rfind(' ');
    return std::string(kept.substr(0, space == std::string_view::npos ? 0 : space));
  }
  kept = kept.substr(0, nl + 1);
  while (!kept.empty()) {
    // A kept table row whose next line in the text is the separator row is a header alone.
    auto start = kept.rfind('\n', kept.size() - 2);
    start = start == std::string_view::npos ? 0 : start + 1;
    std::string_view last = kept.substr(start);
    if (!last.starts_with("|") || !text.substr(kept.size()).starts_with("|-")) break;
    kept = kept.substr(0, start);
  }
  return std::string(kept);
}

}  // namespace

std::string render_summary(const std::vector<TestResult>& results, const SummaryOptions& o) {
  auto render = [&](const Detail& d, bool trimmed) {
    return o.format == SummaryFormat::markdown ? render_markdown(results, o, d, trimmed)
                                               : render_text(results, o, d, trimmed);
  };
  Detail d;
  std::string out = render(d, false);
  if (out.size() <= o.max_bytes) return out;
  // Least important first: skipped list, slowest table, output size, outputs, flaky, failures.
  const std::vector<void (*)(Detail&)> steps = {
      [](Detail& x) { x.skipped = 0; },
      [](Detail& x) { x.slowest = 0; },
      [](Detail& x) { x.output_bytes = 1024; },
      [](Detail& x) { x.with_output = 10; x.output_bytes = 512; },
      [](Detail& x) { x.with_output = 0; x.output_bytes = 0; },
      [](Detail& x) { x.flaky = 20; },
      [](Detail& x) { x.failures = 50; },
      [](Detail& x) { x.flaky = 0; x.failures = 10; },
      [](Detail& x) { x.failures = 0; },
  };
  for (auto step : steps) {
    step(d);
    out = render(d, true);
    if (out.size() <= o.max_bytes) return out;
  }
  // Still too big (a tiny limit or enormous names): cut, keeping whole characters.
  std::string note = o.format == SummaryFormat::markdown ? "\n\n_…cut to fit the size limit._\n" : "\n…cut\n";
  if (o.max_bytes <= note.size()) return cut_whole(out, o.max_bytes);
  return cut_whole(out, o.max_bytes - note.size()) + note;
}

}  // namespace ciutils::report
