"""Check that strata-dump --json agrees with kafka-python on every record.

Usage: tools/dumpcheck STRATA_DUMP PATH...

For every .log and KRaft .checkpoint file under the PATHs that kafka-python can read,
runs `STRATA_DUMP --json --deep-iteration --print-data-log --payload-encoding base64 FILE`
and compares each record (offset, timestamp, key, value, headers; a control record's type)
with what kafka-python decodes (manifest.decode_log). Files kafka-python cannot read are
listed and skipped. Prints one FAIL line per disagreement and ends with
    dumpcheck: N files, R records agree, M mismatches (S skipped)
Exit status 1 on any mismatch, or when no record was compared.
"""

import base64
import json
import os
import subprocess
import sys

import manifest as mf


def data_files(paths):
    for root in paths:
        if os.path.isfile(root):
            yield root
            continue
        for directory, _dirs, names in sorted(os.walk(root)):
            for name in sorted(names):
                if name.endswith(".log") or name.endswith(".checkpoint") and not name.endswith("-checkpoint"):
                    yield os.path.join(directory, name)


def unb64(text):
    return None if text is None else base64.b64decode(text)


def strata_records(dump, path):
    out = subprocess.run([dump, "--json", "--deep-iteration", "--print-data-log", "--payload-encoding", "base64", path],
                         capture_output=True, check=False)
    records, errors = [], []
    for line in out.stdout.decode("utf-8").splitlines():
        obj = json.loads(line)
        if obj["type"] == "error":
            errors.append("%s at %s" % (obj["message"], obj.get("position")))
        elif obj["type"] == "batch":
            for rec in obj.get("records", []):
                records.append((obj["isControl"], rec))
    return records, errors


def compare(path, dump):
    """Returns (agreeing records, failure lines), or None when kafka-python cannot read it."""
    with open(path, "rb") as handle:
        entries, file_problems = mf.decode_log(handle.read())
    if not entries or any(p for e in entries for p in e["_problems"]) or file_problems:
        return None
    expected = [(e["isControl"], r) for e in entries for r in e["records"]]
    actual, errors = strata_records(dump, path)
    failures = ["FAIL %s: strata-dump: %s" % (path, text) for text in errors]
    if len(actual) != len(expected):
        failures.append("FAIL %s: %d records from strata-dump, %d from kafka-python" % (path, len(actual), len(expected)))
    agree = 0
    for (control, exp), (_, act) in zip(expected, actual):
        where = "FAIL %s offset %s:" % (path, exp["offset"])
        problems = []
        if act["offset"] != exp["offset"]:
            problems.append("offset %s vs %s" % (act["offset"], exp["offset"]))
        timestamp = exp["timestamp"] if exp["timestamp"] is not None else -1
        if act["timestamp"] != timestamp:
            problems.append("timestamp %s vs %s" % (act["timestamp"], timestamp))
        if control:
            if act.get("controlType") != exp["controlType"]:
                problems.append("controlType %s vs %s" % (act.get("controlType"), exp["controlType"]))
        else:
            if unb64(act.get("key")) != exp["key"]:
                problems.append("key %s vs %s" % (mf.fmt_bytes(unb64(act.get("key")) or b""), mf.fmt_bytes(exp["key"] or b"")))
            if unb64(act.get("value")) != exp["value"]:
                problems.append("value differs (%s bytes vs %s)" % (act.get("valueSize"), len(exp["value"] or b"")))
        headers = [(h["key"], unb64(h.get("value"))) for h in act.get("headers", [])]
        if headers != [(k, v) for k, v in exp["headers"]]:
            problems.append("headers %s vs %s" % (headers, exp["headers"]))
        if problems:
            failures.append("%s %s" % (where, "; ".join(problems)))
        else:
            agree += 1
    return agree, failures


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 64
    dump, paths = argv[0], argv[1:]
    files = agreeing = mismatches = 0
    skipped = []
    for path in data_files(paths):
        result = compare(path, dump)
        if result is None:
            skipped.append(path)
            continue
        files += 1
        agree, failures = result
        agreeing += agree
        mismatches += len(failures)
        for line in failures:
            print(line)
    for path in skipped:
        print("skipped (kafka-python cannot read it): %s" % path)
    print("dumpcheck: %d files, %d records agree, %d mismatches (%d skipped)" % (files, agreeing, mismatches, len(skipped)))
    return 1 if mismatches or not agreeing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
