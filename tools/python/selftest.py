"""Mutation self-test of the --segments checker (``tools/crosscheck --segments --self-test DIR``).

Each mutation damages a fresh copy of DIR (in a temporary directory, removed afterwards) the
way a broken writer would, then runs the checks of ``segments.py`` and requires a FAIL line
containing the mutation's expected text.  DIR itself must check clean.  This keeps the
checker honest: a check that silently stops detecting its problem shows up as "missed".
"""

import os
import shutil
import struct
import tempfile

import manifest as mf
import segments as sg


class Target:
    """The files of a checked data directory that mutations pick from."""

    def __init__(self, root):
        self.root = root
        self.manifest = sg.load_segments_manifest(os.path.join(root, sg.SEGMENTS_MANIFEST))
        self.parts = []
        for part in self.manifest["partitions"]:
            part_dir = os.path.join(root, part["directory"])
            bases = sorted(int(n[:20]) for n in os.listdir(part_dir)
                           if sg.SEGMENT_FILE.match(n) and n.endswith(".log"))
            self.parts.append((part, part_dir, bases))

    def segment_files(self, suffix, min_size=0):
        """Paths of every segment file with `suffix` of at least `min_size` bytes."""
        out = []
        for _, part_dir, bases in self.parts:
            for base in bases:
                path = os.path.join(part_dir, "%020d%s" % (base, suffix))
                if os.path.exists(path) and os.path.getsize(path) >= min_size:
                    out.append(path)
        return out

    def multi_segment_part(self):
        return next((p for p in self.parts if len(p[2]) >= 2), None)


def _edit(path, change):
    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    data = change(data)
    with open(path, "wb") as fh:
        fh.write(data)


def log_payload_bitflip(t):
    path = t.segment_files(".log", min_size=200)[0]
    first_size = struct.unpack_from(">i", open(path, "rb").read(), 8)[0] + 12

    def flip(d):
        d[first_size - 1] ^= 0x01     # last byte of the first batch: covered by the CRC
        return d
    _edit(path, flip)


def log_truncated_tail(t):
    _edit(t.segment_files(".log", min_size=200)[-1], lambda d: d[:-10])


def index_entry_deleted(t):
    _edit(t.segment_files(".index", min_size=24)[0], lambda d: d[:8] + d[16:])


def index_untrimmed(t):
    _edit(t.segment_files(".index", min_size=8)[0], lambda d: d + bytes(8))


def index_odd_length(t):
    _edit(t.segment_files(".index", min_size=8)[0], lambda d: d + bytes(3))


def index_missing(t):
    os.remove(t.segment_files(".index")[0])


def timeindex_timestamp_shifted(t):
    def shift(d):
        ts, rel = struct.unpack_from(">qi", d, 12)
        struct.pack_into(">qi", d, 12, ts + 1, rel)
        return d
    _edit(t.segment_files(".timeindex", min_size=36)[0], shift)


def timeindex_final_entry_dropped(t):
    _edit(t.segment_files(".timeindex", min_size=24)[0], lambda d: d[:-12])


def timeindex_untrimmed(t):
    _edit(t.segment_files(".timeindex", min_size=12)[0], lambda d: d + bytes(12))


def txnindex_lso_changed(t):
    def change(d):
        lso = struct.unpack_from(">q", d, 26)[0]
        struct.pack_into(">q", d, 26, lso + 1)
        return d
    _edit(t.segment_files(".txnindex", min_size=34)[0], change)


def segment_misnamed(t):
    path = t.segment_files(".log")[0]
    head, name = os.path.split(path)
    os.rename(path, os.path.join(head, name[1:]))    # 19 digits


def stray_file(t):
    _, part_dir, bases = t.parts[0]
    open(os.path.join(part_dir, "%020d.log.deleted" % bases[0]), "wb").close()


def premature_roll(t):
    """Split the last batch of a segment off into a segment of its own."""
    for part, part_dir, bases in t.parts:
        for base in bases:
            seg = sg.Segment(part_dir, part["directory"], base)
            if len(seg.batches) < 3:
                continue
            last = seg.batches[-1]
            _, _, live = sg.replay_indexes(seg.batches[:-1], base, part["indexIntervalBytes"])
            reasons, undecidable = sg.roll_reasons(seg.batches[:-1], base, live[-1], last, part)
            if reasons or undecidable:
                continue
            new_prefix = os.path.join(part_dir, "%020d" % last.base_offset)
            with open(new_prefix + ".log", "wb") as fh:
                fh.write(seg.log_bytes[last.position:])
            open(new_prefix + ".index", "wb").close()
            with open(new_prefix + ".timeindex", "wb") as fh:
                fh.write(struct.pack(">qi", last.max_timestamp, last.last_offset - last.base_offset))
            _edit(seg.path(".log"), lambda d: d[:last.position])
            return
    raise RuntimeError("no segment to split")


def missed_roll(t):
    """Merge a segment into the one before it (its .log appended, its other files removed)."""
    part, part_dir, bases = t.multi_segment_part()
    first, second = (os.path.join(part_dir, "%020d" % b) for b in bases[:2])
    with open(second + ".log", "rb") as fh:
        tail = fh.read()
    _edit(first + ".log", lambda d: d + tail)
    for suffix in (".log", ".index", ".timeindex", ".txnindex", ".snapshot"):
        if os.path.exists(second + suffix):
            os.remove(second + suffix)


def clean_shutdown_marker_removed(t):
    os.remove(os.path.join(t.root, t.manifest["dataDirectory"], ".kafka_cleanshutdown"))


def recovery_point_wrong(t):
    path = os.path.join(t.root, t.manifest["dataDirectory"], "recovery-point-offset-checkpoint")
    with open(path) as fh:
        lines = fh.read().split("\n")
    topic, partition, offset = lines[2].split(" ")
    lines[2] = "%s %s %d" % (topic, partition, int(offset) - 1)
    with open(path, "w") as fh:
        fh.write("\n".join(lines))


def leader_epoch_changed(t):
    path = os.path.join(t.parts[0][1], "leader-epoch-checkpoint")
    with open(path) as fh:
        lines = fh.read().split("\n")
    epoch, offset = lines[-2].split(" ")
    lines[-2] = "%s %d" % (epoch, int(offset) + 1)
    with open(path, "w") as fh:
        fh.write("\n".join(lines))


# (name, text a FAIL line must contain, mutation)
MUTATIONS = [
    ("log-payload-bitflip", "crcValid", log_payload_bitflip),
    ("log-truncated-tail", "not a complete entry", log_truncated_tail),
    ("index-entry-deleted", "sparse rule", index_entry_deleted),
    ("index-untrimmed", "sparse rule", index_untrimmed),
    ("index-odd-length", "not a multiple of 8", index_odd_length),
    ("index-missing", ".index: missing", index_missing),
    ("timeindex-timestamp-shifted", "running maximum", timeindex_timestamp_shifted),
    ("timeindex-final-entry-dropped", "final entry", timeindex_final_entry_dropped),
    ("timeindex-untrimmed", "Kafka's rules give", timeindex_untrimmed),
    ("txnindex-lso-changed", ".txnindex", txnindex_lso_changed),
    ("segment-misnamed", "20-digit", segment_misnamed),
    ("stray-file", "unexpected file", stray_file),
    ("premature-roll", "no roll condition held", premature_roll),
    ("missed-roll", "should have started a new segment", missed_roll),
    ("clean-shutdown-marker-removed", ".kafka_cleanshutdown", clean_shutdown_marker_removed),
    ("recovery-point-wrong", "recovery-point-offset-checkpoint", recovery_point_wrong),
    ("leader-epoch-changed", "leader-epoch-checkpoint", leader_epoch_changed),
]


def run_self_test(directory, report=print):
    """Apply every mutation to a copy of `directory`; returns (detected, missed)."""
    clean = sg.check_segments(directory)
    if clean.failed or not clean.passed:
        report("FAIL self-test: %s does not check clean (%d passed, %d failed); fix that first"
               % (directory, clean.passed, clean.failed))
        return 0, 1
    detected = missed = 0
    for name, expected_text, mutate in MUTATIONS:
        work = tempfile.mkdtemp(prefix="strata-selftest-")
        try:
            copy = os.path.join(work, "copy")
            shutil.copytree(directory, copy, symlinks=True)
            try:
                mutate(Target(copy))
            except (IndexError, TypeError, RuntimeError, OSError, struct.error) as exc:
                report("FAIL self-test %s: the data has nothing to mutate (%s: %s)"
                       % (name, type(exc).__name__, exc))
                missed += 1
                continue
            try:
                result = sg.check_segments(copy)
            except mf.ManifestError as exc:
                result = mf.CheckResult()
                result.failed, result.messages = 1, ["FAIL manifest: %s" % exc]
            matching = [line for line in result.messages if expected_text in line]
            if result.failed and matching:
                detected += 1
                report("self-test %s: detected (%d FAIL lines), e.g. %s"
                       % (name, len(result.messages), matching[0].replace(copy + "/", "")))
            else:
                missed += 1
                report("FAIL self-test %s: not detected (expected a FAIL line with %r; got %d)"
                       % (name, expected_text, len(result.messages)))
                for line in result.messages[:5]:
                    report("  " + line)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return detected, missed
