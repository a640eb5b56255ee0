#include "html.h"
#include "commands.h"
#include "run_stats.h"
#include "text.h"

#include "ciutils/atomic_file.h"
#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace ciutils::report {

namespace {

constexpr const char* k_style = R"css(
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--skip:#6e7781;--err:#8250df;--bg:#fff;--fg:#1f2328;--mut:#656d76;--line:#d0d7de}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 24px;border-bottom:1px solid var(--line)}header h1{margin:0;font-size:22px}
header.failed{border-top:6px solid var(--bad)}header.passed{border-top:6px solid var(--ok)}
main{padding:0 24px 24px;max-width:1200px;overflow-wrap:anywhere}h2{font-size:17px;margin:24px 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:96px}
.card b{display:block;font-size:22px}.card.passed b{color:var(--ok)}.card.failed b,.card.timeout b{color:var(--bad)}.card.error b{color:var(--err)}.card.flaky b{color:var(--warn)}.card.skipped b{color:var(--skip)}
ul.failures{list-style:none;padding:0}ul.failures li{border:1px solid var(--line);border-left:4px solid var(--bad);border-radius:4px;padding:8px 12px;margin:8px 0}
.cls{color:var(--mut)}.msg{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:320px;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.st{font-weight:600}.st.passed{color:var(--ok)}.st.failed,.st.timeout{color:var(--bad)}.st.error{color:var(--err)}.st.flaky{color:var(--warn)}.st.skipped{color:var(--skip)}
.pager{margin:0 0 8px}.pager button{margin-right:4px}.pager span{margin:0 8px}
input[type=search]{padding:4px 8px;width:320px;max-width:100%;margin:4px 8px 8px 0}footer{color:var(--mut);padding:16px 24px}
svg text{font:11px sans-serif;fill:var(--fg)}#report-js-error{background:#ffebe9;color:var(--bad);padding:8px 24px}
)css";

constexpr const char* k_onerror = R"js(
window.onerror=function(m){var d=document.createElement('div');d.id='report-js-error';d.textContent='script error: '+m;
(document.body||document.documentElement).appendChild(d);};
)js";

// Filters the table of every test by text and status (also from the address:
// #q=TEXT&status=STATUS&page=N). A large table's rows are data (#tests-data), shown a
// page at a time; the page builds rows with textContent only, never markup.
constexpr const char* k_script = R"js(
(function(){
function $(id){return document.getElementById(id);}
var q=$('filter'),s=$('status-filter'),table=$('all-tests'),body=table.tBodies[0],data=$('tests-data');
var size=+table.getAttribute('data-page-size'),page=0,hits=[],lower=[];
var rows=data?JSON.parse(data.textContent):Array.prototype.slice.call(body.rows);
function text(i){if(lower[i]===undefined){var r=rows[i];lower[i]=(data?r.join(' '):r.textContent).toLowerCase();}return lower[i];}
function status(i){return data?rows[i][0]:rows[i].getAttribute('data-status');}
function cell(tr,value,cls){var td=document.createElement('td');if(cls)td.className=cls;td.textContent=value;tr.appendChild(td);}
function show(){var pages=Math.max(1,Math.ceil(hits.length/size));page=Math.min(Math.max(page,0),pages-1);
var f=document.createDocumentFragment();
hits.slice(page*size,(page+1)*size).forEach(function(i){var r=rows[i],tr=document.createElement('tr');
tr.setAttribute('data-status',r[0]);cell(tr,r[0],'st '+r[0]);cell(tr,r[1]);cell(tr,r[2]);cell(tr,r[3],'num');cell(tr,r[4],'msg');f.appendChild(tr);});
body.textContent='';body.appendChild(f);
$('page-info').textContent='page '+(page+1)+' of '+pages;
$('first-page').disabled=$('prev-page').disabled=page===0;$('next-page').disabled=$('last-page').disabled=page>=pages-1;}
function apply(){var t=q.value.toLowerCase(),st=s.value;hits=[];
for(var i=0;i<rows.length;i++){var ok=(!st||status(i)===st)&&(!t||text(i).indexOf(t)>=0);
if(ok)hits.push(i);if(!data&&rows[i].style.display!==(ok?'':'none'))rows[i].style.display=ok?'':'none';}
$('shown').textContent=hits.length;if(data)show();}
function go(p){page=p;show();}
var h={};location.hash.slice(1).split('&').forEach(function(p){var i=p.indexOf('=');if(i>0)h[p.slice(0,i)]=decodeURIComponent(p.slice(i+1));});
if(h.q)q.value=h.q;if(h.status)s.value=h.status;if(h.page)page=(parseInt(h.page,10)||1)-1;
q.addEventListener('input',function(){page=0;apply();});s.addEventListener('change',function(){page=0;apply();});
if(data){$('first-page').onclick=function(){go(0);};$('prev-page').onclick=function(){go(page-1);};
$('next-page').onclick=function(){go(page+1);};$('last-page').onclick=function(){go(hits.length);};}
apply();
document.documentElement.setAttribute('data-report-ready','1');
})();
)js";

// With HtmlOptions::events: reload when the server says a run was stored; without
// EventSource, or when the server refuses the stream for good, every data-refresh seconds.
constexpr const char* k_live_script = R"js(
(function(){var d=document.documentElement,u=d.getAttribute('data-events'),every=+d.getAttribute('data-refresh');
function later(){if(every>0)setTimeout(function(){location.reload();},every*1000);}
if(!window.EventSource){later();return;}
var es=new EventSource(u);
es.onerror=function(){if(es.readyState===2)later();};
es.addEventListener('run',function(){es.close();location.reload();});
})();
)js";

constexpr std::size_t k_paged_above = 1000;  // a table of more tests is shown a page at a time
constexpr std::size_t k_page_size = 200;
constexpr std::size_t k_listed_max = 1000;  // failures and flaky tests listed in full

std::string secs(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", v);
  return buf;
}

std::string fixed(double v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

const char* colour(Status s) {
  switch (s) {
    case Status::passed: return "#1a7f37";
    case Status::failed:
    case Status::timeout: return "#cf222e";
    case Status::error: return "#8250df";
    case Status::flaky: return "#9a6700";
    case Status::skipped: return "#6e7781";
  }
  return "#000";
}

std::string durations_chart(const std::vector<TestResult>& results) {
  auto top = slowest(results, 20);
  if (top.empty()) return "<p>No timed tests.</p>";
  double max = std::max(top.front()->duration_s, 0.001);
  const int bar = 18, label = 360, width = 900;
  std::string svg = "<svg role=\"img\" aria-label=\"slowest tests\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(static_cast<int>(top.size()) * bar + 4) + "\" viewBox=\"0 0 " + std::to_string(width) +
                    " " + std::to_string(static_cast<int>(top.size()) * bar + 4) + "\">";
  int y = 2;
  for (const TestResult* r : top) {
    double w = (width - label - 80) * r->duration_s / max;
    std::string name = std::string(utf8_prefix(r->classname + " › " + r->name, 60));
    svg += "<text x=\"" + std::to_string(label - 6) + "\" y=\"" + std::to_string(y + 13) + "\" text-anchor=\"end\">" +
           html_escape(name) + "</text>";
    svg += "<rect x=\"" + std::to_string(label) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"" + fixed(std::max(w, 1.0)) +
           "\" height=\"" + std::to_string(bar - 4) + "\" fill=\"" + colour(r->status) + "\"><title>" + html_escape(name) +
           ": " + secs(r->duration_s) + "</title></rect>";
    svg += "<text x=\"" + fixed(label + std::max(w, 1.0) + 4) + "\" y=\"" + std::to_string(y + 13) + "\">" +
           secs(r->duration_s) + "</text>";
    y += bar;
  }
  return svg + "</svg>";
}

// Status squares, oldest first, and a duration line under them.
std::string sparkline(const TestHistory& h) {
  const int cell = 10;
  int n = static_cast<int>(h.points.size());
  int width = std::max(n * cell, 20);
  std::string svg = "<svg width=\"" + std::to_string(width) + "\" height=\"34\" viewBox=\"0 0 " + std::to_string(width) +
                    " 34\">";
  double max = 0.001;
  for (const auto& p : h.points) max = std::max(max, p.duration_s);
  std::string line;
  for (int i = 0; i < n; ++i) {
    const auto& p = h.points[static_cast<std::size_t>(i)];
    svg += "<rect x=\"" + std::to_string(i * cell) + "\" y=\"0\" width=\"" + std::to_string(cell - 2) +
           "\" height=\"10\" fill=\"" + colour(p.status) + "\"><title>" + html_escape(p.run_id) + ": " +
           status_name(p.status) + ", " + secs(p.duration_s) + "</title></rect>";
    line += (i ? " " : "") + std::to_string(i * cell + cell / 2 - 1) + "," + fixed(32 - 18 * p.duration_s / max);
  }
  if (n > 1) svg += "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\"" + line + "\"/>";
  return svg + "</svg>";
}

std::string runs_chart(const std::vector<RunPoint>& runs) {
  if (runs.empty()) return "<p>No stored runs.</p>";
  const int w = 900, h = 120, pad = 30;
  std::size_t n = runs.size();
  std::string svg = "<svg role=\"img\" aria-label=\"pass rate per run\" width=\"" + std::to_string(w) + "\" height=\"" +
                    std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) + "\">";
  svg += "<text x=\"0\" y=\"12\">100%</text><text x=\"0\" y=\"" + std::to_string(h - 4) + "\">0%</text>";
  std::string pts;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = runs[i];
    std::size_t counted = r.tests > r.skipped ? r.tests - r.skipped : 0;
    double rate = counted ? 1.0 - static_cast<double>(r.failures) / static_cast<double>(counted) : 1.0;
    double x = pad + (n > 1 ? (w - 2 * pad) * static_cast<double>(i) / static_cast<double>(n - 1) : (w - 2 * pad) / 2.0);
    double y = 8 + (h - 20) * (1 - rate);
    pts += (i ? " " : "") + fixed(x) + "," + fixed(y);
    svg += "<circle cx=\"" + fixed(x) + "\" cy=\"" + fixed(y) + "\" r=\"3\" fill=\"" +
           (r.failures ? "#cf222e" : "#1a7f37") + "\"><title>" + html_escape(r.run_id) + ": " + std::to_string(r.failures) +
           " failed of " + std::to_string(r.tests) + "</title></circle>";
  }
  svg += "<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" points=\"" + pts + "\"/>";
  return svg + "</svg>";
}

// The cells of a test's row in the table of every test.
std::array<std::string, 5> row_cells(const TestResult& r) {
  return {status_name(r.status), r.name, r.classname, secs(r.duration_s),
          std::string(utf8_prefix(first_line(r.message), 300))};
}

void append_row(std::string& out, const TestResult& r) {
  auto c = row_cells(r);
  out += "<tr data-status=\"" + c[0] + "\"><td class=\"st " + c[0] + "\">" + c[0] + "</td><td>" + html_escape(c[1]) +
         "</td><td>" + html_escape(c[2]) + "</td><td class=\"num\">" + c[3] + "</td><td class=\"msg\">" +
         html_escape(c[4]) + "</td></tr>\n";
}

// Every row as JSON for the page's script, safe inside <script>: no '<', '>' or '&'
// (they only occur in strings, written as \u003c, \u003e, \u0026).
std::string rows_json(const std::vector<TestResult>& results) {
  boost::json::array rows;
  rows.reserve(results.size());
  for (const auto& r : results) {
    auto c = row_cells(r);
    rows.push_back(boost::json::array{c[0], c[1], c[2], c[3], c[4]});
  }
  std::string json = boost::json::serialize(rows), out;
  out.reserve(json.size());
  for (char ch : json) {
    if (ch == '<') out += "\\u003c";
    else if (ch == '>') out += "\\u003e";
    else if (ch == '&') out += "\\u0026";
    else out += ch;
  }
  return out;
}

// "Failures (3)", or "Failures (5000; the first 1000 listed, all in the table below)".
std::string listed_heading(const char* what, std::size_t n) {
  std::string h = std::string(what) + " (" + std::to_string(n);
  if (n > k_listed_max) h += "; the first " + std::to_string(k_listed_max) + " listed, all in the table below";
  return h + ")";
}

// The flaky tests and each test's last runs.
std::string test_history_tables(const std::vector<TestHistory>& history) {
  std::vector<std::pair<const TestHistory*, HistoryStats>> stats;
  for (const auto& h : history) stats.emplace_back(&h, history_stats(h));
  std::string out = "<h2>Flaky tests</h2>\n";
  std::vector<std::pair<const TestHistory*, HistoryStats>> flaky_hist;
  for (const auto& e : stats) {
    if (e.second.flaky > 0 || (e.second.failed > 0 && e.second.passed > 0)) flaky_hist.push_back(e);
  }
  std::stable_sort(flaky_hist.begin(), flaky_hist.end(),
                   [](const auto& a, const auto& b) {
                     if (a.second.flake_rate != b.second.flake_rate) return a.second.flake_rate > b.second.flake_rate;
                     return a.second.pass_rate < b.second.pass_rate;
                   });
  if (flaky_hist.empty()) {
    out += "<p>None in the stored history.</p>\n";
  } else {
    out += "<table id=\"flaky-tests\"><thead><tr><th>test</th><th class=\"num\">flake rate</th><th class=\"num\">pass "
           "rate</th><th class=\"num\">runs</th></tr></thead><tbody>\n";
    for (const auto& [h, st] : flaky_hist) {
      out += "<tr><td>" + html_escape(h->id) + "</td><td class=\"num\">" + fixed(st.flake_rate * 100) +
             "%</td><td class=\"num\">" + fixed(st.pass_rate * 100) + "%</td><td class=\"num\">" +
             std::to_string(st.runs) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "<h2>Per test (oldest → newest)</h2>\n<table id=\"test-history\"><thead><tr><th>test</th><th>last runs</th><th "
         "class=\"num\">pass rate</th><th class=\"num\">mean</th><th class=\"num\">trend</th></tr></thead><tbody>\n";
  for (const auto& [h, st] : stats) {
    out += "<tr><td>" + html_escape(h->id) + "</td><td>" + sparkline(*h) + "</td><td class=\"num\">" +
           fixed(st.pass_rate * 100) + "%</td><td class=\"num\">" + secs(st.mean_duration) + "</td><td class=\"num\">" +
           (st.trend >= 0 ? "+" : "") + fixed(st.trend * 100, 0) + "%</td></tr>\n";
  }
  out += "</tbody></table>";
  return out;
}

std::string suites_table(const std::vector<HtmlOptions::SuiteRow>& suites) {
  std::string out = "<section id=\"suites\"><h2>Suites (" + std::to_string(suites.size()) + ")</h2>\n"
                    "<table id=\"suite-list\"><thead><tr><th>suite</th><th class=\"num\">tests</th><th class=\"num\">"
                    "failing now</th><th class=\"num\">flaky now</th><th class=\"num\">runs</th><th class=\"num\">failed "
                    "runs</th><th>last result</th></tr></thead><tbody>\n";
  for (const auto& r : suites) {
    out += "<tr data-status=\"" + std::string(r.failing ? "failed" : "passed") + "\"><td><a class=\"suite\" href=\"" +
           html_escape(r.href) + "\">" + html_escape(r.name.empty() ? "(no classname)" : r.name) +
           "</a></td><td class=\"num\">" + std::to_string(r.tests) + "</td><td class=\"num st" +
           (r.failing ? " failed" : "") + "\">" + std::to_string(r.failing) + "</td><td class=\"num\">" +
           std::to_string(r.flaky) + "</td><td class=\"num\">" + std::to_string(r.runs) + "</td><td class=\"num\">" +
           std::to_string(r.failed_runs) + "</td><td>" +
           (r.last_ms ? format_utc(SysTime(std::chrono::milliseconds(r.last_ms)), 0) : std::string()) + "</td></tr>\n";
  }
  return out + "</tbody></table></section>\n";
}

}  // namespace

std::string render_html(const std::vector<TestResult>& results, const HtmlOptions& o) {
  RunStats s = run_stats(results);
  bool red = s.failures() > 0;
  std::string out;
  out.reserve(64 * 1024 + results.size() * 200);
  const bool live = !o.events.empty();
  out += "<!DOCTYPE html>\n<html lang=\"en\"";
  if (live) {
    out += " data-events=\"" + html_escape(o.events) + "\" data-refresh=\"" + std::to_string(o.refresh_s) + "\"";
  }
  out += "><head><meta charset=\"utf-8\">\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "script-src 'unsafe-inline'; img-src data:" +
         std::string(live ? "; connect-src 'self'" : "") + "\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (o.refresh_s > 0) {
    std::string meta = "<meta http-equiv=\"refresh\" content=\"" + std::to_string(o.refresh_s) + "\">";
    out += (live ? "<noscript>" + meta + "</noscript>" : meta) + "\n";
  }
  out += "<title>" + html_escape(o.title) + "</title>\n<script>" + std::string(k_onerror) + "</script>\n<style>" +
         k_style + "</style></head>\n<body>\n";
  out += "<header class=\"" + std::string(red ? "failed" : "passed") + "\"><h1>" + html_escape(o.title) + " — " +
         (red ? "failed" : "passed") + "</h1>\n<div class=\"cards\" id=\"overview\">";
  out += "<div class=\"card\"><b>" + std::to_string(s.total) + "</b>tests</div>";
  for (Status st : k_statuses) {
    out += "<div class=\"card " + std::string(status_name(st)) + "\"><b>" + std::to_string(s.count(st)) + "</b>" +
           status_name(st) + "</div>";
  }
  out += "<div class=\"card\"><b>" + format_seconds(s.duration_s) + "</b>total time</div></div></header>\n<main>\n";
  if (!o.home.empty()) out += "<nav><p><a id=\"home\" href=\"" + html_escape(o.home) + "\">« all suites</a></p></nav>\n";
  if (!o.suites.empty()) out += suites_table(o.suites);

  auto failures = failures_of(results);
  out += "<section id=\"failures\"><h2>" + listed_heading("Failures", failures.size()) + "</h2>\n";
  if (failures.size() > k_listed_max) failures.resize(k_listed_max);
  if (failures.empty()) {
    out += "<p>None.</p>\n";
  } else {
    out += "<ul class=\"failures\" id=\"failure-list\">\n";
    for (const TestResult* r : failures) {
      out += "<li class=\"failure\"><span class=\"st " + std::string(status_name(r->status)) + "\">" +
             status_name(r->status) + "</span> <b class=\"name\">" + html_escape(r->name) + "</b> <span class=\"cls\">" +
             html_escape(r->classname) + "</span> <span class=\"cls\">" + secs(r->duration_s) + "</span>";
      if (!r->file.empty()) {
        out += " <span class=\"cls\">" + html_escape(r->file) + (r->line > 0 ? ":" + std::to_string(r->line) : "") + "</span>";
      }
      if (!r->message.empty()) out += "<div class=\"msg\">" + html_escape(utf8_prefix(r->message, 4096)) + "</div>";
      std::string output;
      if (!r->details.empty() && r->details != r->message) output += r->details + "\n";
      output += r->stdout_tail;
      if (!r->stderr_tail.empty()) output += (output.empty() ? "" : "\n") + r->stderr_tail;
      if (!output.empty()) {
        out += "<details><summary>output</summary><pre>" + html_escape(trim_middle(output, 8192, 32768)) + "</pre></details>";
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }
  out += "</section>\n";

  auto flaky = with_status(results, Status::flaky);
  if (!flaky.empty()) {
    out += "<section id=\"flaky\"><h2>" + listed_heading("Flaky in this run", flaky.size()) + "</h2><ul>\n";
    if (flaky.size() > k_listed_max) flaky.resize(k_listed_max);
    for (const TestResult* r : flaky) {
      out += "<li><b>" + html_escape(r->name) + "</b> <span class=\"cls\">" + html_escape(r->classname) +
             "</span> " + passed_after(r->attempts) +
             (r->message.empty() ? "" : ": <span class=\"msg\">" + html_escape(first_line(r->message)) + "</span>") +
             "</li>\n";
    }
    out += "</ul></section>\n";
  }

  out += "<section id=\"durations\"><h2>Slowest tests</h2>\n" + durations_chart(results) + "\n</section>\n";

  if (o.with_history) {
    out += "<section id=\"history\"><h2>Pass rate over the last " + std::to_string(o.runs.size()) + " runs</h2>\n" +
           runs_chart(o.runs) + "\n";
    if (o.suites.empty()) out += test_history_tables(o.history);
    out += "</section>\n";
  }

  out += "<section id=\"tests\"><h2>All tests (<span id=\"shown\">" + std::to_string(results.size()) + "</span> of " +
         std::to_string(results.size()) + ")</h2>\n";
  out += "<input type=\"search\" id=\"filter\" placeholder=\"filter by name, class or message\" aria-label=\"filter\">";
  out += "<select id=\"status-filter\" aria-label=\"status\"><option value=\"\">any status</option>";
  for (Status st : k_statuses) out += "<option>" + std::string(status_name(st)) + "</option>";
  out += "</select>\n";
  // Past k_paged_above tests the rows are data shown a page at a time (the first page
  // also as markup, for readers without scripts): a browser lays out 5,000 rows of markup
  // slower than 100,000 rows of data a page at a time, and takes minutes for 100,000 rows.
  bool paged = results.size() > k_paged_above;
  std::size_t pages = (results.size() + k_page_size - 1) / k_page_size;
  if (paged) {
    out += "<div class=\"pager\"><button id=\"first-page\">« first</button><button id=\"prev-page\">‹ previous</button>"
           "<span id=\"page-info\">page 1 of " + std::to_string(pages) +
           "</span><button id=\"next-page\">next ›</button><button id=\"last-page\">last »</button></div>\n";
  }
  out += "<table id=\"all-tests\"" +
         (paged ? " data-page-size=\"" + std::to_string(k_page_size) + "\"" : std::string()) +
         "><thead><tr><th>status</th><th>test</th><th>class</th><th class=\"num\">time</th><th>message</th></tr></thead>"
         "<tbody>\n";
  std::size_t rendered = paged ? k_page_size : results.size();
  for (std::size_t i = 0; i < rendered; ++i) append_row(out, results[i]);
  out += "</tbody></table>\n";
  if (paged) out += "<script type=\"application/json\" id=\"tests-data\">" + rows_json(results) + "</script>\n";
  out += "</section>\n</main>\n<footer>ciutils report";
  if (!o.generated_at.empty()) out += " · " + html_escape(o.generated_at);
  out += "</footer>\n<script>" + std::string(k_script) + (live ? k_live_script : "") + "</script>\n</body></html>\n";
  return out;
}

int cmd_html(Invocation& inv) {
  HtmlOptions o;
  o.title = inv.flag("title").value_or("Test report");
  o.generated_at = format_utc(std::chrono::system_clock::now(), 0);
  std::size_t n = static_cast<std::size_t>(parse_integer(inv.flag("last").value_or("30"), "--last", 1, 10000));
  std::size_t max_tests = static_cast<std::size_t>(parse_integer(inv.flag("limit").value_or("500"), "--limit", 1, 1000000));
  KeySpace keys = inv.key_space();
  auto results = read_all(inv);
  if (inv.value_or<bool>("history", false)) {
    Redis redis = Redis::connect(inv.redis_url());
    o.with_history = true;
    o.runs = load_runs(redis, keys, n);
    o.history = load_history(redis, keys, n, max_tests, std::nullopt);
  }
  AtomicFile file(inv.flag("output").value_or("-"));
  file.stream() << render_html(results, o);
  file.commit();
  return 0;
}

}  // namespace ciutils::report
