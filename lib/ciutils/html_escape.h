// HTML and XML escaping for text and attribute values (report's dashboard, notify's email,
// fetch's S3 multipart requests).
#pragma once

#include <string>
#include <string_view>

namespace ciutils {

// & < > " ' replaced by entities: safe in element content and in quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace ciutils
