import Foundation
import Strata
import StrataTopics
import Testing

/// Creating, listing, describing, growing and deleting topics on a real data directory.
@Suite struct TopicsAdminTests {
    @Test func createListDescribeAndDelete() throws {
        try withTopics { topics, directory in
            let created = try topics.create("orders", partitions: 3, config: ["cleanup.policy": "compact,delete", "segment.bytes": "65536", "compression.type": "zstd"])
            #expect(created.partitions.map(\.partition) == [0, 1, 2])
            #expect(created.partitions.allSatisfy { $0.logStartOffset == 0 && $0.logEndOffset == 0 })
            #expect(created.configOverrides["cleanup.policy"] == "compact,delete")
            #expect(created.topicID != nil)
            try topics.create("clicks", partitions: 1)
            #expect(topics.list() == ["clicks", "orders"])
            #expect(topics.list(includeInternal: true) == ["__consumer_offsets", "clicks", "orders"])
            for partition in 0..<3 { #expect(directory.entries.contains("orders-\(partition)")) }
            #expect(directory.entries.contains("strata-topic-orders.properties"))

            try topics.delete("orders")
            #expect(topics.list() == ["clicks"])
            #expect(!directory.entries.contains { $0.hasPrefix("orders-") })
            #expect(!directory.entries.contains("strata-topic-orders.properties"))
            #expect(throws: TopicsError.self) { try topics.describe("orders") }
        }
    }

    @Test func topicsAndTheirConfigurationSurviveAReopen() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        do {
            let topics = try Topics.open(directory: directory.path)
            try topics.create("events", partitions: 2, config: ["retention.ms": "3600000", "max.message.bytes": "2048"])
            try topics.close()
        }
        let topics = try Topics.open(directory: directory.path)
        defer { try? topics.close() }
        let described = try topics.describe("events")
        #expect(described.partitions.count == 2)
        #expect(described.configOverrides == ["retention.ms": "3600000", "max.message.bytes": "2048"])
        // The offsets topic is compacted, as Kafka's __consumer_offsets is.
        let offsets = try topics.describe("__consumer_offsets")
        #expect(offsets.isInternal)
        #expect(offsets.configOverrides["cleanup.policy"] == "compact")
    }

    @Test(arguments: [
        "", ".", "..", "a/b", "../escape", "with space", "naïve", "tab\there", "nul\u{0}", String(repeating: "x", count: 250),
    ] as [String])
    func illegalNamesAreRefusedAndNothingIsWritten(name: String) throws {
        try withTopics { topics, directory in
            let before = directory.entries
            let error = #expect(throws: TopicsError.self) { try topics.create(name, partitions: 1) }
            #expect(error?.code == .invalidTopicName)
            #expect(error?.message.contains("illegal topic name") == true)
            #expect(directory.entries == before)
        }
    }

    @Test func legalEdgeNamesAreAccepted() throws {
        try withTopics { topics, directory in
            let longest = String(repeating: "a", count: 249)
            try topics.create(longest, partitions: 1)
            try topics.create("a.b_c-D9", partitions: 1)
            #expect(directory.entries.contains(longest + "-0"))
        }
    }

    @Test func reservedNamesBadCountsAndBadConfigsAreRefused() throws {
        try withTopics { topics, directory in
            let before = directory.entries
            #expect((#expect(throws: TopicsError.self) { try topics.create("__mine", partitions: 1) })?.code == .internalTopic)
            #expect((#expect(throws: TopicsError.self) { try topics.create("t", partitions: 0) })?.code == .partitionOutOfRange)
            #expect((#expect(throws: TopicsError.self) { try topics.create("t", partitions: 10_001) })?.code == .partitionOutOfRange)
            let bad = #expect(throws: TopicsError.self) { try topics.create("t", partitions: 1, config: ["segment.bytes": "ten"]) }
            #expect(bad?.code == .invalidConfig)
            #expect(bad?.message.contains("segment.bytes") == true)
            #expect((#expect(throws: TopicsError.self) { try topics.create("t", partitions: 1, config: ["no.such.key": "1"]) })?.code == .invalidConfig)
            #expect(directory.entries == before)
            try topics.create("t", partitions: 1)
            #expect((#expect(throws: TopicsError.self) { try topics.create("t", partitions: 2) })?.code == .topicExists)
            #expect((#expect(throws: TopicsError.self) { try topics.delete("__consumer_offsets") })?.code == .internalTopic)
        }
    }

    @Test func unknownTopicsAreNamedInTheError() throws {
        try withTopics { topics, _ in
            try topics.create("known", partitions: 1)
            let error = #expect(throws: TopicsError.self) { try topics.describe("unknown") }
            #expect(error?.code == .unknownTopic)
            #expect(error?.message.contains("\"unknown\"") == true)
            #expect(error?.message.contains("known") == true)
            #expect((#expect(throws: TopicsError.self) { try topics.delete("unknown") })?.code == .unknownTopic)
        }
    }

    @Test func partitionsCanBeAddedButNotRemoved() throws {
        try withTopics { topics, directory in
            try topics.create("grow", partitions: 2)
            try topics.addPartitions("grow", totalCount: 5)
            #expect(try topics.partitionCount("grow") == 5)
            #expect(directory.entries.contains("grow-4"))
            #expect((#expect(throws: TopicsError.self) { try topics.addPartitions("grow", totalCount: 3) })?.code == .partitionOutOfRange)
        }
    }

    @Test func aTopicWithMissingPartitionsIsLeftAlone() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let manager = try LogManager.open(directory: directory.path)
        try manager.createPartition(TopicPartition(topic: "partial", partition: 0))
        try manager.createPartition(TopicPartition(topic: "partial", partition: 2))
        try manager.close()
        let topics = try Topics.open(directory: directory.path)
        defer { try? topics.close() }
        #expect(topics.list().isEmpty)
        #expect((#expect(throws: TopicsError.self) { try topics.describe("partial") })?.code == .unknownTopic)
        #expect((#expect(throws: TopicsError.self) { try topics.create("partial", partitions: 3) })?.code == .topicExists)
        #expect(directory.entries.contains("partial-2") && !directory.entries.contains("partial-1"))
    }

    @Test func aReadOnlyDiskRefusesChangesWithItsReasonAndLeavesNothingHalfDone() throws {
        let fileSystem = FailingSyncFileSystem()
        var options = TopicsOptions()
        options.storage.fileSystem = fileSystem
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // Opening a fresh directory on a read-only disk: the reason and the path.
        fileSystem.readOnly.withLockedValue { $0 = true }
        let fresh = directory.path + "/fresh"
        let refused = #expect(throws: StrataIOError.self) { try Topics.open(directory: fresh, options: options) }
        #expect(refused?.description.contains("Read-only file system") == true)
        #expect(refused?.description.contains(fresh) == true)
        fileSystem.readOnly.withLockedValue { $0 = false }
        // The disk turns read-only while open: creating a topic fails, nothing is left behind.
        let topics = try Topics.open(directory: directory.path, options: options)
        defer { try? topics.close() }
        let before = directory.entries
        fileSystem.readOnly.withLockedValue { $0 = true }
        #expect(throws: StrataIOError.self) { try topics.create("late", partitions: 2, config: ["retention.ms": "1000"]) }
        #expect(!topics.exists("late"))
        fileSystem.readOnly.withLockedValue { $0 = false }
        #expect(directory.entries == before)
    }

    @Test func aLockedDataDirectoryIsRefused() throws {
        try withTopics { _, directory in
            let error = #expect(throws: DataDirectoryLockedError.self) { try Topics.open(directory: directory.path) }
            #expect(error?.description.contains(directory.path) == true)
        }
    }

    @Test func aClosedDirectoryRefusesWork() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let topics = try Topics.open(directory: directory.path)
        try topics.create("t", partitions: 1)
        let producer = topics.makeProducer()
        try topics.close()
        #expect((#expect(throws: TopicsError.self) { try topics.create("u", partitions: 1) })?.code == .closed)
        #expect((#expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "t", key: nil, value: "v")) })?.code == .closed)
        // The lock is released: the directory opens again.
        try Topics.open(directory: directory.path).close()
    }
}
