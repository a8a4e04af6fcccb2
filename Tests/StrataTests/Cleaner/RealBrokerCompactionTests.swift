import Foundation
import NIOCore
import Testing
@testable import Strata

/// The compacted topics written by real Kafka brokers, compacted on a copy: every key keeps its
/// latest value at its original offset, nothing else changes, and the result opens again.
@Suite struct RealBrokerCompactionTests {
    static let partitions = [
        "spooldir-lz4/kafka-data/_schemas-0", "spooldir-lz4/kafka-data/docker-connect-configs-0",
        "spooldir-lz4/kafka-data/docker-connect-offsets-0", "spooldir-lz4/kafka-data/docker-connect-status-0",
        "spooldir-lz4/kafka-data/_confluent-command-0",
        "spooldir-lz4/kafka-data/__consumer_offsets-0", "spooldir-lz4/kafka-data/__consumer_offsets-13",
        "spooldir-lz4/kafka-data/__consumer_offsets-29", "spooldir-lz4/kafka-data/__consumer_offsets-37",
        "spooldir-lz4/kafka-data/__consumer_offsets-9", "backendlabs-snappy-raw/kafka-data/__consumer_offsets-19",
        "bullshit-v1/tmp-kafka-logs/__consumer_offsets-40", "seanorth-snappy/kafka-logs/__consumer_offsets-16",
        "patient-admissions-txn/kafka-data/__consumer_offsets-29", "patient-admissions-txn/kafka-data/__consumer_offsets-37",
    ]

    /// The latest record of each key (keyless records are kept apart: compaction drops them).
    static func latestByKey(_ records: [SeenRecord]) -> [String: SeenRecord] {
        Dictionary(records.filter { $0.key != nil }.map { ($0.key!, $0) }, uniquingKeysWith: { _, b in b })
    }

    @Test(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)), arguments: partitions)
    func compactsACopyKeepingTheLatestValueOfEveryKey(_ relative: String) throws {
        let source = SharedTestData.kafkaReal.appendingPathComponent(relative).path
        let work = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let copy = work + "/" + (relative.split(separator: "/").last.map(String.init) ?? "p-0")
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        let clock = TestClock(1_900_000_000_000)
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.fileDeleteDelayMs = 0
        config.deleteRetentionMs = 86_400_000
        let log = try CleanerTestSupport.open(copy, config: config, clock: clock, cleanShutdown: false, recoveryPoint: 0)
        let before = try CleanerTestSupport.committedRecords(log)
        try log.roll()  // the copy's active segment becomes cleanable
        var options = CleanerOptions()
        options.ignoreDirtyRatio = true
        let result = try LogCleaner.clean(log, checkpoint: nil, options: options)
        #expect(result.cleaned, "\(relative): \(result.notCleanedReason ?? "")")
        let after = try CleanerTestSupport.committedRecords(log)
        #expect(Self.latestByKey(after) == Self.latestByKey(before), "\(relative)")
        let original = Dictionary(before.map { ($0.offset, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(after.allSatisfy { original[$0.offset] == $0 }, "\(relative): a record changed")
        #expect(Set(after.map(\.key)).count == after.count, "\(relative): a key appears twice")
        try log.close()
        let reopened = try CleanerTestSupport.open(copy, config: config, clock: clock, cleanShutdown: false, recoveryPoint: 0)
        #expect(try CleanerTestSupport.committedRecords(reopened) == after)
        try reopened.close()
    }
}
