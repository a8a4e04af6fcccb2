// `strata-crosscheck-writer --segments OUTDIR [SEED]`: whole partition directories written
// through the real engine, for tools/crosscheck --segments.
//
// Every expectation in the manifest comes from what the writer asked for (records, producer
// fields, the offsets it expects, the clock it set for LogAppendTime, the topic's codec), not
// from reading the data back. Only the layout (which segment a batch landed in, its position,
// its stored size and CRC) is taken from the engine; the checker verifies the layout on its own.
import Foundation
import NIOCore
import Strata
import StrataSimulation

/// The manifest of a data directory (format: tools/README.md, "Segments manifest").
struct SegmentsManifest: Encodable {
    var generator = "strata"
    var seed: UInt64
    var dataDirectory = "data"
    var partitions: [PartitionManifest]
}

/// One partition directory: its effective settings and its segments, oldest first.
struct PartitionManifest: Encodable {
    var directory: String
    var topic: String
    var partition: Int32
    var description: String
    /// The topic's overrides, as Kafka properties.
    var config: [String: String]
    var segmentBytes: Int
    /// `segment.ms`, capped by `max.compaction.lag.ms` on compacted topics (spec 3.10).
    var maxSegmentMs: Int64
    var segmentJitterMs: Int64
    var segmentIndexBytes: Int
    var indexIntervalBytes: Int
    var messageTimestampType: String
    var logStartOffset: Int64
    var logEndOffset: Int64
    /// The segments, oldest first.
    var segments: [SegmentManifest]
}

/// One segment: a manifest file entry (`file` is the `.log`, relative to the manifest) plus
/// the sizes the `.log` had whenever the data directory was closed and reopened while this
/// segment was the active one (Kafka's byte counter for the sparse index restarts there).
struct SegmentManifest: Encodable {
    var file: String
    var description: String
    var reopenPositions: [Int]
    var batches: [ManifestBatch]
}

/// A clock the writer sets: LogAppendTime stamps are then known in advance.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int64
    init(_ start: Int64) { current = start }
    var now: Int64 {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set { lock.lock(); current = newValue; lock.unlock() }
    }
}

/// A record the writer asks for; `offsetDelta` leaves gaps in follower batches (as compaction does).
struct PlannedRecord {
    var offsetDelta: Int32
    var timestamp: Int64
    var key: ByteBuffer?
    var value: ByteBuffer?
    var headers: [RecordHeader]
}

/// A batch the writer asks for, and what it must look like once stored.
struct PlannedBatch {
    var compression: Compression = .none
    var producerId: Int64 = -1
    var producerEpoch: Int16 = -1
    var baseSequence: Int32 = -1
    var isTransactional = false
    var records: [PlannedRecord] = []
    /// Set for an empty batch (records removed by the cleaner).
    var emptyLastOffsetDelta: Int32? = nil
    var emptyMaxTimestamp: Int64? = nil
    /// Set for a transaction marker.
    var marker: (type: ControlRecordType, coordinatorEpoch: Int32, timestamp: Int64)? = nil

    var lastOffsetDelta: Int32 { emptyLastOffsetDelta ?? (marker != nil ? 0 : records.last!.offsetDelta) }

    /// The encoded batch at `baseOffset` (0 for a leader append: the log assigns offsets).
    func build(baseOffset: Int64, partitionLeaderEpoch: Int32, context: CodecContext) throws -> ByteBuffer {
        if let marker {
            return try RecordBatchBuilder.endTransactionMarker(
                marker.type, offset: baseOffset, timestamp: marker.timestamp, producerId: producerId, producerEpoch: producerEpoch,
                coordinatorEpoch: marker.coordinatorEpoch, partitionLeaderEpoch: partitionLeaderEpoch)
        }
        var configuration = RecordBatchBuilder.Configuration(baseOffset: baseOffset, compression: compression)
        configuration.partitionLeaderEpoch = partitionLeaderEpoch
        configuration.producerId = producerId
        configuration.producerEpoch = producerEpoch
        configuration.baseSequence = baseSequence
        configuration.isTransactional = isTransactional
        configuration.lastOffsetDelta = emptyLastOffsetDelta
        configuration.maxTimestamp = emptyMaxTimestamp
        var builder = RecordBatchBuilder(configuration)
        for record in records {
            try builder.append(offset: baseOffset + Int64(record.offsetDelta), timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers)
        }
        return try builder.build(context: context)
    }

    /// What the stored batch must hold. `layout` is where the engine put it.
    func expected(baseOffset: Int64, partitionLeaderEpoch: Int32, codec: CompressionCodec, logAppendTime: Int64?,
                  layout: (position: Int, size: Int, crc: UInt32)) -> ManifestBatch {
        var manifestRecords: [ManifestRecord]
        var maxTimestamp: Int64
        if let marker {
            // Spec 1.7: key = int16 version 0, int16 type; value = int16 version 0, int32 coordinator epoch.
            var key = ByteBuffer()
            key.writeInteger(Int16(0))
            key.writeInteger(marker.type.id)
            var value = ByteBuffer()
            value.writeInteger(Int16(0))
            value.writeInteger(marker.coordinatorEpoch)
            manifestRecords = [ManifestRecord(offset: baseOffset, timestamp: marker.timestamp, key: base64(key), value: base64(value), headers: [], controlType: marker.type.name)]
            maxTimestamp = marker.timestamp
        } else {
            manifestRecords = records.map { record in
                ManifestRecord(
                    offset: baseOffset + Int64(record.offsetDelta), timestamp: logAppendTime ?? record.timestamp, key: base64(record.key),
                    value: base64(record.value), headers: record.headers.map { ManifestHeader(key: $0.key, value: base64($0.value)) }, controlType: nil)
            }
            maxTimestamp = logAppendTime ?? emptyMaxTimestamp ?? records.map(\.timestamp).max()!
        }
        return ManifestBatch(
            position: layout.position, size: layout.size, magic: 2, codec: marker != nil ? "none" : codec.name, baseOffset: baseOffset,
            lastOffset: baseOffset + Int64(lastOffsetDelta), timestampType: logAppendTime != nil ? "LogAppendTime" : "CreateTime",
            maxTimestamp: maxTimestamp, partitionLeaderEpoch: partitionLeaderEpoch, producerId: producerId, producerEpoch: producerEpoch,
            baseSequence: baseSequence, isTransactional: isTransactional, isControl: marker != nil, crc: layout.crc, records: manifestRecords)
    }
}

/// An idempotent or transactional producer (id -1: a plain one).
struct PlannedProducer {
    var id: Int64
    var epoch: Int16
    var nextSequence: Int32 = 0
    var transactional: Bool
    var inTransaction = false
}

/// A topic of the data directory and how its partitions are written.
struct TopicPlan {
    enum Writer { case leader, follower }
    var topic: String
    var partitions: Int32 = 1
    var overrides: [String: String]
    var writer: Writer = .leader
    /// Leader: batches per partition. Follower: append calls (1–3 batches each).
    var appends: Int
    var codecs: [Compression] = [.none, .gzip, .snappy, .lz4, .zstd]
    var records: ClosedRange<Int> = 1...12
    var valueSize: ClosedRange<Int> = 0...400
    /// How far the clock moves before each append (ms).
    var clockStep: ClosedRange<Int64> = 0...2_000
    /// How far record timestamps stray from the clock (ms).
    var timestampSpread: ClosedRange<Int64> = -1_500...1_500
    var keyed = false
    var transactions = true
    var description: String
}

let segmentTopics: [TopicPlan] = [
    TopicPlan(
        topic: "events", partitions: 2, overrides: ["segment.bytes": "24576", "index.interval.bytes": "100"], appends: 110,
        description: "every codec from the producer, idempotent and transactional producers with COMMIT/ABORT markers, leader epoch bumps"),
    TopicPlan(
        topic: "dense", overrides: ["segment.bytes": "16384", "index.interval.bytes": "0", "compression.type": "zstd", "cleanup.policy": "compact"],
        appends: 90, codecs: [.none, .gzip, .lz4], keyed: true,
        description: "index.interval.bytes 0 (every batch but the first indexed), broker recompression to zstd, keyed records"),
    TopicPlan(
        topic: "sparse", overrides: ["segment.bytes": "131072", "index.interval.bytes": "4096"], appends: 100,
        codecs: [.none, .snappy, .lz4], records: 1...8, valueSize: 100...1_500,
        description: "the default index.interval.bytes 4096 with larger batches"),
    TopicPlan(
        topic: "appendtime", overrides: ["segment.bytes": "20000", "index.interval.bytes": "100", "message.timestamp.type": "LogAppendTime", "segment.ms": "600000"],
        appends: 100, clockStep: 0...40_000,
        description: "LogAppendTime stamped in place, rolls by size and by time"),
    TopicPlan(
        topic: "stamped",
        overrides: ["segment.bytes": "8192", "index.interval.bytes": "0", "message.timestamp.type": "LogAppendTime", "compression.type": "snappy", "preallocate": "true"],
        appends: 50, codecs: [.none, .gzip, .snappy, .zstd], clockStep: 0...3, transactions: false,
        description: "LogAppendTime with broker recompression to snappy; clock steps of 0-3 ms so append times repeat; preallocated .log files trimmed at roll and close"),
    TopicPlan(
        topic: "tinyindex", overrides: ["segment.index.bytes": "120", "index.interval.bytes": "0"], appends: 70,
        codecs: [.none, .lz4], records: 1...3, valueSize: 0...60, clockStep: 0...300, timestampSpread: -1_500...0, transactions: false,
        description: "segment.index.bytes 120: 15 offset-index slots, 10 time-index slots (full at 9), rolls on full indexes"),
    TopicPlan(
        topic: "replica", overrides: ["segment.bytes": "40000", "index.interval.bytes": "100", "segment.ms": "3600000"], writer: .follower,
        appends: 70, clockStep: 0...400_000,
        description: "follower appends of 1-3 batches each: offset gaps inside and between batches, an empty batch, markers, rolls by size and by time"),
]

/// Writes one partition through its `PartitionLog` and collects the expected manifest.
struct PartitionWriter {
    var log: PartitionLog
    let plan: TopicPlan
    let config: LogConfig
    let clock: ManualClock
    let context = CodecContext()
    var rng: SeededGenerator
    var nextOffset: Int64
    var leaderEpoch: Int32 = 0
    var producers: [PlannedProducer]
    var batchesBySegment: [Int64: [ManifestBatch]] = [:]
    var reopenPositions: [Int64: [Int]] = [:]

    init(log: PartitionLog, plan: TopicPlan, config: LogConfig, clock: ManualClock, rng: SeededGenerator, partition: Int32) {
        self.log = log
        self.plan = plan
        self.config = config
        self.clock = clock
        self.rng = rng
        self.nextOffset = log.logEndOffset
        let base = Int64(partition) * 100 + (plan.writer == .follower ? 5_000 : 1_000)
        producers = [PlannedProducer(id: -1, epoch: -1, transactional: false)]
        for i in 0..<2 { producers.append(PlannedProducer(id: base + Int64(i), epoch: Int16(i), transactional: false)) }
        if plan.transactions {
            for i in 0..<2 { producers.append(PlannedProducer(id: base + 10 + Int64(i), epoch: 3, transactional: true)) }
        }
    }

    mutating func randomRecords(count: Int, gaps: Bool) -> [PlannedRecord] {
        var records: [PlannedRecord] = []
        var delta: Int32 = 0
        for i in 0..<count {
            if i > 0 { delta += gaps && Int.random(in: 0..<4, using: &rng) == 0 ? Int32.random(in: 2...4, using: &rng) : 1 }
            let key: ByteBuffer? = !plan.keyed && Int.random(in: 0..<6, using: &rng) == 0 ? nil : ByteBuffer(string: "key-\(Int.random(in: 0..<500, using: &rng))")
            let value: ByteBuffer?
            switch Int.random(in: 0..<12, using: &rng) {
            case 0: value = nil
            case 1: value = ByteBuffer()
            case 2: value = randomBytes(&rng, count: Int.random(in: plan.valueSize, using: &rng))
            default: value = payload(&rng, size: Int.random(in: plan.valueSize, using: &rng))
            }
            var headers: [RecordHeader] = []
            for h in 0..<Int.random(in: 0...2, using: &rng) {
                headers.append(RecordHeader(key: h == 1 ? "trace-ünïcode" : "h\(h)", value: Bool.random(using: &rng) ? nil : ByteBuffer(string: "v\(i)")))
            }
            let timestamp = max(0, clock.now + Int64.random(in: plan.timestampSpread, using: &rng))
            records.append(PlannedRecord(offsetDelta: delta, timestamp: timestamp, key: key, value: value, headers: headers))
        }
        return records
    }

    /// A data batch from producer `index`, its sequence numbers taken.
    mutating func dataBatch(producer index: Int, gaps: Bool) -> PlannedBatch {
        var batch = PlannedBatch()
        batch.compression = plan.codecs.randomElement(using: &rng)!
        batch.records = randomRecords(count: Int.random(in: plan.records, using: &rng), gaps: gaps)
        var producer = producers[index]
        if producer.id >= 0 {
            batch.producerId = producer.id
            batch.producerEpoch = producer.epoch
            batch.baseSequence = producer.nextSequence
            producer.nextSequence += batch.lastOffsetDelta + 1
            if producer.transactional {
                batch.isTransactional = true
                producer.inTransaction = true
            }
        }
        producers[index] = producer
        return batch
    }

    /// A COMMIT or ABORT marker ending producer `index`'s transaction.
    mutating func marker(producer index: Int) -> PlannedBatch {
        producers[index].inTransaction = false
        var batch = PlannedBatch()
        batch.producerId = producers[index].id
        batch.producerEpoch = producers[index].epoch
        batch.isTransactional = true
        let type: ControlRecordType = Int.random(in: 0..<5, using: &rng) < 3 ? .commit : .abort
        batch.marker = (type, Int32.random(in: 0...20, using: &rng), clock.now)
        return batch
    }

    /// Where the engine put the batch at `baseOffset`: its segment, position, stored size and CRC.
    func layout(of baseOffset: Int64) throws -> (segment: Int64, position: Int, size: Int, crc: UInt32) {
        guard let segment = log.allSegments.last(where: { $0.baseOffset <= baseOffset }),
              let read = try segment.read(from: baseOffset, maxBytes: 1), let entry = read.entries.first, entry.storedOffset == baseOffset
        else { throw WriterError("\(log.directory): the batch at offset \(baseOffset) cannot be read back") }
        return (segment.baseOffset, read.position, entry.sizeInBytes, entry.storedCRC)
    }

    mutating func record(_ batch: PlannedBatch, baseOffset: Int64, codec: CompressionCodec, logAppendTime: Int64?) throws {
        let placement = try layout(of: baseOffset)
        let expected = batch.expected(
            baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch, codec: codec, logAppendTime: logAppendTime,
            layout: (placement.position, placement.size, placement.crc))
        batchesBySegment[placement.segment, default: []].append(expected)
    }

    /// Appends batches whose offsets are already assigned (the follower path).
    mutating func appendAsFollower(_ batches: [(batch: PlannedBatch, gap: Int64)]) throws {
        var bytes = ByteBuffer()
        var placed: [(PlannedBatch, Int64)] = []
        var offset = nextOffset
        for (batch, gap) in batches {
            offset += gap
            bytes.writeImmutableBuffer(try batch.build(baseOffset: offset, partitionLeaderEpoch: leaderEpoch, context: context))
            placed.append((batch, offset))
            offset += Int64(batch.lastOffsetDelta) + 1
        }
        guard let result = try log.appendAsFollower(bytes), result.firstOffset == placed[0].1, result.lastOffset == offset - 1 else {
            throw WriterError("\(log.directory): follower append at \(nextOffset) did not land at \(placed[0].1)...\(offset - 1)")
        }
        nextOffset = offset
        for (batch, base) in placed { try record(batch, baseOffset: base, codec: batch.compression.codec, logAppendTime: nil) }
    }

    /// Appends one client batch through the leader path.
    mutating func appendAsLeader(_ batch: PlannedBatch) throws {
        let bytes = try batch.build(baseOffset: 0, partitionLeaderEpoch: -1, context: context)
        let result = try log.appendAsLeader(bytes, leaderEpoch: leaderEpoch)
        let lastOffset = nextOffset + Int64(batch.lastOffsetDelta)
        guard !result.isDuplicate, result.firstOffset == nextOffset, result.lastOffset == lastOffset else {
            throw WriterError("\(log.directory): leader append landed at \(result.firstOffset)...\(result.lastOffset), expected \(nextOffset)...\(lastOffset)")
        }
        let logAppendTime = config.messageTimestampType == .logAppendTime ? clock.now : nil
        try record(batch, baseOffset: nextOffset, codec: config.compressionType ?? batch.compression.codec, logAppendTime: logAppendTime)
        nextOffset = lastOffset + 1
    }

    /// Appends number `steps` of the plan.
    mutating func run(_ steps: Range<Int>) throws {
        for step in steps {
            clock.now += Int64.random(in: plan.clockStep, using: &rng)
            if Int.random(in: 0..<40, using: &rng) == 0 { leaderEpoch += 1 }
            let open = producers.indices.filter { producers[$0].inTransaction }
            if !open.isEmpty && Int.random(in: 0..<6, using: &rng) == 0 {
                try appendAsFollower([(marker(producer: open.randomElement(using: &rng)!), 0)])
                continue
            }
            switch plan.writer {
            case .leader:
                try appendAsLeader(dataBatch(producer: Int.random(in: producers.indices, using: &rng), gaps: false))
            case .follower:
                var batches: [(batch: PlannedBatch, gap: Int64)] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let gap = Int.random(in: 0..<4, using: &rng) == 0 ? Int64.random(in: 1...6, using: &rng) : 0
                    if step == plan.appends / 2 && batches.isEmpty {
                        // An empty batch, as the cleaner leaves one to keep a producer's last sequence.
                        // Always uncompressed: there is nothing to compress (Kafka's writeEmptyHeader).
                        var empty = PlannedBatch()
                        empty.producerId = producers[1].id
                        empty.producerEpoch = producers[1].epoch
                        empty.baseSequence = producers[1].nextSequence
                        empty.emptyLastOffsetDelta = 2
                        empty.emptyMaxTimestamp = clock.now - 10
                        producers[1].nextSequence += 3
                        batches.append((empty, gap))
                    } else {
                        batches.append((dataBatch(producer: Int.random(in: producers.indices, using: &rng), gaps: true), gap))
                    }
                }
                try appendAsFollower(batches)
            }
        }
    }

    /// Ends the transactions still open.
    mutating func finish() throws {
        for index in producers.indices where producers[index].inTransaction {
            clock.now += 1
            try appendAsFollower([(marker(producer: index), 0)])
        }
    }
}

struct WriterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes `outputDirectory/data/` through `LogManager` and `PartitionLog`, in two halves with a
/// clean restart of the data directory between them, closes it cleanly, and writes
/// `outputDirectory/segments-manifest.json`.
func runSegmentsMode(outputDirectory: URL, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
    let dataDirectory = outputDirectory.appendingPathComponent("data")
    guard !FileManager.default.fileExists(atPath: dataDirectory.path) else {
        throw WriterError("\(dataDirectory.path) already exists; remove it first")
    }
    let clock = ManualClock(1_700_000_000_000)
    var options = PartitionOpenOptions()
    options.clock = { clock.now }
    var manager = try LogManager.open(directory: dataDirectory.path, options: options)
    var writers: [PartitionWriter] = []
    for plan in segmentTopics {
        try manager.setConfigOverrides(plan.overrides, forTopic: plan.topic)
        let config = try manager.config(forTopic: plan.topic)
        for partition in 0..<plan.partitions {
            let log = try manager.createPartition(TopicPartition(topic: plan.topic, partition: partition))
            writers.append(PartitionWriter(log: log, plan: plan, config: config, clock: clock, rng: SeededGenerator(seed: rng.next()), partition: partition))
        }
    }
    for index in writers.indices { try writers[index].run(0..<writers[index].plan.appends / 2) }

    // A clean restart (a broker stopping and starting): the active segments are closed (final
    // time index entry, trimmed indexes) and reopened without recovery.
    for index in writers.indices {
        let active = writers[index].log.allSegments.last!
        writers[index].reopenPositions[active.baseOffset, default: []].append(active.size)
    }
    try manager.close()
    clock.now += 1_000
    manager = try LogManager.open(directory: dataDirectory.path, options: options)
    guard manager.hadCleanShutdown else { throw WriterError("the restart was not seen as clean") }
    for index in writers.indices {
        guard let log = manager.partition(writers[index].log.topicPartition), log.logEndOffset == writers[index].nextOffset else {
            throw WriterError("\(writers[index].log.topicPartition) did not reopen at its log end offset \(writers[index].nextOffset)")
        }
        writers[index].log = log
    }
    for index in writers.indices {
        try writers[index].run(writers[index].plan.appends / 2..<writers[index].plan.appends)
        try writers[index].finish()
    }

    var partitions: [PartitionManifest] = []
    for writer in writers {
        let topicPartition = writer.log.topicPartition
        let segments = writer.batchesBySegment.keys.sorted().map { base in
            SegmentManifest(
                file: "data/\(topicPartition.directoryName)/\(SegmentFileName.name(for: base, suffix: SegmentFileName.logSuffix))",
                description: "segment \(base)", reopenPositions: writer.reopenPositions[base] ?? [], batches: writer.batchesBySegment[base]!)
        }
        let config = writer.config
        partitions.append(PartitionManifest(
            directory: "data/\(topicPartition.directoryName)", topic: writer.plan.topic, partition: topicPartition.partition,
            description: writer.plan.description, config: writer.plan.overrides, segmentBytes: config.segmentBytes,
            maxSegmentMs: config.maxSegmentMs, segmentJitterMs: config.segmentJitterMs, segmentIndexBytes: config.segmentIndexBytes,
            indexIntervalBytes: config.indexIntervalBytes, messageTimestampType: config.messageTimestampType.description,
            logStartOffset: writer.log.logStartOffset, logEndOffset: writer.log.logEndOffset, segments: segments))
    }
    try manager.close()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(SegmentsManifest(seed: seed, partitions: partitions)).write(to: outputDirectory.appendingPathComponent("segments-manifest.json"))
    let segmentCount = partitions.reduce(0) { $0 + $1.segments.count }
    let batchCount = partitions.reduce(0) { $0 + $1.segments.reduce(0) { $0 + $1.batches.count } }
    print("strata-crosscheck-writer: wrote \(partitions.count) partitions, \(segmentCount) segments, \(batchCount) batches to \(dataDirectory.path)")
}
