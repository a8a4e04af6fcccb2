import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Strata
import StrataTopics

/// `strata produce`: one record per line of standard input.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send each line of standard input as a record.",
        discussion: """
            With --key-separator, the text before the first separator is the key and the rest the \
            value; a line without the separator has no key. With --print-offsets, "PARTITION OFFSET" \
            is printed for each line, in input order, as soon as it is acknowledged (offset -1 with --acks 0).
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @Option(help: "The topic.") var topic: String
    @Option(help: "Send every record to this partition (default: murmur2 of the key, sticky for no key).") var partition: Int32?
    @Option(name: .customLong("key-separator"), help: "Split each line into key and value at the first SEP.") var keySeparator: String?
    @Option(name: .customLong("header"), help: "A header k=v added to every record (repeatable).") var headers: [String] = []
    @Option(help: "The producer's compression: none, gzip, snappy, lz4 or zstd.") var compression: String = "none"
    @Option(help: "0 (buffered), 1 (written to the log) or all (fsynced).") var acks: String = "all"
    @Option(name: .customLong("linger-ms"), help: "How long a batch waits for more records.") var lingerMs: Int = 5
    @Flag(name: .customLong("print-offsets"), help: "Print PARTITION OFFSET for each record, in input order.") var printOffsets = false

    func validate() throws {
        guard CompressionCodec(name: compression) != nil else { throw ValidationError("--compression must be none, gzip, snappy, lz4 or zstd, not \"\(compression)\"") }
        guard Acks(rawValue: acks) != nil else { throw ValidationError("--acks must be 0, 1 or all, not \"\(acks)\"") }
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator must not be empty") }
        _ = try parsePairs(headers, option: "--header")
    }

    func run() async throws {
        let recordHeaders = try parsePairs(headers, option: "--header").map { RecordHeader(key: $0.0, value: ByteBuffer(string: $0.1)) }
        try await failing {
            let topics = try dataDirectory.open()
            defer { try? topics.close() }
            try checkedPartition(partition, of: topic, in: topics)
            var config = ProducerConfig(acks: Acks(rawValue: acks)!, lingerMs: lingerMs, compression: Compression(CompressionCodec(name: compression)!))
            config.batchSize = 65_536
            let producer = topics.makeProducer(config)
            let printer = InOrderPrinter(enabled: printOffsets)
            let progress = ProgressLine("produced")
            let failures = NIOLockedValueBox([String]())
            var lineNumber = 0
            while let line = readLine(strippingNewline: true) {
                let index = lineNumber
                lineNumber += 1
                var key: ByteBuffer? = nil
                var value = Substring(line)
                if let keySeparator, let range = line.range(of: keySeparator) {
                    key = ByteBuffer(string: String(line[..<range.lowerBound]))
                    value = line[range.upperBound...]
                }
                producer.send(ProducerRecord(topic: topic, partition: partition, key: key, value: ByteBuffer(string: String(value)), headers: recordHeaders)) { result in
                    switch result {
                    case .success(let metadata): printer.complete(index, "\(metadata.partition) \(metadata.offset)")
                    case .failure(let error):
                        failures.withLockedValue { $0.append("line \(index + 1): \(error)") }
                        printer.complete(index, nil)
                    }
                    progress.advance()
                }
            }
            // Every completion has run once the flush returns (they run on the producer's queue).
            await producer.flush()
            progress.finish()
            let failed = failures.withLockedValue { $0 }
            for failure in failed { standardError("strata: error: \(failure)") }
            if !failed.isEmpty {
                standardError("strata: \(failed.count) of \(lineNumber) records failed")
                throw ExitCode(1)
            }
        }
    }
}

/// Prints one line per record in input order, each as soon as it and all before it are done.
final class InOrderPrinter: Sendable {
    private struct State {
        var next = 0
        var done: [Int: String?] = [:]
    }

    private let enabled: Bool
    private let state = NIOLockedValueBox(State())

    init(enabled: Bool) { self.enabled = enabled }

    func complete(_ index: Int, _ line: String?) {
        let ready: [String] = state.withLockedValue { state in
            state.done[index] = line
            var ready: [String] = []
            while let entry = state.done.removeValue(forKey: state.next) {
                if let entry { ready.append(entry) }
                state.next += 1
            }
            return ready
        }
        if enabled && !ready.isEmpty {
            FileHandle.standardOutput.write(Data(ready.map { $0 + "\n" }.joined().utf8))
        }
    }
}
