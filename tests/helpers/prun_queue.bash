# prun queue suites (which load helpers/suite first and start redis): the run's state read
# back, and the workers a test started (their *.pid files) killed after it.
bats_require_minimum_version 1.5.0
load helpers/prun_common

teardown() { kill_test_pids; }

# qstatus KEY: one field of `prun queue status --json` for queue q, run r.
qstatus() {
  prun queue status --queue q --run-id r --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# done_is N: N jobs of run r are recorded (for wait_until, which runs it afresh each time).
done_is() { [ "$(qstatus done)" = "$1" ]; }

# holds_lease PID: the worker with that pid holds at least one lease of run r.
holds_lease() {
  prun queue status --queue q --run-id r --json |
    /usr/bin/python3 -c 'import json,sys; sys.exit(0 if any(":%s:" % sys.argv[1] in h["worker"] for h in json.load(sys.stdin)["leased_by"]) else 1)' "$1"
}

# once_each FILE JOBS: FILE has one record for every line of JOBS and nothing else.
once_each() {
  diff <(/usr/bin/python3 -c 'import json,sys; [print(json.loads(l)["name"]) for l in open(sys.argv[1])]' "$1" | sort) <(sort "$2")
}
