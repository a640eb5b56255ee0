#!/usr/bin/python3
"""Strict reader of the Prometheus text format (0.0.4) for report's tests.

Reads a file, fails (exit 1, message on stderr) on anything a strict parser would
reject or that node_exporter's textfile collector refuses (sample timestamps,
samples before their TYPE, duplicate series, histograms whose buckets are not
cumulative or whose +Inf bucket differs from _count), and prints one line per
sample: name{label="value",...} value.
"""
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def fail(lineno, why):
    sys.stderr.write(f"line {lineno}: {why}\n")
    sys.exit(1)


def parse_value(text, lineno):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        fail(lineno, f"bad value {text!r}")
    return float(text)


def main(path):
    types, helps, seen, samples = {}, {}, set(), []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.endswith("\n"):
        fail(0, "the text must end with a line feed")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not NAME.fullmatch(parts[2]):
                    fail(lineno, f"bad metric name {parts[2]!r}")
                if parts[1] == "TYPE":
                    if parts[2] in types:
                        fail(lineno, f"second TYPE for {parts[2]}")
                    if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        fail(lineno, "bad TYPE line")
                    types[parts[2]] = parts[3]
                else:
                    helps[parts[2]] = parts[3] if len(parts) == 4 else ""
            continue
        if not line.strip():
            fail(lineno, "blank line")
        m = NAME.match(line)
        if not m:
            fail(lineno, "no metric name")
        name, rest = m.group(0), line[m.end():]
        labels = []
        if rest.startswith("{"):
            end = 1
            while rest[end] != "}":
                lm = LABEL.match(rest, end)
                if not lm:
                    fail(lineno, f"bad label at {rest[end:]!r}")
                labels.append((lm.group(1), lm.group(2)))
                end = lm.end()
                if rest[end] == ",":
                    end += 1
            rest = rest[end + 1:]
        if not rest.startswith(" "):
            fail(lineno, "no space before the value")
        fields = rest[1:].split(" ")
        if len(fields) != 1:
            fail(lineno, "a sample timestamp or trailing text")
        value = parse_value(fields[0], lineno)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        family = name if name in types else base
        if family not in types:
            fail(lineno, f"sample {name} before its TYPE")
        key = (name, tuple(labels))
        if key in seen:
            fail(lineno, f"duplicate series {name}{labels}")
        seen.add(key)
        samples.append((name, labels, value, family))
    for family, kind in types.items():
        if kind != "histogram":
            continue
        buckets = [(dict(l)["le"], v) for n, l, v, f in samples if n == family + "_bucket"]
        les = [float(le.replace("Inf", "inf")) for le, _ in buckets]
        if les != sorted(les) or not les or not math.isinf(les[-1]):
            fail(0, f"{family}: buckets not ordered or no +Inf")
        values = [v for _, v in buckets]
        if values != sorted(values):
            fail(0, f"{family}: buckets not cumulative")
        count = [v for n, l, v, f in samples if n == family + "_count"]
        if count != [values[-1]]:
            fail(0, f"{family}: +Inf bucket differs from _count")
    for name, labels, value, _ in samples:
        label_text = ",".join(f'{k}="{v}"' for k, v in labels)
        print(f"{name}{{{label_text}}} {value:g}")


if __name__ == "__main__":
    main(sys.argv[1])
