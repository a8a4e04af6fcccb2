import Foundation
import Strata
import StrataTopics
import Testing

/// What an open `Topics` runs in the background: compaction of compacted topics (on by
/// default) and retention.
@Suite struct BackgroundTasksTests {
    private static func waitUntil(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<500 {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }

    @Test func compactedTopicsAreCleanedWhileOpen() throws {
        var options = TopicsOptions()
        var cleaning = BackgroundCleaningOptions()
        cleaning.backoffMs = 20
        options.cleaning = cleaning
        try withTopics("cleaning", options: options) { topics, _ in
            try topics.create("latest", partitions: 1, config: ["cleanup.policy": "compact", "segment.bytes": "2000", "min.cleanable.dirty.ratio": "0.01"])
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            for index in 0..<400 { try producer.sendSync(ProducerRecord(topic: "latest", key: "k\(index % 5)", value: "v\(index)")) }
            // Rolled segments hold 400 writes to 5 keys; the cleaner keeps about one per key.
            #expect(try Self.waitUntil { try readAll(topics, "latest").count < 100 })
            let latest = Dictionary(try readAll(topics, "latest").map { ($0.keyString!, $0.valueString!) }, uniquingKeysWith: { _, last in last })
            #expect(latest == ["k0": "v395", "k1": "v396", "k2": "v397", "k3": "v398", "k4": "v399"])
        }
    }

    @Test func withoutCleaningNothingIsCompacted() throws {
        var options = TopicsOptions()
        options.cleaning = nil
        try withTopics("no-cleaning", options: options) { topics, _ in
            try topics.create("latest", partitions: 1, config: ["cleanup.policy": "compact", "segment.bytes": "2000", "min.cleanable.dirty.ratio": "0.01"])
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            for index in 0..<400 { try producer.sendSync(ProducerRecord(topic: "latest", key: "k\(index % 5)", value: "v\(index)")) }
            usleep(200_000)
            #expect(try readAll(topics, "latest").count == 400)
        }
    }

    @Test func retentionRunsOnItsSchedule() throws {
        var options = TopicsOptions()
        var schedule = MaintenanceSchedule()
        schedule.retentionCheckIntervalMs = 20
        schedule.deletionCheckIntervalMs = 20
        options.maintenance = schedule
        try withTopics("retention", options: options) { topics, _ in
            try topics.create("capped", partitions: 1, config: ["segment.bytes": "2000", "retention.bytes": "4000", "file.delete.delay.ms": "0"])
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            for index in 0..<400 { try producer.sendSync(ProducerRecord(topic: "capped", key: nil, value: "value \(index)")) }
            // Kafka's rule keeps whole segments while the rest would still exceed retention.bytes:
            // at most retention.bytes plus one segment, plus the active one.
            #expect(try Self.waitUntil {
                let partition = try topics.describe("capped").partitions[0]
                return partition.logStartOffset > 0 && partition.sizeInBytes <= 4000 + 2 * 2000
            })
        }
    }
}
