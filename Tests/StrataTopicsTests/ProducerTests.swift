import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Strata
import StrataTopics
import Testing

/// Sending records: partition choice, batching, compression, acks, idempotence, limits.
@Suite struct ProducerTests {
    @Test func keyedRecordsGoWhereKafkasPartitionerPutsThem() throws {
        try withTopics { topics, _ in
            try topics.create("keyed", partitions: 7)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            var sent: [String: RecordMetadata] = [:]
            for index in 0..<60 {
                let key = "customer-\(index)"
                sent[key] = try producer.sendSync(ProducerRecord(topic: "keyed", key: key, value: "v\(index)"))
                #expect(Int(sent[key]!.partition) == Murmur2.partition(forKey: Array(key.utf8), partitionCount: 7))
            }
            let read = try readAll(topics, "keyed")
            #expect(read.count == 60)
            for record in read {
                let metadata = try #require(sent[record.keyString!])
                #expect(record.partition == metadata.partition && record.offset == metadata.offset)
            }
        }
    }

    @Test func anExplicitPartitionIsUsedAndCheckedAgainstTheTopic() throws {
        try withTopics { topics, _ in
            try topics.create("explicit", partitions: 3)
            let producer = topics.makeProducer()
            let metadata = try producer.sendSync(ProducerRecord(topic: "explicit", partition: 2, key: "k", value: "v"))
            #expect(metadata.partition == 2 && metadata.offset == 0)
            let outOfRange = #expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "explicit", partition: 3, key: nil, value: "v")) }
            #expect(outOfRange?.code == .partitionOutOfRange)
            #expect(outOfRange?.message.contains("0 to 2") == true)
            #expect((#expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "explicit", partition: -1, key: nil, value: "v")) })?.code == .partitionOutOfRange)
            #expect((#expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "nope", key: nil, value: "v")) })?.code == .unknownTopic)
        }
    }

    @Test func nullKeysStickToOnePartitionForABatch() throws {
        try withTopics { topics, directory in
            try topics.create("sticky", partitions: 4)
            var config = ProducerConfig(acks: .leader, lingerMs: 10_000)
            config.batchSize = 1 << 20
            let producer = topics.makeProducer(config)
            let results = NIOLockedValueBox([RecordMetadata]())
            for index in 0..<20 {
                producer.send(ProducerRecord(topic: "sticky", key: nil, value: "v\(index)")) { result in
                    if case .success(let metadata) = result { results.withLockedValue { $0.append(metadata) } }
                }
            }
            producer.flush()
            let sent = results.withLockedValue { $0 }
            let partitions = Set(sent.map(\.partition))
            #expect(partitions.count == 1)
            #expect(sent.map(\.offset) == Array(0..<20))
            // One batch on disk; the next batch may go elsewhere (a new sticky partition).
            let entries = try storedEntries(directory.path, TopicPartition(topic: "sticky", partition: partitions.first!))
            #expect(entries.count == 1)
        }
    }

    @Test func batchSizeSplitsBatchesAndTheProducerCompresses() throws {
        try withTopics { topics, directory in
            try topics.create("batched", partitions: 1)
            var config = ProducerConfig(acks: .leader, lingerMs: 10_000, compression: .zstd)
            config.batchSize = 2_000
            let producer = topics.makeProducer(config)
            let done = DispatchGroup()
            for index in 0..<100 {
                done.enter()
                producer.send(ProducerRecord(topic: "batched", key: "k\(index)", value: String(repeating: "payload ", count: 10))) { _ in done.leave() }
            }
            producer.flush()
            done.wait()
            let entries = try storedEntries(directory.path, TopicPartition(topic: "batched", partition: 0))
            #expect(entries.count > 1)
            #expect(entries.allSatisfy { $0.compressionCodecID == CompressionCodec.zstd.rawValue })
            let read = try readAll(topics, "batched")
            #expect(read.map(\.keyString) == (0..<100).map { "k\($0)" })
        }
    }

    @Test func acksAllIsDurableBeforeTheSendReturnsAndAcksOneIsNot() throws {
        try withTopics { topics, _ in
            try topics.create("durable", partitions: 1)
            let all = topics.makeProducer(ProducerConfig(acks: .all))
            let first = try all.sendSync(ProducerRecord(topic: "durable", key: "a", value: "1"))
            #expect(try topics.describe("durable").partitions[0].durableOffset == first.offset + 1)
            let one = topics.makeProducer(ProducerConfig(acks: .leader))
            let second = try one.sendSync(ProducerRecord(topic: "durable", key: "b", value: "2"))
            let partition = try topics.describe("durable").partitions[0]
            #expect(partition.logEndOffset == second.offset + 1)
            #expect(partition.durableOffset == first.offset + 1)
        }
    }

    @Test func acksZeroReturnsAtOnceWithoutAnOffset() throws {
        try withTopics { topics, _ in
            try topics.create("fire", partitions: 1)
            let producer = topics.makeProducer(ProducerConfig(acks: .none, lingerMs: 10_000))
            let metadata = try producer.sendSync(ProducerRecord(topic: "fire", key: "k", value: "v", timestamp: 1_700_000_000_000))
            #expect(metadata.offset == -1)
            #expect(metadata.timestamp == 1_700_000_000_000)
            #expect(try topics.describe("fire").partitions[0].logEndOffset == 0)
            producer.flush()
            #expect(try readAll(topics, "fire").map(\.timestamp) == [1_700_000_000_000])
        }
    }

    @Test func headersKeysTimestampsAndNullsRoundTrip() throws {
        try withTopics { topics, _ in
            try topics.create("shapes", partitions: 1)
            let producer = topics.makeProducer()
            try producer.sendSync(ProducerRecord(topic: "shapes", key: "k", value: "v", headers: [("trace", "abc"), ("trace", "def")], timestamp: 42))
            try producer.sendSync(ProducerRecord(topic: "shapes", partition: 0, key: nil as ByteBuffer?, value: nil))
            let read = try readAll(topics, "shapes")
            #expect(read.count == 2)
            #expect(read[0].headers.map(\.key) == ["trace", "trace"])
            #expect(read[0].headers.map { String(buffer: $0.value!) } == ["abc", "def"])
            #expect(read[0].timestamp == 42)
            #expect(read[1].key == nil && read[1].value == nil)
        }
    }

    @Test func oversizeRecordsAreRefusedBeforeAnythingIsWritten() throws {
        try withTopics { topics, _ in
            try topics.create("small", partitions: 1, config: ["max.message.bytes": "1000"])
            let producer = topics.makeProducer()
            let tooBig = ProducerRecord(topic: "small", key: nil, value: String(repeating: "x", count: 2_000))
            let error = #expect(throws: TopicsError.self) { try producer.sendSync(tooBig) }
            #expect(error?.code == .recordTooLarge)
            #expect(error?.message.contains("max.message.bytes 1000") == true)
            var config = ProducerConfig()
            config.maxRequestSize = 100
            let limited = topics.makeProducer(config)
            #expect((#expect(throws: TopicsError.self) { try limited.sendSync(ProducerRecord(topic: "small", key: nil, value: String(repeating: "y", count: 200))) })?.message.contains("max.request.size") == true)
            #expect(try topics.describe("small").partitions[0].logEndOffset == 0)
        }
    }

    @Test func aProducerFollowsTopicChangesMadeAfterItsFirstSend() throws {
        try withTopics { topics, _ in
            try topics.create("changing", partitions: 1)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader))
            try producer.sendSync(ProducerRecord(topic: "changing", partition: 0, key: nil, value: "first"))
            // Its cached logs are refreshed when the topics change: new partitions take records…
            #expect((#expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "changing", partition: 2, key: nil, value: "early")) })?.code == .partitionOutOfRange)
            try topics.addPartitions("changing", totalCount: 3)
            #expect(try producer.sendSync(ProducerRecord(topic: "changing", partition: 2, key: nil, value: "grown")).partition == 2)
            // …a deleted topic is refused, and a topic made again under its name is written afresh.
            try topics.delete("changing")
            #expect((#expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "changing", partition: 0, key: nil, value: "gone")) })?.code == .unknownTopic)
            try topics.create("changing", partitions: 1)
            #expect(try producer.sendSync(ProducerRecord(topic: "changing", partition: 0, key: nil, value: "again")).offset == 0)
            #expect(try readAll(topics, "changing").map(\.valueString) == ["again"])
            try topics.close()
            #expect((#expect(throws: TopicsError.self) { try producer.sendSync(ProducerRecord(topic: "changing", partition: 0, key: nil, value: "closed")) })?.code == .closed)
        }
    }

    @Test func aRetryAfterAFailedFsyncNeverDuplicatesTheBatch() throws {
        let fileSystem = FailingSyncFileSystem()
        var options = TopicsOptions()
        options.storage.fileSystem = fileSystem
        try withTopics(options: options) { topics, directory in
            try topics.create("retry", partitions: 1)
            var config = ProducerConfig(acks: .all)
            config.retryBackoffMs = 1
            let producer = topics.makeProducer(config)
            try producer.sendSync(ProducerRecord(topic: "retry", key: "a", value: "1"))
            // The next batch reaches the file, then its fsync fails: the producer retries the
            // same bytes; the log recognises them and answers with the original offset.
            fileSystem.failuresLeft.withLockedValue { $0 = 1 }
            let retried = try producer.sendSync(ProducerRecord(topic: "retry", key: "b", value: "2"))
            #expect(retried.offset == 1)
            #expect(try topics.describe("retry").partitions[0].durableOffset == 2)
            try producer.sendSync(ProducerRecord(topic: "retry", key: "c", value: "3"))
            #expect(try readAll(topics, "retry").map(\.keyString) == ["a", "b", "c"])
            let entries = try storedEntries(directory.path, TopicPartition(topic: "retry", partition: 0))
            guard case .batch(let batch) = entries[1] else { Issue.record("expected a v2 batch"); return }
            #expect(batch.header.producerId == producer.producerId && batch.header.baseSequence == 1)
        }
    }

    @Test func aFullDiskFailsTheSendWithItsReasonAndWritesNothing() throws {
        let fileSystem = FailingSyncFileSystem()
        var options = TopicsOptions()
        options.storage.fileSystem = fileSystem
        try withTopics(options: options) { topics, _ in
            try topics.create("full", partitions: 1)
            var config = ProducerConfig(acks: .all)
            config.retries = 1
            config.retryBackoffMs = 1
            let producer = topics.makeProducer(config)
            try producer.sendSync(ProducerRecord(topic: "full", key: "a", value: "1"))
            fileSystem.diskFull.withLockedValue { $0 = true }
            let error = #expect(throws: StrataIOError.self) { try producer.sendSync(ProducerRecord(topic: "full", key: "b", value: "2")) }
            #expect(error?.description.contains("No space left on device") == true)
            #expect(error?.description.contains("full-0/00000000000000000000.log") == true)
            #expect(try topics.describe("full").partitions[0].logEndOffset == 1)
            // Space again: the producer goes on (in a new epoch) and nothing half-written shows.
            fileSystem.diskFull.withLockedValue { $0 = false }
            try producer.sendSync(ProducerRecord(topic: "full", key: "c", value: "3"))
            #expect(producer.epoch == 1)
            #expect(try readAll(topics, "full").map(\.keyString) == ["a", "c"])
        }
    }

    @Test func topicSettingsApplyToProducedRecords() throws {
        try withTopics { topics, directory in
            try topics.create("stamped", partitions: 1, config: ["message.timestamp.type": "LogAppendTime", "compression.type": "zstd"])
            let before = systemMilliseconds()
            let sent = try topics.makeProducer().sendSync(ProducerRecord(topic: "stamped", key: "k", value: "v", timestamp: 42))
            #expect(sent.timestamp >= before)
            #expect(try readAll(topics, "stamped").map(\.timestamp) == [sent.timestamp])
            // The producer sent it uncompressed; the topic stores zstd, as a broker recompresses.
            #expect(try storedEntries(directory.path, TopicPartition(topic: "stamped", partition: 0)).map(\.compressionCodecID) == [CompressionCodec.zstd.rawValue])

            try topics.create("compacted", partitions: 1, config: ["cleanup.policy": "compact"])
            let refused = #expect(throws: TopicsError.self) { try topics.makeProducer().sendSync(ProducerRecord(topic: "compacted", key: nil, value: "no key")) }
            #expect(refused?.code == .appendRefused)
            #expect(refused?.message.contains("compacted-0") == true)
        }
    }

    @Test func idempotenceCanBeTurnedOff() throws {
        try withTopics { topics, directory in
            try topics.create("plain", partitions: 1)
            var config = ProducerConfig()
            config.idempotent = false
            let producer = topics.makeProducer(config)
            try producer.sendSync(ProducerRecord(topic: "plain", key: "k", value: "v"))
            guard case .batch(let batch) = try storedEntries(directory.path, TopicPartition(topic: "plain", partition: 0))[0] else { return }
            #expect(batch.header.producerId == -1)
            #expect(producer.producerId == -1)
        }
    }

    @Test func producerIdsAreNeverReusedAfterAReopen() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var first: Int64 = 0
        do {
            let topics = try Topics.open(directory: directory.path)
            try topics.create("ids", partitions: 1)
            let producer = topics.makeProducer()
            try producer.sendSync(ProducerRecord(topic: "ids", key: "k", value: "v"))
            first = producer.producerId
            try topics.close()
        }
        let topics = try Topics.open(directory: directory.path)
        defer { try? topics.close() }
        let producer = topics.makeProducer()
        #expect(producer.producerId > first)
        try producer.sendSync(ProducerRecord(topic: "ids", key: "k", value: "again"))
        #expect(try readAll(topics, "ids").count == 2)
    }
}
