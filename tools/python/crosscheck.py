"""Cross-check data written by Strata against kafka-python and the spec.

Usage: tools/crosscheck [-v] DIR
       tools/crosscheck [-v] --segments DIR
       tools/crosscheck --segments --self-test DIR
       tools/crosscheck --partitioning DIR
       tools/crosscheck --compacted DIR

Without --segments: reads DIR/manifest.json (format: tools/README.md), decodes every listed
file with kafka-python (MemoryRecords over the whole file; v2 batches via DefaultRecordBatch
with validate_crc(), legacy entries via LegacyRecordBatch) and compares batch by batch and
record by record.

With --segments: reads DIR/segments-manifest.json and checks every partition directory of
the data directory it describes (segments.py): each .log as above, the segment chain and
roll decisions, and the .index/.timeindex/.txnindex files against Kafka's rules.
With --self-test as well: damages copies of DIR in many ways (selftest.py) and requires the
--segments checks to report each; ends with "crosscheck self-test: N detected, M missed".

With --partitioning: DIR is a data directory written by `strata produce`; every keyed record
must sit in the partition kafka-python's DefaultPartitioner picks (partitioning.py).

Prints one line per failing check and ends with
    crosscheck: N passed, M failed
Exit status 1 if anything failed or nothing was checked.
"""

import argparse
import os
import sys

import manifest as mf
import partitioning
import segments as sg
import compacted as cp
import selftest


def summary(passed, failed):
    print("crosscheck: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="crosscheck", description=__doc__.split("\n")[0])
    parser.add_argument("dir", help="directory holding manifest.json (or segments-manifest.json "
                                    "with --segments) and the files it lists")
    parser.add_argument("--segments", action="store_true",
                        help="check the partition directories described by "
                             "DIR/segments-manifest.json")
    parser.add_argument("--compacted", action="store_true",
                        help="check the partitions compacted by Strata described by "
                             "DIR/compacted-manifest.json")
    parser.add_argument("--self-test", action="store_true",
                        help="with --segments: check that damaged copies of DIR are reported")
    parser.add_argument("--partitioning", action="store_true",
                        help="check that every keyed record of the data directory DIR sits in "
                             "the partition kafka-python's DefaultPartitioner picks")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print one line per file (partition) with its counts")
    args = parser.parse_args(argv)

    def report(label, res):
        for line in res.messages:
            print(line)
        if args.verbose:
            print("  %s: %d passed, %d failed" % (label, res.passed, res.failed))

    if args.partitioning:
        res = partitioning.check_partitioning(args.dir)
        for line in res.messages:
            print(line)
        print("crosscheck --partitioning: %d keyed records checked, %d records without a key" % (res.passed + res.failed, res.unkeyed))
        return summary(res.passed, res.failed)
    if args.self_test and not args.segments:
        parser.error("--self-test needs --segments")
    if args.self_test:
        try:
            detected, missed = selftest.run_self_test(args.dir)
        except mf.ManifestError as exc:
            print("FAIL manifest: %s" % exc)
            detected, missed = 0, 1
        print("crosscheck self-test: %d detected, %d missed" % (detected, missed))
        return 1 if missed or not detected else 0
    if args.compacted:
        total = cp.check_compacted(args.dir, on_partition=report)
        if total.passed + total.failed == 0:
            print("FAIL manifest: nothing was checked")
        return summary(total.passed, total.failed)
    if args.segments:
        try:
            total = sg.check_segments(args.dir, on_partition=report)
        except mf.ManifestError as exc:
            print("FAIL manifest: %s" % exc)
            return summary(0, 1)
        if total.passed + total.failed == 0:
            print("FAIL manifest: nothing was checked")
        return summary(total.passed, total.failed)

    manifest_path = os.path.join(args.dir, "manifest.json")
    try:
        manifest = mf.load_manifest(manifest_path)
    except mf.ManifestError as exc:
        print("FAIL manifest: %s" % exc)
        return summary(0, 1)

    total = mf.check_manifest(manifest_path, manifest, on_file=report)
    if not manifest["files"]:
        print("FAIL manifest: %s lists no files" % manifest_path)
    elif total.passed + total.failed == 0:
        print("FAIL manifest: nothing was checked (no batches listed and none found)")
    return summary(total.passed, total.failed)


if __name__ == "__main__":
    sys.exit(main())
