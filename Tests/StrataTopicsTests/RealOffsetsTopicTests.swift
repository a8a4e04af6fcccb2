import Foundation
import NIOCore
import Strata
import StrataTopics
import Testing

/// Real brokers' `__consumer_offsets` partitions decode with ``OffsetCommitCodec``: the
/// committed-offsets encoding is Kafka's own.
@Suite struct RealOffsetsTopicTests {
    static let kafkaReal = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/testdata/kafka-real")

    static func offsetsPartitions() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: kafkaReal.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent.hasPrefix("__consumer_offsets-") }.sorted()
    }

    @Test(.enabled(if: !offsetsPartitions().isEmpty, "real broker files not found at ../shared/testdata/kafka-real"),
          arguments: offsetsPartitions())
    func realCommitsDecode(partition: String) throws {
        var options = PartitionOpenOptions()
        options.readOnly = true
        let log = try PartitionLog.open(directory: Self.kafkaReal.appendingPathComponent(partition).path, options: options)
        let entries = try log.read(from: log.logStartOffset, maxBytes: .max, isolation: .logEnd).entries
        var commits = 0, groupRecords = 0
        for entry in entries {
            if case .batch(let batch) = entry, batch.header.isControl { continue }
            for record in try entry.records() {
                let key = try #require(record.key, "record at offset \(record.offset) has no key")
                guard let (group, topicPartition) = try OffsetCommitCodec.decodeKey(key) else { groupRecords += 1; continue }
                // The group may be empty: Kafka Connect committed with group "" (spooldir-lz4).
                _ = group
                #expect(!topicPartition.topic.isEmpty && topicPartition.partition >= 0)
                if let value = record.value {
                    let committed = try OffsetCommitCodec.decodeValue(value)
                    #expect(committed.offset >= 0, "\(partition) offset \(record.offset)")
                }
                commits += 1
            }
        }
        #expect(commits + groupRecords > 0)
    }
}
