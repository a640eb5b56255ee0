#!/usr/bin/python3
"""validate_json.py SCHEMA [FILE]: validates each JSON line of FILE (or stdin) against SCHEMA.

Prints "<source>:<line>: <error>" for the first invalid line and exits 1; exits 0 when all
lines are valid and at least one line was read (an empty input is an error: exit 1).
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    source = sys.argv[2] if len(sys.argv) > 2 else "-"
    stream = open(source) if source != "-" else sys.stdin
    count = 0
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"{source}:{number}: invalid JSON: {e}")
            return 1
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
        if errors:
            path = "/".join(str(p) for p in errors[0].path)
            print(f"{source}:{number}: {path}: {errors[0].message}")
            return 1
        count += 1
    if count == 0:
        print(f"{source}: no records")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
