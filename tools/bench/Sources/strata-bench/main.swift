#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// strata-bench: Strata's throughput next to its limits (memcpy, the raw codec libraries),
// measured in the same run, with the targets. See tools/bench/README.md.

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
Machine.printSummary(options.timing)
AllocatorWarmUp.run()
let run = BenchmarkRun(timing: options.timing)
let start = Timing.now()
do {
    if options.sections.contains(.crc) { run.runCRC() }
    if options.sections.contains(.decode) { try run.runDecode() }
    if options.sections.contains(.codecs) { try run.runCodecs(options.codecs) }
    if options.sections.contains(.storage) { run.scoreboard = try StorageBenchmark.run(options.storage, scoreboard: run.scoreboard) }
    if options.sections.contains(.tools) { run.scoreboard = try ToolsBenchmark.run(options.storage, repetitions: options.timing.repetitions, scoreboard: run.scoreboard) }
    if options.sections.contains(.topics) { run.scoreboard = try TopicsBenchmark.run(.init(recordBytes: options.storage.logBytes / 16, baseDirectory: options.storage.baseDirectory), scoreboard: run.scoreboard) }
    if options.sections.contains(.compaction) { try CompactionBenchmark.run(logBytes: CompactionBenchmark.logBytes(for: options.storage), baseDirectory: options.storage.baseDirectory, scoreboard: &run.scoreboard) }
} catch {
    printError("strata-bench: \(error)")
    exit(1)
}
run.scoreboard.printSummary()
print("total time: \(Format.fixed(Timing.now() - start, 0)) s")
