#!/usr/bin/env python3
"""Counts individual test cases across meson's log (TAP unit tests), pytest's
JUnit files and the fuzz results; prints "N passed, N failed, N skipped" and
exits non-zero when anything failed."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

log_path, results_dir, meson_status = sys.argv[1], sys.argv[2], int(sys.argv[3])
passed = failed = skipped = 0
skips = []

entries = []
if os.path.exists(log_path):
    with open(log_path) as f:
        entries = [json.loads(line) for line in f if line.strip()]

for e in entries:
    # meson names tests "project:suite / name".
    name, result = e["name"].split(" / ")[-1], e["result"]
    junit = os.path.join(results_dir, name + ".xml")
    if os.path.exists(junit):
        root = ET.parse(junit).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for s in suites:
            for case in s.findall("testcase"):
                if case.find("skipped") is not None:
                    skipped += 1
                    skips.append("%s::%s: %s" % (name, case.get("name"), case.find("skipped").get("message")))
                elif case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                else:
                    passed += 1
        if result not in ("OK", "SKIP", "EXPECTEDFAIL") and not any(
                c.find("failure") is not None or c.find("error") is not None
                for s in suites for c in s.findall("testcase")):
            failed += 1  # crashed outside any test case
        continue
    out = e.get("stdout") or ""
    oks = len(re.findall(r"^ok \d+", out, re.M))
    skip_lines = re.findall(r"^ok \d+ (.*)# SKIP(.*)$", out, re.M)
    nots = len(re.findall(r"^not ok \d+", out, re.M))
    skipped += len(skip_lines)
    skips += ["%s: %s%s" % (name, a.strip(), b) for a, b in skip_lines]
    passed += oks - len(skip_lines)
    failed += nots
    if result not in ("OK", "SKIP") and nots == 0:
        failed += 1  # crashed, timed out, or failed outside TAP

fuzz = os.path.join(results_dir, "fuzz.txt")
if os.path.exists(fuzz):
    for line in open(fuzz):
        if line.startswith("PASS "):
            passed += 1
        elif line.startswith("FAIL "):
            failed += 1

for s in skips:
    print("SKIPPED", s)
if meson_status != 0 and failed == 0:
    failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
