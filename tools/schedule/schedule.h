// schedule: cron schedules enqueued exactly once into Redis streams, and the workers that
// take them (docs/schedule.md).
#pragma once

namespace ciutils::schedule {

int run(int argc, char** argv);

}  // namespace ciutils::schedule
