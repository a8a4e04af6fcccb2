#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Strata
import StrataTools

/// The tools section: `strata-verify`'s CRC pass over a partition directory (uncompressed and
/// lz4), with its default number of threads and with one, next to reading the same `.log`
/// bytes as `cat` does (one thread), in the same run and with the page cache warm; and
/// `strata-dump --json --deep-iteration --print-data-log` in MB/s of log.
/// Both run in-process with their output counted and dropped (as `> /dev/null` would).
enum ToolsBenchmark {
    /// Counts what a tool writes and drops it.
    final class CountingOutput: ToolOutput {
        var bytes = 0
        func write(_ text: String) { bytes += text.utf8.count }
    }

    static func run(_ settings: StorageSettings, repetitions: Int, scoreboard: Scoreboard) throws -> Scoreboard {
        var scoreboard = scoreboard
        let root = StorageFiles.baseDirectory(settings.baseDirectory) + "/strata-bench-tools-\(getpid())"
        guard mkdir(root, 0o755) == 0 else { throw StorageBenchError("cannot create \(root): errno \(errno)") }
        defer { StorageFiles.removeTree(root) }
        print()
        print("# tools: a partition of \(Format.mebibytes(settings.logBytes)) MiB of records written by PartitionLog, page cache warm, best of \(repetitions)")
        print("# verify = strata-verify's CRC pass (Verifier, no --deep, default --jobs \(VerifyOptions().jobs)) vs cat = read(2) of the same .log files into 1 MiB, one thread")
        print("# verify-1 = the same with --jobs 1")
        print("# dump = strata-dump --json --deep-iteration --print-data-log (LogDumper), MB/s of .log bytes")
        let table = Table([.text("codec", 6), .text("figure", 8), .number("log MiB", 8), .number("MB/s", 8), .number("cat MB/s", 9),
                           .number("ratio", 6), .text("target", 16), .text("met", 4)])
        table.printHeader()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        for pool in try StorageBatches.make(codecs: [.none, .lz4]) {
            let directory = root + "/bench-\(pool.codec.name)-0"
            let log = try PartitionLog.open(directory: directory)
            for ordinal in 0..<pool.plan(payload: settings.logBytes).batches {
                try log.appendAsLeader(pool.batches[pool.index(ordinal)], leaderEpoch: 0)
            }
            try log.close()
            let logs = StorageFiles.files(in: directory, suffix: ".log")
            let stored = logs.reduce(0) { $0 + StorageFiles.size($1) }
            _ = StorageFiles.readSequentially(logs, buffer: buffer)
            let cat = try best(repetitions) { _ = StorageFiles.readSequentially(logs, buffer: buffer) }
            let verify = try best(repetitions) { try verifyClean(directory, jobs: VerifyOptions().jobs) }
            let verifyOneThread = try best(repetitions) { try verifyClean(directory, jobs: 1) }
            var options = LogDumper.Options()
            options.json = true
            options.deepIteration = true
            options.printDataLog = true
            let dump = try best(max(1, repetitions / 2)) {
                var dumper = LogDumper(options: options, out: CountingOutput(), err: CountingOutput())
                for path in logs { dumper.dumpLog(path: path) }
                guard !dumper.hadProblems else { throw StorageBenchError("strata-dump reported problems in \(directory)") }
            }
            let rate = { (seconds: Double) in Double(stored) / seconds }
            let verifyTarget = Target.ratio(0.7, of: "cat")
            let verifyMet = scoreboard.record(verifyTarget.isMet(rate: rate(verify), ratio: cat / verify), "tools verify \(pool.codec.name) >= 0.7 x cat")
            table.printRow([pool.codec.name, "verify", Format.mebibytes(stored), Format.megabytes(rate(verify)), Format.megabytes(rate(cat)),
                            Format.ratio(cat / verify), verifyTarget.description, verifyMet])
            table.printRow([pool.codec.name, "verify-1", Format.mebibytes(stored), Format.megabytes(rate(verifyOneThread)), Format.megabytes(rate(cat)),
                            Format.ratio(cat / verifyOneThread), "information", ""])
            let dumpTarget = Target.rate(200e6, unit: 1e6, unitName: "MB/s")
            let dumpMet = scoreboard.record(dumpTarget.isMet(rate: rate(dump), ratio: cat / dump), "tools dump \(pool.codec.name) >= 200 MB/s")
            table.printRow([pool.codec.name, "dump", Format.mebibytes(stored), Format.megabytes(rate(dump)), Format.megabytes(rate(cat)),
                            Format.ratio(cat / dump), dumpTarget.description, dumpMet])
            StorageFiles.removeTree(directory)
        }
        return scoreboard
    }

    /// `strata-verify`'s CRC pass over `directory` with `jobs` threads, which must find nothing.
    private static func verifyClean(_ directory: String, jobs: Int) throws {
        var options = VerifyOptions()
        options.jobs = jobs
        let verifier = Verifier(options: options, out: CountingOutput())
        verifier.verify(path: directory)
        guard verifier.findings.isEmpty else { throw StorageBenchError("strata-verify found \(verifier.findings.count) problems in \(directory)") }
    }

    /// The fastest of `repetitions` runs of `body`, in seconds.
    private static func best(_ repetitions: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = Timing.now()
            try body()
            best = min(best, Timing.now() - start)
        }
        return best
    }
}
