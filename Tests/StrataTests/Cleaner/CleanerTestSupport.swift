import Foundation
import NIOCore
import Synchronization
@testable import Strata
import StrataSimulation

/// A settable clock for cleaner tests (delete horizons depend on it).
final class TestClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(by milliseconds: Int64) { value.withLock { $0 += milliseconds } }
    var function: @Sendable () -> Int64 { { self.now } }
}

/// A record as a reader sees it.
struct SeenRecord: Hashable {
    var offset: Int64
    var key: String?
    var value: String?
}

enum CleanerTestSupport {
    /// A temporary directory removed by the caller.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "strata-cleaner-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A compacted topic with small segments.
    static func compactedConfig(segmentBytes: Int = 1_200, deleteRetentionMs: Int64 = 10_000) -> LogConfig {
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.segmentBytes = segmentBytes
        config.indexIntervalBytes = 200
        config.segmentIndexBytes = 4_096
        config.fileDeleteDelayMs = 0
        config.retentionMs = -1
        config.deleteRetentionMs = deleteRetentionMs
        config.minCleanableDirtyRatio = 0
        return config
    }

    static func open(_ directory: String, config: LogConfig, clock: TestClock, fileSystem: any FileSystem = PosixFileSystem(),
                     cleanShutdown: Bool = true, recoveryPoint: Int64? = nil) throws -> PartitionLog {
        var options = PartitionOpenOptions()
        options.fileSystem = fileSystem
        options.clock = clock.function
        options.cleanShutdown = cleanShutdown
        options.recoveryPoint = recoveryPoint
        options.logger.logLevel = .critical
        return try PartitionLog.open(directory: directory, config: config, options: options)
    }

    /// A batch of keyed records (nil value: tombstone).
    static func batch(_ records: [(key: String, value: String?)], timestamp: Int64, producerId: Int64 = -1, epoch: Int16 = -1,
                      sequence: Int32 = -1, transactional: Bool = false, compression: Compression = .none) throws -> ByteBuffer {
        var configuration = RecordBatchBuilder.Configuration(compression: compression)
        configuration.producerId = producerId
        configuration.producerEpoch = epoch
        configuration.baseSequence = sequence
        configuration.isTransactional = transactional
        var builder = RecordBatchBuilder(configuration)
        for (index, record) in records.enumerated() {
            try builder.append(timestamp: timestamp + Int64(index), key: ByteBuffer(string: record.key), value: record.value.map { ByteBuffer(string: $0) })
        }
        return try builder.build()
    }

    /// Every data record stored, in file order (control batches skipped), and every batch header.
    static func storedRecords(_ log: PartitionLog) throws -> (records: [SeenRecord], headers: [RecordBatchHeader]) {
        var records: [SeenRecord] = []
        var headers: [RecordBatchHeader] = []
        for segment in log.allSegments {
            var reader = try segment.entries()
            while let entry = try reader.next() {
                if case .batch(let batch) = entry {
                    headers.append(batch.header)
                    if batch.header.isControl { continue }
                }
                for record in try entry.records() {
                    records.append(SeenRecord(offset: record.offset, key: record.key.map { String(buffer: $0) }, value: record.value.map { String(buffer: $0) }))
                }
            }
        }
        return (records, headers)
    }

    /// What a read_committed consumer reads from offset 0 (Kafka's consumer rules: aborted
    /// transactions from the fetch skip their producer's transactional batches until the ABORT marker).
    static func committedRecords(_ log: PartitionLog) throws -> [SeenRecord] {
        var result: [SeenRecord] = []
        var offset = log.logStartOffset
        let end = log.lastStableOffset
        while offset < end {
            let fetch = try log.read(from: offset, maxBytes: 1 << 20, isolation: .committed)
            guard !fetch.entries.isEmpty else { break }
            var pending = fetch.abortedTransactions.sorted { $0.firstOffset < $1.firstOffset }
            var abortedProducers = Set<Int64>()
            for entry in fetch.entries {
                guard case .batch(let batch) = entry else {
                    // Legacy entries: no transactions.
                    for record in try entry.records() where record.offset >= offset {
                        result.append(SeenRecord(offset: record.offset, key: record.key.map { String(buffer: $0) }, value: record.value.map { String(buffer: $0) }))
                    }
                    offset = entry.lastOffset + 1
                    continue
                }
                let header = batch.header
                while let first = pending.first, first.firstOffset <= header.lastOffset {
                    abortedProducers.insert(first.producerId)
                    pending.removeFirst()
                }
                offset = header.lastOffset + 1
                if header.isControl {
                    if try batch.controlType() == .abort { abortedProducers.remove(header.producerId) }
                    continue
                }
                if header.isTransactional && abortedProducers.contains(header.producerId) { continue }
                for record in try batch.records() where record.offset >= log.logStartOffset {
                    result.append(SeenRecord(offset: record.offset, key: record.key.map { String(buffer: $0) }, value: record.value.map { String(buffer: $0) }))
                }
            }
        }
        return result
    }
}

/// A random keyed stream written through the engine, and what compaction must leave of it.
struct CompactionModel {
    /// Every record written and not aborted, by offset.
    var written: [Int64: SeenRecord] = [:]
    /// Offsets of records of aborted transactions.
    var aborted: Set<Int64> = []
    /// The latest committed record of each key.
    var latest: [String: SeenRecord] = [:]
    /// When each key's latest tombstone was first seen by a cleaning (for its horizon).
    var tombstoneFirstCleaned: [String: Int64] = [:]
    var nextProducerId: Int64 = 1000
    var sequences: [Int64: Int32] = [:]

    /// Appends `operations` random operations on `keys` keys.
    mutating func write(to log: PartitionLog, operations: Int, keys: Int, clock: TestClock, using rng: inout SeededGenerator, compression: Compression = .none) throws {
        for _ in 0..<operations {
            clock.advance(by: 1)
            let choice = Int.random(in: 0..<10, using: &rng)
            if choice < 6 {
                let records = (0..<Int.random(in: 1...4, using: &rng)).map { _ -> (key: String, value: String?) in
                    let key = "key-\(Int.random(in: 0..<keys, using: &rng))"
                    let tombstone = Int.random(in: 0..<8, using: &rng) == 0
                    return (key, tombstone ? nil : "v\(Int.random(in: 0..<1_000_000, using: &rng))")
                }
                let result = try log.appendAsLeader(try CleanerTestSupport.batch(records, timestamp: clock.now, compression: compression))
                commit(records, firstOffset: result.firstOffset)
            } else {
                // A transaction of 1–3 batches from a fresh or existing producer, then its marker.
                let producerId = Int.random(in: 0..<3, using: &rng) == 0 ? nextProducerId : 1000 + Int64.random(in: 0...(nextProducerId - 1000), using: &rng)
                if producerId == nextProducerId { nextProducerId += 1 }
                let abort = choice >= 8
                var offsets: [(Int64, [(key: String, value: String?)])] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let records = (0..<Int.random(in: 1...3, using: &rng)).map { _ -> (key: String, value: String?) in
                        ("key-\(Int.random(in: 0..<keys, using: &rng))", "t\(Int.random(in: 0..<1_000_000, using: &rng))")
                    }
                    let sequence = sequences[producerId] ?? 0
                    let result = try log.appendAsLeader(try CleanerTestSupport.batch(records, timestamp: clock.now, producerId: producerId, epoch: 0,
                                                                                     sequence: sequence, transactional: true, compression: compression))
                    sequences[producerId] = sequence + Int32(records.count)
                    offsets.append((result.firstOffset, records))
                }
                try log.appendTransactionMarker(abort ? .abort : .commit, producerId: producerId, producerEpoch: 0, coordinatorEpoch: 1)
                for (first, records) in offsets {
                    if abort {
                        for index in records.indices { aborted.insert(first + Int64(index)) }
                    } else {
                        commit(records, firstOffset: first)
                    }
                }
            }
        }
    }

    private mutating func commit(_ records: [(key: String, value: String?)], firstOffset: Int64) {
        for (index, record) in records.enumerated() {
            let seen = SeenRecord(offset: firstOffset + Int64(index), key: record.key, value: record.value)
            written[seen.offset] = seen
            latest[record.key] = seen
            tombstoneFirstCleaned[record.key] = nil
        }
    }

    /// Notes a cleaning at `time` (covering everything written so far).
    mutating func cleaned(at time: Int64) {
        for (key, record) in latest where record.value == nil && tombstoneFirstCleaned[key] == nil {
            tombstoneFirstCleaned[key] = time
        }
    }

    /// Problems with what a reader sees after a cleaning at `time` with `deleteRetentionMs`.
    func problems(_ seen: [SeenRecord], cleanedAt time: Int64, deleteRetentionMs: Int64) -> [String] {
        var problems: [String] = []
        var previous: Int64 = -1
        var byKey: [String: [SeenRecord]] = [:]
        for record in seen {
            if record.offset <= previous { problems.append("offset \(record.offset) follows \(previous)") }
            previous = record.offset
            if aborted.contains(record.offset) { problems.append("aborted record at \(record.offset) survived") }
            if written[record.offset] != record { problems.append("record at \(record.offset) is \(record), written as \(String(describing: written[record.offset]))") }
            byKey[record.key ?? "", default: []].append(record)
        }
        for (key, records) in byKey where records.count > 1 {
            problems.append("key \(key) has \(records.count) records: \(records.map(\.offset))")
        }
        for (key, record) in latest {
            let present = byKey[key]?.last
            if record.value == nil {
                let horizon = (tombstoneFirstCleaned[key] ?? time) + deleteRetentionMs
                let shouldBePresent = time < horizon
                if shouldBePresent && present != record { problems.append("tombstone of \(key) at \(record.offset) missing before its horizon \(horizon) (cleaned at \(time))") }
                if !shouldBePresent && present != nil { problems.append("tombstone of \(key) at \(record.offset) kept past its horizon \(horizon) (cleaned at \(time))") }
            } else if present != record {
                problems.append("key \(key): expected \(record), found \(String(describing: present))")
            }
        }
        return problems
    }
}
