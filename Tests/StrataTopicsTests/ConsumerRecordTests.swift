import NIOCore
import Strata
import StrataTopics
import Testing

/// Consumer records share their batch's bytes; they still behave as plain values.
@Suite struct ConsumerRecordTests {
    @Test func fetchedRecordsEqualRecordsMadeFromTheirParts() throws {
        try withTopics { topics, _ in
            try topics.create("values", partitions: 1, config: ["compression.type": "lz4"])
            let producer = topics.makeProducer(ProducerConfig(acks: .leader, compression: .lz4))
            let sent = [("k1", "first"), ("", ""), ("k3", "third")]
            for (key, value) in sent {
                try producer.sendSync(ProducerRecord(topic: "values", partition: 0, key: key, value: value, headers: [("h", key)], timestamp: 1_700_000_000_000))
            }
            try producer.sendSync(ProducerRecord(topic: "values", partition: 0, key: nil as ByteBuffer?, value: nil, timestamp: 1_700_000_000_001))
            let read = try readAll(topics, "values")
            #expect(read.count == 4)
            for (index, (key, value)) in sent.enumerated() {
                let made = ConsumerRecord(topic: "values", partition: 0, offset: Int64(index), timestamp: 1_700_000_000_000,
                                          key: ByteBuffer(string: key), value: ByteBuffer(string: value),
                                          headers: [RecordHeader(key: "h", value: ByteBuffer(string: key))])
                #expect(read[index] == made)
                #expect(read[index].hashValue == made.hashValue)
                #expect(read[index].keySize == key.utf8.count && read[index].valueSize == value.utf8.count)
            }
            #expect(read[3].key == nil && read[3].value == nil && read[3].keySize == -1 && read[3].valueSize == -1)
            #expect(read[0] != read[2])
        }
    }

    @Test func keysAndValuesCanBeReplacedWithoutTouchingTheOtherRecords() throws {
        try withTopics { topics, _ in
            try topics.create("edit", partitions: 1)
            let producer = topics.makeProducer(ProducerConfig(acks: .leader, lingerMs: 50))
            for index in 0..<3 { producer.send(ProducerRecord(topic: "edit", partition: 0, key: "k\(index)", value: "v\(index)")) { _ in } }
            producer.flush()
            var read = try readAll(topics, "edit")
            read[1].value = ByteBuffer(string: "changed")
            read[1].key = nil
            #expect(read[1].valueString == "changed" && read[1].key == nil && read[1].keySize == -1)
            #expect(read[0].keyString == "k0" && read[0].valueString == "v0")
            #expect(read[2].keyString == "k2" && read[2].valueString == "v2")
        }
    }
}
