import Foundation
import NIOConcurrencyHelpers
import Strata
import StrataSimulation
import StrataTopics

/// One child: opens the directory (recovering it after the last kill), then produces events
/// and keyed state with acks=all and commits a consumer group's offsets until it is killed.
/// Every line it prints is a fact the supervisor will check:
///   ACK E <partition> <offset> <id>          event e-<id> is durable at that offset
///   ACK S <partition> <offset> <key> <seq>   state key's value (or tombstone) seq is durable
///                                            (the seq is also the record's `seq` header)
///   COMMIT <partition> <offset>              the group's committed offset is durable
struct SoakWorker {
    let directory: String
    let firstID: Int
    let seed: UInt64

    func run() throws {
        var options = TopicsOptions()
        options.logger.logLevel = .warning
        options.storage.logger.logLevel = .warning
        var schedule = MaintenanceSchedule()
        schedule.retentionCheckIntervalMs = 200
        schedule.checkpointIntervalMs = 500
        schedule.deletionCheckIntervalMs = 200
        options.maintenance = schedule
        var cleaning = BackgroundCleaningOptions()
        cleaning.backoffMs = 200
        options.cleaning = cleaning
        let topics = try Topics.open(directory: directory, options: options)
        if !topics.exists(SoakTopics.events) { try topics.create(SoakTopics.events, partitions: SoakTopics.eventPartitions, config: SoakTopics.eventsConfig) }
        if !topics.exists(SoakTopics.state) { try topics.create(SoakTopics.state, partitions: SoakTopics.statePartitions, config: SoakTopics.stateConfig) }
        let output = NIOLock()
        @Sendable func emit(_ line: String) { output.withLock { FileHandle.standardOutput.write(Data((line + "\n").utf8)) } }
        emit("STARTED")
        let producer = topics.makeProducer(ProducerConfig(acks: .all, lingerMs: 2))
        var consumerConfig = ConsumerConfig(groupID: SoakTopics.group, autoOffsetReset: .earliest)
        consumerConfig.enableAutoCommit = false
        let consumer = topics.makeConsumer(consumerConfig)
        try consumer.subscribe([SoakTopics.events])
        var random = SeededGenerator(seed: seed)
        var id = firstID
        while true {
            for _ in 0..<Int.random(in: 5...40, using: &random) {
                id += 1
                let eventID = id
                producer.send(ProducerRecord(topic: SoakTopics.events, key: "user-\(eventID % 97)", value: "e-\(eventID)" + String(repeating: ".", count: Int.random(in: 0...300, using: &random)))) { result in
                    if case .success(let sent) = result { emit("ACK E \(sent.partition) \(sent.offset) \(eventID)") }
                }
                if eventID % 3 == 0 {
                    let key = "k-\(Int.random(in: 0..<40, using: &random))"
                    let tombstone = Int.random(in: 0..<10, using: &random) == 0
                    producer.send(ProducerRecord(topic: SoakTopics.state, key: key, value: tombstone ? nil : "s-\(eventID)", headers: [("seq", "\(eventID)")])) { result in
                        if case .success(let sent) = result { emit("ACK S \(sent.partition) \(sent.offset) \(key) \(eventID)") }
                    }
                }
            }
            producer.flush()
            _ = try consumer.poll(maxRecords: Int.random(in: 1...60, using: &random))
            try consumer.commitSync()
            for partition in consumer.assignment {
                if let committed = try consumer.committed(partition) { emit("COMMIT \(partition.partition) \(committed.offset)") }
            }
        }
    }
}
