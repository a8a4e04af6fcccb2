// `strata-crosscheck-writer OUTDIR [SEED]`: files of random batches from Strata's encoder.
import Foundation
import NIOCore
import Strata
import StrataSimulation

func describe(_ batch: RecordBatch) throws -> ManifestBatch {
    let h = batch.header
    let controlType = try batch.controlType()
    let records = try batch.records().map { record in
        ManifestRecord(
            offset: record.offset, timestamp: record.timestamp, key: base64(record.key), value: base64(record.value),
            headers: record.headers.map { ManifestHeader(key: $0.key, value: base64($0.value)) },
            controlType: controlType?.name)
    }
    return ManifestBatch(
        position: batch.position, size: h.sizeInBytes, magic: 2, codec: h.compression!.name, baseOffset: h.baseOffset,
        lastOffset: h.lastOffset, timestampType: h.timestampType.description, maxTimestamp: h.maxTimestamp,
        partitionLeaderEpoch: h.partitionLeaderEpoch, producerId: h.producerId, producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence, isTransactional: h.isTransactional, isControl: h.isControl, crc: h.crc,
        records: records)
}

func randomBatch(_ rng: inout SeededGenerator, baseOffset: Int64, compression: Compression, context: CodecContext) throws -> ByteBuffer {
    var configuration = RecordBatchBuilder.Configuration(baseOffset: baseOffset, compression: compression)
    configuration.partitionLeaderEpoch = Int32.random(in: -1...50, using: &rng)
    if Bool.random(using: &rng) {
        configuration.producerId = Int64.random(in: 0...1_000_000, using: &rng)
        configuration.producerEpoch = Int16.random(in: 0...20, using: &rng)
        configuration.baseSequence = Int32.random(in: 0...Int32.max - 1_000, using: &rng)
        configuration.isTransactional = Int.random(in: 0..<4, using: &rng) == 0
    }
    let baseTime = Int64(1_700_000_000_000) + Int64.random(in: 0...86_400_000, using: &rng)
    if Int.random(in: 0..<5, using: &rng) == 0 { configuration.logAppendTime = baseTime + 5_000 }
    var builder = RecordBatchBuilder(configuration)
    let shape = Int.random(in: 0..<10, using: &rng)
    let count = shape == 0 ? Int.random(in: 200...600, using: &rng) : Int.random(in: 1...40, using: &rng)
    var offset = baseOffset
    for i in 0..<count {
        let key: ByteBuffer? = Int.random(in: 0..<6, using: &rng) == 0 ? nil : ByteBuffer(string: "key-\(Int.random(in: 0..<1000, using: &rng))")
        let value: ByteBuffer?
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: value = nil
        case 1: value = randomBytes(&rng, count: Int.random(in: 0...300, using: &rng))
        case 2: value = ByteBuffer()
        case 3 where shape == 1: value = payload(&rng, size: 70_000)
        default: value = payload(&rng, size: Int.random(in: 1...2_000, using: &rng))
        }
        var headers: [RecordHeader] = []
        for h in 0..<Int.random(in: 0...3, using: &rng) {
            headers.append(RecordHeader(key: h == 2 ? "trace-ünïcode" : "h\(h)", value: Bool.random(using: &rng) ? nil : ByteBuffer(string: "v\(i)")))
        }
        let timestamp = baseTime + Int64.random(in: -1_000...1_000, using: &rng)
        // Gaps in offsets, as after compaction, now and then.
        offset += Int.random(in: 0..<8, using: &rng) == 0 ? Int64.random(in: 2...5, using: &rng) : 1
        try builder.append(offset: i == 0 ? baseOffset : offset, timestamp: timestamp, key: key, value: value, headers: headers)
    }
    return try builder.build(context: context)
}

/// Writes `outputDirectory/<nn>-<codec>.bin` (random batches, one file per codec setting) and
/// `outputDirectory/manifest.json` describing every batch and record as Strata meant them.
func runBatchMode(outputDirectory: URL, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
    let context = CodecContext()
    var files: [ManifestFile] = []

    let settings: [Compression] = [
        .none, .gzip, try Compression(.gzip, level: 1), try Compression(.gzip, level: 9), .snappy, .lz4,
        try Compression(.lz4, level: 1), try Compression(.lz4, level: 12), .zstd, try Compression(.zstd, level: 1),
        try Compression(.zstd, level: 19),
    ]
    for (index, compression) in settings.enumerated() {
        var log = ByteBuffer()
        var batches: [ManifestBatch] = []
        var nextOffset = Int64.random(in: 0...1_000_000, using: &rng)
        for _ in 0..<12 {
            let bytes = try randomBatch(&rng, baseOffset: nextOffset, compression: compression, context: context)
            let batch = try RecordBatch(bytes: bytes, position: log.writerIndex)
            batches.append(try describe(batch))
            log.writeImmutableBuffer(bytes)
            nextOffset = batch.header.nextOffset
            if Int.random(in: 0..<4, using: &rng) == 0 {
                let marker = try RecordBatchBuilder.endTransactionMarker(
                    Bool.random(using: &rng) ? .commit : .abort, offset: nextOffset, timestamp: 1_700_000_000_000,
                    producerId: 42, producerEpoch: 3, coordinatorEpoch: Int32.random(in: 0...100, using: &rng), partitionLeaderEpoch: 7)
                let markerBatch = try RecordBatch(bytes: marker, position: log.writerIndex)
                batches.append(try describe(markerBatch))
                log.writeImmutableBuffer(marker)
                nextOffset += 1
            }
        }
        // An empty batch, as the cleaner leaves one behind to keep a producer's last sequence.
        var emptyConfiguration = RecordBatchBuilder.Configuration(baseOffset: nextOffset, compression: compression)
        emptyConfiguration.producerId = 9
        emptyConfiguration.producerEpoch = 1
        emptyConfiguration.baseSequence = 100
        emptyConfiguration.lastOffsetDelta = 2
        emptyConfiguration.maxTimestamp = 1_700_000_000_123
        let empty = try RecordBatchBuilder(emptyConfiguration).build(context: context)
        batches.append(try describe(try RecordBatch(bytes: empty, position: log.writerIndex)))
        log.writeImmutableBuffer(empty)

        let name = String(format: "%02d-%@.bin", index, compression.description.replacingOccurrences(of: "(level ", with: "-").replacingOccurrences(of: ")", with: ""))
        try Data(log.readableBytesView).write(to: outputDirectory.appendingPathComponent(name))
        files.append(ManifestFile(file: name, description: "random v2 batches, \(compression)", batches: batches))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(Manifest(files: files)).write(to: outputDirectory.appendingPathComponent("manifest.json"))
    print("strata-crosscheck-writer: wrote \(files.count) files, \(files.reduce(0) { $0 + $1.batches.count }) batches to \(outputDirectory.path)")
}
