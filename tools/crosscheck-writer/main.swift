// Writes data with Strata for kafka-python to check (tools/crosscheck).
//
// Usage:
//   strata-crosscheck-writer OUTDIR [SEED]
//       OUTDIR/<nn>-<codec>.bin files of random batches from Strata's encoder, and
//       OUTDIR/manifest.json describing every batch and record (BatchMode.swift).
//   strata-crosscheck-writer --segments OUTDIR [SEED]
//       OUTDIR/data/: a data directory written through the real engine (LogManager,
//       PartitionLog), several topics with varied configs, closed cleanly; and
//       OUTDIR/segments-manifest.json listing every batch and record per segment
//       (SegmentsMode.swift).
//   strata-crosscheck-writer --compacted OUTDIR [SEED]
//       OUTDIR/data/: partitions in every codec written through the engine and compacted by
//       Strata's cleaner; OUTDIR/compacted-manifest.json: what read_committed must read
//       (CompactedMode.swift).
// Format of both manifests: tools/README.md.
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
let segmentsMode = arguments.first == "--segments"
if segmentsMode { arguments.removeFirst() }
let compactedMode = arguments.first == "--compacted"
if compactedMode { arguments.removeFirst() }
guard (1...2).contains(arguments.count), !arguments[0].hasPrefix("-") else {
    FileHandle.standardError.write("usage: strata-crosscheck-writer [--segments|--compacted] OUTDIR [SEED]\n".data(using: .utf8)!)
    exit(64)
}
let outputDirectory = URL(fileURLWithPath: arguments[0])
let seed = arguments.count > 1 ? UInt64(arguments[1]) ?? 1 : UInt64.random(in: 0...UInt64.max)
print("strata-crosscheck-writer: seed \(seed)")
do {
    if compactedMode {
        try runCompactedMode(outputDirectory: outputDirectory, seed: seed)
    } else if segmentsMode {
        try runSegmentsMode(outputDirectory: outputDirectory, seed: seed)
    } else {
        try runBatchMode(outputDirectory: outputDirectory, seed: seed)
    }
} catch {
    FileHandle.standardError.write("strata-crosscheck-writer: error: \(error)\n".data(using: .utf8)!)
    exit(2)
}
