// The result record of a job (the format in docs/formats.md) and GNU parallel's --joblog line.
#pragma once

#include "job.h"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace ciutils::prun {

struct RunInfo {
  std::string run_id;
  std::string host;
};

// Replaces invalid UTF-8 (a tail cut inside a character, binary output) with U+FFFD.
std::string sanitize_utf8(std::string_view text);

boost::json::object make_record(const Job& job, const std::string& command, const Outcome& outcome,
                                const RunInfo& run);

std::string joblog_header();
// Seq Host Starttime JobRuntime Send Receive Exitval Signal Command, tab-separated.
std::string joblog_line(const Job& job, const std::string& command, const Outcome& outcome,
                        const RunInfo& run, std::size_t received);

}  // namespace ciutils::prun
