// prun plan files (-f plan.json): steps, cleanup, per-slot setup and teardown.
// Invariants: a parsed plan has positive or default worker counts, non-negative
// timeouts and retries, steps that each hold at least one command, and parses the same
// way twice.
#include "invariant.h"

#include <ciutils/error.h>
#include <plan.h>

#include <cstdint>
#include <string>

using ciutils::prun::Plan;
using ciutils::prun::PlanStep;

namespace {

void check_step(const PlanStep& step) {
  FUZZ_ASSERT(!step.commands.empty());
  FUZZ_ASSERT(step.workers >= 0);
  FUZZ_ASSERT(!step.timeout || step.timeout->count() >= 0);
  FUZZ_ASSERT(!step.retries || *step.retries >= 0);
  for (const auto& e : step.env) FUZZ_ASSERT(e.find('=') != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Plan plan;
  try {
    plan = ciutils::prun::parse_plan(text, "plan.json");
  } catch (const ciutils::UsageError&) {
    return 0;
  }
  FUZZ_ASSERT(plan.workers >= 0 && plan.retries >= 0);
  FUZZ_ASSERT(!plan.timeout || plan.timeout->count() >= 0);
  for (const auto& e : plan.env) FUZZ_ASSERT(e.find('=') != std::string::npos);
  for (const auto& step : plan.steps) check_step(step);
  for (const auto& step : plan.cleanup) check_step(step);
  Plan again = ciutils::prun::parse_plan(text, "plan.json");
  FUZZ_ASSERT(again.steps.size() == plan.steps.size() && again.cleanup.size() == plan.cleanup.size());
  return 0;
}
