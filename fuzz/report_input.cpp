// report's inputs: result records (JSON Lines), TAP 13/14 and JUnit XML, told apart by
// their content. Invariants: whatever is read, the JUnit XML that `report junit` writes
// from it reads back with the same number of tests, and validates against the vendored
// junit-10.xsd (checked for one input in 16 to keep the fuzzer fast; always on replay).
#include "invariant.h"

#include <ciutils/error.h>
#include <input.h>
#include <junit_writer.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#ifndef CIUTILS_FUZZ_SCHEMA
#error "CIUTILS_FUZZ_SCHEMA names the junit-10.xsd to validate against"
#endif

using namespace ciutils::report;

namespace {

void silent(void*, const char*, ...) {}

bool valid_junit(const std::string& xml) {
  static xmlSchemaPtr schema = [] {
    xmlSetGenericErrorFunc(nullptr, silent);
    std::unique_ptr<xmlSchemaParserCtxt, decltype(&xmlSchemaFreeParserCtxt)> parser(
        xmlSchemaNewParserCtxt(CIUTILS_FUZZ_SCHEMA), xmlSchemaFreeParserCtxt);
    return xmlSchemaParse(parser.get());
  }();
  FUZZ_ASSERT(schema != nullptr);
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "junit.xml", nullptr, XML_PARSE_NONET),
      xmlFreeDoc);
  if (!doc) return false;
  std::unique_ptr<xmlSchemaValidCtxt, decltype(&xmlSchemaFreeValidCtxt)> check(xmlSchemaNewValidCtxt(schema),
                                                                               xmlSchemaFreeValidCtxt);
  xmlSchemaSetValidErrors(check.get(), silent, silent, nullptr);
  return xmlSchemaValidateDoc(check.get(), doc.get()) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static unsigned calls = 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  JunitOptions options;
  options.hostname = "fuzz";
  options.timestamp = "2026-01-01T00:00:00";
  JunitWriter writer(options);
  std::size_t count = 0;
  try {
    count = read_input(in, "fuzz-input", [&](TestResult&& r) { writer.add(r); });
  } catch (const ciutils::UsageError&) {
    return 0;
  }
  std::ostringstream xml;
  writer.write(xml);
  FUZZ_ASSERT(writer.totals().tests >= count);  // --flaky-as duplicate may write two
  std::istringstream again(xml.str());
  ChunkReader reader(again, "junit.xml");
  std::size_t reread = read_junit_xml(reader, [](TestResult&&) {});
  FUZZ_ASSERT(reread == writer.totals().tests);
#ifdef CIUTILS_FUZZ_REPLAY
  FUZZ_ASSERT(valid_junit(xml.str()));
#else
  if (calls++ % 16 == 0) FUZZ_ASSERT(valid_junit(xml.str()));
#endif
  (void)calls;
  return 0;
}
