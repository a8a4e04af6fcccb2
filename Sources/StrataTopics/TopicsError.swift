/// Why a topics, producer or consumer operation was refused.
///
/// Each error carries a ``Code`` (what kind of refusal) and a sentence naming the topic,
/// partition, offset or setting involved, e.g.
/// `unknown topic "orders" in /data (topics here: clicks, payments)`.
public struct TopicsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Code: String, Sendable, Hashable {
        /// The topic does not exist.
        case unknownTopic
        /// The topic already exists.
        case topicExists
        /// The name breaks Kafka's topic naming rules.
        case invalidTopicName
        /// A partition number outside the topic's partitions, or a bad partition count.
        case partitionOutOfRange
        /// A topic configuration key or value was refused.
        case invalidConfig
        /// A record is larger than the producer's `max.request.size` or the topic's `max.message.bytes`.
        case recordTooLarge
        /// The log refused the batch (see the message for the log's reason).
        case appendRefused
        /// The operation needs a consumer group (commit, committed offsets).
        case noGroup
        /// There is no position to read from and `auto.offset.reset` is `none`.
        case noOffset
        /// The producer, consumer or data directory was closed.
        case closed
        /// The consumer does not hold the partition (seek or commit outside its assignment).
        case notAssigned
        /// The operation is refused for an internal topic.
        case internalTopic
        /// The producer's `buffer.memory` stayed full for `max.block.ms` (the log writes
        /// slower than records are sent).
        case bufferFull
    }

    /// The kind of refusal.
    public var code: Code
    /// A sentence naming what was refused and why.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
