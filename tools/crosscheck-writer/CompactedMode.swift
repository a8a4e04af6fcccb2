// `--compacted`: partitions written through the engine, then compacted by Strata's cleaner
// (several times, the clock moved past the delete horizons in between), and the manifest of
// what a read_committed consumer must read from them: for each key its latest committed
// value, at its original offset. tools/python/compacted.py decodes the result with kafka-python.
import Foundation
import NIOCore
import Strata
import StrataSimulation

/// The compacted-manifest: per partition directory (relative), the records expected.
struct CompactedManifest: Codable {
    struct Record: Codable {
        var offset: Int64
        /// Base64.
        var key: String
        /// Base64; nil for a tombstone still within its delete horizon.
        var value: String?
    }
    struct Partition: Codable {
        var directory: String
        var codec: String
        var records: [Record]
        var abortedOffsets: [Int64]
    }
    var seed: UInt64
    var partitions: [Partition]
}

func runCompactedMode(outputDirectory: URL, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let data = outputDirectory.appendingPathComponent("data").path
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    var partitions: [CompactedManifest.Partition] = []
    for (index, codec) in [CompressionCodec.none, .gzip, .snappy, .lz4, .zstd].enumerated() {
        let clockValue = ManagedClock(1_700_000_000_000)
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.segmentBytes = 2_000
        config.fileDeleteDelayMs = 0
        config.deleteRetentionMs = 5_000
        var options = PartitionOpenOptions()
        options.clock = { clockValue.now }
        options.logger.logLevel = .critical
        let name = "compacted-\(index)"
        let log = try PartitionLog.open(directory: data + "/" + name, config: config, options: options)
        var latest: [String: (offset: Int64, value: ByteBuffer?)] = [:]
        var aborted: [Int64] = []
        var sequences: [Int64: Int32] = [:]
        for round in 0..<3 {
            for _ in 0..<60 {
                clockValue.advance(1)
                var builder = RecordBatchBuilder(RecordBatchBuilder.Configuration(compression: Compression(codec)))
                let transactional = Int.random(in: 0..<4, using: &rng) == 0
                let producerId = Int64(100 + Int.random(in: 0..<3, using: &rng))
                if transactional {
                    var configuration = RecordBatchBuilder.Configuration(compression: Compression(codec))
                    configuration.producerId = producerId
                    configuration.producerEpoch = 0
                    configuration.baseSequence = sequences[producerId] ?? 0
                    configuration.isTransactional = true
                    builder = RecordBatchBuilder(configuration)
                }
                var planned: [(String, ByteBuffer?)] = []
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let key = "key-\(Int.random(in: 0..<30, using: &rng))"
                    let value: ByteBuffer? = Int.random(in: 0..<7, using: &rng) == 0 && !transactional ? nil : ByteBuffer(string: "value-\(round)-\(Int.random(in: 0..<1_000_000, using: &rng))")
                    try builder.append(timestamp: clockValue.now, key: ByteBuffer(string: key), value: value)
                    planned.append((key, value))
                }
                let result = try log.appendAsLeader(try builder.build())
                var abort = false
                if transactional {
                    sequences[producerId] = (sequences[producerId] ?? 0) + Int32(planned.count)
                    abort = Bool.random(using: &rng)
                    try log.appendTransactionMarker(abort ? .abort : .commit, producerId: producerId, producerEpoch: 0, coordinatorEpoch: 1)
                }
                for (offsetIndex, (key, value)) in planned.enumerated() {
                    let offset = result.firstOffset + Int64(offsetIndex)
                    if abort { aborted.append(offset) } else { latest[key] = (offset, value) }
                }
            }
            try log.roll()
            try LogCleaner.clean(log, checkpoint: nil)
            clockValue.advance(3_000)
        }
        // Past every horizon: the tombstones go.
        clockValue.advance(10_000)
        try LogCleaner.clean(log, checkpoint: nil)
        try log.close()
        let records = latest.filter { $0.value.value != nil }.map { key, entry in
            CompactedManifest.Record(offset: entry.offset, key: Data(key.utf8).base64EncodedString(), value: entry.value.map { Data($0.readableBytesView).base64EncodedString() })
        }.sorted { $0.offset < $1.offset }
        partitions.append(CompactedManifest.Partition(directory: "data/" + name, codec: codec.name, records: records, abortedOffsets: aborted))
    }
    partitions += try compactRealBrokerCopies(into: data)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(CompactedManifest(seed: seed, partitions: partitions)).write(to: outputDirectory.appendingPathComponent("compacted-manifest.json"))
    print("strata-crosscheck-writer: \(partitions.count) compacted partitions in \(data)")
}

/// A clock the writer moves by hand.
final class ManagedClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64) { value = start }
    var now: Int64 { lock.withLock { value } }
    func advance(_ milliseconds: Int64) { lock.withLock { value += milliseconds } }
}

/// Copies of the compacted topics written by real Kafka brokers (`../shared/testdata/kafka-real`,
/// when present), compacted by Strata after a roll, with the latest record of each key as
/// read_committed read it before compaction.
func compactRealBrokerCopies(into data: String) throws -> [CompactedManifest.Partition] {
    let root = "../shared/testdata/kafka-real"
    guard FileManager.default.fileExists(atPath: root + "/EXPECTED.json") else {
        print("strata-crosscheck-writer: \(root) not found; real broker partitions skipped")
        return []
    }
    let sources = ["spooldir-lz4/kafka-data/_schemas-0", "spooldir-lz4/kafka-data/docker-connect-configs-0",
                   "spooldir-lz4/kafka-data/docker-connect-status-0", "spooldir-lz4/kafka-data/__consumer_offsets-9",
                   "spooldir-lz4/kafka-data/__consumer_offsets-37", "backendlabs-snappy-raw/kafka-data/__consumer_offsets-19",
                   "bullshit-v1/tmp-kafka-logs/__consumer_offsets-40", "patient-admissions-txn/kafka-data/__consumer_offsets-29"]
    var result: [CompactedManifest.Partition] = []
    for (index, source) in sources.enumerated() {
        let name = "real\(index)-" + (source.split(separator: "/").last.map(String.init) ?? "p-0")
        let target = data + "/" + name
        try FileManager.default.copyItem(atPath: root + "/" + source, toPath: target)
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.fileDeleteDelayMs = 0
        var options = PartitionOpenOptions()
        options.logger.logLevel = .critical
        let log = try PartitionLog.open(directory: target, config: config, options: options)
        var latest: [Data: CompactedManifest.Record] = [:]
        var offset = log.logStartOffset
        while offset < log.lastStableOffset {
            let fetch = try log.read(from: offset, maxBytes: 1 << 20, isolation: .committed)
            guard !fetch.entries.isEmpty else { break }
            for entry in fetch.entries {
                offset = entry.lastOffset + 1
                if case .batch(let batch) = entry, batch.header.isControl || batch.header.isTransactional { continue }
                for record in try entry.records() {
                    guard let key = record.key else { continue }
                    let keyData = Data(key.readableBytesView)
                    latest[keyData] = CompactedManifest.Record(offset: record.offset, key: keyData.base64EncodedString(),
                                                               value: record.value.map { Data($0.readableBytesView).base64EncodedString() })
                }
            }
        }
        try log.roll()
        try LogCleaner.clean(log, checkpoint: nil)
        try log.close()
        result.append(CompactedManifest.Partition(directory: "data/" + name, codec: "real broker data", records: latest.values.sorted { $0.offset < $1.offset }, abortedOffsets: []))
    }
    return result
}
