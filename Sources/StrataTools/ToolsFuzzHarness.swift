import Foundation
import Strata

/// The fuzz target for the tools (`FuzzTools` in `fuzz/`, replayed by the unit tests): the
/// input becomes a partition directory on disk — as its `.log`, and as the `.index`,
/// `.timeindex`, `.txnindex` and `.snapshot` beside it — which `strata-dump` dumps with every
/// option (text and JSON, deep iteration, payloads, both coordinator decoders) and
/// `strata-verify --deep` checks, with one thread and with three that split the file (which must
/// agree). Findings and errors are expected; a crash, a hang, memory out of bounds or a
/// disagreement is the finding.
public enum ToolsFuzzHarness {
    /// The target's name (its folder in `fuzz/FailCases/`).
    public static let targetName = "FuzzTools"

    private static let limits = DecodingLimits(maxDecompressedBytes: 1 << 20, maxEntryBytes: 1 << 20)

    /// A scratch partition directory of its own for each run: the unit tests replay inputs
    /// concurrently, and a directory shared between runs would let one overwrite another's files.
    private static func makeScratch() -> String {
        let path = NSTemporaryDirectory() + "strata-fuzz-tools-\(UUID().uuidString)/t-0"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs the dump and verify paths on `input`.
    public static func run(_ input: UnsafeRawBufferPointer) {
        // 16 KiB is room for several batches and ~2,000 index entries, and keeps each run short.
        let data = Data(input.prefix(16_384))
        let scratch = makeScratch()
        defer { try? FileManager.default.removeItem(atPath: (scratch as NSString).deletingLastPathComponent) }
        let base = scratch + "/00000000000000000000"
        let files = [".log", ".index", ".timeindex", ".txnindex", ".snapshot"].map { base + $0 }
        for file in files { FileManager.default.createFile(atPath: file, contents: data) }

        let sink = DiscardingOutput()
        for (json, decoder) in [(false, nil), (true, CoordinatorRecordDecoder.offsets), (false, .transactionLog)] as [(Bool, CoordinatorRecordDecoder?)] {
            var options = LogDumper.Options()
            options.deepIteration = true
            options.printDataLog = true
            options.indexSanityCheck = !json
            options.json = json
            options.payloadEncoding = json ? .base64 : .utf8
            options.limits = limits
            options.coordinatorDecoder = decoder
            var dumper = LogDumper(options: options, out: sink, err: sink)
            for file in files { _ = dumper.dump(path: file) }
            dumper.finish()
        }
        var verifyOptions = VerifyOptions()
        verifyOptions.deep = true
        verifyOptions.limits = limits
        verifyOptions.jobs = 1
        let verifier = Verifier(options: verifyOptions, out: sink)
        verifier.verify(path: scratch)
        verifier.finish()
        // The same file cut into shares of a few hundred bytes for three threads: whatever the
        // guessed starts, the findings and counts must be those of one thread.
        verifyOptions.jobs = 3
        verifyOptions.minimumSplitBytes = 0
        verifyOptions.minimumShareBytes = 256
        verifyOptions.boundarySearchBytes = 4_096
        let parallel = Verifier(options: verifyOptions, out: sink)
        parallel.verify(path: scratch)
        guard parallel.findings == verifier.findings, parallel.stats == verifier.stats else {
            let first = (0..<min(parallel.findings.count, verifier.findings.count)).first { parallel.findings[$0] != verifier.findings[$0] } ?? min(parallel.findings.count, verifier.findings.count)
            let threads = parallel.findings.dropFirst(first).first.map { "\($0)" } ?? "none"
            let one = verifier.findings.dropFirst(first).first.map { "\($0)" } ?? "none"
            fatalError("strata-verify with 3 threads disagrees with one thread at finding \(first) of \(parallel.findings.count)/\(verifier.findings.count): \(threads) against \(one); stats \(parallel.stats) against \(verifier.stats)")
        }
    }
}

/// Output that is thrown away (the fuzzer only cares that the tools come back).
final class DiscardingOutput: ToolOutput {
    func write(_ text: String) {}
}
