import NIOCore
import Strata

/// Consumes one topic, applies a function to each record (map, filter or flatMap: it returns
/// zero or more records), produces the results, and commits the input offsets.
///
/// **At-least-once**: for each poll, every output record is acknowledged with `acks=all`
/// (fsynced) *before* the input offsets of that poll are committed. A crash between the two
/// replays those input records after the restart, so their outputs may appear twice; an input
/// record is never committed without its outputs being durable, so none is lost.
///
/// ```swift
/// let upper = StreamTransform(topics: topics, from: "words", to: "WORDS", group: "upper") { record in
///     [ProducerRecord(topic: "WORDS", key: record.key, value: record.valueString.map { ByteBuffer(string: $0.uppercased()) })]
/// }
/// try await upper.runUntilCaughtUp()
/// ```
public final class StreamTransform: Sendable {
    /// The input topic.
    public let input: String
    /// The consumer group whose committed offsets track the input.
    public let group: String
    let topics: Topics
    let producer: Producer
    let transform: @Sendable (ConsumerRecord) throws -> [ProducerRecord]

    /// Creates a transform; `transform` returns the records to produce for one input record
    /// (any topic; `output` names the usual one, which running checks exists).
    public init(topics: Topics, from input: String, to output: String, group: String,
                transform: @escaping @Sendable (ConsumerRecord) throws -> [ProducerRecord]) {
        self.topics = topics
        self.input = input
        self.group = group
        self.transform = transform
        var config = ProducerConfig(acks: .all, lingerMs: 0)
        config.batchSize = 1 << 18
        self.producer = topics.makeProducer(config)
        self.output = output
    }

    /// The usual output topic.
    public let output: String

    /// A transform that maps each record to one record of `output`.
    public static func map(topics: Topics, from input: String, to output: String, group: String,
                           _ body: @escaping @Sendable (ConsumerRecord) throws -> (key: ByteBuffer?, value: ByteBuffer?)) -> StreamTransform {
        StreamTransform(topics: topics, from: input, to: output, group: group) { record in
            let mapped = try body(record)
            return [ProducerRecord(topic: output, key: mapped.key, value: mapped.value, headers: record.headers)]
        }
    }

    /// A transform that copies the records for which `keep` is true to `output`.
    public static func filter(topics: Topics, from input: String, to output: String, group: String,
                              _ keep: @escaping @Sendable (ConsumerRecord) throws -> Bool) -> StreamTransform {
        StreamTransform(topics: topics, from: input, to: output, group: group) { record in
            try keep(record) ? [ProducerRecord(topic: output, key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp)] : []
        }
    }

    /// Processes input up to its end as of the call, then returns how many input records were
    /// processed.
    ///
    /// - Throws: ``TopicsError``; errors of the function (nothing of that poll is committed).
    @discardableResult
    public func runUntilCaughtUp() async throws -> Int {
        try await run(follow: false)
    }

    /// Processes input until the task is cancelled or the data directory closes, waiting for
    /// new records; returns how many input records were processed.
    @discardableResult
    public func run() async throws -> Int {
        try await run(follow: true)
    }

    private func run(follow: Bool) async throws -> Int {
        _ = try topics.partitionCount(output)
        let consumer = makeConsumer()
        try consumer.subscribe([input])
        defer { try? consumer.close() }
        var processed = 0
        while !Task.isCancelled && !topics.closed {
            let records = follow ? try await consumer.poll(timeout: .seconds(1)) : try consumer.poll()
            if records.isEmpty {
                if follow { continue } else { break }
            }
            var outputs: [ProducerRecord] = []
            for record in records { outputs += try transform(record) }
            try await withThrowingTaskGroup(of: RecordMetadata.self) { group in
                for output in outputs { group.addTask { try await self.producer.send(output) } }
                try await group.waitForAll()
            }
            // Only now, with every output fsynced, is the input done.
            try consumer.commitSync()
            processed += records.count
        }
        return processed
    }

    func makeConsumer() -> Consumer {
        var config = ConsumerConfig(groupID: group, autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        return topics.makeConsumer(config)
    }
}
