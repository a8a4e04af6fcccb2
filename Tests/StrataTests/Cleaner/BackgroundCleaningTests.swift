import Foundation
import NIOCore
import Testing
@testable import Strata

/// Background cleaning inside a running LogManager: it compacts what is dirty while appends go
/// on, and close() stops it promptly, even in the middle of a throttled cleaning.
@Suite struct BackgroundCleaningTests {
    static func manager(_ directory: String) throws -> LogManager {
        var options = PartitionOpenOptions()
        options.logger.logLevel = .critical
        let manager = try LogManager.open(directory: directory, options: options)
        try manager.setConfigOverrides(["cleanup.policy": "compact", "segment.bytes": "3000", "file.delete.delay.ms": "0",
                                        "min.cleanable.dirty.ratio": "0.1"], forTopic: "bg")
        return manager
    }

    static func latest(_ log: PartitionLog) throws -> [String: SeenRecord] {
        Dictionary(try CleanerTestSupport.committedRecords(log).map { ($0.key!, $0) }, uniquingKeysWith: { _, b in b })
    }

    @Test func cleansWhileAppendsGoOnAndStopsOnClose() throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try Self.manager(directory)
        let log = try manager.createPartition(TopicPartition(topic: "bg", partition: 0))
        var options = BackgroundCleaningOptions()
        options.backoffMs = 20
        manager.startBackgroundCleaning(options)
        var expected: [String: String] = [:]
        for index in 0..<1_500 {
            try log.appendAsLeader(try CleanerTestSupport.batch([("k\(index % 25)", "v\(index)")], timestamp: 1_700_000_000_000 + Int64(index)))
            expected["k\(index % 25)"] = "v\(index)"
        }
        // The cleaner catches up: the partition shrinks far below what was written.
        var waited = 0
        while log.sizeInBytes > 20_000 && waited < 200 {
            usleep(50_000)
            waited += 1
        }
        #expect(log.sizeInBytes <= 20_000, "the background cleaner did not compact (size \(log.sizeInBytes))")
        #expect(try Self.latest(log).mapValues(\.value) == expected.mapValues { Optional($0) })
        try manager.close()
        let checkpoint = CleanerCheckpoint(logDirectory: directory).offsets()[TopicPartition(topic: "bg", partition: 0)]
        #expect((checkpoint ?? 0) > 0)
        let reopened = try Self.manager(directory)
        #expect(try Self.latest(try #require(reopened.partition(TopicPartition(topic: "bg", partition: 0)))).mapValues(\.value) == expected.mapValues { Optional($0) })
        try reopened.close()
    }

    @Test func closeInterruptsAThrottledCleaning() throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manager = try Self.manager(directory)
        let log = try manager.createPartition(TopicPartition(topic: "bg", partition: 0))
        for index in 0..<2_000 {
            try log.appendAsLeader(try CleanerTestSupport.batch([("k\(index % 50)", "value-\(index)")], timestamp: 1_700_000_000_000 + Int64(index)))
        }
        let before = try Self.latest(log)
        var options = BackgroundCleaningOptions()
        options.cleaner.throttle = Throttle(bytesPerSecond: 20_000)  // the whole cleaning would take many seconds
        manager.startBackgroundCleaning(options)
        usleep(300_000)
        let start = Date()
        try manager.close()
        #expect(Date().timeIntervalSince(start) < 3, "close() waited for the whole cleaning")
        let reopened = try Self.manager(directory)
        #expect(try Self.latest(try #require(reopened.partition(TopicPartition(topic: "bg", partition: 0)))) == before)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: directory + "/bg-0")).contains { $0.hasSuffix(".cleaned") })
        try reopened.close()
    }
}
