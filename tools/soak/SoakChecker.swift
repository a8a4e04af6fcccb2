import Strata
import StrataTopics

/// Opens the data directory after a kill (recovering it) and checks it against the ledger:
/// every acknowledged event still in the retained range is at its offset exactly once and no
/// event appears twice; every state key shows its last acknowledged seq or a later one
/// (compaction keeps the latest); every acknowledged commit is durable; offsets only grow.
struct SoakChecker {
    let directory: String

    /// The problems found (empty: the invariants hold), and how many records the compacted
    /// state topic holds.
    func check(_ ledger: SoakLedger) throws -> (problems: [String], stateRecords: Int) {
        var options = TopicsOptions()
        options.maintenance = nil
        options.cleaning = nil
        options.logger.logLevel = .warning
        options.storage.logger.logLevel = .warning
        let topics = try Topics.open(directory: directory, options: options)
        defer { try? topics.close() }
        var problems: [String] = []

        let events = try readAll(topics, SoakTopics.events, partitions: SoakTopics.eventPartitions)
        problems += events.problems
        var seen: [Int: SoakLedger.Position] = [:]
        for record in events.records {
            guard let value = record.valueString, value.hasPrefix("e-"), let id = Int(value.dropFirst(2).prefix { $0.isNumber }) else {
                problems.append("events-\(record.partition) offset \(record.offset): a value no worker wrote (\(record.valueString ?? "null"))")
                continue
            }
            if let earlier = seen[id] { problems.append("event \(id) appears twice: \(earlier) and \(record.partition)@\(record.offset)") }
            seen[id] = SoakLedger.Position(partition: record.partition, offset: record.offset)
        }
        for (id, position) in ledger.events where position.offset >= events.startOffsets[position.partition, default: 0] {
            if seen[id] != position {
                problems.append("acknowledged event \(id) at events-\(position.partition)@\(position.offset) is \(seen[id].map { "at \($0.partition)@\($0.offset)" } ?? "missing") (log start \(events.startOffsets[position.partition, default: 0]))")
            }
        }

        let state = try readAll(topics, SoakTopics.state, partitions: SoakTopics.statePartitions)
        problems += state.problems
        var latest: [String: Int] = [:]
        for record in state.records {
            guard let key = record.keyString, let header = record.headers.first(where: { $0.key == "seq" }),
                  let seq = header.value.flatMap({ Int(String(buffer: $0)) }) else {
                problems.append("state-\(record.partition) offset \(record.offset): a record without key or seq header")
                continue
            }
            latest[key] = max(latest[key] ?? -1, seq)
        }
        for (key, acked) in ledger.state where (latest[key] ?? -1) < acked.seq {
            problems.append("state key \(key): acknowledged seq \(acked.seq) at \(acked.at.partition)@\(acked.at.offset), the log's latest is \(latest[key].map(String.init) ?? "none")")
        }

        let committed = topics.committedOffsets(group: SoakTopics.group)
        for (partition, offset) in ledger.commits {
            let durable = committed[TopicPartition(topic: SoakTopics.events, partition: partition)]?.offset ?? -1
            if durable < offset { problems.append("group commit for events-\(partition): \(offset) was acknowledged, \(durable) is stored") }
            if durable > events.endOffsets[partition, default: 0] { problems.append("group commit for events-\(partition) is \(durable), past the log end \(events.endOffsets[partition, default: 0])") }
        }
        return (problems, state.records.count)
    }

    struct Contents {
        var records: [ConsumerRecord] = []
        var startOffsets: [Int32: Int64] = [:]
        var endOffsets: [Int32: Int64] = [:]
        /// Offsets that did not grow.
        var problems: [String] = []
    }

    /// Every record of a topic, read from the log start to the end, offsets checked to grow.
    private func readAll(_ topics: Topics, _ topic: String, partitions: Int) throws -> Contents {
        var contents = Contents()
        let description = try topics.describe(topic)
        var config = ConsumerConfig()
        config.maxPollRecords = 10_000
        let consumer = topics.makeConsumer(config)
        defer { try? consumer.close() }
        let assigned = (0..<partitions).map { TopicPartition(topic: topic, partition: Int32($0)) }
        try consumer.assign(assigned)
        try consumer.seekToBeginning()
        for partition in description.partitions {
            contents.startOffsets[partition.partition] = partition.logStartOffset
            contents.endOffsets[partition.partition] = partition.logEndOffset
        }
        var last: [Int32: Int64] = [:]
        while try assigned.contains(where: { try consumer.position($0) < contents.endOffsets[$0.partition, default: 0] }) {
            let batch = try consumer.poll()
            if batch.isEmpty { break }
            for record in batch {
                if record.offset <= last[record.partition, default: -1] {
                    contents.problems.append("\(topic)-\(record.partition): offset \(record.offset) after \(last[record.partition, default: -1])")
                }
                last[record.partition] = record.offset
            }
            contents.records += batch
        }
        return contents
    }
}
