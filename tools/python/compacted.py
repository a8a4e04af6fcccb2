"""Checks of partitions compacted by Strata's cleaner (``tools/crosscheck --compacted DIR``).

DIR holds ``compacted-manifest.json`` and the partition directories it lists, as
``strata-crosscheck-writer --compacted`` writes them. For each partition, every ``.log`` is
decoded with kafka-python (CRCs checked, empty batches and delete-horizon batches included),
the ``.txnindex`` files are read (spec 3.5), and what a read_committed consumer reads (aborted
transactions' batches skipped until their ABORT marker, control batches skipped) must be
exactly the manifest's records (for copies of real brokers' compacted topics, which the
writer compacts too, the latest record of each key as read before compaction): each key's latest committed value at its original offset,
offsets strictly increasing, nothing of an aborted transaction.
"""

import base64
import json
import os
import struct

import manifest as mf

TXN_ENTRY = struct.Struct(">hqqqq")  # version, producerId, firstOffset, lastOffset, lastStableOffset


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.messages = []

    def fail(self, text):
        self.failed += 1
        self.messages.append("FAIL " + text)


def read_committed(part_dir, res, label):
    """The (offset, key, value) records a read_committed consumer reads, in order."""
    logs = sorted(f for f in os.listdir(part_dir) if f.endswith(".log"))
    aborted = []
    for name in sorted(f for f in os.listdir(part_dir) if f.endswith(".txnindex")):
        data = open(os.path.join(part_dir, name), "rb").read()
        for at in range(0, len(data) - len(data) % TXN_ENTRY.size, TXN_ENTRY.size):
            _, pid, first, last, _ = TXN_ENTRY.unpack_from(data, at)
            aborted.append((first, pid, last))
    aborted.sort()
    pending = list(aborted)
    aborting = set()
    seen = []
    for name in logs:
        entries, problems = mf.decode_log(open(os.path.join(part_dir, name), "rb").read())
        for problem in problems:
            res.fail("%s/%s: %s" % (label, name, problem))
        for entry in entries:
            for field, message in entry.get("_problems", []):
                res.fail("%s/%s at %d: %s: %s" % (label, name, entry["position"], field, message))
            while pending and pending[0][0] <= entry["lastOffset"]:
                aborting.add(pending.pop(0)[1])
            if entry["isControl"]:
                if any(r.get("controlType") == "ABORT" for r in entry["records"]):
                    aborting.discard(entry["producerId"])
                continue
            if entry["isTransactional"] and entry["producerId"] in aborting:
                continue
            for record in entry["records"]:
                seen.append((record["offset"], record["key"], record["value"]))
    return seen


def check_compacted(directory, on_partition=None):
    with open(os.path.join(directory, "compacted-manifest.json")) as handle:
        manifest = json.load(handle)
    total = Result()
    for part in manifest["partitions"]:
        res = Result()
        label = part["directory"]
        seen = read_committed(os.path.join(directory, part["directory"]), res, label)
        expected = [(r["offset"], base64.b64decode(r["key"]), None if r.get("value") is None else base64.b64decode(r["value"]))
                    for r in part["records"]]
        offsets = [s[0] for s in seen]
        if offsets != sorted(set(offsets)):
            res.fail("%s: offsets not strictly increasing" % label)
        leaked = set(part["abortedOffsets"]) & set(offsets)
        if leaked:
            res.fail("%s: records of aborted transactions read at %s" % (label, sorted(leaked)[:5]))
        if seen != expected:
            missing = [e for e in expected if e not in seen][:3]
            extra = [s for s in seen if s not in expected][:3]
            res.fail("%s (%s): read_committed gives %d records, expected %d; missing %s, unexpected %s"
                     % (label, part["codec"], len(seen), len(expected), missing, extra))
        else:
            res.passed += 1
        if on_partition:
            on_partition(label, res)
        total.passed += res.passed
        total.failed += res.failed
        total.messages += res.messages
    return total
