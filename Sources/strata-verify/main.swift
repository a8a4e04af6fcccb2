import ArgumentParser
import Foundation
import Strata
import StrataTools

/// `strata-verify`: checks Kafka log directories as a broker relies on them, read-only; with
/// `--repair`, rebuilds bad indexes and cuts damaged data aside.
struct StrataVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-verify",
        abstract: "Check Kafka segment files, partition directories and data directories (fsck).",
        discussion: "Exit codes: 0 clean, 1 findings, 2 something could not be read (or repair refused), 64 usage.")

    @Argument(help: "Segment files, partition directories or data directories.")
    var paths: [String] = []

    @Flag(name: .customLong("deep"), help: "Parse every record: counts, offsets, decompression.")
    var deep = false

    @Flag(name: .customLong("json"), help: "NDJSON findings and summary instead of text.")
    var json = false

    @Option(name: .customLong("future-ms"), help: "Report timestamps more than this many ms in the future (default one day).")
    var futureMs: Int64 = 24 * 3_600_000

    @Flag(name: .customLong("repair"), help: "Rebuild bad indexes and cut damaged data aside (after printing the plan), then verify again.")
    var repair = false

    @Flag(name: .customLong("dry-run"), help: "With --repair: print the plan and change nothing.")
    var dryRun = false

    @Option(name: .customLong("index-interval-bytes"), help: "With --repair: the topic's index.interval.bytes, for rebuilt indexes (default 4096).")
    var indexIntervalBytes = 4096

    @Option(name: .customLong("jobs"), help: "Threads that read and check .log files: a large one split among them, small segments one each; the default is the number of active processors.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Flag(name: .customLong("no-progress"), help: "No progress bar, even on a terminal.")
    var noProgress = false

    mutating func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one path to verify") }
        if futureMs < 0 { throw ValidationError("--future-ms must not be negative") }
        if dryRun && !repair { throw ValidationError("--dry-run goes with --repair") }
        if indexIntervalBytes < 0 { throw ValidationError("--index-interval-bytes must not be negative") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func makeVerifier(out: ToolOutput) -> Verifier {
        var options = VerifyOptions()
        options.deep = deep
        options.json = json
        options.futureThresholdMs = futureMs
        options.jobs = jobs
        let total = paths.reduce(0) { $0 + VerifyProgress.logBytes(under: $1) }
        let progress = noProgress ? nil : VerifyProgress.forTerminal(totalBytes: total)
        return Verifier(options: options, out: out, progress: progress)
    }

    func run() throws {
        let out = StandardStream.output()
        let err = StandardStream.error()
        let verifier = makeVerifier(out: out)
        for path in paths { verifier.verify(path: path) }
        verifier.finish()
        var code = verifier.exitCode
        if repair && code == .findings {
            var config = LogConfig()
            config.indexIntervalBytes = indexIntervalBytes
            code = RepairCommand(verifier: verifier, paths: paths, dryRun: dryRun, out: out, err: err, config: config).run { makeVerifier(out: out) }
        }
        out.flush()
        err.flush()
        if code != .ok { throw ExitCode(code.rawValue) }
    }
}

StrataVerify.main()
