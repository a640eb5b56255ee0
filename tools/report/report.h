// report: JUnit XML, CI summaries, annotations, Prometheus metrics and an HTML
// dashboard from test results (result records, TAP, JUnit XML).
#pragma once

namespace ciutils::report {

int run(int argc, char** argv);

}  // namespace ciutils::report
