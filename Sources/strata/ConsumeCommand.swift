import ArgumentParser
import Dispatch
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Strata
import StrataTools
import StrataTopics

/// `strata consume`: prints records as text or JSON lines.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print records of a topic.",
        discussion: """
            Without --group it reads every partition (or --partition) from the end, or from where \
            --from-beginning, --offset or --from-timestamp says. With --group it reads the group's share \
            from its committed offsets (new groups start at the end, or the beginning with \
            --from-beginning); --commit commits what was printed. Without --follow it stops at the end \
            the partitions had when it started. Text prints the value (KEY<SEP>VALUE with \
            --key-separator); json prints one object per line: \
            {"topic","partition","offset","timestamp","key","value","headers"}.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "The topic.") var topic: String
    @Option(help: "A consumer group: share partitions, resume from its committed offsets.") var group: String?
    @Option(help: "Read only this partition.") var partition: Int32?
    @Flag(name: .customLong("from-beginning"), help: "Start at the beginning of the log.") var fromBeginning = false
    @Option(help: "Start at this offset (needs --partition).") var offset: Int64?
    @Option(name: .customLong("from-timestamp"), help: "Start at the first record at or after this time (ms since the epoch).") var fromTimestamp: Int64?
    @Option(name: .customLong("max-records"), help: "Stop after this many records.") var maxRecords: Int?
    @Flag(help: "Keep waiting for new records.") var follow = false
    @Option(help: "text or json.") var format: Format = .text
    @Option(name: .customLong("payload-encoding"), help: "How keys and values appear: utf8, base64 or hex.") var payloadEncoding: String = "utf8"
    @Option(name: .customLong("key-separator"), help: "In text, print KEY<SEP>VALUE.") var keySeparator: String?
    @Flag(help: "Commit the offsets of printed records (needs --group).") var commit = false

    func validate() throws {
        if [fromBeginning, offset != nil, fromTimestamp != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give at most one of --from-beginning, --offset and --from-timestamp")
        }
        if offset != nil && partition == nil { throw ValidationError("--offset needs --partition") }
        if commit && group == nil { throw ValidationError("--commit needs --group") }
        if let maxRecords, maxRecords < 1 { throw ValidationError("--max-records must be at least 1") }
        guard PayloadEncoding(rawValue: payloadEncoding) != nil else { throw ValidationError("--payload-encoding must be utf8, base64 or hex") }
    }

    func run() async throws {
        let encoding = PayloadEncoding(rawValue: payloadEncoding)!
        try await failing {
            let topics = try dataDirectory.open()
            defer { try? topics.close() }
            let count = try checkedPartition(partition, of: topic, in: topics)
            var config = ConsumerConfig(groupID: group, autoOffsetReset: fromBeginning ? .earliest : .latest)
            config.enableAutoCommit = commit
            let consumer = topics.makeConsumer(config)
            if group != nil && partition == nil {
                try consumer.subscribe([topic])
            } else {
                try consumer.assign(partition.map { [TopicPartition(topic: topic, partition: $0)] } ?? (0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) })
            }
            let held = consumer.assignment
            if fromBeginning && group == nil { try consumer.seekToBeginning() }
            if let offset, let partition { try consumer.seek(TopicPartition(topic: topic, partition: partition), to: offset) }
            if let fromTimestamp { try consumer.seek(toTimestamp: fromTimestamp) }
            // Where "the current end" is, for a run without --follow.
            var ends: [TopicPartition: Int64] = [:]
            let described = try topics.describe(topic)
            for partition in held { ends[partition] = described.partitions[Int(partition.partition)].highWatermark }
            let progress = ProgressLine("consumed")
            let output = StandardStream.output()
            var printed = 0
            func done() throws -> Bool {
                if let maxRecords, printed >= maxRecords { return true }
                if follow { return false }
                return try consumer.assignment.allSatisfy { try consumer.position($0) >= ends[$0, default: 0] }
            }
            // Ctrl-C (or SIGTERM) with --follow ends the loop; what was printed is then committed.
            let stop = StopSignal()
            while try !done() && !stop.requested {
                let remaining = maxRecords.map { $0 - printed }
                let records = follow ? try await consumer.poll(timeout: .seconds(1), maxRecords: remaining) : try consumer.poll(maxRecords: remaining)
                for record in records {
                    output.line(format == .json ? Self.json(record, encoding) : Self.text(record, encoding, keySeparator))
                }
                if follow || records.count > 0 { output.flush() }
                printed += records.count
                progress.advance(by: records.count)
                if records.isEmpty && !follow { break }
            }
            output.flush()
            progress.finish()
            if commit { try consumer.commitSync() }
            try consumer.close()
        }
    }

    static func text(_ record: ConsumerRecord, _ encoding: PayloadEncoding, _ keySeparator: String?) -> String {
        let value = record.value.map { encoding.encode($0.readableBytesView) } ?? "null"
        guard let keySeparator else { return value }
        return (record.key.map { encoding.encode($0.readableBytesView) } ?? "null") + keySeparator + value
    }

    static func json(_ record: ConsumerRecord, _ encoding: PayloadEncoding) -> String {
        var line = JSONLine()
        line.add("topic", record.topic)
        line.add("partition", record.partition)
        line.add("offset", record.offset)
        line.add("timestamp", record.timestamp)
        line.add("key", record.key.map { encoding.encode($0.readableBytesView) })
        line.add("value", record.value.map { encoding.encode($0.readableBytesView) })
        let headers = record.headers.map { header -> String in
            var object = JSONLine()
            object.add("key", header.key)
            object.add("value", header.value.map { encoding.encode($0.readableBytesView) })
            return object.text
        }
        line.addRaw("headers", "[" + headers.joined(separator: ",") + "]")
        return line.text
    }
}

/// Set by SIGINT or SIGTERM, so that a following consumer stops between polls and commits.
final class StopSignal: @unchecked Sendable {
    private let flag = NIOLockedValueBox(false)
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [flag] in flag.withLockedValue { $0 = true } }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a stop was asked for.
    var requested: Bool { flag.withLockedValue { $0 } }
}
