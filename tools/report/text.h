// Text cleaning shared by every output: valid UTF-8 only, ANSI escapes stripped,
// control characters shown visibly, long output trimmed head + tail.
#pragma once

#include <ciutils/clean_text.h>
#include <ciutils/html_escape.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ciutils::report {

using ciutils::clean_text;

// Keeps the first `head` and last `tail` bytes (cut on UTF-8 character boundaries)
// with a "[… N bytes trimmed …]" line between; text that fits is returned as is.
std::string trim_middle(std::string_view text, std::size_t head, std::size_t tail);

// The last `max` bytes, starting on a character boundary.
std::string_view tail_of(std::string_view text, std::size_t max);

// A duration as every output shows it: "12.34s" under a minute, else "14d7h6m9s".
std::string format_seconds(double seconds);

// "passed after 3 attempts" ("passed on a retry" when the attempts are not known).
std::string passed_after(int attempts);

// The text up to the first line break, without surrounding blanks.
std::string first_line(std::string_view text);

// Cuts at most `max` bytes, never inside a UTF-8 character.
std::string_view utf8_prefix(std::string_view text, std::size_t max);

// XML character data / attribute value escaping (attributes keep TAB, LF and CR as
// character references so parsers do not normalise them away).
void append_xml_escaped(std::string& out, std::string_view text, bool attribute);
std::string xml_escape(std::string_view text, bool attribute = false);

// HTML escaping for text and attribute values.
using ciutils::html_escape;

}  // namespace ciutils::report
