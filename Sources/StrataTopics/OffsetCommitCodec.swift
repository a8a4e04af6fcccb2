import NIOCore
import Strata

/// An offset a consumer group committed for one partition.
public struct CommittedOffset: Sendable, Hashable {
    /// The next offset the group will read (one past the last record processed).
    public var offset: Int64
    /// Free text the committer attached.
    public var metadata: String
    /// When the commit was made (ms since the epoch).
    public var commitTimestamp: Int64

    /// Creates a committed offset.
    public init(offset: Int64, metadata: String = "", commitTimestamp: Int64) {
        self.offset = offset
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
    }
}

/// The record encoding of the committed-offsets topic: Kafka's own `__consumer_offsets`
/// schemas, so Kafka's tools can decode it.
///
/// Key (`OffsetCommitKey`, version 1), all big-endian:
///
/// | field | type |
/// | --- | --- |
/// | version | int16 = 1 |
/// | group | int16 length + UTF-8 |
/// | topic | int16 length + UTF-8 |
/// | partition | int32 |
///
/// Value (`OffsetCommitValue`, version 3); a null value (tombstone) deletes the commit:
///
/// | field | type |
/// | --- | --- |
/// | version | int16 = 3 |
/// | offset | int64 |
/// | leaderEpoch | int32 (-1: unknown) |
/// | metadata | int16 length + UTF-8 |
/// | commitTimestamp | int64 |
///
/// Reading also accepts value versions 1 (with an expire timestamp after the commit
/// timestamp) and 0 (no timestamps); keys of versions 0 and 1 are both commits, version 2
/// keys are group metadata and are skipped.
public enum OffsetCommitCodec {
    /// The key of a commit.
    public static func key(group: String, topicPartition: TopicPartition) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(1))
        writeString(group, to: &buffer)
        writeString(topicPartition.topic, to: &buffer)
        buffer.writeInteger(topicPartition.partition)
        return buffer
    }

    /// The value of a commit.
    public static func value(_ committed: CommittedOffset) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int16(3))
        buffer.writeInteger(committed.offset)
        buffer.writeInteger(Int32(-1))
        writeString(committed.metadata, to: &buffer)
        buffer.writeInteger(committed.commitTimestamp)
        return buffer
    }

    /// Decodes a key; nil for a key that is not an offset commit (group metadata).
    ///
    /// - Throws: ``DecodingError`` naming the field that is cut short.
    public static func decodeKey(_ bytes: ByteBuffer) throws(DecodingError) -> (group: String, topicPartition: TopicPartition)? {
        var buffer = bytes
        guard let version: Int16 = buffer.readInteger() else { throw DecodingError("key shorter than its version field") }
        guard version == 0 || version == 1 else { return nil }
        let group = try readString(&buffer, field: "group")
        let topic = try readString(&buffer, field: "topic")
        guard let partition: Int32 = buffer.readInteger() else { throw DecodingError("key ends before its partition field") }
        return (group, TopicPartition(topic: topic, partition: partition))
    }

    /// Decodes a value.
    ///
    /// - Throws: ``DecodingError`` naming the field that is cut short, or an unknown version.
    public static func decodeValue(_ bytes: ByteBuffer) throws(DecodingError) -> CommittedOffset {
        var buffer = bytes
        guard let version: Int16 = buffer.readInteger(), let offset: Int64 = buffer.readInteger() else {
            throw DecodingError("value shorter than its version and offset fields")
        }
        switch version {
        case 0, 1, 3:
            if version == 3, buffer.readInteger(as: Int32.self) == nil { throw DecodingError("value ends before its leader epoch") }
            let metadata = try readString(&buffer, field: "metadata")
            let timestamp: Int64 = version == 0 ? -1 : (buffer.readInteger() ?? -2)
            guard timestamp != -2 else { throw DecodingError("value ends before its commit timestamp") }
            return CommittedOffset(offset: offset, metadata: metadata, commitTimestamp: timestamp)
        default:
            throw DecodingError("value version \(version) is not an offset commit version this reader knows (0, 1, 3)")
        }
    }

    /// A malformed key or value in the committed-offsets topic.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    static func writeString(_ text: String, to buffer: inout ByteBuffer) {
        let utf8 = Array(text.utf8.prefix(Int(Int16.max)))
        buffer.writeInteger(Int16(utf8.count))
        buffer.writeBytes(utf8)
    }

    static func readString(_ buffer: inout ByteBuffer, field: String) throws(DecodingError) -> String {
        guard let length: Int16 = buffer.readInteger() else { throw DecodingError("ends before the length of \(field)") }
        guard length >= 0 else { return "" }
        guard let text = buffer.readString(length: Int(length)) else {
            throw DecodingError("\(field) declares \(length) bytes but only \(buffer.readableBytes) remain")
        }
        return text
    }
}
