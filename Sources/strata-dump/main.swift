import ArgumentParser
import Foundation
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

    mutating func validate() throws {
        if files.isEmpty && (fileList ?? "").isEmpty {
            throw ValidationError("give files to dump, as arguments or with --files")
        }
        if let maxBytes, maxBytes < 0 { throw ValidationError("--max-bytes must not be negative") }
    }

    func run() throws {
        var options = LogDumper.Options()
        options.deepIteration = deepIteration
        options.printDataLog = printDataLog
        options.skipRecordMetadata = skipRecordMetadata
        options.maxBytes = maxBytes
        let out = StandardStream.output()
        let err = StandardStream.error()
        var dumper = LogDumper(options: options, out: out, err: err)
        let paths = files + (fileList?.split(separator: ",").map(String.init) ?? [])
        var unreadable = false
        for path in paths {
            let suffix = path.split(separator: ".").last.map(String.init) ?? ""
            guard suffix == "log" || suffix == "checkpoint" else {
                err.line("Ignoring unknown file \(path)")
                continue
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                err.line("cannot read \(path)")
                unreadable = true
                continue
            }
            dumper.dumpLog(path: path)
        }
        dumper.finish()
        out.flush()
        err.flush()
        if unreadable { throw ExitCode(ToolExitCode.operationalError.rawValue) }
        if dumper.hadProblems { throw ExitCode(ToolExitCode.findings.rawValue) }
    }
}

StrataDump.main()
