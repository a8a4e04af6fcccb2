"""Checks of whole partition directories (``tools/crosscheck --segments DIR``).

DIR holds ``segments-manifest.json`` (format: tools/README.md) and the data directory it
describes, as ``strata-crosscheck-writer --segments`` writes them through Strata's engine.
For every partition directory:

* every segment's ``.log`` is decoded with kafka-python and compared batch by batch and
  record by record with the manifest (``manifest.check_decoded``);
* the segment chain (spec 3.1, 3.2, 3.10): 20-digit names, each segment's first batch at or
  above its base offset and above the previous segment's last offset, and every roll
  decision (a segment ends exactly when one of Kafka's roll conditions holds);
* ``.index`` / ``.timeindex`` / ``.txnindex`` (spec 3.3-3.7): trimmed lengths, the generic
  properties every index must have, and entry-for-entry equality with the indexes that
  Kafka's rules produce from the batches actually in the ``.log``;
* ``leader-epoch-checkpoint``; for the data directory, the recovery-point checkpoint and the
  clean-shutdown marker (the writer closed everything cleanly).

The expectations come from the spec (kafka-storage-spec.md), computed here from the decoded
``.log`` bytes; nothing is taken from Strata's code or from Strata's own index reading.
"""

import json
import os
import re
import struct

import manifest as mf

SEGMENTS_MANIFEST = "segments-manifest.json"

OFFSET_ENTRY = struct.Struct(">ii")         # relative offset, position          (spec 3.3)
TIME_ENTRY = struct.Struct(">qi")           # timestamp, relative offset         (spec 3.4)
TXN_ENTRY = struct.Struct(">hqqqq")         # version, pid, first, last, LSO     (spec 3.5)
INT32_MAX = 2 ** 31 - 1
NO_TIMESTAMP = -1

SEGMENT_FILE = re.compile(r"^(\d{20})\.(log|index|timeindex|txnindex|snapshot)$")
PARTITION_FILES = ("leader-epoch-checkpoint", "partition.metadata")
PARTITION_DIR = re.compile(r"^(.+)-(\d+)$")


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------

def load_segments_manifest(path):
    """Load and structurally validate a segments manifest.  Raises mf.ManifestError."""
    try:
        with open(path, "rb") as fh:
            manifest = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise mf.ManifestError("manifest not found: %s" % path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise mf.ManifestError("cannot read manifest %s: %s" % (path, exc))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("partitions"), list):
        raise mf.ManifestError("%s: top level must be an object with a \"partitions\" array" % path)
    if not isinstance(manifest.get("dataDirectory"), str):
        raise mf.ManifestError("%s: \"dataDirectory\" must be a string" % path)
    for i, part in enumerate(manifest["partitions"]):
        where = "%s: partitions[%d]" % (path, i)
        if not isinstance(part, dict) or not isinstance(part.get("directory"), str):
            raise mf.ManifestError("%s must be an object with a \"directory\" string" % where)
        for key in ("indexIntervalBytes", "logStartOffset", "logEndOffset"):
            if type(part.get(key)) is not int:
                raise mf.ManifestError("%s (%s): \"%s\" must be an integer" % (where, part["directory"], key))
        for key in ("segmentBytes", "maxSegmentMs", "segmentJitterMs", "segmentIndexBytes"):
            if key in part and type(part[key]) is not int:
                raise mf.ManifestError("%s (%s): \"%s\" must be an integer" % (where, part["directory"], key))
        if not isinstance(part.get("segments"), list):
            raise mf.ManifestError("%s (%s) has no \"segments\" array" % (where, part["directory"]))
        for j, seg in enumerate(part["segments"]):
            if not isinstance(seg, dict) or not isinstance(seg.get("file"), str) \
                    or not isinstance(seg.get("batches"), list):
                raise mf.ManifestError("%s (%s) segments[%d] must be an object with a \"file\" string "
                                       "and a \"batches\" array" % (where, part["directory"], j))
            reopens = seg.get("reopenPositions", [])
            if not isinstance(reopens, list) or any(type(p) is not int for p in reopens):
                raise mf.ManifestError("%s (%s) segments[%d]: \"reopenPositions\" must be an array "
                                       "of integers" % (where, part["directory"], j))
    return manifest


# --------------------------------------------------------------------------------------------
# Reading the files
# --------------------------------------------------------------------------------------------

class Batch:
    """What the index rules need of one decoded .log entry."""

    __slots__ = ("position", "size", "base_offset", "last_offset", "max_timestamp", "entry")

    def __init__(self, entry):
        self.entry = entry
        self.position = entry["position"]
        self.size = entry["size"]
        self.base_offset = entry["baseOffset"]
        self.last_offset = entry["lastOffset"]
        ts = entry["maxTimestamp"]
        self.max_timestamp = NO_TIMESTAMP if ts is None else ts


class Segment:
    """One segment: its files and its decoded .log."""

    def __init__(self, part_dir, rel_dir, base):
        self.base = base
        self.reopens = []        # from the manifest: positions of clean close + reopen
        self.prefix = "%020d" % base
        self.part_dir = part_dir
        self.label = "%s/%s" % (rel_dir, self.prefix)
        self.log_label = self.label + ".log"
        with open(self.path(".log"), "rb") as fh:
            self.log_bytes = fh.read()
        entries, self.file_problems = mf.decode_log(self.log_bytes)
        self.entries = entries
        self.batches = [Batch(e) for e in entries]

    def path(self, suffix):
        return os.path.join(self.part_dir, self.prefix + suffix)

    def read(self, suffix):
        """The bytes of one of the segment's files, or None when it does not exist."""
        try:
            with open(self.path(suffix), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None


def unpack_entries(data, entry_struct):
    """Whole entries of an index file and the count of stray trailing bytes."""
    size = entry_struct.size
    whole = len(data) // size
    return [entry_struct.unpack_from(data, i * size) for i in range(whole)], len(data) % size


# --------------------------------------------------------------------------------------------
# The spec's rules, replayed over the batches of a segment
# --------------------------------------------------------------------------------------------

def replay_indexes(batches, base, interval, reopens=()):
    """The `.index` and `.timeindex` Kafka writes for `batches` appended one at a time to a
    segment at `base`, closed (or rolled) afterwards.

    Spec 3.7: a batch at position P gets an offset-index entry (its last offset, P) iff
    P - Pprev > index.interval.bytes, Pprev being the previous entry's position or 0 (so
    never the first batch); at the same moment a time-index entry (maxTimestampSoFar, last
    offset of the earliest batch reaching it) is added if its timestamp is above the last
    one.  Spec 3.6: closing appends the final (maxTimestampSoFar, offset) if larger.

    `reopens`: positions (the .log size) at which the segment was closed cleanly and opened
    again while active.  The close appends the final time entry; the reopened segment's byte
    counter starts at 0 (Kafka's LogSegment initialises bytesSinceLastIndexEntry to 0 and
    takes maxTimestampSoFar from the last time-index entry), so Pprev becomes that position.

    Returns (offset_entries, time_entries, live) with entries as stored ((relative,
    position) and (timestamp, relative)); live[i] = (offset entries, time entries) just
    before batch i is appended, and live[len(batches)] the counts before the final entry,
    for the index-full roll rule."""
    offset_entries, time_entries, live = [], [], []
    max_ts, max_off = NO_TIMESTAMP, base
    last_indexed_position = 0
    pending = sorted(reopens)

    def close_and_reopen(position):
        if max_ts > (time_entries[-1][0] if time_entries else NO_TIMESTAMP):
            time_entries.append((max_ts, max_off - base))
        return position

    for batch in batches:
        while pending and pending[0] <= batch.position:
            last_indexed_position = close_and_reopen(pending.pop(0))
        live.append((len(offset_entries), len(time_entries)))
        if batch.max_timestamp > max_ts:
            max_ts, max_off = batch.max_timestamp, batch.last_offset
        if batch.position - last_indexed_position > interval:
            offset_entries.append((batch.last_offset - base, batch.position))
            last_indexed_position = batch.position
            if max_ts > (time_entries[-1][0] if time_entries else NO_TIMESTAMP):
                time_entries.append((max_ts, max_off - base))
    while pending:
        close_and_reopen(pending.pop(0))
    live.append((len(offset_entries), len(time_entries)))
    close_and_reopen(None)
    return offset_entries, time_entries, live


def roll_reasons(prev_batches, base, live, batch, part):
    """Why Kafka rolls before appending `batch` to a segment at `base` holding `prev_batches`
    (spec 3.10); returns (reasons, undecidable).  `live` = (offset, time) index entries then."""
    reasons = []
    size = sum(b.size for b in prev_batches)
    if "segmentBytes" in part and size > part["segmentBytes"] - batch.size:
        reasons.append("size %d + %d > segment.bytes %d" % (size, batch.size, part["segmentBytes"]))
    undecidable = False
    if prev_batches and "maxSegmentMs" in part:
        first_ts = prev_batches[0].max_timestamp
        if first_ts < 0 or part.get("segmentJitterMs", 0) != 0:
            undecidable = True    # wall clock or random jitter: cannot be replayed here
        elif batch.max_timestamp - first_ts > part["maxSegmentMs"]:
            reasons.append("time %d - %d > segment.ms %d"
                           % (batch.max_timestamp, first_ts, part["maxSegmentMs"]))
    if "segmentIndexBytes" in part:
        max_offset_entries = part["segmentIndexBytes"] // OFFSET_ENTRY.size
        max_time_entries = part["segmentIndexBytes"] // TIME_ENTRY.size
        if live[0] >= max_offset_entries:
            reasons.append("offset index full (%d entries)" % live[0])
        if live[1] >= max_time_entries - 1:
            reasons.append("time index full (%d entries of %d)" % (live[1], max_time_entries))
    if batch.last_offset - base > INT32_MAX:
        reasons.append("last offset %d overflows base %d" % (batch.last_offset, base))
    return reasons, undecidable


def expected_aborted_transactions(segments):
    """Per segment base: the .txnindex entries Kafka writes (spec 3.5), from the markers and
    transactional batches of the whole partition.  lastStableOffset = first offset of the
    earliest other open transaction, else the marker offset + 1."""
    ongoing = {}
    result = {seg.base: [] for seg in segments}
    for seg in segments:
        for entry in seg.entries:
            pid = entry["producerId"]
            if entry["magic"] < 2 or pid is None or pid < 0:
                continue
            if entry["isControl"]:
                records = entry["records"]
                ctype = records[0]["controlType"] if records else None
                if ctype not in ("ABORT", "COMMIT") or pid not in ongoing:
                    continue
                marker = records[0]["offset"]
                others = [first for p, first in ongoing.items() if p != pid]
                lso = min(others) if others else marker + 1
                first = ongoing.pop(pid)
                if ctype == "ABORT":
                    result[seg.base].append((0, pid, first, marker, lso))
            elif entry["isTransactional"]:
                ongoing.setdefault(pid, entry["baseOffset"])
    return result


def expected_leader_epochs(segments):
    """leader-epoch-checkpoint entries: (epoch, first offset written under it), spec 8.1."""
    epochs = []
    for seg in segments:
        for entry in seg.entries:
            epoch = entry["partitionLeaderEpoch"]
            if entry["magic"] >= 2 and epoch is not None and epoch >= 0 \
                    and (not epochs or epoch > epochs[-1][0]):
                epochs.append((epoch, entry["baseOffset"]))
    return epochs


# --------------------------------------------------------------------------------------------
# Checks (each returns a list of FAIL lines)
# --------------------------------------------------------------------------------------------

def _first_difference(expected, actual, fmt):
    for i, (exp, act) in enumerate(zip(expected, actual)):
        if exp != act:
            return "entry #%d: expected %s, actual %s" % (i, fmt(exp), fmt(act))
    i = min(len(expected), len(actual))
    if len(expected) > len(actual):
        return "entry #%d %s is missing" % (i, fmt(expected[i]))
    return "unexpected entry #%d %s" % (i, fmt(actual[i]))


def check_layout(segments, part):
    """Segment chain and roll decisions: {segment base: [FAIL lines]}."""
    fails = {seg.base: [] for seg in segments}
    prev = None
    for seg in segments:
        out = fails[seg.base]
        label = "FAIL %s layout:" % seg.log_label
        boundaries = {b.position for b in seg.batches} | {len(seg.log_bytes)}
        for position in seg.reopens:
            if position not in boundaries:
                out.append("%s manifest reopen position %d is not a batch boundary" % (label, position))
        if not seg.batches:
            if seg is not segments[-1]:
                out.append("%s empty segment that is not the active (last) one" % label)
            continue
        first = seg.batches[0]
        if first.base_offset < seg.base:
            out.append("%s first batch offset %d is below the base offset %d"
                       % (label, first.base_offset, seg.base))
        if prev is not None:
            prev_last = prev.batches[-1].last_offset
            if first.base_offset <= prev_last:
                out.append("%s first batch offset %d is not above the previous segment's last "
                           "offset %d" % (label, first.base_offset, prev_last))
            # Spec 3.10: new base = max(first offset of the append, log end offset).
            if seg.base != max(first.base_offset, prev_last + 1):
                out.append("%s base offset %d, but a roll before the batch at %d (log end %d) "
                           "names the segment %d" % (label, seg.base, first.base_offset,
                                                     prev_last + 1,
                                                     max(first.base_offset, prev_last + 1)))
        last = None
        for b in seg.batches:
            if last is not None and b.base_offset <= last.last_offset:
                out.append("%s pos=%d batch offset %d is not above the previous batch's last "
                           "offset %d" % (label, b.position, b.base_offset, last.last_offset))
            if b.last_offset - seg.base > INT32_MAX:
                out.append("%s pos=%d last offset %d cannot be stored relative to the base"
                           % (label, b.position, b.last_offset))
            last = b
        prev = seg
    # Roll decisions: rolled exactly when a condition held (jitter/wall clock aside).
    for k, seg in enumerate(segments):
        _, _, live = replay_indexes(seg.batches, seg.base, part["indexIntervalBytes"], seg.reopens)
        for i in range(1, len(seg.batches)):
            reasons, _ = roll_reasons(seg.batches[:i], seg.base, live[i], seg.batches[i], part)
            if reasons:
                # later batches of the segment only repeat the consequence: report the first
                fails[seg.base].append("FAIL %s layout: pos=%d the batch at offset %d should have "
                                       "started a new segment (%s); %d more batches follow in "
                                       "this segment"
                                       % (seg.log_label, seg.batches[i].position,
                                          seg.batches[i].base_offset, "; ".join(reasons),
                                          len(seg.batches) - i - 1))
                break
        if k + 1 < len(segments) and seg.batches and segments[k + 1].batches:
            nxt = segments[k + 1].batches[0]
            reasons, undecidable = roll_reasons(seg.batches, seg.base, live[-1], nxt, part)
            if not reasons and not undecidable:
                fails[segments[k + 1].base].append(
                    "FAIL %s layout: the segment was rolled before offset %d although no roll "
                    "condition held (previous segment %d: %d bytes, first batch time %d, "
                    "index entries %d/%d)"
                    % (segments[k + 1].log_label, nxt.base_offset, seg.base,
                       sum(b.size for b in seg.batches), seg.batches[0].max_timestamp,
                       live[-1][0], live[-1][1]))
    return fails


def check_offset_index(seg, data, interval, expected):
    """The .index of a closed segment: trimmed, consistent with the .log, and equal to the
    sparse rule's entries."""
    label = "FAIL %s.index" % seg.label
    if data is None:
        return ["%s: missing (a compatible writer always creates it, spec 3.6)" % label]
    fails = []
    entries, stray = unpack_entries(data, OFFSET_ENTRY)
    if stray:
        fails.append("%s: length %d is not a multiple of 8 (spec 3.9: corrupt)" % (label, len(data)))
    by_position = {b.position: b for b in seg.batches}
    prev = None
    for i, (rel, pos) in enumerate(entries):
        where = "%s entry #%d (%d, %d)" % (label, i, rel, pos)
        if rel < 0:
            fails.append("%s: negative relative offset" % where)
        batch = by_position.get(pos)
        if batch is None:
            fails.append("%s: position %d is not the start of a batch in the .log%s"
                         % (where, pos, " (a zero-filled, untrimmed slot?)" if (rel, pos) == (0, 0)
                                        else ""))
        elif batch.last_offset != seg.base + rel:
            fails.append("%s: the batch at position %d has last offset %d, the entry says %d"
                         % (where, pos, batch.last_offset, seg.base + rel))
        if prev is not None and not (rel > prev[0] and pos > prev[1]):
            fails.append("%s: not strictly above the previous entry (%d, %d)"
                         % (where, prev[0], prev[1]))
        prev = (rel, pos)
    if entries != expected:
        fails.append("%s: %d entries, the sparse rule (index.interval.bytes %d) gives %d; %s"
                     % (label, len(entries), interval, len(expected),
                        _first_difference(expected, entries, lambda e: "(%d, %d)" % e)))
    return fails


def check_time_index(seg, data, expected):
    """The .timeindex of a closed segment: trimmed, each (T, O) the running maximum at the
    earliest batch reaching it, the last entry the segment's max timestamp, and equal to the
    entries Kafka's rules produce."""
    label = "FAIL %s.timeindex" % seg.label
    if data is None:
        return ["%s: missing (a compatible writer always creates it, spec 3.6)" % label]
    fails = []
    entries, stray = unpack_entries(data, TIME_ENTRY)
    if stray:
        fails.append("%s: length %d is not a multiple of 12 (spec 3.9: corrupt)" % (label, len(data)))
    by_last_offset = {}
    running = NO_TIMESTAMP
    for b in seg.batches:
        by_last_offset[b.last_offset] = (b, running)   # running max before this batch
        running = max(running, b.max_timestamp)
    seg_max = running
    prev = None
    for i, (ts, rel) in enumerate(entries):
        where = "%s entry #%d (%d, %d)" % (label, i, ts, rel)
        if prev is not None:
            if ts <= prev[0]:
                fails.append("%s: timestamp not above the previous entry's %d" % (where, prev[0]))
            if rel < prev[1]:
                fails.append("%s: offset below the previous entry's %d" % (where, prev[1]))
        prev = (ts, rel)
        found = by_last_offset.get(seg.base + rel)
        if found is None:
            fails.append("%s: offset %d is not the last offset of a batch in the .log"
                         % (where, seg.base + rel))
            continue
        batch, before = found
        if batch.max_timestamp != ts or before >= ts:
            fails.append("%s: the batch ending at %d has max timestamp %d and the batches before "
                         "it reach %d; the entry must be the running maximum at the earliest "
                         "batch reaching it" % (where, seg.base + rel, batch.max_timestamp, before))
    if seg_max > NO_TIMESTAMP:
        if not entries or entries[-1][0] != seg_max:
            fails.append("%s: last entry %s, but the segment's max timestamp is %d (the final "
                         "entry written at roll/close is missing, spec 3.6)"
                         % (label, "(%d, %d)" % entries[-1] if entries else "none", seg_max))
    elif entries:
        fails.append("%s: %d entries, but no batch has a timestamp" % (label, len(entries)))
    if entries != expected:
        fails.append("%s: %d entries, Kafka's rules give %d; %s"
                     % (label, len(entries), len(expected),
                        _first_difference(expected, entries, lambda e: "(%d, %d)" % e)))
    return fails


def check_txn_index(seg, data, expected):
    """The .txnindex: one 34-byte entry per aborted transaction whose marker is in the segment."""
    label = "FAIL %s.txnindex" % seg.label
    if data is None:
        data = b""
        if expected:
            return ["%s: missing, expected %d aborted transactions" % (label, len(expected))]
    entries, stray = unpack_entries(data, TXN_ENTRY)
    fails = []
    if stray:
        fails.append("%s: length %d is not a multiple of 34" % (label, len(data)))
    if entries != expected:
        fails.append("%s: %d entries, expected %d; %s"
                     % (label, len(entries), len(expected), _first_difference(
                         expected, entries,
                         lambda e: "(version %d, pid %d, first %d, last %d, LSO %d)" % e)))
    return fails


def parse_checkpoint(data, fields):
    """Entries of a checkpoint text file (spec 8.1) as tuples of strings; raises ValueError."""
    text = data.decode("utf-8")
    if text == "":
        return []
    if not text.endswith("\n"):
        raise ValueError("no newline after the last line")
    lines = text[:-1].split("\n")
    if len(lines) < 2 or lines[0] != "0":
        raise ValueError("version line %r (expected 0)" % lines[0])
    count = int(lines[1])
    if count != len(lines) - 2:
        raise ValueError("count %d but %d entry lines" % (count, len(lines) - 2))
    entries = []
    for line in lines[2:]:
        parts = line.split()
        if len(parts) != fields:
            raise ValueError("bad entry line %r" % line)
        entries.append(tuple(parts))
    return entries


def check_partition_directory(part, part_dir, segments):
    """Files of the partition directory, the manifest's segment list, offsets, leader epochs."""
    label = "FAIL %s" % part["directory"]
    fails = []
    names = sorted(os.listdir(part_dir))
    log_bases = {seg.base for seg in segments}
    if not segments:
        fails.append("%s: no segments (a partition always has an active segment)" % label)
    for name in names:
        m = SEGMENT_FILE.match(name)
        if m is None:
            if name not in PARTITION_FILES:
                fails.append("%s: unexpected file %s" % (label, name))
        elif m.group(2) in ("index", "timeindex", "txnindex") and int(m.group(1)) not in log_bases:
            fails.append("%s: %s has no .log beside it" % (label, name))
    listed = [seg.get("file") for seg in part["segments"]]
    on_disk = ["%s/%020d.log" % (part["directory"], seg.base) for seg in segments]
    for name in listed:
        if name not in on_disk:
            fails.append("%s: the manifest lists segment %s, which is not in the directory"
                         % (label, name))
    for name in on_disk:
        if name not in listed:
            fails.append("%s: segment %s is not in the manifest" % (label, name))
    last = next((seg.batches[-1].last_offset for seg in reversed(segments) if seg.batches), None)
    if last is not None and part["logEndOffset"] != last + 1:
        fails.append("%s: manifest logEndOffset %d, the last batch ends at %d"
                     % (label, part["logEndOffset"], last))
    if segments and part["logStartOffset"] != segments[0].base:
        fails.append("%s: manifest logStartOffset %d, the first segment's base offset is %d"
                     % (label, part["logStartOffset"], segments[0].base))
    expected_epochs = expected_leader_epochs(segments)
    path = os.path.join(part_dir, "leader-epoch-checkpoint")
    if os.path.exists(path):
        try:
            with open(path, "rb") as fh:
                epochs = [(int(e), int(o)) for e, o in parse_checkpoint(fh.read(), 2)]
        except ValueError as exc:
            fails.append("%s/leader-epoch-checkpoint: unreadable: %s" % (label, exc))
        else:
            if epochs != expected_epochs:
                fails.append("%s/leader-epoch-checkpoint: %s, the batches give %s"
                             % (label, epochs, expected_epochs))
    elif expected_epochs:
        fails.append("%s: no leader-epoch-checkpoint, but the batches carry leader epochs %s"
                     % (label, expected_epochs))
    return fails


def check_data_directory(data_dir, rel_dir, end_offsets):
    """The clean-shutdown marker and the recovery-point checkpoint of the data directory
    (after a clean close every partition is flushed: recovery point = log end offset)."""
    label = "FAIL %s" % rel_dir
    fails = []
    marker = os.path.join(data_dir, ".kafka_cleanshutdown")
    if not os.path.exists(marker):
        fails.append("%s: no .kafka_cleanshutdown after a clean close (spec 4.5)" % label)
    else:
        with open(marker, "rb") as fh:
            text = fh.read()
        if text:
            try:
                if not isinstance(json.loads(text.decode("utf-8")).get("brokerEpoch"), int):
                    raise ValueError("no integer brokerEpoch")
            except (ValueError, AttributeError, UnicodeDecodeError) as exc:
                fails.append("%s/.kafka_cleanshutdown: not the JSON of spec 8.3: %s" % (label, exc))
    try:
        with open(os.path.join(data_dir, "recovery-point-offset-checkpoint"), "rb") as fh:
            points = {"%s-%s" % (t, p): int(o) for t, p, o in parse_checkpoint(fh.read(), 3)}
    except (OSError, ValueError) as exc:
        fails.append("%s/recovery-point-offset-checkpoint: unreadable: %s" % (label, exc))
    else:
        for name, end in sorted(end_offsets.items()):
            if points.get(name) != end:
                fails.append("%s/recovery-point-offset-checkpoint: %s has %s, the log ends at %d"
                             % (label, name, points.get(name, "no entry"), end))
        for name in sorted(set(points) - set(end_offsets)):
            fails.append("%s/recovery-point-offset-checkpoint: entry for unknown partition %s"
                         % (label, name))
    return fails


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

def _unit(result, fails):
    """Count one unit: passed when `fails` is empty."""
    if fails:
        result.failed += 1
        result.messages.extend(fails)
    else:
        result.passed += 1


def check_partition(base_dir, part):
    """Every check of one partition directory; returns (CheckResult, log end offset)."""
    result = mf.CheckResult()
    rel_dir = part["directory"]
    part_dir = os.path.join(base_dir, rel_dir)
    try:
        names = sorted(os.listdir(part_dir))
    except OSError as exc:
        result.failed += 1
        result.messages.append("FAIL %s: cannot list the partition directory: %s"
                               % (rel_dir, exc.strerror or exc))
        return result, None
    segments = []
    for name in names:
        if name.endswith(".log"):
            if not SEGMENT_FILE.match(name):
                result.failed += 1
                result.messages.append("FAIL %s/%s: not a 20-digit base offset name (spec 3.1)"
                                       % (rel_dir, name))
                continue
            segments.append(Segment(part_dir, rel_dir, int(name[:20])))
    segments.sort(key=lambda s: s.base)
    expected_by_file = {seg["file"]: seg["batches"] for seg in part["segments"]}
    for seg in segments:
        seg.reopens = next((m.get("reopenPositions", []) for m in part["segments"]
                            if m["file"] == seg.log_label), [])

    layout = check_layout(segments, part)
    aborted = expected_aborted_transactions(segments)
    for seg in segments:
        # the .log against the manifest, batch by batch (one unit per batch)
        result.add(mf.check_decoded(seg.log_label, seg.entries, seg.file_problems,
                                    expected_by_file.get(seg.log_label, [])))
        _unit(result, layout[seg.base])
        offsets, times, _ = replay_indexes(seg.batches, seg.base, part["indexIntervalBytes"],
                                           seg.reopens)
        _unit(result, check_offset_index(seg, seg.read(".index"), part["indexIntervalBytes"], offsets))
        _unit(result, check_time_index(seg, seg.read(".timeindex"), times))
        _unit(result, check_txn_index(seg, seg.read(".txnindex"), aborted[seg.base]))
    _unit(result, check_partition_directory(part, part_dir, segments))
    last = next((seg.batches[-1].last_offset for seg in reversed(segments) if seg.batches), None)
    end = last + 1 if last is not None else (segments[-1].base if segments else None)
    return result, end


def check_segments(directory, on_partition=None):
    """Check DIR/segments-manifest.json and the data directory it describes.

    `on_partition(label, result)` is called after each partition and for the data directory.
    Raises mf.ManifestError when the manifest cannot be loaded."""
    manifest_path = os.path.join(directory, SEGMENTS_MANIFEST)
    manifest = load_segments_manifest(manifest_path)
    base_dir = os.path.dirname(os.path.abspath(manifest_path))
    total = mf.CheckResult()
    if not manifest["partitions"]:
        total.failed += 1
        total.messages.append("FAIL manifest: %s lists no partitions" % manifest_path)
    end_offsets = {}
    for part in manifest["partitions"]:
        res, end = check_partition(base_dir, part)
        if end is not None:
            end_offsets[os.path.basename(part["directory"])] = end
        if on_partition is not None:
            on_partition(part["directory"], res)
        total.add(res)
    rel_data = manifest["dataDirectory"]
    data_dir = os.path.join(base_dir, rel_data)
    res = mf.CheckResult()
    fails = []
    listed = {os.path.normpath(p["directory"]) for p in manifest["partitions"]}
    for name in sorted(os.listdir(data_dir)) if os.path.isdir(data_dir) else []:
        path = os.path.join(rel_data, name)
        if os.path.isdir(os.path.join(data_dir, name)) and os.path.normpath(path) not in listed:
            fails.append("FAIL %s: partition directory not in the manifest" % path)
    fails.extend(check_data_directory(data_dir, rel_data, end_offsets))
    _unit(res, fails)
    if on_partition is not None:
        on_partition(rel_data, res)
    total.add(res)
    return total
