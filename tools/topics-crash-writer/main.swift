// strata-topics-crash-writer DIR: produces with acks=all and commits consumer offsets until
// it is killed, printing each acknowledgement and each commit only after it returned:
//   ACK <id> <partition> <offset>
//   COMMIT <partition> <offset>
// The SIGKILL test in StrataTopicsTests kills it at a random moment and then checks that
// every printed ACK is in the log and that no committed record is delivered again.
import Foundation
import Strata
import StrataTopics

@main
struct TopicsCrashWriter {
    static func main() async throws {
        guard CommandLine.arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: strata-topics-crash-writer DIR\n".utf8))
            exit(64)
        }
        let topics = try Topics.open(directory: CommandLine.arguments[1])
        if !topics.exists("crash") { try topics.create("crash", partitions: 3) }
        let producer = topics.makeProducer(ProducerConfig(acks: .all))
        var config = ConsumerConfig(groupID: "crash-group", autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        let consumer = topics.makeConsumer(config)
        try consumer.subscribe(["crash"])
        var id = 0
        while true {
            let sent = try await producer.send(ProducerRecord(topic: "crash", key: "key-\(id % 11)", value: "id-\(id)"))
            emit("ACK \(id) \(sent.partition) \(sent.offset)")
            id += 1
            if id % 5 == 0 {
                _ = try consumer.poll(maxRecords: 7)
                try consumer.commitSync()
                for partition in consumer.assignment {
                    if let committed = try consumer.committed(partition) { emit("COMMIT \(partition.partition) \(committed.offset)") }
                }
            }
        }
    }

    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
