// S3 replies (fetch put): the UploadId of CreateMultipartUpload, the ETag of
// CompleteMultipartUpload and the Code/Message of errors, read by xml_element.
// Invariants: reading never runs past the reply, and an ETag (any bytes S3 sent) written
// by complete_multipart_xml is read back exactly as it was.
#include "invariant.h"

#include <multipart.h>

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  for (std::string_view name : {"UploadId", "ETag", "Code", "Message", "Key"}) {
    if (auto value = ciutils::fetch::xml_element(xml, name)) {
      FUZZ_ASSERT(value->size() <= xml.size());
    }
  }
  // The ETag S3 sends back (any bytes) survives the request body fetch writes.
  std::string etag(xml);
  auto body = ciutils::fetch::complete_multipart_xml({{1, etag}});
  auto back = ciutils::fetch::xml_element(body, "ETag");
  FUZZ_ASSERT(back && *back == etag);
  return 0;
}
