"""Shared logic of the Strata cross-check tooling.

* the MANIFEST format (constants, load/dump, base64/digest helpers),
* decoding the raw bytes of a Kafka ``.log`` file with kafka-python into the
  manifest's shape (``decode_log``),
* comparing an expected manifest entry list with the decoded one
  (``check_log_bytes``), used by ``crosscheck.py`` (Strata -> kafka-python) and by
  the self-check of ``gen_fixtures.py`` (kafka-python -> kafka-python).

The checking code knows nothing about where the bytes come from: the ``--segments``
mode (``segments.py``) feeds it the bytes of each segment file and the expected batches
for that segment.

See tools/README.md for the manifest format.
"""

import base64
import json
import os
import struct
import zlib

import crc32c as _crc32c_mod
import kafka.codec
import xxhash
import zstandard

from kafka.record.default_records import DefaultRecordBatch
from kafka.record.legacy_records import LegacyRecordBatch
from kafka.record.memory_records import MemoryRecords

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

CODEC_NAMES = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
CODEC_IDS = {name: cid for cid, name in CODEC_NAMES.items()}

CONTROL_TYPES = {
    0: "ABORT",
    1: "COMMIT",
    2: "LEADER_CHANGE",
    3: "SNAPSHOT_HEADER",
    4: "SNAPSHOT_FOOTER",
    5: "KRAFT_VERSION",
    6: "KRAFT_VOTERS",
}
CONTROL_TYPE_IDS = {name: tid for tid, name in CONTROL_TYPES.items()}

CREATE_TIME = "CreateTime"
LOG_APPEND_TIME = "LogAppendTime"
NO_TIMESTAMP_TYPE = "NoTimestampType"

LOG_OVERHEAD = 12            # offset int64 + size int32
V2_HEADER_SIZE = 61          # RECORD_BATCH_OVERHEAD
V2_HEADER = struct.Struct(">qiibIhiqqqhii")
LEGACY_HEADER = struct.Struct(">qiIbb")   # offset, size, crc, magic, attributes

BATCH_FIELDS = (
    "position", "size", "magic", "codec", "baseOffset", "lastOffset", "timestampType",
    "maxTimestamp", "partitionLeaderEpoch", "producerId", "producerEpoch", "baseSequence",
    "isTransactional", "isControl", "crc",
)
RECORD_FIELDS = ("offset", "timestamp", "key", "value", "headers", "controlType")


class ManifestError(Exception):
    """The manifest itself is malformed (not a mismatch with the data)."""


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def crc32c(data):
    """CRC-32C (Castagnoli), as an unsigned int."""
    return _crc32c_mod.crc32c(bytes(data)) & 0xFFFFFFFF


def crc32(data):
    """CRC-32 (IEEE / zlib), as an unsigned int."""
    return zlib.crc32(bytes(data)) & 0xFFFFFFFF


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def unb64(text, where):
    if text is None:
        return None
    if not isinstance(text, str):
        raise ManifestError("%s: expected a base64 string or null, got %r" % (where, text))
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except Exception as exc:  # binascii.Error, UnicodeEncodeError
        raise ManifestError("%s: invalid base64 (%s)" % (where, exc))


def digest(data):
    """Compact stand-in for a large byte string: {"length": n, "crc32c": c}."""
    return {"length": len(data), "crc32c": crc32c(data)}


def fmt_bytes(data, limit=40):
    """Human-readable rendering of a byte string for failure messages."""
    if data is None:
        return "null"
    data = bytes(data)
    shown = data[:limit]
    if all(32 <= b < 127 for b in shown):
        text = repr(shown.decode("ascii"))
    else:
        text = "0x" + shown.hex()
    if len(data) > limit:
        text += "... (%d bytes, crc32c %08x)" % (len(data), crc32c(data))
    return text


def fmt_value(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return fmt_bytes(value)
    return json.dumps(value, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# Manifest load / dump
# --------------------------------------------------------------------------------------------

def load_manifest(path):
    """Load and structurally validate a manifest.  Raises ManifestError."""
    try:
        with open(path, "rb") as fh:
            manifest = json.loads(fh.read().decode("utf-8"))
    except FileNotFoundError:
        raise ManifestError("manifest not found: %s" % path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ManifestError("cannot read manifest %s: %s" % (path, exc))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise ManifestError("%s: top level must be an object with a \"files\" array" % path)
    for i, entry in enumerate(manifest["files"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise ManifestError("%s: files[%d] must be an object with a \"file\" string" % (path, i))
        if not isinstance(entry.get("batches"), list):
            raise ManifestError("%s: files[%d] (%s) has no \"batches\" array"
                                % (path, i, entry["file"]))
        for j, batch in enumerate(entry["batches"]):
            if not isinstance(batch, dict) or not isinstance(batch.get("records"), list):
                raise ManifestError("%s: %s batches[%d] must be an object with a \"records\" array"
                                    % (path, entry["file"], j))
    return manifest


def _dump(obj, indent, compact):
    pad = "  " * indent
    if compact or not isinstance(obj, (dict, list)) or not obj:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if isinstance(obj, list):
        items = [pad + "  " + _dump(item, indent + 1, False) for item in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    items = []
    for key, value in obj.items():
        # records (one per line) and headers stay compact to keep the file readable and small
        child_compact = key == "headers"
        if key == "records" and isinstance(value, list) and value:
            text = "[\n" + ",\n".join(
                pad + "    " + _dump(rec, 0, True) for rec in value) + "\n" + pad + "  ]"
        else:
            text = _dump(value, indent + 1, child_compact)
        items.append(pad + "  " + json.dumps(key) + ": " + text)
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def dumps_manifest(manifest):
    """Deterministic JSON text: one record per line."""
    return _dump(manifest, 0, False) + "\n"


def write_manifest(manifest, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(dumps_manifest(manifest))
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# Compressed payload inspection (framing details kafka-python does not check)
# --------------------------------------------------------------------------------------------

LZ4_MAGIC = b"\x04\x22\x4d\x18"
XERIAL_MAGIC = b"\x82SNAPPY\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _lz4_hc(data):
    return (xxhash.xxh32(bytes(data)).intdigest() >> 8) & 0xFF


def inspect_lz4(payload, magic):
    """Return (info dict, problems list) for a Kafka LZ4 frame.

    Problems are things Java's Lz4BlockInputStream would reject (or silently
    ignore) even though python-lz4 / kafka-python accept them."""
    p = bytes(payload)
    problems = []
    info = {"codec": "lz4"}
    if len(p) < 7 or p[:4] != LZ4_MAGIC:
        return info, ["lz4: payload does not start with the LZ4 frame magic 04224d18"]
    flg, bd = p[4], p[5]
    info["FLG"] = "0x%02x" % flg
    info["BD"] = "0x%02x" % bd
    version = flg >> 6
    independent = (flg >> 5) & 1
    block_checksum = (flg >> 4) & 1
    content_size = (flg >> 3) & 1
    content_checksum = (flg >> 2) & 1
    reserved = (flg >> 1) & 1
    dict_id = flg & 1
    info["blockIndependent"] = bool(independent)
    info["blockChecksum"] = bool(block_checksum)
    info["contentChecksum"] = bool(content_checksum)
    if version != 1:
        problems.append("lz4: FLG version %d (must be 1)" % version)
    if not independent:
        problems.append("lz4: FLG block-independence bit is 0 (linked blocks); Java rejects them")
    if reserved or dict_id:
        problems.append("lz4: FLG reserved/dictionary-id bits set (FLG 0x%02x); Java rejects them"
                        % flg)
    bd_code = (bd >> 4) & 0x07
    if bd & 0x8F or not 4 <= bd_code <= 7:
        problems.append("lz4: invalid BD byte 0x%02x" % bd)
    block_max = 1 << (2 * bd_code + 8)
    info["blockMaxSize"] = block_max
    hdr_end = 6 + (8 if content_size else 0) + (4 if dict_id else 0)
    if len(p) < hdr_end + 1:
        return info, problems + ["lz4: truncated frame descriptor"]
    if content_size:
        info["contentSize"] = struct.unpack_from("<Q", p, 6)[0]
    hc = p[hdr_end]
    correct = _lz4_hc(p[4:hdr_end])
    broken = _lz4_hc(p[0:hdr_end])
    info["HC"] = "0x%02x (%s)" % (hc, "correct" if hc == correct else
                                  "Kafka-0.8 broken, over magic+descriptor" if hc == broken
                                  else "wrong")
    if magic >= 1 and hc != correct:
        problems.append("lz4: header checksum 0x%02x, expected 0x%02x (Java verifies it for "
                        "magic %d)" % (hc, correct, magic))
    pos = hdr_end + 1
    blocks = stored = 0
    while True:
        if pos + 4 > len(p):
            problems.append("lz4: frame truncated (no end mark)")
            break
        word = struct.unpack_from("<I", p, pos)[0]
        pos += 4
        if word == 0:
            if content_checksum:
                pos += 4
            break
        size = word & 0x7FFFFFFF
        blocks += 1
        if word >> 31:
            stored += 1
        if size > block_max:
            problems.append("lz4: block %d of %d bytes exceeds the %d-byte block maximum"
                            % (blocks, size, block_max))
        pos += size + (4 if block_checksum else 0)
    info["blocks"] = blocks
    info["storedBlocks"] = stored
    if pos < len(p):
        problems.append("lz4: %d bytes after the end of the frame (Java reads one frame only)"
                        % (len(p) - pos))
    elif pos > len(p):
        problems.append("lz4: frame runs %d bytes past the end of the payload" % (pos - len(p)))
    return info, problems


def _read_uvarint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise ValueError("bad varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def inspect_snappy(payload):
    p = bytes(payload)
    info = {"codec": "snappy"}
    problems = []
    if p[:8] != XERIAL_MAGIC:
        info["framing"] = "raw snappy block (no xerial header)"
        return info, problems
    info["framing"] = "xerial"
    if len(p) < 16:
        return info, ["snappy: truncated xerial header"]
    info["version"], info["compatVersion"] = struct.unpack_from(">ii", p, 8)
    pos = 16
    chunk_sizes = []
    while pos < len(p):
        if pos + 4 > len(p):
            problems.append("snappy: truncated chunk length at payload byte %d" % pos)
            break
        if p[pos:pos + 8] == XERIAL_MAGIC:   # concatenated stream: skip another header
            pos += 16
            continue
        length = struct.unpack_from(">i", p, pos)[0]
        pos += 4
        if length < 0 or pos + length > len(p):
            problems.append("snappy: bad chunk length %d at payload byte %d" % (length, pos - 4))
            break
        try:
            plain, _ = _read_uvarint(p, pos)
        except ValueError:
            problems.append("snappy: chunk at payload byte %d has no valid length preamble"
                            % (pos - 4))
            break
        chunk_sizes.append(plain)
        pos += length
    info["chunks"] = len(chunk_sizes)
    info["maxChunkPlaintext"] = max(chunk_sizes) if chunk_sizes else 0
    return info, problems


def inspect_gzip(payload):
    p = bytes(payload)
    info = {"codec": "gzip"}
    if len(p) < 10 or p[:3] != b"\x1f\x8b\x08":
        return info, ["gzip: payload does not start with 1f8b08"]
    info["FLG"] = p[3]
    info["MTIME"] = struct.unpack_from("<I", p, 4)[0]
    info["XFL"] = p[8]
    info["OS"] = p[9]
    return info, []


def inspect_zstd(payload):
    p = bytes(payload)
    info = {"codec": "zstd"}
    if p[:4] != ZSTD_MAGIC:
        return info, ["zstd: payload does not start with the zstd frame magic 28b52ffd"]
    try:
        params = zstandard.get_frame_parameters(p)
        info["contentSize"] = (None if params.content_size == zstandard.CONTENTSIZE_UNKNOWN
                               else params.content_size)
        info["checksum"] = bool(params.has_checksum)
    except zstandard.ZstdError as exc:
        return info, ["zstd: bad frame header: %s" % exc]
    return info, []


def inspect_payload(codec, payload, magic):
    """(info, problems) for a compressed payload of the given codec name."""
    if codec == "lz4":
        return inspect_lz4(payload, magic)
    if codec == "snappy":
        return inspect_snappy(payload)
    if codec == "gzip":
        return inspect_gzip(payload)
    if codec == "zstd":
        return inspect_zstd(payload)
    return {"codec": codec}, []


def legacy_wrapper_value(raw):
    """The value bytes of a legacy (v0/v1) message entry, or None."""
    magic = raw[16]
    pos = LOG_OVERHEAD + 4 + 2 + (8 if magic == 1 else 0)
    key_len = struct.unpack_from(">i", raw, pos)[0]
    pos += 4 + max(key_len, 0)
    value_len = struct.unpack_from(">i", raw, pos)[0]
    pos += 4
    return None if value_len < 0 else bytes(raw[pos:pos + value_len])


def entry_payload(raw):
    """The compressed payload of an entry (v2: bytes after the header; legacy: wrapper value)."""
    if raw[16] >= 2:
        return bytes(raw[V2_HEADER_SIZE:])
    return legacy_wrapper_value(raw)


# --------------------------------------------------------------------------------------------
# Decoding with kafka-python
# --------------------------------------------------------------------------------------------

def _codec_name(cid):
    return CODEC_NAMES.get(cid, "invalid(%d)" % cid)


def _decode_v2(batch, raw, position):
    (base_offset, length, epoch, magic, crc, attrs, last_delta, base_ts, max_ts, pid,
     pepoch, base_seq, count) = V2_HEADER.unpack_from(raw)
    entry = {
        "position": position,
        "size": len(raw),
        "magic": magic,
        "codec": _codec_name(attrs & 0x07),
        "baseOffset": base_offset,
        "lastOffset": base_offset + last_delta,
        "timestampType": LOG_APPEND_TIME if attrs & 0x08 else CREATE_TIME,
        "maxTimestamp": max_ts,
        "partitionLeaderEpoch": epoch,
        "producerId": pid,
        "producerEpoch": pepoch,
        "baseSequence": base_seq,
        "isTransactional": bool(attrs & 0x10),
        "isControl": bool(attrs & 0x20),
        "crc": crc,
    }
    problems = []
    # kafka-python's validation (must run before iterating)
    if not batch.validate_crc():
        problems.append(("crcValid", "CRC-32C %08x stored, %08x computed over [21,%d)"
                         % (crc, crc32c(raw[21:]), len(raw))))
    if attrs & 0xFF00:
        problems.append(("attributes", "high byte of attributes is 0x%02x (must be 0)"
                         % (attrs >> 8)))
    records = []
    try:
        for rec in batch:
            control_type = None
            if entry["isControl"]:
                control_type = CONTROL_TYPES.get(rec.type, "UNKNOWN(%d)" % rec.type)
            records.append({
                "offset": rec.offset,
                "timestamp": rec.timestamp,
                "key": rec.key,
                "value": rec.value,
                "headers": [(k, v) for k, v in rec.headers],
                "controlType": control_type,
            })
    except Exception as exc:   # CorruptRecordError, struct.error, codec errors, ...
        problems.append(("records", "kafka-python failed to decode the records after %d of %d: "
                         "%s: %s" % (len(records), count, type(exc).__name__, exc)))
    entry["records"] = records
    if attrs & 0x07:
        info, frame_problems = inspect_payload(entry["codec"], raw[V2_HEADER_SIZE:], magic)
        entry["_frame"] = info
        problems.extend(("frame", text) for text in frame_problems)
    # invariants
    if records:
        if entry["timestampType"] == CREATE_TIME:
            max_rec = max(r["timestamp"] for r in records)
            if max_ts < max_rec:
                problems.append(("maxTimestamp", "header maxTimestamp %d < largest record "
                                 "timestamp %d" % (max_ts, max_rec)))
        if records[-1]["offset"] > entry["lastOffset"]:
            problems.append(("lastOffset", "record offset %d beyond lastOffset %d"
                             % (records[-1]["offset"], entry["lastOffset"])))
    return entry, problems


def _legacy_inner_problem(raw, magic, codec):
    """Decompress a legacy wrapper's value and check that the inner message set walks
    cleanly (kafka-python does not guard against negative or overlong sizes).  Returns a
    problem text or None."""
    try:
        value = legacy_wrapper_value(raw)
        if value is None:
            return "compressed wrapper has a null value"
        if codec == 1:
            plain = kafka.codec.gzip_decode(value)
        elif codec == 2:
            plain = kafka.codec.snappy_decode(value)
        elif codec == 3:
            plain = (kafka.codec.lz4_decode_old_kafka(value) if magic == 0
                     else kafka.codec.lz4_decode(value))
        else:
            return "invalid legacy codec id %d" % codec
    except Exception as exc:
        return "cannot decompress the wrapper value: %s: %s" % (type(exc).__name__, exc)
    pos = count = 0
    min_size = 14 if magic == 0 else 22
    while pos < len(plain):
        if pos + LOG_OVERHEAD > len(plain):
            return "inner message set: %d stray bytes at inner position %d" % (
                len(plain) - pos, pos)
        size = struct.unpack_from(">i", plain, pos + 8)[0]
        if size < min_size or pos + LOG_OVERHEAD + size > len(plain):
            return "inner message set: bad message size %d at inner position %d" % (size, pos)
        pos += LOG_OVERHEAD + size
        count += 1
    if count == 0:
        return "inner message set is empty"
    return None


def _decode_legacy(batch, raw, position):
    offset, size, crc, magic, attrs = LEGACY_HEADER.unpack_from(raw)
    codec = attrs & 0x07
    entry = {
        "position": position,
        "size": len(raw),
        "magic": magic,
        "codec": _codec_name(codec) if codec <= 3 else "invalid(%d)" % codec,
        "baseOffset": offset,
        "lastOffset": offset,
        "timestampType": (NO_TIMESTAMP_TYPE if magic == 0 else
                          LOG_APPEND_TIME if attrs & 0x08 else CREATE_TIME),
        "maxTimestamp": struct.unpack_from(">q", raw, 18)[0] if magic == 1 else None,
        "partitionLeaderEpoch": None,
        "producerId": None,
        "producerEpoch": None,
        "baseSequence": None,
        "isTransactional": False,
        "isControl": False,
        "crc": crc,
    }
    problems = []
    if not batch.validate_crc():
        problems.append(("crcValid", "CRC-32 %08x stored, %08x computed over [16,%d)"
                         % (crc, crc32(raw[16:]), len(raw))))
    records = []
    if codec:
        inner_problem = _legacy_inner_problem(raw, magic, codec)
        if inner_problem:
            # kafka-python's walk of the inner set can loop forever on a bad size: stop here
            problems.append(("records", inner_problem))
            batch = ()
    try:
        for rec in batch:
            if not rec.validate_crc():
                problems.append(("records", "inner message at offset %d has an invalid CRC-32"
                                 % rec.offset))
            records.append({
                "offset": rec.offset,
                "timestamp": rec.timestamp,
                "key": rec.key,
                "value": rec.value,
                "headers": [],
                "controlType": None,
            })
    except Exception as exc:
        problems.append(("records", "kafka-python failed to decode the message set after %d "
                         "messages: %s: %s" % (len(records), type(exc).__name__, exc)))
    entry["records"] = records
    if codec:
        if records:
            entry["baseOffset"] = records[0]["offset"]
            # inner messages must be uncompressed and of the wrapper's magic
            try:
                for header, _pos in batch._read_all_headers():   # noqa: SLF001 (kafka-python)
                    if header[3] != magic:
                        problems.append(("records", "inner message at inner offset %d has magic "
                                         "%d, wrapper has %d" % (header[0], header[3], magic)))
            except Exception:   # already reported by the iteration above
                pass
            if magic == 1 and entry["timestampType"] == CREATE_TIME:
                max_rec = max(r["timestamp"] for r in records)
                if entry["maxTimestamp"] < max_rec:
                    problems.append(("maxTimestamp", "wrapper timestamp %d < largest inner "
                                     "timestamp %d" % (entry["maxTimestamp"], max_rec)))
        value = legacy_wrapper_value(raw)
        if value is not None and codec <= 3:
            info, frame_problems = inspect_payload(entry["codec"], value, magic)
            entry["_frame"] = info
            problems.extend(("frame", text) for text in frame_problems)
    return entry, problems


def decode_log(data):
    """Decode every entry of a .log-style byte string with kafka-python.

    Returns (entries, file_problems).  Each entry is a dict in manifest shape (keys and
    values as raw bytes, headers as (str, bytes|None) tuples) with extra keys
    "_problems" (list of (field, message)) and possibly "_frame" (compression framing
    info).  file_problems are failures not attributable to one entry."""
    data = bytes(data)
    entries = []
    file_problems = []
    records_reader = MemoryRecords(data)
    position = 0
    while True:
        try:
            if not records_reader.has_next():
                break
            batch = records_reader.next_batch()
        except Exception as exc:
            file_problems.append("position %d: kafka-python cannot read the entry: %s: %s"
                                 % (position, type(exc).__name__, exc))
            return entries, file_problems
        size = batch.size_in_bytes
        raw = data[position:position + size]
        try:
            if isinstance(batch, DefaultRecordBatch):
                entry, problems = _decode_v2(batch, raw, position)
            elif isinstance(batch, LegacyRecordBatch):
                entry, problems = _decode_legacy(batch, raw, position)
            else:   # pragma: no cover - kafka-python only has these two
                raise TypeError("unknown batch class %s" % type(batch).__name__)
        except Exception as exc:
            file_problems.append("position %d: cannot decode entry (magic %d): %s: %s"
                                 % (position, raw[16] if len(raw) > 16 else -1,
                                    type(exc).__name__, exc))
            return entries, file_problems
        entry["_problems"] = problems
        entries.append(entry)
        position += size
    if position < len(data):
        file_problems.append("%d trailing bytes at position %d are not a complete entry "
                             "(size field %s)" % (
                                 len(data) - position, position,
                                 struct.unpack_from(">i", data, position + 8)[0]
                                 if len(data) - position >= 12 else "n/a"))
    return entries, file_problems


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------

class CheckResult:
    """Outcome of checking one log file: counts are per batch (plus file-level failures)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.messages = []    # one line per failing check

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.messages.extend(other.messages)


def _expected_blob(record, name, where):
    """Expected key/value of a manifest record: ("bytes", b|None) or ("digest", dict)."""
    if name in record:
        return "bytes", unb64(record[name], "%s %s" % (where, name))
    dig = record.get(name + "Digest")
    if isinstance(dig, dict) and isinstance(dig.get("length"), int) \
            and isinstance(dig.get("crc32c"), int):
        return "digest", dig
    raise ManifestError("%s: record has neither \"%s\" nor a valid \"%sDigest\""
                        % (where, name, name))


def _blob_mismatch(expected, actual):
    kind, exp = expected
    if kind == "bytes":
        if exp == actual:
            return None
        exp_text, act_text = fmt_bytes(exp), fmt_bytes(actual)
        if exp is not None and actual is not None:
            diff = next((i for i, (x, y) in enumerate(zip(exp, actual)) if x != y),
                        min(len(exp), len(actual)))
            act_text += " (first difference at byte %d)" % diff
        return exp_text, act_text
    if actual is not None and digest(actual) == exp:
        return None
    return ("%d bytes with crc32c %08x" % (exp["length"], exp["crc32c"]),
            "null" if actual is None else "%d bytes with crc32c %08x: %s"
            % (len(actual), crc32c(actual), fmt_bytes(actual)))


def _expected_headers(record, where):
    headers = record.get("headers")
    if not isinstance(headers, list):
        raise ManifestError("%s: \"headers\" must be an array" % where)
    out = []
    for h in headers:
        if not isinstance(h, dict) or not isinstance(h.get("key"), str) or "value" not in h:
            raise ManifestError("%s: bad header %r" % (where, h))
        out.append((h["key"], unb64(h["value"], where + " header value")))
    return out


def _fmt_headers(headers):
    return "[" + ", ".join("%s=%s" % (json.dumps(k, ensure_ascii=False), fmt_bytes(v))
                           for k, v in headers) + "]"


def compare_batch(label, expected, actual):
    """List of failure lines for one expected batch vs one decoded entry."""
    pos = expected.get("position", actual["position"])
    prefix = "FAIL %s pos=%s" % (label, pos)
    fails = []
    for field in BATCH_FIELDS:
        if field not in expected:
            fails.append("%s %s: missing in manifest (actual %s)"
                         % (prefix, field, fmt_value(actual[field])))
        elif expected[field] != actual[field] or type(expected[field]) is not type(actual[field]):
            exp_text, act_text = fmt_value(expected[field]), fmt_value(actual[field])
            if field == "crc" and isinstance(expected[field], int):
                exp_text += " (0x%08x)" % (expected[field] & 0xFFFFFFFF)
                act_text += " (0x%08x)" % actual[field]
            fails.append("%s %s: expected %s, actual %s" % (prefix, field, exp_text, act_text))
    for field, message in actual["_problems"]:
        fails.append("%s %s: %s" % (prefix, field, message))

    exp_records = expected["records"]
    act_records = actual["records"]
    if len(exp_records) != len(act_records):
        fails.append("%s records: expected %d records, actual %d"
                     % (prefix, len(exp_records), len(act_records)))
    for i, (exp, act) in enumerate(zip(exp_records, act_records)):
        try:
            fails.extend(_compare_record(prefix, "%s pos=%s record #%d" % (label, pos, i),
                                         exp, act))
        except ManifestError as exc:
            fails.append("%s record #%d: manifest error: %s" % (prefix, i, exc))
    return fails


def _compare_record(prefix, where, exp, act):
    """Failure lines for one expected record vs one decoded record."""
    if not isinstance(exp, dict):
        raise ManifestError("%s: record must be an object" % where)
    fails = []
    rprefix = "%s offset=%s" % (prefix, exp.get("offset", act["offset"]))
    for field in ("offset", "timestamp", "controlType"):
        if field not in exp:
            if field == "controlType" and act[field] is None:
                continue   # tolerate an omitted controlType on data records
            fails.append("%s %s: missing in manifest (actual %s)"
                         % (rprefix, field, fmt_value(act[field])))
        elif exp[field] != act[field] or type(exp[field]) is not type(act[field]):
            fails.append("%s %s: expected %s, actual %s"
                         % (rprefix, field, fmt_value(exp[field]), fmt_value(act[field])))
    for field in ("key", "value"):
        try:
            mismatch = _blob_mismatch(_expected_blob(exp, field, where), act[field])
        except ManifestError as exc:
            fails.append("%s %s: manifest error: %s" % (rprefix, field, exc))
            continue
        if mismatch:
            fails.append("%s %s: expected %s, actual %s" % ((rprefix, field) + mismatch))
    try:
        exp_headers = _expected_headers(exp, where)
    except ManifestError as exc:
        fails.append("%s headers: manifest error: %s" % (rprefix, exc))
    else:
        if exp_headers != act["headers"]:
            fails.append("%s headers: expected %s, actual %s"
                         % (rprefix, _fmt_headers(exp_headers), _fmt_headers(act["headers"])))
    return fails


def check_log_bytes(label, data, expected_batches):
    """Decode `data` (the bytes of one log file) and compare it with the expected batches.

    Returns a CheckResult; one unit per expected batch, per unexpected extra entry and
    per file-level problem (trailing garbage, unreadable entry)."""
    entries, file_problems = decode_log(data)
    return check_decoded(label, entries, file_problems, expected_batches)


def check_decoded(label, entries, file_problems, expected_batches):
    """``check_log_bytes`` for a file already decoded with ``decode_log`` (so that callers
    needing the decoded entries for further checks decode each file only once)."""
    result = CheckResult()
    for i, expected in enumerate(expected_batches):
        if not isinstance(expected, dict) or not isinstance(expected.get("records"), list):
            result.failed += 1
            result.messages.append("FAIL %s batch #%d: manifest error: a batch must be an object "
                                   "with a \"records\" array" % (label, i))
            continue
        if i >= len(entries):
            result.failed += 1
            result.messages.append("FAIL %s pos=%s batch: expected batch #%d (baseOffset %s) "
                                   "is missing; kafka-python decoded only %d entries"
                                   % (label, expected.get("position"), i,
                                      expected.get("baseOffset"), len(entries)))
            continue
        try:
            fails = compare_batch(label, expected, entries[i])
        except ManifestError as exc:
            fails = ["FAIL %s pos=%s manifest error: %s"
                     % (label, expected.get("position"), exc)]
        if fails:
            result.failed += 1
            result.messages.extend(fails)
        else:
            result.passed += 1
    for extra in entries[len(expected_batches):]:
        result.failed += 1
        result.messages.append("FAIL %s pos=%d batch: unexpected extra entry (magic %d, "
                               "baseOffset %d, %d records) not in the manifest"
                               % (label, extra["position"], extra["magic"], extra["baseOffset"],
                                  len(extra["records"])))
    for problem in file_problems:
        result.failed += 1
        result.messages.append("FAIL %s %s" % (label, problem))
    return result


def check_manifest(manifest_path, manifest=None, on_file=None):
    """Check every file listed in a manifest; returns the total CheckResult.

    `on_file(label, result)` is called after each file (e.g. to print its failures).
    Raises ManifestError when the manifest itself cannot be loaded."""
    if manifest is None:
        manifest = load_manifest(manifest_path)
    base_dir = os.path.dirname(os.path.abspath(manifest_path))
    total = CheckResult()
    for entry in manifest["files"]:
        label = entry["file"]
        try:
            with open(os.path.join(base_dir, label), "rb") as fh:
                data = fh.read()
        except OSError as exc:
            res = CheckResult()
            res.failed = max(1, len(entry["batches"]))
            res.messages.append("FAIL %s: cannot read file: %s" % (label, exc.strerror or exc))
        else:
            res = check_log_bytes(label, data, entry["batches"])
        if on_file is not None:
            on_file(label, res)
        total.add(res)
    return total
