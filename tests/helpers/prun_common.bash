# prun suites (which load helpers/suite first): result-file checks and process checks.

# setup() of a suite whose jobs sleep $MARK: the shared setup, then a mark unique to the test.
mark_setup() {
  suite_setup
  MARK=$(unique_mark)
}

# kill_marked: kills what still sleeps $MARK (a suite's teardown).
kill_marked() {
  pkill -KILL -f "sleep $MARK" 2>/dev/null || true
}

# check_results FILE [COUNT]: every line is a result record with the fields of docs/formats.md and
# types, valid against docs/schemas/result.schema.json; with COUNT, exactly that many records.
check_results() {
  "$CIUTILS_SOURCE_DIR/tests/helpers/validate_json.py" "$CIUTILS_SOURCE_DIR/docs/schemas/result.schema.json" "$1" || return 1
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
path = sys.argv[1]
want = int(sys.argv[2]) if len(sys.argv) > 2 else None
nul = type(None)
fields = {"name": str, "classname": str, "status": str, "exit_code": (int, nul), "signal": (int, nul),
          "timed_out": bool, "started_at": (str, nul), "duration_s": (int, float), "attempts": int,
          "slot": (int, nul), "host": str, "run_id": str, "command": str, "message": str,
          "stdout_tail": str, "stderr_tail": str, "log": (str, nul)}
statuses = {"passed", "failed", "error", "timeout", "skipped", "flaky"}
n = 0
with open(path, encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        record = json.loads(line)
        for key, kind in fields.items():
            if key not in record:
                sys.exit(f"{path}:{number}: missing {key}")
            value = record[key]
            if isinstance(value, bool) and kind is not bool:
                sys.exit(f"{path}:{number}: {key} is a boolean")
            if not isinstance(value, kind):
                sys.exit(f"{path}:{number}: {key} has type {type(value).__name__}")
        extra = set(record) - set(fields)
        if extra:
            sys.exit(f"{path}:{number}: unexpected fields {sorted(extra)}")
        if record["status"] not in statuses:
            sys.exit(f"{path}:{number}: bad status {record['status']}")
        never_ran = record["status"] == "skipped"
        if never_ran != (record["exit_code"] is None) or never_ran != (record["started_at"] is None):
            sys.exit(f"{path}:{number}: exit_code and started_at must be null exactly when the job never ran")
        n += 1
if want is not None and n != want:
    sys.exit(f"{path}: {n} records, expected {want}")
PY
}

# field FILE NAME KEY: the KEY of the record named NAME (JSON-encoded).
field() {
  /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["name"] == sys.argv[2]:
        v = r[sys.argv[3]]
        print(v if isinstance(v, str) else json.dumps(v))
        break
else:
    sys.exit("no record named " + sys.argv[2])' "$@"
}

# A sleep duration unique to this test, so its processes can be found by command line.
unique_mark() {
  echo $((800000 + RANDOM * 4 + BATS_TEST_NUMBER))
}

# no_process_with MARK: nothing runs with MARK on its command line (by pid, group, session).
no_process_with() {
  local left
  left=$(ps -eo pid=,pgid=,sid=,stat=,args= | grep -F -- "$1" | grep -v -e grep -e ' Z ' || true)
  if [[ -n $left ]]; then
    echo "processes left: $left" >&2
    return 1
  fi
}

no_zombie_children_of() {
  local z
  z=$(ps -eo ppid=,stat=,pid= | awk -v p="$1" '$1 == p && $2 ~ /^Z/' || true)
  [[ -z $z ]]
}
