import Foundation
import NIOCore
import Testing
@testable import Strata
import StrataSimulation

/// A failed fsync on Linux drops the unsynced pages from the write-back queue while they stay
/// readable, and the next fsync succeeds without them (the simulated disk does the same). A log
/// that went on would acknowledge records above a hole that the next power cut opens.
@Suite struct FsyncFailureTests {
    private static let directory = "/data/f-0"

    private static func open(_ disk: SimulatedFileSystem) throws -> PartitionLog {
        var options = FaultInjectionTests.options(disk)
        options.cleanShutdown = false
        return try PartitionLog.open(directory: directory, config: LogConfig(), options: options)
    }

    private static func values(_ log: PartitionLog) throws -> [String?] {
        try LogTestSupport.allRecords(log).map(\.value)
    }

    @Test func aFailedFsyncStopsTheLogAndTheNextOpenMakesItsDataDurable() throws {
        let disk = SimulatedFileSystem()
        try disk.createDirectory("/data")
        let log = try Self.open(disk)
        try log.appendAsLeader(try LogTestSupport.batch(["a"]), durability: .fsynced)
        try log.appendAsLeader(try LogTestSupport.batch(["b"]))
        disk.setFaults { call, path in call == .sync && path.hasSuffix(".log") ? .error(5) : nil }
        let failure = try #require(throws: StrataIOError.self) { try log.appendAsLeader(try LogTestSupport.batch(["c"]), durability: .fsynced) }
        #expect(failure.errno == 5)
        disk.setFaults(nil)
        // The disk works again, but the pages of b and c will never be written back: the log
        // must not acknowledge anything more.
        let refusal = try #require(throws: AppendError.self) { try log.appendAsLeader(try LogTestSupport.batch(["d"]), durability: .fsynced) }
        #expect(refusal.code == .storageFailed && refusal.message.contains("fsync"))
        #expect(disk.exists(Self.directory + "/" + LostWritebackMarker.fileName))

        // The process opens the log again (no power cut): it writes the recovered bytes again.
        let reopened = try Self.open(disk)
        #expect(reopened.loadReport.actions.contains { $0.contains("fsync failed") })
        #expect(!disk.exists(Self.directory + "/" + LostWritebackMarker.fileName))
        try reopened.appendAsLeader(try LogTestSupport.batch(["d"]), durability: .fsynced)
        disk.crash(.dropUnsynced)

        let afterPowerCut = try Self.open(disk)
        #expect(try Self.values(afterPowerCut) == ["a", "b", "c", "d"])
    }

    @Test func aPowerCutAfterTheFailureKeepsWhatWasDurable() throws {
        let disk = SimulatedFileSystem()
        try disk.createDirectory("/data")
        let log = try Self.open(disk)
        try log.appendAsLeader(try LogTestSupport.batch(["a"]), durability: .fsynced)
        disk.setFaults { call, path in call == .sync && path.hasSuffix(".log") ? .error(5) : nil }
        #expect(throws: StrataIOError.self) { try log.appendAsLeader(try LogTestSupport.batch(["b"]), durability: .fsynced) }
        disk.setFaults(nil)
        disk.crash(.dropUnsynced)
        // The marker was never synced and is gone with the page cache; the disk holds a.
        let reopened = try Self.open(disk)
        #expect(try Self.values(reopened) == ["a"])
        try reopened.appendAsLeader(try LogTestSupport.batch(["c"]), durability: .fsynced)
        #expect(try Self.values(reopened) == ["a", "c"])
    }

    @Test func theManagerReopensAStoppedPartitionInPlace() throws {
        let disk = SimulatedFileSystem()
        try disk.createDirectory("/data")
        let manager = try LogManager.open(directory: "/data", options: FaultInjectionTests.options(disk))
        let topicPartition = TopicPartition(topic: "f", partition: 0)
        let log = try manager.createPartition(topicPartition)
        try log.appendAsLeader(try LogTestSupport.batch(["a"]), durability: .fsynced)
        disk.setFaults { call, path in call == .sync && path.hasSuffix(".log") ? .error(5) : nil }
        #expect(throws: StrataIOError.self) { try log.appendAsLeader(try LogTestSupport.batch(["b"]), durability: .fsynced) }
        disk.setFaults(nil)
        let reopened = try manager.reopenPartition(topicPartition, replacing: log)
        #expect(reopened !== log && manager.partition(topicPartition) === reopened)
        // A second caller holding the stopped log gets the reopened one, not a second recovery.
        #expect(try manager.reopenPartition(topicPartition, replacing: log) === reopened)
        try reopened.appendAsLeader(try LogTestSupport.batch(["c"]), durability: .fsynced)
        // Closing must not claim a clean shutdown for the stopped log; the manager closes anyway.
        try manager.close()
        disk.crash(.dropUnsynced)
        let afterPowerCut = try LogManager.open(directory: "/data", options: FaultInjectionTests.options(disk))
        #expect(try Self.values(try #require(afterPowerCut.partition(topicPartition))) == ["a", "b", "c"])
    }
}
