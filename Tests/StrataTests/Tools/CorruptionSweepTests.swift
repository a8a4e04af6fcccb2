import Foundation
import Testing
@testable import Strata
@testable import StrataTools

/// Damage at many places in segments of every codec: strata-verify reports every damaged
/// batch, strata-dump never crashes, and --repair leaves a directory that verifies clean with
/// every undamaged record still in the log or, where framing was lost, saved beside it.
@Suite struct CorruptionSweepTests {
    struct Entry: Hashable {
        var log: String
        var position: Int
        var size: Int
        var offsets: [Int64]
    }

    static let codecs: [Compression] = [.none, .gzip, .snappy, .lz4, .zstd]

    /// One sweep: a pristine partition of one codec, its records and entries, a seeded
    /// generator (the seed is printed on failure), and fresh copies to damage.
    struct Sweep {
        let name: String
        let seed = propertySeed()
        var rng: SeededGenerator
        let pristine: String
        let original: [Int64: String]
        let entries: [Entry]

        init(_ name: String, compression: Compression) throws {
            self.name = name + compression.codec.name
            rng = SeededGenerator(seed: seed)
            pristine = try VerifyTestSupport.writePartition("sweep-\(self.name)", compression: compression)
            original = try VerifyTestSupport.records(in: pristine)
            entries = try CorruptionSweepTests.entries(pristine)
        }

        func trial(_ number: Int) throws -> (directory: String, entries: [Entry]) {
            try CorruptionSweepTests.copy(pristine, entries: entries, trial: "\(name)\(number)")
        }
    }

    /// A fresh copy of `pristine` to damage, its entries, and each `.log` kept as
    /// `.log.original` (a name no tool reads) for checking what was saved aside.
    static func copy(_ pristine: String, entries: [Entry], trial: String) throws -> (directory: String, entries: [Entry]) {
        let target = try makeTemporaryDirectory(trial) + "/topic-0"
        try FileManager.default.copyItem(atPath: pristine, toPath: target)
        let moved = entries.map { Entry(log: $0.log.replacingOccurrences(of: pristine, with: target), position: $0.position, size: $0.size, offsets: $0.offsets) }
        for log in Set(moved.map(\.log)) { try FileManager.default.copyItem(atPath: log, toPath: log + ".original") }
        return (target, moved)
    }

    static func entries(_ directory: String) throws -> [Entry] {
        try VerifyTestSupport.segmentLogs(directory).flatMap { log in
            try VerifyTestSupport.entries(of: log).map { Entry(log: log, position: $0.position, size: $0.size, offsets: $0.offsets) }
        }
    }

    /// strata-dump over every file of `directory`, text and JSON, deep, with payloads.
    static func dumpEverything(_ directory: String) throws -> Bool {
        var problems = false
        for json in [false, true] {
            var options = LogDumper.Options()
            options.printDataLog = true
            options.json = json
            var dumper = LogDumper(options: options, out: StringOutput(), err: StringOutput())
            for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() { _ = dumper.dump(path: directory + "/" + name) }
            dumper.finish()
            problems = problems || dumper.hadProblems
        }
        return problems
    }

    /// Checks the repaired directory: clean, nothing invented, `lost` records gone and the rest
    /// kept — except records of batches whose bytes were saved aside whole in a `.cut-` file.
    static func expectRepaired(_ directory: String, original: [Int64: String], lost: Set<Int64>, entries: [Entry], context: String) throws {
        let repair = VerifyTestSupport.repair([directory])
        #expect(repair.exitCode == .ok, "\(context): \(repair.text)\(repair.errors)")
        #expect(VerifyTestSupport.verify([directory], deep: true).findings.isEmpty, "\(context)")
        let kept = try VerifyTestSupport.records(in: directory)
        #expect(kept.allSatisfy { original[$0.key] == $0.value }, "\(context): a record changed or appeared")
        // The cut ranges of one log, in file order, joined (a batch may span two adjacent ones).
        var savedAside: [Data] = []
        for log in Set(entries.map(\.log)) {
            let name = (log as NSString).lastPathComponent + ".cut-"
            let cuts = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(name) }
                .sorted { Int($0.dropFirst(name.count))! < Int($1.dropFirst(name.count))! }
            savedAside.append(try cuts.reduce(into: Data()) { $0 += try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $1)) })
        }
        for entry in entries where entry.offsets.contains(where: { kept[$0] == nil }) && !entry.offsets.contains(where: lost.contains) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: entry.log + ".original"))[entry.position..<(entry.position + entry.size)]
            #expect(savedAside.contains { $0.range(of: bytes) != nil }, "\(context): undamaged batch at \(entry.position) of \(entry.log) neither kept nor saved aside")
        }
    }

    @Test(arguments: codecs)
    func flippedBitsAreReportedPerBatchAndRepairKeepsTheRest(_ compression: Compression) throws {
        var sweep = try Sweep("flip", compression: compression)
        let (seed, original) = (sweep.seed, sweep.original)
        for trial in 0..<20 {
            let (directory, entries) = try sweep.trial(trial)
            var rng = sweep.rng
            defer { sweep.rng = rng }
            // One to three batches, each with a bit flipped in the bytes its CRC covers (or the CRC itself).
            let victims = Array(entries.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)))
            for victim in victims {
                try VerifyTestSupport.flipBit(victim.log, at: victim.position + Int.random(in: 17..<victim.size, using: &rng), bit: Int.random(in: 0..<8, using: &rng))
            }
            let context = "seed \(seed) \(compression) trial \(trial)"
            let outcome = VerifyTestSupport.verify([directory], deep: true)
            #expect(outcome.exitCode == .findings, "\(context)")
            let reported = Set(outcome.findings.filter { $0.file.hasSuffix(".log") }.map { "\($0.file)@\($0.position ?? -1)" })
            #expect(reported == Set(victims.map { "\($0.log)@\($0.position)" }), "\(context): \(outcome.text)")
            #expect(outcome.findings.filter { $0.file.hasSuffix(".log") }.allSatisfy { $0.kind == .crcMismatch }, "\(context)")
            #expect(try Self.dumpEverything(directory), "\(context): strata-dump saw no problem")
            try Self.expectRepaired(directory, original: original, lost: Set(victims.flatMap(\.offsets)), entries: entries, context: context)
            let kept = try VerifyTestSupport.records(in: directory)
            #expect(Set(kept.keys) == Set(original.keys).subtracting(victims.flatMap(\.offsets)), "\(context): exactly the damaged batches go")
        }
    }

    @Test(arguments: codecs)
    func damagedHeadersAndTruncationsAreReportedAndRepaired(_ compression: Compression) throws {
        var sweep = try Sweep("cut", compression: compression)
        let (seed, original) = (sweep.seed, sweep.original)
        for trial in 0..<20 {
            let (directory, entries) = try sweep.trial(trial)
            var rng = sweep.rng
            defer { sweep.rng = rng }
            let victim = entries.randomElement(using: &rng)!
            let context = "seed \(seed) \(compression) trial \(trial)"
            var lost = Set(victim.offsets)
            if trial % 2 == 0 {
                // A flip in the size field or the magic byte: framing from here may be lost.
                let at = [8, 9, 10, 11, 16].randomElement(using: &rng)!
                try VerifyTestSupport.flipBit(victim.log, at: victim.position + at, bit: Int.random(in: 0..<8, using: &rng))
            } else {
                // A cut inside the batch (a torn write); whatever followed it in the file is gone.
                try VerifyTestSupport.truncate(victim.log, to: victim.position + Int.random(in: 1..<victim.size, using: &rng))
                for entry in entries where entry.log == victim.log && entry.position > victim.position { lost.formUnion(entry.offsets) }
            }
            let outcome = VerifyTestSupport.verify([directory], deep: true)
            #expect(outcome.exitCode == .findings, "\(context)")
            #expect(outcome.findings.contains { $0.file == victim.log && $0.position == victim.position }, "\(context): \(outcome.text)")
            _ = try Self.dumpEverything(directory)
            try Self.expectRepaired(directory, original: original, lost: lost, entries: entries, context: context)
        }
    }
}
