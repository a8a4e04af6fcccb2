import NIOConcurrencyHelpers
import NIOCore
import Strata

/// A running aggregate per key (a count, a sum, any fold to an integer) over a topic, whose
/// state lives in a compacted topic so it is rebuilt after a restart.
///
/// Each poll's input updates the state of its keys; the new values are written to the state
/// topic (key → decimal text, fsynced) and only then are the input offsets committed. On start
/// the state topic is read from the beginning, the last value of each key winning (what
/// compaction keeps). At-least-once: a crash after the state write and before the commit
/// applies that poll's input twice. Records without a key are skipped.
public final class KeyedAggregate: Sendable {
    /// The input topic.
    public let input: String
    /// The compacted topic holding the state.
    public let stateTopic: String
    /// The consumer group tracking the input.
    public let group: String
    let topics: Topics
    let producer: Producer
    let step: @Sendable (Int64, ConsumerRecord) -> Int64
    private let values = NIOLockedValueBox([String: Int64]())

    /// Creates the aggregate, creating the state topic (compacted, one partition) if needed,
    /// and rebuilds its state from that topic.
    ///
    /// - Throws: ``TopicsError`` (an unknown input topic; a state topic that is not compacted).
    public init(topics: Topics, from input: String, stateTopic: String, group: String,
                step: @escaping @Sendable (_ current: Int64, _ record: ConsumerRecord) -> Int64) throws {
        self.topics = topics
        self.input = input
        self.stateTopic = stateTopic
        self.group = group
        self.step = step
        self.producer = topics.makeProducer(ProducerConfig(acks: .all))
        _ = try topics.partitionCount(input)
        if !topics.exists(stateTopic) {
            try topics.create(stateTopic, partitions: 1, config: ["cleanup.policy": "compact"])
        } else if try topics.describe(stateTopic).configOverrides["cleanup.policy"]?.contains("compact") != true {
            throw TopicsError(.invalidConfig, "state topic \"\(stateTopic)\" must have cleanup.policy=compact")
        }
        try rebuild()
    }

    /// Counts records per key.
    public static func count(topics: Topics, from input: String, stateTopic: String, group: String) throws -> KeyedAggregate {
        try KeyedAggregate(topics: topics, from: input, stateTopic: stateTopic, group: group) { current, _ in current + 1 }
    }

    /// Sums the values (decimal text; others count as 0) per key.
    public static func sum(topics: Topics, from input: String, stateTopic: String, group: String) throws -> KeyedAggregate {
        try KeyedAggregate(topics: topics, from: input, stateTopic: stateTopic, group: group) { current, record in
            current + (record.valueString.flatMap { Int64($0.trimmingSpaces) } ?? 0)
        }
    }

    /// The current value of every key.
    public var state: [String: Int64] { values.withLockedValue { $0 } }

    /// Processes input up to its end as of the call; returns the state.
    ///
    /// - Throws: ``TopicsError``; I/O errors (nothing of that poll is committed).
    @discardableResult
    public func runUntilCaughtUp() async throws -> [String: Int64] {
        var config = ConsumerConfig(groupID: group, autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        let consumer = topics.makeConsumer(config)
        try consumer.subscribe([input])
        defer { try? consumer.close() }
        while case let records = try consumer.poll(), !records.isEmpty {
            var changed: [String: Int64] = [:]
            values.withLockedValue { values in
                for record in records {
                    guard let key = record.keyString else { continue }
                    let next = step(changed[key] ?? values[key] ?? 0, record)
                    changed[key] = next
                }
            }
            try await withThrowingTaskGroup(of: RecordMetadata.self) { group in
                for (key, value) in changed {
                    group.addTask { try await self.producer.send(ProducerRecord(topic: self.stateTopic, partition: 0, key: key, value: String(value))) }
                }
                try await group.waitForAll()
            }
            values.withLockedValue { $0.merge(changed) { $1 } }
            try consumer.commitSync()
        }
        return state
    }

    private func rebuild() throws {
        let consumer = topics.makeConsumer(ConsumerConfig(autoOffsetReset: .earliest))
        defer { try? consumer.close() }
        try consumer.assign([TopicPartition(topic: stateTopic, partition: 0)])
        var rebuilt: [String: Int64] = [:]
        while case let records = try consumer.poll(), !records.isEmpty {
            for record in records {
                guard let key = record.keyString else { continue }
                rebuilt[key] = record.valueString.flatMap { Int64($0) }
            }
        }
        values.withLockedValue { $0 = rebuilt }
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
