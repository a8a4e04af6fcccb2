import Foundation
import NIOCore
import Strata
import StrataTopics
import Testing

/// The stream helpers: transforms with at-least-once commits, and keyed aggregates whose state
/// survives a restart in a compacted topic.
@Suite struct StreamProcessingTests {
    static func produce(_ topics: Topics, _ topic: String, _ pairs: [(String?, String)]) throws {
        let producer = topics.makeProducer()
        for (key, value) in pairs { try producer.sendSync(ProducerRecord(topic: topic, key: key, value: value)) }
    }

    @Test func upperCaseTransformCommitsInputAfterOutput() async throws {
        try await withTopicsAsync { topics, _ in
            try topics.create("words", partitions: 2)
            try topics.create("WORDS", partitions: 2)
            try Self.produce(topics, "words", [("a", "hello"), ("b", "world"), (nil, "again")])
            let upper = StreamTransform(topics: topics, from: "words", to: "WORDS", group: "upper") { record in
                [ProducerRecord(topic: "WORDS", key: record.key, value: record.valueString.map { ByteBuffer(string: $0.uppercased()) })]
            }
            #expect(try await upper.runUntilCaughtUp() == 3)
            #expect(Set(try readAll(topics, "WORDS").compactMap(\.valueString)) == ["HELLO", "WORLD", "AGAIN"])
            let committed = topics.committedOffsets(group: "upper")
            #expect(committed.values.reduce(0) { $0 + $1.offset } == 3)
            // Running again processes only new input.
            try Self.produce(topics, "words", [("c", "more")])
            #expect(try await upper.runUntilCaughtUp() == 1)
            #expect(try readAll(topics, "WORDS").count == 4)
        }
    }

    @Test func filterAndFlatMapShapes() async throws {
        try await withTopicsAsync { topics, _ in
            try topics.create("in", partitions: 1)
            try topics.create("out", partitions: 1)
            try Self.produce(topics, "in", [("k", "1 2 3"), ("k", "skip"), ("k", "4")])
            let kept = StreamTransform.filter(topics: topics, from: "in", to: "out", group: "f") { $0.valueString != "skip" }
            try await kept.runUntilCaughtUp()
            #expect(try readAll(topics, "out").map(\.valueString) == ["1 2 3", "4"])
            let split = StreamTransform(topics: topics, from: "in", to: "out", group: "split") { record in
                (record.valueString ?? "").split(separator: " ").map { ProducerRecord(topic: "out", key: record.keyString, value: String($0)) }
            }
            try await split.runUntilCaughtUp()
            #expect(try readAll(topics, "out").map(\.valueString).suffix(5) == ["1", "2", "3", "skip", "4"])
        }
    }

    @Test func aTransformToAnUnknownTopicCommitsNothing() async throws {
        try await withTopicsAsync { topics, _ in
            try topics.create("in", partitions: 1)
            try Self.produce(topics, "in", [("k", "v")])
            let broken = StreamTransform(topics: topics, from: "in", to: "in", group: "g") { _ in [ProducerRecord(topic: "nowhere", key: nil, value: "x")] }
            await #expect(throws: TopicsError.self) { try await broken.runUntilCaughtUp() }
            #expect(topics.committedOffsets(group: "g").isEmpty)
        }
    }

    @Test func keyedCountsAndSumsAreRebuiltAfterARestart() async throws {
        let directory = TemporaryDirectory("aggregate")
        defer { directory.remove() }
        do {
            let topics = try Topics.open(directory: directory.path)
            try topics.create("sales", partitions: 3)
            try Self.produce(topics, "sales", [("apples", "3"), ("pears", "5"), ("apples", "4"), (nil, "9")])
            let counts = try KeyedAggregate.count(topics: topics, from: "sales", stateTopic: "sales-counts", group: "counter")
            #expect(try await counts.runUntilCaughtUp() == ["apples": 2, "pears": 1])
            let sums = try KeyedAggregate.sum(topics: topics, from: "sales", stateTopic: "sales-sums", group: "summer")
            #expect(try await sums.runUntilCaughtUp() == ["apples": 7, "pears": 5])
            #expect(try topics.describe("sales-sums").configOverrides["cleanup.policy"] == "compact")
            try topics.close()
        }
        let topics = try Topics.open(directory: directory.path)
        defer { try? topics.close() }
        let sums = try KeyedAggregate.sum(topics: topics, from: "sales", stateTopic: "sales-sums", group: "summer")
        #expect(sums.state == ["apples": 7, "pears": 5])
        try Self.produce(topics, "sales", [("pears", "10")])
        #expect(try await sums.runUntilCaughtUp() == ["apples": 7, "pears": 15])
        await #expect(throws: TopicsError.self) { _ = try KeyedAggregate.count(topics: topics, from: "sales", stateTopic: "sales", group: "x") }
    }
}
