import NIOCore
import Strata
import StrataTopics
import Testing

/// The README's "Topics, producers and consumers" example, compiled and run (in a temporary
/// directory instead of ./strata-data).
@Suite struct TopicsReadmeExampleTests {
    @Test func theExampleRuns() async throws {
        let directory = TemporaryDirectory("readme")
        defer { directory.remove() }
        let topics = try Topics.open(directory: directory.path)          // locks the directory
        try topics.create("words", partitions: 3, config: ["retention.ms": "86400000"])
        try topics.create("WORDS", partitions: 3, config: ["compression.type": "zstd"])

        let producer = topics.makeProducer(ProducerConfig(acks: .all, lingerMs: 5))
        let sent = try await producer.send(ProducerRecord(topic: "words", key: "greeting", value: "hello"))
        #expect(sent.offset == 0)

        let consumer = topics.makeConsumer(ConsumerConfig(groupID: "readers", autoOffsetReset: .earliest))
        try consumer.subscribe(["words"])
        var seen: [String] = []
        for try await record in consumer {
            seen.append(record.valueString ?? "")
            break
        }
        try consumer.close()
        #expect(seen == ["hello"])

        let upper = StreamTransform(topics: topics, from: "words", to: "WORDS", group: "upper") { record in
            [ProducerRecord(topic: "WORDS", key: record.key, value: record.valueString.map { ByteBuffer(string: $0.uppercased()) })]
        }
        try await upper.runUntilCaughtUp()
        #expect(try readAll(topics, "WORDS").map(\.valueString) == ["HELLO"])
        #expect(topics.committedOffsets(group: "readers")[TopicPartition(topic: "words", partition: sent.partition)]?.offset == 1)
        try topics.close()
    }
}
