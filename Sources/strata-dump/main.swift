import ArgumentParser
import Foundation
import Strata
import StrataTools

/// `strata-dump`: prints Kafka log segments as `kafka-dump-log.sh` does.
struct StrataDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-dump",
        abstract: "Print Kafka .log segments (and KRaft snapshots) as kafka-dump-log does.",
        discussion: "Exit codes: 0 ok, 1 problems found in a file, 2 a file could not be read, 64 usage.")

    @Argument(help: "Files to dump.")
    var files: [String] = []

    @Option(name: .customLong("files"), help: "Comma-separated files to dump (as kafka-dump-log takes them).")
    var fileList: String?

    @Flag(name: .customLong("deep-iteration"), help: "Print every record of every batch.")
    var deepIteration = false

    @Flag(name: .customLong("print-data-log"), help: "Print keys and payloads (implies --deep-iteration).")
    var printDataLog = false

    @Flag(name: .customLong("skip-record-metadata"), help: "Leave out record metadata.")
    var skipRecordMetadata = false

    @Option(name: .customLong("max-bytes"), help: "Read at most this many bytes of each log.")
    var maxBytes: Int?

    @Flag(name: .customLong("verify-index-only"), help: "For index files: check them and print only problems.")
    var verifyIndexOnly = false

    @Flag(name: .customLong("index-sanity-check"), help: "For index files: run Kafka's sanity check only.")
    var indexSanityCheck = false

    @Option(name: .customLong("max-message-size"), help: "The largest batch read at an index position.")
    var maxMessageSize: Int = 5_242_880

    @Flag(name: .customLong("offsets-decoder"), help: "Decode __consumer_offsets records (implies --print-data-log).")
    var offsetsDecoder = false

    @Flag(name: .customLong("transaction-log-decoder"), help: "Decode __transaction_state records (implies --print-data-log).")
    var transactionLogDecoder = false

    @Flag(name: .customLong("json"), help: "One JSON object per line (NDJSON) instead of kafka-dump-log's text.")
    var json = false

    @Option(name: .customLong("payload-encoding"), help: "How keys and values appear in JSON: utf8, base64 or hex.")
    var payloadEncoding: String = "utf8"

    mutating func validate() throws {
        if files.isEmpty && (fileList ?? "").isEmpty {
            throw ValidationError("give files to dump, as arguments or with --files")
        }
        if offsetsDecoder && transactionLogDecoder { throw ValidationError("give one of --offsets-decoder and --transaction-log-decoder") }
        if let maxBytes, maxBytes < 0 { throw ValidationError("--max-bytes must not be negative") }
        guard PayloadEncoding(rawValue: payloadEncoding) != nil else {
            throw ValidationError("--payload-encoding must be utf8, base64 or hex")
        }
    }

    /// Files as given, with each directory replaced by its files in offset order (segment
    /// files by base offset, then by kind).
    static func expand(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [path] }
            let order = ["log", "index", "timeindex", "txnindex", "snapshot"]
            return names.filter { name in order.contains(String(name.split(separator: ".").last ?? "")) }
                .sorted { a, b in
                    let ka = (SegmentFileName.baseOffset(of: a) ?? .max, order.firstIndex(of: String(a.split(separator: ".").last!)) ?? 9)
                    let kb = (SegmentFileName.baseOffset(of: b) ?? .max, order.firstIndex(of: String(b.split(separator: ".").last!)) ?? 9)
                    return ka < kb
                }
                .map { (path as NSString).appendingPathComponent($0) }
        }
    }

    func run() throws {
        var options = LogDumper.Options()
        options.deepIteration = deepIteration
        options.printDataLog = printDataLog || offsetsDecoder || transactionLogDecoder
        options.coordinatorDecoder = offsetsDecoder ? .offsets : transactionLogDecoder ? .transactionLog : nil
        options.skipRecordMetadata = skipRecordMetadata
        options.maxBytes = maxBytes
        options.verifyIndexOnly = verifyIndexOnly
        options.indexSanityCheck = indexSanityCheck
        options.maxMessageSize = maxMessageSize
        options.json = json
        options.payloadEncoding = PayloadEncoding(rawValue: payloadEncoding) ?? .utf8
        let out = StandardStream.output()
        let err = StandardStream.error()
        var dumper = LogDumper(options: options, out: out, err: err)
        let paths = files + (fileList?.split(separator: ",").map(String.init) ?? [])
        var unreadable = false
        for path in Self.expand(paths) {
            guard FileManager.default.isReadableFile(atPath: path) else {
                err.line("cannot read \(path)")
                unreadable = true
                continue
            }
            if !dumper.dump(path: path) { err.line("Ignoring unknown file \(path)") }
        }
        dumper.finish()
        out.flush()
        err.flush()
        if unreadable { throw ExitCode(ToolExitCode.operationalError.rawValue) }
        if dumper.hadProblems { throw ExitCode(ToolExitCode.findings.rawValue) }
    }
}

StrataDump.main()
