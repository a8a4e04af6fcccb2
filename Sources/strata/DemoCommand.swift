import ArgumentParser
import Foundation
import NIOCore
import Strata
import StrataTopics

/// `strata demo`: a guided tour on the data directory, safe to run again.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create topics, produce a stream of page views, consume it, and resume a consumer group from its committed offsets.")

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "How many page views to produce.") var records: Int = 600

    func run() async throws {
        try await failing { try await tour() }
    }

    func tour() async throws {
        let topics = try dataDirectory.open()
        defer { try? topics.close() }
        say("== Data directory \(topics.directory)")

        // 1. Topics.
        if !topics.exists("page-views") {
            try topics.create("page-views", partitions: 3, config: ["segment.bytes": "65536", "retention.ms": "604800000"])
            say("created topic page-views: 3 partitions, 64 KiB segments, 7-day retention")
        } else {
            say("topic page-views exists (a second run): appending to it")
        }
        if !topics.exists("page-views-upper") {
            try topics.create("page-views-upper", partitions: 3, config: ["compression.type": "zstd"])
            say("created topic page-views-upper: 3 partitions, stored zstd-compressed")
        }

        // 2. Produce a realistic stream: keyed by user, so each user's views stay in order in one partition.
        let pages = ["/", "/search?q=boots", "/products/42", "/products/7", "/cart", "/checkout", "/orders/981"]
        let producer = topics.makeProducer(ProducerConfig(acks: .all, lingerMs: 5, compression: .lz4))
        let start = Date()
        let sent = try await withThrowingTaskGroup(of: RecordMetadata.self) { group in
            for index in 0..<records {
                let user = "user-\((index * 7919) % 40)"
                let page = pages[(index * 31 + index / 7) % pages.count]
                let value = #"{"user":"\#(user)","page":"\#(page)","ms":\#(120 + (index * 37) % 900)}"#
                group.addTask {
                    try await producer.send(ProducerRecord(topic: "page-views", key: user, value: value, headers: [("source", "strata-demo")]))
                }
            }
            return try await group.reduce(into: [RecordMetadata]()) { $0.append($1) }
        }
        let elapsed = Date().timeIntervalSince(start)
        let perPartition = Dictionary(grouping: sent, by: \.partition).mapValues(\.count)
        say("produced \(sent.count) page views with acks=all (fsynced, lz4 batches) in \(String(format: "%.2f", elapsed)) s: " +
            perPartition.keys.sorted().map { "partition \($0): \(perPartition[$0]!)" }.joined(separator: ", "))
        say("  the key picks the partition (Kafka's murmur2): every view of user-0 is in partition \(Murmur2.partition(forKey: Array("user-0".utf8), partitionCount: 3))")

        // 3. Consume part of it in a group and commit.
        var config = ConsumerConfig(groupID: "demo-readers", autoOffsetReset: .earliest)
        config.enableAutoCommit = false
        let before = topics.committedOffsets(group: "demo-readers")
        if !before.isEmpty {
            say("group demo-readers has committed offsets from an earlier run: " + describe(before))
        }
        let reader = topics.makeConsumer(config)
        try reader.subscribe(["page-views"])
        let firstRead = try reader.poll(maxRecords: 250)
        try reader.commitSync()
        let committed = topics.committedOffsets(group: "demo-readers")
        say("consumer group demo-readers read \(firstRead.count) records and committed: " + describe(committed))
        if let record = firstRead.first {
            say("  first record: partition \(record.partition) offset \(record.offset) key \(record.keyString ?? "null") value \(record.valueString ?? "null")")
        }
        try reader.close()

        // 4. A new member of the same group resumes exactly at the committed offsets.
        let resumed = topics.makeConsumer(config)
        try resumed.subscribe(["page-views"])
        var rest: [ConsumerRecord] = []
        while case let batch = try resumed.poll(), !batch.isEmpty { rest += batch }
        let firstOffsets = Dictionary(grouping: rest, by: \.partition).mapValues { $0.map(\.offset).min()! }
        say("a new consumer in demo-readers resumed at " + firstOffsets.keys.sorted().map { "partition \($0) offset \(firstOffsets[$0]!)" }.joined(separator: ", ") +
            " and read the remaining \(rest.count) records; none before the commit was delivered again")
        let redelivered = rest.filter { $0.offset < committed[$0.topicPartition]?.offset ?? 0 }.count
        guard redelivered == 0 else { throw TopicsError(.noOffset, "\(redelivered) committed records were delivered again") }
        try resumed.commitSync()
        try resumed.close()

        // 5. A stream transform: upper-case every value into page-views-upper, at least once.
        let transform = StreamTransform(topics: topics, from: "page-views", to: "page-views-upper", group: "demo-upper") { record in
            [ProducerRecord(topic: "page-views-upper", key: record.key, value: record.valueString.map { ByteBuffer(string: $0.uppercased()) }, headers: record.headers)]
        }
        let transformed = try await transform.runUntilCaughtUp()
        say("stream transform page-views → page-views-upper (upper-cased values): \(transformed) records, input offsets committed after the output was fsynced")

        // 6. A keyed aggregate: views per user, its state in a compacted topic (rebuilt on the next run).
        let views = try KeyedAggregate.count(topics: topics, from: "page-views", stateTopic: "views-per-user", group: "demo-counter")
        let rebuilt = views.state.values.reduce(0, +)
        let counts = try await views.runUntilCaughtUp()
        let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        say("keyed aggregate (views per user) in compacted topic views-per-user: started from \(rebuilt) views rebuilt from that topic, now \(counts.values.reduce(0, +)); top: " +
            top.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))

        // 7. What is on disk now.
        for name in ["page-views", "page-views-upper"] {
            let topic = try topics.describe(name)
            say("topic \(name): " + topic.partitions.map { "p\($0.partition) offsets \($0.logStartOffset)–\($0.logEndOffset) (\($0.sizeInBytes) bytes, \($0.segmentCount) segment\($0.segmentCount == 1 ? "" : "s"))" }.joined(separator: "; "))
        }
        say("partition directories are Kafka's: try strata-dump --deep-iteration --print-data-log \(topics.directory)/page-views-0/00000000000000000000.log")
    }

    func describe(_ offsets: [TopicPartition: CommittedOffset]) -> String {
        offsets.keys.sorted().map { "\($0) → \(offsets[$0]!.offset)" }.joined(separator: ", ")
    }

    func say(_ line: String) { print(line) }
}
