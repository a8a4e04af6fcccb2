import Foundation
import Strata
import StrataSimulation
import StrataTopics
import Testing

/// Random produce, poll, seek, commit and restart operations against an in-memory model of
/// the partitions, the consumer's positions and the group's committed offsets.
@Suite struct ConsumerModelTests {
    struct Model {
        var partitions: [[String]]
        var positions: [Int: Int64] = [:]
        var committed: [Int: Int64] = [:]
    }

    @Test func consumerMatchesTheModel() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededGenerator(seed: seed)
        let directory = TemporaryDirectory("model")
        defer { directory.remove() }
        let partitionCount = 3
        var model = Model(partitions: Array(repeating: [], count: partitionCount))
        var config = ConsumerConfig(groupID: "model", autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        var topics = try Topics.open(directory: directory.path)
        try topics.create("model", partitions: partitionCount)
        var producer = topics.makeProducer(ProducerConfig(acks: .leader))
        var consumer = topics.makeConsumer(config)
        try consumer.subscribe(["model"])
        var sequence = 0
        for step in 0..<150 {
            switch random.next() % 10 {
            case 0, 1, 2:
                let partition = Int(random.next() % UInt64(partitionCount))
                for _ in 0..<Int(random.next() % 6 + 1) {
                    let value = "r\(sequence)"
                    sequence += 1
                    let sent = try producer.sendSync(ProducerRecord(topic: "model", partition: Int32(partition), key: nil, value: value))
                    #expect(sent.offset == Int64(model.partitions[partition].count), "seed \(seed) step \(step)")
                    model.partitions[partition].append(value)
                }
            case 3, 4, 5:
                let limit = Int(random.next() % 8 + 1)
                let records = try consumer.poll(maxRecords: limit)
                #expect(records.count <= limit)
                for record in records {
                    let partition = Int(record.partition)
                    let expected = model.positions[partition] ?? model.committed[partition] ?? 0
                    #expect(record.offset == expected, "seed \(seed) step \(step): partition \(partition)")
                    #expect(record.valueString == model.partitions[partition][Int(record.offset)], "seed \(seed) step \(step)")
                    model.positions[partition] = record.offset + 1
                }
                if records.isEmpty {
                    // Nothing returned only when every partition is read to its end.
                    for partition in 0..<partitionCount {
                        let position = model.positions[partition] ?? model.committed[partition] ?? 0
                        #expect(position == Int64(model.partitions[partition].count), "seed \(seed) step \(step): partition \(partition) has unread records")
                        model.positions[partition] = position
                    }
                }
            case 6:
                let partition = Int(random.next() % UInt64(partitionCount))
                let offset = Int64(random.next() % UInt64(model.partitions[partition].count + 1))
                try consumer.seek(TopicPartition(topic: "model", partition: Int32(partition)), to: offset)
                model.positions[partition] = offset
            case 7, 8:
                try consumer.commitSync()
                for (partition, position) in model.positions { model.committed[partition] = position }
            default:
                // Restart: uncommitted positions are forgotten, commits are not.
                try consumer.close()
                try topics.close()
                topics = try Topics.open(directory: directory.path)
                producer = topics.makeProducer(ProducerConfig(acks: .leader))
                consumer = topics.makeConsumer(config)
                try consumer.subscribe(["model"])
                model.positions = [:]
            }
        }
        for partition in 0..<partitionCount {
            #expect(topics.committedOffsets(group: "model")[TopicPartition(topic: "model", partition: Int32(partition))]?.offset == model.committed[partition],
                    "seed \(seed)")
        }
        try consumer.close()
        try topics.close()
    }
}
