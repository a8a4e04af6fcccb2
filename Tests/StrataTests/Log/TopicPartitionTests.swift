import Foundation
import Testing
@testable import Strata

@Suite struct TopicPartitionTests {
    @Test(arguments: [
        ("my-topic-0", "my-topic", 0),
        ("__consumer_offsets-19", "__consumer_offsets", 19),
        ("a-b-c-2147483647", "a-b-c", Int32.max),
        ("topic--1", "topic-", 1), // the last '-' splits: topic "topic-", partition 1
        ("my.topic_v2-7", "my.topic_v2", 7),
        ("x-0", "x", 0),
    ] as [(String, String, Int32)])
    func parsesOrdinaryDirectoryNames(name: String, topic: String, partition: Int32) throws {
        let parsed = try #require(TopicPartition(directoryName: name))
        #expect(parsed == TopicPartition(topic: topic, partition: partition))
        #expect(parsed.directoryName == name)
        #expect(PartitionDirectoryName(name) == .partition(parsed))
    }

    @Test(arguments: [
        "", "topic", "-0", "topic-", "topic-x", "topic-01", "topic-+1", "topic- 1", "topic-1 ",
        "topic-2147483648", "topic-99999999999999999999", "recovery-point-offset-checkpoint",
        "meta.properties", ".kafka_cleanshutdown", "x-delete", "x-0-delete", "x-0.-delete", "x.abc-future",
        "-0.0123456789abcdef0123456789abcdef-stray", "x-0.a b-delete",
    ])
    func rejectsOtherNames(name: String) {
        #expect(TopicPartition(directoryName: name) == nil)
        #expect(PartitionDirectoryName(name) == nil)
    }

    @Test func recognisesSpecialDirectoriesAndRejectsThemAsPartitions() throws {
        let id = "0123456789abcdef0123456789abcdef"
        let tp = TopicPartition(topic: "my-topic", partition: 3)
        let cases: [(String, PartitionDirectoryName)] = [
            ("my-topic-3.\(id)-delete", .pendingDeletion(tp, uniqueID: id)),
            ("my-topic-3.\(id)-future", .future(tp, uniqueID: id)),
            ("my-topic-3.\(id)-stray", .stray(tp, uniqueID: id)),
        ]
        for (name, expected) in cases {
            #expect(TopicPartition(directoryName: name) == nil, "\(name)")
            let parsed = try #require(PartitionDirectoryName(name))
            #expect(parsed == expected)
            #expect(parsed.topicPartition == tp)
            #expect(parsed.uniqueID == id)
            #expect(parsed.directoryName == name)
        }
        // A topic with dots keeps them: the id is after the last '.'.
        #expect(PartitionDirectoryName("a.b-0.\(id)-delete") == .pendingDeletion(TopicPartition(topic: "a.b", partition: 0), uniqueID: id))
        #expect(PartitionDirectoryName("t-0")?.uniqueID == nil)
    }

    @Test func ordersByTopicThenPartition() {
        let sorted = [
            TopicPartition(topic: "b", partition: 0), TopicPartition(topic: "a", partition: 10),
            TopicPartition(topic: "a", partition: 2), TopicPartition(topic: "a-1", partition: 0),
        ].sorted()
        #expect(sorted.map(\.directoryName) == ["a-2", "a-10", "a-1-0", "b-0"])
        #expect(TopicPartition(topic: "t", partition: 4).description == "t-4")
    }
}

/// The library itself refuses partitions whose topic names could leave the data directory.
@Suite struct LogManagerTopicNameTests {
    @Test(arguments: ["../escape", "a/b", "..", ".", "", "nul\u{0}byte", String(repeating: "x", count: 250), "sp ace", "é"])
    func hostileTopicNamesAreRefusedAndNothingIsCreated(name: String) throws {
        let root = try makeTemporaryDirectory()
        let data = root + "/data"
        let manager = try LogManager.open(directory: data)
        defer { try? manager.close() }
        let error = try #require(throws: InvalidTopicPartitionError.self) { try manager.createPartition(TopicPartition(topic: name, partition: 0)) }
        #expect(!error.reason.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["data"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: data).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    @Test func negativePartitionsAreRefused() throws {
        let manager = try LogManager.open(directory: try makeTemporaryDirectory() + "/data")
        defer { try? manager.close() }
        #expect(throws: InvalidTopicPartitionError.self) { try manager.createPartition(TopicPartition(topic: "ok", partition: -1)) }
        #expect(try manager.createPartition(TopicPartition(topic: "ok.name_2-x", partition: 0)).logEndOffset == 0)
    }
}
