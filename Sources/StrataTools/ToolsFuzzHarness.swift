import Foundation
import Strata

/// The fuzz target for the tools (`FuzzTools` in `fuzz/`, replayed by the unit tests): the
/// input becomes a partition directory on disk — as its `.log`, and as the `.index`,
/// `.timeindex`, `.txnindex` and `.snapshot` beside it — which `strata-dump` dumps with every
/// option (text and JSON, deep iteration, payloads, both coordinator decoders) and
/// `strata-verify --deep` checks. Findings and errors are expected; a crash, a hang or memory
/// out of bounds is the finding.
public enum ToolsFuzzHarness {
    /// The target's name (its folder in `fuzz/FailCases/`).
    public static let targetName = "FuzzTools"

    private static let limits = DecodingLimits(maxDecompressedBytes: 1 << 20, maxEntryBytes: 1 << 20)

    /// One scratch directory per process, reused by every input.
    private static let scratch: String = {
        let path = NSTemporaryDirectory() + "strata-fuzz-tools-\(getpid())/t-0"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Runs the dump and verify paths on `input`.
    public static func run(_ input: UnsafeRawBufferPointer) {
        // 16 KiB is room for several batches and ~2,000 index entries, and keeps each run short.
        let data = Data(input.prefix(16_384))
        let base = scratch + "/00000000000000000000"
        let files = [".log", ".index", ".timeindex", ".txnindex", ".snapshot"].map { base + $0 }
        for file in files { FileManager.default.createFile(atPath: file, contents: data) }
        defer { for file in files { try? FileManager.default.removeItem(atPath: file) } }

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
        let verifier = Verifier(options: verifyOptions, out: sink)
        verifier.verify(path: scratch)
        verifier.finish()
    }
}

/// Output that is thrown away (the fuzzer only cares that the tools come back).
final class DiscardingOutput: ToolOutput {
    func write(_ text: String) {}
}
