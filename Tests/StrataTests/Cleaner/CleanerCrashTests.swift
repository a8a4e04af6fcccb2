import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Strata
@testable import StrataSimulation

/// A power cut at every file-system call of a cleaning (every kind of cut: unsynced work lost,
/// a prefix kept, the last write torn) and an I/O error at every call: afterwards the
/// directory opens, and every key reads as it did before the cleaning (which is also how it
/// reads after): no record lost, none changed or moved, none resurrected.
@Suite struct CleanerCrashTests {
    static let directory = "/data/c-0"

    /// A cleanly closed log on a simulated disk, and the records a read_committed consumer reads.
    static func prepared() throws -> (disk: SimulatedFileSystem, records: [SeenRecord], clock: TestClock) {
        let disk = SimulatedFileSystem()
        try disk.createDirectory("/data")
        let clock = TestClock()
        let log = try CleanerTestSupport.open(directory, config: CleanerTestSupport.compactedConfig(segmentBytes: 700), clock: clock, fileSystem: disk)
        var rng = SeededGenerator(seed: 7)
        var model = CompactionModel()
        try model.write(to: log, operations: 18, keys: 6, clock: clock, using: &rng)
        try log.roll()
        try log.close()
        let reopened = try CleanerTestSupport.open(directory, config: CleanerTestSupport.compactedConfig(segmentBytes: 700), clock: clock, fileSystem: disk)
        let records = try CleanerTestSupport.committedRecords(reopened)
        try reopened.close()
        return (disk, records, clock)
    }

    /// Problems with a reopened log against the records before cleaning.
    static func problems(_ disk: SimulatedFileSystem, before: [SeenRecord], clock: TestClock) -> [String] {
        do {
            let log = try CleanerTestSupport.open(directory, config: CleanerTestSupport.compactedConfig(segmentBytes: 700), clock: clock,
                                                  fileSystem: disk, cleanShutdown: false, recoveryPoint: 0)
            defer { try? log.close() }
            // What a read_committed consumer sees, against what it saw before the cleaning.
            let seen = try CleanerTestSupport.committedRecords(log)
            let original = Dictionary(before.map { ($0.offset, $0) }, uniquingKeysWith: { a, _ in a })
            var problems: [String] = []
            for record in seen where original[record.offset] != record { problems.append("record at \(record.offset) changed: \(record)") }
            func latest(_ records: [SeenRecord]) -> [String: SeenRecord] {
                Dictionary(records.map { ($0.key ?? "", $0) }, uniquingKeysWith: { _, b in b })
            }
            if latest(seen) != latest(before) { problems.append("per-key content differs") }
            if log.lastStableOffset != log.logEndOffset { problems.append("a transaction looks open at \(log.lastStableOffset)") }
            // The cleaner checkpoint is absent, or whole and within the log.
            do {
                let offsets = try OffsetCheckpointFile(logDirectory: "/data", kind: .cleanerOffset, fileSystem: disk).read()
                if let offset = offsets[log.topicPartition], offset > log.logEndOffset { problems.append("cleaner checkpoint \(offset) beyond the log end") }
            } catch {
                problems.append("cleaner checkpoint unreadable: \(error)")
            }
            return problems
        } catch {
            return ["reopening failed: \(error)"]
        }
    }

    @Test func powerCutAtEveryCallOfACleaning() throws {
        let (disk, before, clock) = try Self.prepared()
        let forking = ForkingFileSystem(disk)
        let log = try CleanerTestSupport.open(Self.directory, config: CleanerTestSupport.compactedConfig(segmentBytes: 700), clock: clock, fileSystem: forking)
        forking.shouldFork = { _ in true }
        // With the log directory's checkpoint, so that its rewrite is cut too.
        let result = try LogCleaner.clean(log)
        #expect(result.stats.segmentsRewritten > 2)
        var forks = forking.takeForks()
        forks.append((forking.mutatingCalls, disk.cloned()))
        var problems: [String] = []
        var cuts = 0
        for (calls, forked) in forks {
            for cut in PowerCut.every(for: forked) {
                let crashed = forked.cloned()
                crashed.crash(cut.mode)
                cuts += 1
                problems += Self.problems(crashed, before: before, clock: clock).map { "cut before call \(calls + 1) (\(cut)): \($0)" }
            }
        }
        #expect(cuts > 100)
        #expect(problems.isEmpty, "\(problems.count) problems in \(cuts) cuts: \(problems.prefix(5))")
    }

    @Test func ioErrorAtEveryCallOfACleaning() throws {
        let (base, before, clock) = try Self.prepared()
        // Count the calls of a cleaning without faults.
        let counting = base.cloned()
        let total = Mutex(0)
        counting.setFaults { _, _ in total.withLock { $0 += 1 }; return nil }
        let log = try CleanerTestSupport.open(Self.directory, config: CleanerTestSupport.compactedConfig(segmentBytes: 700), clock: clock, fileSystem: counting)
        total.withLock { $0 = 0 }
        try LogCleaner.clean(log, checkpoint: nil)
        let calls = total.withLock { $0 }
        #expect(calls > 50)
        var problems: [String] = []
        var failures = 0
        for failing in 1...calls {
            let disk = base.cloned()
            let opened = try CleanerTestSupport.open(Self.directory, config: CleanerTestSupport.compactedConfig(segmentBytes: 700), clock: clock, fileSystem: disk)
            let counter = Mutex(0)
            disk.setFaults { _, _ in
                counter.withLock { count in
                    count += 1
                    return count == failing ? .error(5 /* EIO */) : nil
                }
            }
            do {
                try LogCleaner.clean(opened, checkpoint: nil)
            } catch {
                failures += 1
            }
            disk.setFaults(nil)
            // Both after a restart of the process and after a power cut.
            problems += Self.problems(disk.cloned(), before: before, clock: clock).map { "EIO at call \(failing): \($0)" }
            let cut = disk.cloned()
            cut.crash(.dropUnsynced)
            problems += Self.problems(cut, before: before, clock: clock).map { "EIO at call \(failing), then a power cut: \($0)" }
        }
        #expect(failures > 0)
        #expect(problems.isEmpty, "\(problems.count) problems: \(problems.prefix(5))")
    }
}
