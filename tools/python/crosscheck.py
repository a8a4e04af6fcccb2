"""Cross-check log files written by Strata against kafka-python's decoder.

Usage: tools/crosscheck [-v] DIR

Reads DIR/manifest.json (format: tools/README.md), decodes every listed file with
kafka-python (MemoryRecords over the whole file; v2 batches via DefaultRecordBatch with
validate_crc(), legacy entries via LegacyRecordBatch) and compares batch by batch and record
by record.  Prints one line per failing check and ends with
    crosscheck: N passed, M failed
(counted per batch).  Exit status 1 if anything failed or nothing was checked.
"""

import argparse
import os
import sys

import manifest as mf


def summary(passed, failed):
    print("crosscheck: %d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="crosscheck", description=__doc__.split("\n")[0])
    parser.add_argument("dir", help="directory holding manifest.json and the files it lists")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print one line per file with its batch counts")
    args = parser.parse_args(argv)

    manifest_path = os.path.join(args.dir, "manifest.json")
    try:
        manifest = mf.load_manifest(manifest_path)
    except mf.ManifestError as exc:
        print("FAIL manifest: %s" % exc)
        return summary(0, 1)

    def report(label, res):
        for line in res.messages:
            print(line)
        if args.verbose:
            print("  %s: %d passed, %d failed" % (label, res.passed, res.failed))

    total = mf.check_manifest(manifest_path, manifest, on_file=report)
    if not manifest["files"]:
        print("FAIL manifest: %s lists no files" % manifest_path)
    elif total.passed + total.failed == 0:
        print("FAIL manifest: nothing was checked (no batches listed and none found)")
    return summary(total.passed, total.failed)


if __name__ == "__main__":
    sys.exit(main())
