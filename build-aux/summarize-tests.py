#!/usr/bin/env python3
"""Counts individual test cases across meson's log (TAP unit tests), pytest's
JUnit files and the PASS/FAIL lines of <results>/*.txt (fuzz targets,
sanitizer reports), for one or more test passes:

    summarize-tests.py NAME TESTLOG RESULTS_DIR MESON_STATUS [NAME TESTLOG RESULTS_DIR MESON_STATUS ...]

prints one line per pass, then the closing line "N passed, N failed, N skipped"
over all passes, and exits non-zero when anything failed in any pass."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def count_pass(log_path, results_dir, meson_status):
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

    # fuzz.txt, sanitizer.txt: one "PASS name" / "FAIL name" line each
    for txt in sorted(os.listdir(results_dir)) if os.path.isdir(results_dir) else []:
        if not txt.endswith(".txt"):
            continue
        for line in open(os.path.join(results_dir, txt)):
            if line.startswith("PASS "):
                passed += 1
            elif line.startswith("FAIL "):
                failed += 1

    if not entries:
        failed += 1  # the pass did not run at all (build failure)
    elif meson_status != 0 and failed == 0:
        failed += 1
    return passed, failed, skipped, skips


args = sys.argv[1:]
if len(args) == 3:  # the old form: TESTLOG RESULTS_DIR MESON_STATUS
    args = ["tests"] + args
if not args or len(args) % 4:
    sys.exit(__doc__)
totals = [0, 0, 0]
lines = []
for i in range(0, len(args), 4):
    name, log_path, results_dir, status = args[i:i + 4]
    p, f, s, skips = count_pass(log_path, results_dir, int(status))
    for skip in skips:
        print("SKIPPED [%s] %s" % (name, skip))
    lines.append("%s: %d passed, %d failed, %d skipped" % (name, p, f, s))
    totals = [totals[0] + p, totals[1] + f, totals[2] + s]
for line in lines:
    print(line)
print("%d passed, %d failed, %d skipped" % tuple(totals))
sys.exit(1 if totals[1] else 0)
