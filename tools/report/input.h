// Reading test results: result records (JSON Lines), TAP 13/14 and JUnit XML,
// told apart by their content; several inputs at once, "-" for stdin.
#pragma once

#include "result.h"

#include <cstddef>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

using ResultSink = std::function<void(TestResult&&)>;
// Hears what was repaired in an input ("file:line:column: …"); the tool shows it.
using WarningSink = std::function<void(const std::string&)>;

enum class Format { jsonl, tap, junit };

// Pulls an input in chunks; `peek` is what was read to tell the format.
class ChunkReader {
public:
  ChunkReader(std::istream& in, std::string source) : m_in(in), m_source(std::move(source)) {}
  // The next chunk, empty at the end. Read errors throw UsageError naming the source.
  std::string_view next();
  // Reads until `bytes` are buffered (or the end) and returns them without consuming.
  std::string_view peek(std::size_t bytes);
  // Next line without its "\n" (and "\r"); false at the end.
  bool next_line(std::string& line);
  const std::string& source() const { return m_source; }

private:
  bool fill();
  std::istream& m_in;
  std::string m_source;
  std::string m_buffer;
  std::size_t m_pos = 0;
  bool m_eof = false;
};

// The format of an input from its first bytes; UsageError when it is none of them.
Format detect_format(std::string_view head, std::string_view source);

// "dir/unit.tap" → "unit": the classname given to tests whose format has none.
std::string source_stem(std::string_view source);

// Reads one input (format detected) and hands each result to sink.
// A 0-byte input is refused (UsageError). Returns how many results it held.
std::size_t read_input(std::istream& in, const std::string& source, const ResultSink& sink,
                       const WarningSink& warn = {});

// Reads every input in order ("-" is stdin). Returns the total number of results.
std::size_t read_inputs(const std::vector<std::string>& inputs, const ResultSink& sink,
                        const WarningSink& warn = {});

// Replaces lone UTF-16 surrogate escapes ("\ud800" without its pair) in a JSON text by
// "\ufffd": Boost.JSON refuses them, yet some writers emit them for undecodable output.
std::string repair_lone_surrogates(const std::string& line);

// The three readers, also used alone by the unit tests.
std::size_t read_jsonl(ChunkReader& reader, const ResultSink& sink);
std::size_t read_tap(ChunkReader& reader, const ResultSink& sink);
// A <testcase> without a name is kept as "(unnamed #N)" (N counts them per input), warned about.
std::size_t read_junit_xml(ChunkReader& reader, const ResultSink& sink, const WarningSink& warn = {});

}  // namespace ciutils::report
