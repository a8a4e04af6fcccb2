import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import Strata

/// The data directory's background tasks: retention, file deletion after its delay, flushes
/// on `flush.ms`, checkpoints; stopped by close.
@Suite struct MaintenanceTests {
    private static let start: Int64 = 1_700_000_000_000
    private static let topicPartition = TopicPartition(topic: "events", partition: 0)

    private static func waitUntil(_ condition: () throws -> Bool) throws -> Bool {
        for _ in 0..<500 {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    @Test func retentionDeletionFlushAndCheckpointsRunInTheBackground() throws {
        let directory = try makeTemporaryDirectory()
        let clock = NIOLockedValueBox(Self.start)
        var options = PartitionOpenOptions()
        options.clock = { clock.withLockedValue { $0 } }
        let manager = try LogManager.open(directory: directory, options: options)
        try manager.setConfigOverrides(["segment.bytes": "600", "retention.ms": "60000", "file.delete.delay.ms": "5000", "flush.ms": "1000"], forTopic: "events")
        let log = try manager.createPartition(Self.topicPartition)
        for index in 0..<20 {
            try log.appendAsLeader(try LogTestSupport.batch(["value-\(index)-" + String(repeating: "x", count: 100)], timestamp: Self.start))
        }
        let segmentsBefore = log.segmentBaseOffsets.count
        #expect(segmentsBefore > 3)
        var schedule = MaintenanceSchedule()
        schedule.retentionCheckIntervalMs = 10
        schedule.flushCheckIntervalMs = 10
        schedule.checkpointIntervalMs = 10
        schedule.deletionCheckIntervalMs = 10
        manager.startMaintenance(schedule)

        // flush.ms passes: the background flush makes everything durable.
        clock.withLockedValue { $0 += 2_000 }
        #expect(try Self.waitUntil { log.recoveryPoint == log.logEndOffset })
        // The checkpoint records it.
        let checkpoint = OffsetCheckpointFile(logDirectory: directory, kind: .recoveryPoint, fileSystem: PosixFileSystem())
        #expect(try Self.waitUntil { (try? checkpoint.read())?[Self.topicPartition] == log.logEndOffset })

        // retention.ms passes: every old segment goes (a new active one is rolled).
        clock.withLockedValue { $0 += 120_000 }
        #expect(try Self.waitUntil { log.logStartOffset == log.logEndOffset })
        let deleted = { try FileManager.default.contentsOfDirectory(atPath: log.directory).filter { $0.hasSuffix(".deleted") } }
        #expect(try !deleted().isEmpty, "the segments wait for file.delete.delay.ms")
        // Past the delay (the clock keeps moving: the retention round may still be renaming
        // its last segments, whose delay starts then).
        #expect(try Self.waitUntil { clock.withLockedValue { $0 += 6_000 }; return try deleted().isEmpty }, "left: \((try? deleted()) ?? [])")

        try manager.close()
        // Closed: the task is gone, nothing runs any more.
        #expect(manager.maintenance.withLockedValue { $0 == nil })
    }

    @Test func closeStopsTheTasksWhileTheyRun() throws {
        let directory = try makeTemporaryDirectory()
        let manager = try LogManager.open(directory: directory)
        for partition in 0..<8 {
            let log = try manager.createPartition(TopicPartition(topic: "busy", partition: Int32(partition)))
            try log.appendAsLeader(try LogTestSupport.batch(["a", "b"]))
        }
        var schedule = MaintenanceSchedule()
        schedule.retentionCheckIntervalMs = 1
        schedule.checkpointIntervalMs = 1
        schedule.flushCheckIntervalMs = 1
        schedule.deletionCheckIntervalMs = 1
        for _ in 0..<20 {
            manager.startMaintenance(schedule)
            usleep(2_000)
        }
        try manager.close()
        let reopened = try LogManager.open(directory: directory)
        #expect(reopened.hadCleanShutdown && reopened.topicPartitions.count == 8)
        try reopened.close()
    }
}
