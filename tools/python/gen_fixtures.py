"""Generate Strata's golden fixtures with kafka-python.

Usage: tools/gen-fixtures [--inline-all] [OUTDIR]
(default OUTDIR: Tests/StrataTests/Resources/golden under the repository root)

Every file holds the raw bytes of one or more log entries exactly as they sit in a Kafka
.log file; OUTDIR/manifest.json describes them (format: tools/README.md).  Entries are
produced by kafka-python's builders (DefaultRecordBatchBuilder for v2; MemoryRecordsBuilder,
which wraps LegacyRecordBatchBuilder, for v0/v1), patched where a broker would patch them (base offset, partition
leader epoch, LogAppendTime, legacy wrapper offset/timestamp) and, for control batches and
empty batches, which kafka-python cannot build, assembled by hand from the spec.

The manifest is written from what was *asked for* (offsets, timestamps, keys, ...), not from
decoding the output; then every file is re-read with kafka-python's MemoryRecords and
compared with the manifest by the same code tools/crosscheck uses.
"""

import argparse
import contextlib
import functools
import gzip
import json
import os
import random
import struct
import sys

import kafka
import kafka.codec
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecordsBuilder
from kafka.record.util import encode_varint

import manifest as mf

T0 = 1700000000000            # 2023-11-14T22:13:20Z, the spec's example timestamp
SEED = 0x5754A7A              # fixed seed: every run writes the same bytes
INLINE_LIMIT = 512            # values longer than this are stored as a valueDigest
BIG = 1 << 30                 # batch_size large enough never to refuse an append

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUTDIR = os.path.join(REPO, "Tests", "StrataTests", "Resources", "golden")

# Worked examples of docs/kafka-storage-spec.md (sections 1.6, 1.7, 1.9), as hex.
SPEC_1_6_HEX = (
    "0000000000000000 00000049 00000000 02 4109046f 0000 00000001 0000018bcfe56800"
    " 0000018bcfe56805 ffffffffffffffff ffff ffffffff 00000002"
    " 14 00 00 00 04 6b31 04 7631 00"
    " 18 00 0a 02 04 6b32 01 02 02 68 02 78")
SPEC_1_7_HEX = (
    "0000000000000002 00000042 00000000 02 ad5fd0ff 0030 00000000 0000018bcfe5680a"
    " 0000018bcfe5680a 0000000000000007 0001 ffffffff 00000001"
    " 20 00 00 00 08 00000001 0c 0000 00000005 00")
SPEC_1_9_HEX = "0000000000000005 0000001a a5da6a62 01 00 0000018bcfe56800 00000002 6b31 00000002 7631"


class GenError(Exception):
    pass


def spec_bytes(hex_text):
    return bytes.fromhex(hex_text.replace(" ", ""))


# --------------------------------------------------------------------------------------------
# Deterministic gzip: kafka-python's gzip_encode uses gzip.GzipFile without mtime, so the
# header carries the current time.  We hand kafka.codec a gzip "module" whose GzipFile
# defaults to mtime=0; everything else (level 9, XFL 2, OS 255) stays kafka-python's.
# --------------------------------------------------------------------------------------------

class _GzipMtimeZero:
    GzipFile = functools.partial(gzip.GzipFile, mtime=0)

    def __getattr__(self, name):
        return getattr(gzip, name)


@contextlib.contextmanager
def deterministic_gzip():
    saved = kafka.codec.gzip
    kafka.codec.gzip = _GzipMtimeZero()
    try:
        yield
    finally:
        kafka.codec.gzip = saved


# --------------------------------------------------------------------------------------------
# Records and batches
# --------------------------------------------------------------------------------------------

class Rec:
    """One record as asked for.  `delta` is the v2 offsetDelta (or legacy index)."""

    def __init__(self, delta, ts, key, value, headers=()):
        self.delta = delta
        self.ts = ts
        self.key = key
        self.value = value
        self.headers = list(headers)


class Entry:
    """Raw bytes of one top-level log entry plus its expected manifest description."""

    def __init__(self, raw, expected):
        self.raw = bytes(raw)
        self.expected = expected
        expected["size"] = len(self.raw)


class Options:
    inline_all = False


OPTIONS = Options()


def blob_fields(name, data):
    if data is None or OPTIONS.inline_all or len(data) <= INLINE_LIMIT:
        return {name: mf.b64(data)}
    return {name + "Digest": mf.digest(data)}


def manifest_record(offset, ts, key, value, headers, control_type=None):
    rec = {"offset": offset, "timestamp": ts}
    rec.update(blob_fields("key", key))
    rec.update(blob_fields("value", value))
    rec["headers"] = [{"key": k, "value": mf.b64(v)} for k, v in headers]
    rec["controlType"] = control_type
    return rec


def v2_refresh_crc(raw):
    struct.pack_into(">I", raw, 17, mf.crc32c(raw[21:]))


def legacy_refresh_crc(raw):
    struct.pack_into(">I", raw, 12, mf.crc32(raw[16:]))


def v2_entry(records, codec="none", base_offset=0, leader_epoch=0, producer_id=-1,
             producer_epoch=-1, base_sequence=-1, transactional=False, append_time=None,
             last_offset_delta=None):
    """Build one v2 batch with kafka-python's DefaultRecordBatchBuilder and patch it like a
    broker: baseOffset and partitionLeaderEpoch (outside the CRC), optionally LogAppendTime
    (attributes bit 3 + maxTimestamp, CRC recomputed) and a larger lastOffsetDelta (as left
    by compaction, CRC recomputed)."""
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=mf.CODEC_IDS[codec], is_transactional=transactional,
        producer_id=producer_id, producer_epoch=producer_epoch, base_sequence=base_sequence,
        batch_size=BIG)
    for rec in records:
        if builder.append(rec.delta, timestamp=rec.ts, key=rec.key, value=rec.value,
                          headers=rec.headers) is None:
            raise GenError("DefaultRecordBatchBuilder refused a record")
    raw = bytearray(builder.build())
    used = mf.CODEC_NAMES[raw[22] & 0x07]
    if used != codec:
        raise GenError("kafka-python wrote codec %s instead of %s (it falls back to none when "
                       "compression does not shrink the data): use more compressible data"
                       % (used, codec))
    struct.pack_into(">q", raw, 0, base_offset)
    struct.pack_into(">i", raw, 12, leader_epoch)
    max_ts = max(r.ts for r in records)
    ts_type = mf.CREATE_TIME
    if append_time is not None:
        raw[22] |= 0x08
        struct.pack_into(">q", raw, 35, append_time)
        max_ts = append_time
        ts_type = mf.LOG_APPEND_TIME
    last_delta = records[-1].delta
    if last_offset_delta is not None:
        struct.pack_into(">i", raw, 23, last_offset_delta)
        last_delta = last_offset_delta
    if append_time is not None or last_offset_delta is not None:
        v2_refresh_crc(raw)
    expected = {
        "magic": 2, "codec": codec,
        "baseOffset": base_offset, "lastOffset": base_offset + last_delta,
        "timestampType": ts_type, "maxTimestamp": max_ts,
        "partitionLeaderEpoch": leader_epoch,
        "producerId": producer_id, "producerEpoch": producer_epoch,
        "baseSequence": base_sequence,
        "isTransactional": transactional, "isControl": False,
        "crc": struct.unpack_from(">I", raw, 17)[0],
        "records": [manifest_record(base_offset + r.delta,
                                    append_time if append_time is not None else r.ts,
                                    r.key, r.value, r.headers) for r in records],
    }
    return Entry(raw, expected)


def _varint(value):
    out = bytearray()
    encode_varint(value, out.append)   # kafka-python's zig-zag varint encoder
    return bytes(out)


def control_entry(control_type, base_offset, leader_epoch, producer_id, producer_epoch,
                  timestamp, coordinator_epoch):
    """An uncompressed transaction-marker batch (spec 1.7), assembled by hand: kafka-python
    has no builder for control batches."""
    type_id = mf.CONTROL_TYPE_IDS[control_type]
    key = struct.pack(">hh", 0, type_id)
    value = struct.pack(">hi", 0, coordinator_epoch)
    body = (b"\x00" + _varint(0) + _varint(0) + _varint(len(key)) + key
            + _varint(len(value)) + value + _varint(0))
    record = _varint(len(body)) + body
    raw = bytearray(mf.V2_HEADER.pack(
        base_offset, mf.V2_HEADER_SIZE - mf.LOG_OVERHEAD + len(record), leader_epoch, 2, 0,
        0x30, 0, timestamp, timestamp, producer_id, producer_epoch, -1, 1) + record)
    v2_refresh_crc(raw)
    if len(raw) != 78:
        raise GenError("control batch is %d bytes, not 78" % len(raw))
    expected = {
        "magic": 2, "codec": "none", "baseOffset": base_offset, "lastOffset": base_offset,
        "timestampType": mf.CREATE_TIME, "maxTimestamp": timestamp,
        "partitionLeaderEpoch": leader_epoch, "producerId": producer_id,
        "producerEpoch": producer_epoch, "baseSequence": -1,
        "isTransactional": True, "isControl": True,
        "crc": struct.unpack_from(">I", raw, 17)[0],
        "records": [manifest_record(base_offset, timestamp, key, value, [], control_type)],
    }
    return Entry(raw, expected)


def empty_v2_entry(base_offset, last_offset_delta, leader_epoch, max_timestamp, producer_id,
                   producer_epoch, base_sequence):
    """A 61-byte empty batch as the log cleaner leaves it (spec 6.7): count 0, codec 0,
    baseTimestamp -1, maxTimestamp and producer fields preserved.  Built by hand."""
    raw = bytearray(mf.V2_HEADER.pack(
        base_offset, mf.V2_HEADER_SIZE - mf.LOG_OVERHEAD, leader_epoch, 2, 0, 0,
        last_offset_delta, -1, max_timestamp, producer_id, producer_epoch, base_sequence, 0))
    v2_refresh_crc(raw)
    expected = {
        "magic": 2, "codec": "none", "baseOffset": base_offset,
        "lastOffset": base_offset + last_offset_delta, "timestampType": mf.CREATE_TIME,
        "maxTimestamp": max_timestamp, "partitionLeaderEpoch": leader_epoch,
        "producerId": producer_id, "producerEpoch": producer_epoch,
        "baseSequence": base_sequence, "isTransactional": False, "isControl": False,
        "crc": struct.unpack_from(">I", raw, 17)[0], "records": [],
    }
    return Entry(raw, expected)


def _split_entries(buf):
    out, pos = [], 0
    while pos < len(buf):
        size = struct.unpack_from(">i", buf, pos + 8)[0] + mf.LOG_OVERHEAD
        out.append(bytearray(buf[pos:pos + size]))
        pos += size
    return out


def _legacy_expected(raw, magic, codec, base_offset, last_offset, ts_type, max_ts, records):
    return {
        "magic": magic, "codec": codec, "baseOffset": base_offset, "lastOffset": last_offset,
        "timestampType": ts_type, "maxTimestamp": max_ts,
        "partitionLeaderEpoch": None, "producerId": None, "producerEpoch": None,
        "baseSequence": None, "isTransactional": False, "isControl": False,
        "crc": struct.unpack_from(">I", raw, 12)[0], "records": records,
    }


def legacy_entries(magic, codec, first_offset, msgs, append_time=None):
    """Legacy (v0/v1) entries via kafka-python's MemoryRecordsBuilder.

    codec none: one entry per message.  Compressed: one wrapper holding all `msgs`; like a
    broker we patch the wrapper offset to the last inner offset (kafka-python writes 0),
    and for v1 the wrapper timestamp to the max inner timestamp (kafka-python writes 0) or
    to `append_time` with the LogAppendTime bit, recomputing the CRC-32.  v0 inner offsets
    are absolute, v1 inner offsets relative (0..n-1)."""
    cid = mf.CODEC_IDS[codec]
    compressed = cid != 0
    start = 0 if (compressed and magic == 1) else first_offset
    builder = MemoryRecordsBuilder(magic=magic, compression_type=cid, batch_size=BIG,
                                   offset=start)
    for ts, key, value in msgs:
        if builder.append(timestamp=ts, key=key, value=value) is None:
            raise GenError("MemoryRecordsBuilder refused a message")
    builder.close()
    buf = bytes(builder.buffer())

    def ts_of(ts):
        if magic == 0:
            return None
        return append_time if append_time is not None else ts

    ts_type = mf.NO_TIMESTAMP_TYPE if magic == 0 else (
        mf.LOG_APPEND_TIME if append_time is not None else mf.CREATE_TIME)
    if not compressed:
        entries = []
        for i, raw in enumerate(_split_entries(buf)):
            ts, key, value = msgs[i]
            if append_time is not None:
                raw[17] |= 0x08
                struct.pack_into(">q", raw, 18, append_time)
                legacy_refresh_crc(raw)
            offset = first_offset + i
            if struct.unpack_from(">q", raw, 0)[0] != offset:
                raise GenError("MemoryRecordsBuilder wrote an unexpected offset")
            entries.append(Entry(raw, _legacy_expected(
                raw, magic, codec, offset, offset, ts_type, ts_of(ts),
                [manifest_record(offset, ts_of(ts), key, value, [])])))
        return entries

    (raw,) = _split_entries(buf)
    if raw[17] & 0x07 != cid:
        raise GenError("legacy wrapper has codec %d, expected %d" % (raw[17] & 0x07, cid))
    last = first_offset + len(msgs) - 1
    struct.pack_into(">q", raw, 0, last)
    max_ts = None
    if magic == 1:
        max_ts = append_time if append_time is not None else max(m[0] for m in msgs)
        if append_time is not None:
            raw[17] |= 0x08
        struct.pack_into(">q", raw, 18, max_ts)
        legacy_refresh_crc(raw)
    records = [manifest_record(first_offset + i, ts_of(ts), key, value, [])
               for i, (ts, key, value) in enumerate(msgs)]
    return [Entry(raw, _legacy_expected(raw, magic, codec, first_offset, last, ts_type, max_ts,
                                        records))]


# --------------------------------------------------------------------------------------------
# Test data (deterministic)
# --------------------------------------------------------------------------------------------

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee "
         "zulu order payment shipped pending refund customer account balance invoice "
         "warehouse inventory item quantity price discount region europe america asia").split()
PHRASES = tuple(" ".join(WORDS[i:i + 6]) + "." for i in range(0, 48, 4))
EVENTS = ("order.created", "order.paid", "order.shipped", "order.cancelled", "refund.issued")


def json_value(rng, i, target=1024):
    doc = {
        "id": i,
        "event": rng.choice(EVENTS),
        "customer": "cust-%05d" % rng.randrange(100000),
        "amount": round(rng.uniform(1, 5000), 2),
        "currency": rng.choice(("EUR", "USD", "JPY")),
        "items": [{"sku": "SKU-%04d" % rng.randrange(10000), "qty": rng.randrange(1, 9)}
                  for _ in range(rng.randrange(1, 5))],
        "note": "",
    }
    phrases = []
    while len(json.dumps(doc, sort_keys=True)) < target - 8:
        phrases.append(rng.choice(PHRASES))
        doc["note"] = " ".join(phrases)
    return json.dumps(doc, sort_keys=True).encode("utf-8")


def text_blob(rng, size):
    out = bytearray()
    while len(out) < size:
        out += (" ".join(rng.choice(WORDS) for _ in range(12)) + ".\n").encode()
    return bytes(out[:size])


def small_records():
    """3 records: null key + UTF-8 header keys + null header value; a tombstone; a normal
    record whose value is compressible enough that every codec really compresses."""
    return [
        Rec(0, T0, None, b"value-without-key",
            [("h1", b"x"), ("cl\u00e9-\U0001F511", None)]),
        Rec(1, T0 + 3, b"key-1", None, []),
        Rec(2, T0 + 7, b"key-2", b"strata " * 40,
            [("\u65e5\u672c", b"\x00\x01\xff"), ("empty", b"")]),
    ]


def records_500(seed):
    rng = random.Random(seed)
    recs = []
    for i in range(500):
        ts = T0 + 10 * i
        if i == 250:
            ts = T0 - 5000            # earlier than the first record: negative timestampDelta
        if i == 100:
            ts = T0 + 999999          # the max timestamp is not the last record's
        key = None if i % 50 == 49 else ("user-%d" % (i % 37)).encode()
        headers = []
        if i % 100 == 0:
            headers = [("trace-id", ("%016x" % rng.getrandbits(64)).encode()), ("retry", None)]
        recs.append(Rec(i, ts, key, json_value(rng, i), headers))
    return recs


def records_large(seed):
    """Plaintext > 64 KiB (several LZ4 blocks) and > 32 KiB (several xerial snappy chunks),
    including one record that spans block/chunk boundaries."""
    rng = random.Random(seed)
    return [
        Rec(0, T0, b"big-text", text_blob(rng, 100 * 1024), [("part", b"1")]),
        Rec(1, T0 + 1, b"big-json", b"[" + b",".join(json_value(rng, i, 400) for i in range(100))
            + b"]", []),
        Rec(2, T0 + 2, None, b"tail", [("part", b"3")]),
    ]


def records_simple(n, ts0, prefix, value_size=60, seed=1):
    rng = random.Random(seed)
    return [Rec(i, ts0 + i, ("%s-%d" % (prefix, i)).encode(),
                text_blob(rng, value_size), []) for i in range(n)]


def legacy_msgs(n, ts0, seed, value_size=None):
    rng = random.Random(seed)
    msgs = []
    for i in range(n):
        key = None if i == 1 else ("lk-%d" % i).encode()
        if value_size:
            value = json_value(rng, i, value_size)
        else:
            value = None if i == 2 and n > 3 else text_blob(rng, 40 + 10 * i)
        msgs.append((ts0 + 5 * i, key, value))
    return msgs


# --------------------------------------------------------------------------------------------
# The fixture set
# --------------------------------------------------------------------------------------------

def fixtures():
    """List of (file name, description, [Entry])."""
    out = []

    def add(name, description, entries):
        out.append((name, description, entries))

    # --- spec worked examples (byte-exact) -------------------------------------------------
    e = v2_entry([Rec(0, T0, b"k1", b"v1"), Rec(1, T0 + 5, b"k2", None, [("h", b"x")])])
    if e.raw != spec_bytes(SPEC_1_6_HEX):
        raise GenError("spec 1.6 example: kafka-python output differs from the spec hex:\n%s"
                       % e.raw.hex())
    add("spec-1.6-v2-example.bin", "spec 1.6: 85-byte uncompressed v2 batch, 2 records "
        "(second has a null value and header h=x), CRC-32C 0x4109046f", [e])

    e = control_entry("COMMIT", 2, 0, 7, 1, T0 + 10, 5)
    if e.raw != spec_bytes(SPEC_1_7_HEX):
        raise GenError("spec 1.7 example: hand-built marker differs from the spec hex:\n%s"
                       % e.raw.hex())
    add("spec-1.7-commit-marker.bin", "spec 1.7: 78-byte COMMIT marker, producerId 7 epoch 1, "
        "coordinatorEpoch 5, offset 2, CRC-32C 0xad5fd0ff", [e])

    (e,) = legacy_entries(1, "none", 5, [(T0, b"k1", b"v1")])
    if e.raw != spec_bytes(SPEC_1_9_HEX):
        raise GenError("spec 1.9 example: kafka-python output differs from the spec hex:\n%s"
                       % e.raw.hex())
    add("spec-1.9-v1-message.bin", "spec 1.9: 38-byte v1 message, offset 5, CRC-32 0xa5da6a62",
        [e])

    # --- v2 per codec ----------------------------------------------------------------------
    for idx, codec in enumerate(("none", "gzip", "snappy", "lz4", "zstd")):
        add("v2-%s-small.bin" % codec,
            "v2 %s: 3 records (null key, tombstone, UTF-8 header keys, null header value, "
            "empty header value), baseOffset %d, leader epoch 3" % (codec, 42 + idx),
            [v2_entry(small_records(), codec, base_offset=42 + idx, leader_epoch=3)])
        add("v2-%s-500.bin" % codec,
            "v2 %s: 500 records of ~1 KiB JSON values (every 50th key null, headers on every "
            "100th, record 250 has a negative timestampDelta, max timestamp at record 100), "
            "baseOffset 1000" % codec,
            [v2_entry(records_500(SEED), codec, base_offset=1000, leader_epoch=1)])
        add("v2-%s-large.bin" % codec,
            "v2 %s: 3 records, ~140 KiB plaintext (a 100 KiB value spans several LZ4 blocks / "
            "snappy chunks), baseOffset 5000" % codec,
            [v2_entry(records_large(SEED + 1), codec, base_offset=5000, leader_epoch=2)])

    # LZ4 block stored uncompressed (high bit of the block size): 66 KiB of random bytes
    # fill the first 64 KiB block, the rest compresses.
    rng = random.Random(SEED + 2)
    add("v2-lz4-stored-block.bin", "v2 lz4: first 64 KiB LZ4 block is stored uncompressed "
        "(block size high bit set), later blocks are compressed",
        [v2_entry([Rec(0, T0, b"random", rng.randbytes(66 * 1024)),
                   Rec(1, T0 + 1, b"text", text_blob(rng, 16 * 1024))], "lz4", base_offset=7)])

    # --- several batches in one file --------------------------------------------------------
    multi = []
    base = 0
    for i, (codec, epoch, gap) in enumerate((("none", 0, 0), ("gzip", 0, 0), ("lz4", 1, 4),
                                             ("zstd", 1, 0), ("snappy", 2, 2))):
        base += gap
        recs = records_simple(3 + i, T0 + 1000 * i, "mb%d" % i, 80 + 40 * i, seed=10 + i)
        multi.append(v2_entry(recs, codec, base_offset=base, leader_epoch=epoch))
        base += len(recs)
    add("v2-multi-batch.bin", "v2: 5 batches none/gzip/lz4/zstd/snappy, baseOffsets 0,3,11,"
        "16,24 (gaps as after compaction), partition leader epochs 0,0,1,1,2", multi)

    # --- producer features ------------------------------------------------------------------
    add("v2-idempotent.bin", "v2 idempotent: producerId 7 epoch 1, baseSequence 10 (4 records,"
        " none) then baseSequence 14 (3 records, lz4)",
        [v2_entry(records_simple(4, T0, "idem", 50, seed=20), "none", base_offset=50,
                  leader_epoch=5, producer_id=7, producer_epoch=1, base_sequence=10),
         v2_entry(records_simple(3, T0 + 10, "idem2", 200, seed=21), "lz4", base_offset=54,
                  leader_epoch=5, producer_id=7, producer_epoch=1, base_sequence=14)])
    add("v2-transaction-commit.bin", "v2 transactional batch (producerId 8 epoch 0, seq 0, "
        "gzip, offsets 100-102) followed by its COMMIT marker at offset 103 (coordinatorEpoch 5)",
        [v2_entry(records_simple(3, T0, "txn", 120, seed=22), "gzip", base_offset=100,
                  leader_epoch=4, producer_id=8, producer_epoch=0, base_sequence=0,
                  transactional=True),
         control_entry("COMMIT", 103, 4, 8, 0, T0 + 50, 5)])
    add("v2-transaction-abort.bin", "v2 transactional batch (producerId 9 epoch 2, seq 5, "
        "none, offsets 200-201) followed by its ABORT marker at offset 202 (coordinatorEpoch 3)",
        [v2_entry(records_simple(2, T0, "txa", 30, seed=23), "none", base_offset=200,
                  leader_epoch=4, producer_id=9, producer_epoch=2, base_sequence=5,
                  transactional=True),
         control_entry("ABORT", 202, 4, 9, 2, T0 + 60, 3)])
    add("v2-log-append-time.bin", "v2 LogAppendTime (attribute bit 3, maxTimestamp = append "
        "time, CRC recomputed): an uncompressed batch and a zstd batch; every record reads as "
        "the append time",
        [v2_entry(records_simple(3, T0, "lat", 40, seed=24), "none", base_offset=0,
                  append_time=T0 + 60000),
         v2_entry(records_simple(4, T0 + 5, "latz", 300, seed=25), "zstd", base_offset=3,
                  append_time=T0 + 61000)])
    gap_recs = [Rec(0, T0, b"g0", b"kept-0"), Rec(2, T0 + 2, b"g2", None),
                Rec(5, T0 + 5, b"g5", b"kept-5")]
    add("v2-compacted.bin", "v2 as left by the cleaner: records at offset deltas 0,2,5 with "
        "lastOffsetDelta 7 (offsets 300,302,305, lastOffset 307, CRC recomputed), then a 61-"
        "byte empty batch (count 0, baseTimestamp -1, offsets 308-309, producerId 11), then a "
        "normal batch at 310",
        [v2_entry(gap_recs, "none", base_offset=300, leader_epoch=2, last_offset_delta=7),
         empty_v2_entry(308, 1, 2, T0 + 90, 11, 0, 3),
         v2_entry(records_simple(2, T0 + 100, "after", 30, seed=26), "none", base_offset=310,
                  leader_epoch=2)])

    # --- legacy v0 / v1 ---------------------------------------------------------------------
    add("legacy-v0-none.bin", "v0 uncompressed: 4 messages at offsets 100-103 (one null key, "
        "one null value), one entry each", legacy_entries(0, "none", 100,
                                                          legacy_msgs(4, T0, 30)))
    add("legacy-v1-none.bin", "v1 uncompressed: 4 messages at offsets 200-203, CreateTime",
        legacy_entries(1, "none", 200, legacy_msgs(4, T0, 31)))
    for codec in ("gzip", "snappy", "lz4"):
        for magic, first in ((0, 300), (1, 400)):
            entries = (legacy_entries(magic, codec, first, legacy_msgs(5, T0, 40))
                       + legacy_entries(magic, codec, first + 5, legacy_msgs(3, T0 + 100, 41))
                       + legacy_entries(magic, codec, first + 8,
                                        legacy_msgs(80, T0 + 200, 42, value_size=1024)))
            detail = ("inner offsets absolute" if magic == 0 else
                      "inner offsets relative 0..n-1, wrapper timestamp = max inner timestamp")
            if magic == 0 and codec == "lz4":
                detail += "; LZ4 frames carry Kafka 0.8's broken header checksum"
            add("legacy-v%d-%s.bin" % (magic, codec),
                "v%d %s: 3 wrapper messages holding 5, 3 and 80 (~1 KiB, > 64 KiB plaintext) "
                "inner messages, offsets %d-%d, wrapper offset = last inner offset; %s"
                % (magic, codec, first, first + 87, detail), entries)
    add("legacy-v1-log-append-time.bin", "v1 LogAppendTime (attribute bit 3): two uncompressed "
        "messages (offsets 500-501) and a gzip wrapper (502-504); every message reads as the "
        "append time",
        legacy_entries(1, "none", 500, legacy_msgs(2, T0, 50), append_time=T0 + 70000)
        + legacy_entries(1, "gzip", 502, legacy_msgs(3, T0, 51), append_time=T0 + 71000))

    # --- mixed magic (a log written across a message-format upgrade) -------------------------
    add("mixed-magic.bin", "format upgrade in one log: v0 messages 0-1, v1 messages 2-3, "
        "a v1 snappy wrapper 4-6, a v2 lz4 batch 7-9",
        legacy_entries(0, "none", 0, legacy_msgs(2, T0, 60))
        + legacy_entries(1, "none", 2, legacy_msgs(2, T0 + 10, 61))
        + legacy_entries(1, "snappy", 4, legacy_msgs(3, T0 + 20, 62))
        + [v2_entry(records_simple(3, T0 + 30, "up", 100, seed=63), "lz4", base_offset=7)])
    return out


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------

def frame_summary(info):
    """Short text for a compressed payload's framing (added to descriptions)."""
    codec = info.get("codec")
    if codec == "lz4":
        text = "lz4 frame FLG %s BD %s HC %s, %d block(s), %d stored" % (
            info["FLG"], info["BD"], info["HC"], info["blocks"], info["storedBlocks"])
        if "contentSize" in info:
            text += ", content size %d" % info["contentSize"]
        return text
    if codec == "snappy":
        return "snappy %s, %d chunk(s), max chunk plaintext %d" % (
            info["framing"], info["chunks"], info["maxChunkPlaintext"])
    if codec == "gzip":
        return "gzip FLG %d MTIME %d XFL %d OS %d" % (info["FLG"], info["MTIME"], info["XFL"],
                                                       info["OS"])
    if codec == "zstd":
        return "zstd frame, content size %s, checksum %s" % (info["contentSize"],
                                                              info["checksum"])
    return codec


def self_checks(name, entries_decoded):
    """Assertions about kafka-python's compression framing that the fixtures rely on."""
    frames = [e["_frame"] for e in entries_decoded if "_frame" in e]
    if name.endswith("-large.bin"):
        codec = name.split("-")[1]
        if codec == "lz4" and not frames[0]["blocks"] >= 3:
            raise GenError("%s: expected >= 3 LZ4 blocks, got %r" % (name, frames[0]))
        if codec == "snappy" and not (frames[0]["chunks"] >= 5
                                      and frames[0]["maxChunkPlaintext"] == 32768):
            raise GenError("%s: expected >= 5 xerial chunks of 32 KiB, got %r"
                           % (name, frames[0]))
    if name == "v2-lz4-stored-block.bin" and not frames[0]["storedBlocks"] >= 1:
        raise GenError("%s: python-lz4 wrote no stored block: %r" % (name, frames[0]))
    if name == "legacy-v0-lz4.bin":
        for f in frames:
            if f["FLG"] != "0x60" or "broken" not in f["HC"]:
                raise GenError("%s: expected FLG 0x60 with the broken HC, got %r" % (name, f))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gen-fixtures", description=__doc__.split("\n")[0])
    parser.add_argument("outdir", nargs="?", default=DEFAULT_OUTDIR,
                        help="output directory (default: %(default)s)")
    parser.add_argument("--inline-all", action="store_true",
                        help="write every value as base64 (no valueDigest), larger manifest")
    args = parser.parse_args(argv)
    OPTIONS.inline_all = args.inline_all
    outdir = os.path.abspath(args.outdir)

    # sanity: the CRC implementations match the spec's check values
    assert mf.crc32c(b"123456789") == 0xE3069283
    assert mf.crc32(b"123456789") == 0xCBF43926

    with deterministic_gzip():
        files = fixtures()

    os.makedirs(outdir, exist_ok=True)
    manifest_path = os.path.join(outdir, "manifest.json")
    # remove files of a previous run that are no longer generated
    old_files = set()
    if os.path.exists(manifest_path):
        try:
            old_files = {f["file"] for f in mf.load_manifest(manifest_path)["files"]}
        except mf.ManifestError:
            pass

    manifest = {"generator": "kafka-python %s" % kafka.__version__, "files": []}
    total_bytes = n_batches = n_records = 0
    for name, description, entries in files:
        data = bytearray()
        batches = []
        for entry in entries:
            expected = dict(position=len(data), **entry.expected)
            # key order as documented
            ordered = {k: expected[k] for k in mf.BATCH_FIELDS}
            ordered["records"] = expected["records"]
            batches.append(ordered)
            data += entry.raw
            n_records += len(expected["records"])
        decoded, _problems = mf.decode_log(data)
        self_checks(name, decoded)
        frames = []
        for info in (e.get("_frame") for e in decoded):
            if info and frame_summary(info) not in frames:
                frames.append(frame_summary(info))
        if frames:
            description += " [" + "; ".join(frames) + "]"
        with open(os.path.join(outdir, name), "wb") as fh:
            fh.write(data)
        manifest["files"].append({"file": name, "description": description,
                                  "batches": batches})
        total_bytes += len(data)
        n_batches += len(batches)
    mf.write_manifest(manifest, manifest_path)
    for stale in sorted(old_files - {f["file"] for f in manifest["files"]}):
        path = os.path.join(outdir, stale)
        if os.path.isfile(path):
            os.remove(path)
            print("gen-fixtures: removed stale %s" % stale)

    # self-check: re-read everything from disk with kafka-python
    result = mf.check_manifest(manifest_path)
    for line in result.messages:
        print(line)
    if result.failed or result.passed != n_batches:
        print("gen-fixtures: SELF-CHECK FAILED: %d passed, %d failed" % (result.passed,
                                                                         result.failed))
        return 1
    manifest_size = os.path.getsize(manifest_path)
    print("gen-fixtures: wrote %d files (%d batches, %d records, %d bytes) + manifest.json "
          "(%d bytes) to %s; self-check: %d passed, 0 failed"
          % (len(files), n_batches, n_records, total_bytes, manifest_size, outdir,
             result.passed))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GenError as exc:
        print("gen-fixtures: error: %s" % exc, file=sys.stderr)
        sys.exit(1)
