#!/usr/bin/python3
"""Prints what a JUnit XML file means, one line per element, in a form two files can be
diffed by: every testcase (classname, name, time), its failure / error / skipped (type,
message, text), system-out, system-err and each flakyFailure / flakyError / rerunFailure /
rerunError (type, message, stackTrace, system-out, system-err) in order (reruns are kept in the order they ran). Read the way
Jenkins' junit plugin reads them (CaseResult): a rerun's details are its <stackTrace>
child, or its own text in files older than Surefire 2.22.1. A missing attribute and an
empty one mean the same. Suites are identified by their testcases only.

usage: junit_meaning.py FILE
"""
import sys
import xml.etree.ElementTree as ET

RERUNS = ("flakyFailure", "flakyError", "rerunFailure", "rerunError")
RESULTS = ("failure", "error", "skipped")


def show(value):
    return repr(value or "")


def child_text(element, tag):
    child = element.find(tag)
    return "" if child is None else "".join(child.itertext())


def rerun_details(element):
    if element.find("stackTrace") is not None:
        return child_text(element, "stackTrace")
    direct = (element.text or "") + "".join(child.tail or "" for child in element)
    return direct if direct.strip() else ""


def testcase_lines(case):
    """The testcase's lines: its result, outputs, then its reruns in their order (the
    order of different kinds of children carries no meaning)."""
    head = f"testcase {show(case.get('classname'))} {show(case.get('name'))}"
    lines = [f"{head} time={float(case.get('time') or 0):.3f}"]
    order = RESULTS + ("system-out", "system-err") + RERUNS
    for child in sorted(case, key=lambda c: order.index(c.tag) if c.tag in order else len(order)):
        tag = child.tag
        if tag in RESULTS:
            text = "".join(child.itertext())
            message = child.get("message")
            if tag == "skipped":  # Jenkins: the message attribute, else the text
                lines.append(f"{head} skipped {show(message or text)}")
            else:
                lines.append(f"{head} {tag} type={show(child.get('type'))} message={show(message)} text={show(text)}")
        elif tag in ("system-out", "system-err"):
            lines.append(f"{head} {tag} {show(''.join(child.itertext()))}")
        elif tag in RERUNS:
            lines.append(
                f"{head} {tag} type={show(child.get('type'))} message={show(child.get('message'))}"
                f" stackTrace={show(rerun_details(child))}"
                f" system-out={show(child_text(child, 'system-out'))}"
                f" system-err={show(child_text(child, 'system-err'))}")
    return lines


def main():
    root = ET.parse(sys.argv[1]).getroot()
    for case in root.iter("testcase"):
        print("\n".join(testcase_lines(case)))


if __name__ == "__main__":
    main()
