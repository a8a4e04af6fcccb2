import NIOCore
import Strata
import StrataTopics
import Testing

/// The committed-offsets records are Kafka's `__consumer_offsets` schemas, byte for byte.
@Suite struct OffsetCommitCodecTests {
    static func hex(_ buffer: ByteBuffer) -> String { buffer.readableBytesView.map { String(format: "%02x", $0) }.joined() }

    @Test func keysAndValuesAreKafkasOffsetCommitSchemas() throws {
        let key = OffsetCommitCodec.key(group: "g1", topicPartition: TopicPartition(topic: "t", partition: 2))
        // version 1, "g1", "t", partition 2
        #expect(Self.hex(key) == "0001" + "0002" + "6731" + "0001" + "74" + "00000002")
        let value = OffsetCommitCodec.value(CommittedOffset(offset: 42, metadata: "", commitTimestamp: 1_700_000_000_000))
        // version 3, offset 42, leader epoch -1, empty metadata, commit timestamp
        #expect(Self.hex(value) == "0003" + "000000000000002a" + "ffffffff" + "0000" + "0000018bcfe56800")
        let decodedKey = try #require(try OffsetCommitCodec.decodeKey(key))
        #expect(decodedKey.group == "g1" && decodedKey.topicPartition == TopicPartition(topic: "t", partition: 2))
        #expect(try OffsetCommitCodec.decodeValue(value) == CommittedOffset(offset: 42, metadata: "", commitTimestamp: 1_700_000_000_000))
    }

    @Test func versionOneValuesAndGroupMetadataKeysAreUnderstood() throws {
        var v1 = ByteBuffer()
        v1.writeInteger(Int16(1)); v1.writeInteger(Int64(7)); v1.writeInteger(Int16(2)); v1.writeString("md")
        v1.writeInteger(Int64(100)); v1.writeInteger(Int64(200))
        #expect(try OffsetCommitCodec.decodeValue(v1) == CommittedOffset(offset: 7, metadata: "md", commitTimestamp: 100))
        var groupKey = ByteBuffer()
        groupKey.writeInteger(Int16(2)); groupKey.writeInteger(Int16(1)); groupKey.writeString("g")
        #expect(try OffsetCommitCodec.decodeKey(groupKey) == nil)
    }

    @Test func truncatedRecordsAreDescribed() {
        var short = OffsetCommitCodec.key(group: "group", topicPartition: TopicPartition(topic: "topic", partition: 0))
        short.moveWriterIndex(to: short.writerIndex - 2)
        let keyError = #expect(throws: OffsetCommitCodec.DecodingError.self) { try OffsetCommitCodec.decodeKey(short) }
        #expect(keyError?.message.contains("partition") == true)
        var unknown = ByteBuffer()
        unknown.writeInteger(Int16(9)); unknown.writeInteger(Int64(1))
        #expect((#expect(throws: OffsetCommitCodec.DecodingError.self) { try OffsetCommitCodec.decodeValue(unknown) })?.message.contains("version 9") == true)
    }
}
