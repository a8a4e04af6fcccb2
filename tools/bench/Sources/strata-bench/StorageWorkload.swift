import NIOCore
import Strata

/// What the storage section sizes and repeats; `--quick` makes it smaller.
struct StorageSettings {
    /// Record payload written by each append measurement (the read, open and recovery log
    /// is the last uncompressed one, so about this size on disk). 1000 MiB fits one default
    /// 1 GiB segment with the batch headers, so that the flush at the end is the only fsync
    /// (a larger log rolls, and Strata fsyncs the old segment inside the append that rolls).
    var logBytes = 1000 << 20
    /// Set by `--log-mib`, which `--quick` then leaves alone.
    var logSizeIsExplicit = false
    /// Timed appends (and raw writes) per codec; the best is reported.
    var appendRepetitions = 3
    /// Random reads timed (and as many raw preads).
    var readSamples = 5000
    /// Timed clean opens; the best is reported.
    var openRepetitions = 5
    /// Timed recoveries with a warm page cache; the best is reported.
    var recoveryRepetitions = 3
    /// `--dir`: where the bench folder goes.
    var baseDirectory: String? = nil

    /// The payload at which the append's peak RSS is first read (a quarter of the log).
    var memoryCheckpointBytes: Int { logBytes / 4 }

    mutating func makeQuick() {
        if !logSizeIsExplicit { logBytes = 256 << 20 }
        appendRepetitions = 1
        readSamples = 1000
        openRepetitions = 3
        recoveryRepetitions = 1
    }
}

/// The producer batches the storage section appends: 100 records of ~1 KiB (the order events
/// of ``RecordGenerator``), encoded once per codec as a client would send them, and cycled
/// until the wanted payload is written.
///
/// A fixed pool keeps the bench's own memory small and constant, so that the resident set
/// measured while appending a gigabyte is the engine's.
struct StorageBatches {
    /// Records per batch.
    static let recordsPerBatch = 100
    /// Distinct batches in the pool (about 6.5 MB of records).
    static let distinctBatches = 64

    let codec: CompressionCodec
    /// The encoded client batches (base offset 0, no producer id).
    let batches: [ByteBuffer]
    /// The same batches as an embedded producer hands them over (``ProducedBatch``).
    let produced: [ProducedBatch]
    /// Record payload of each batch: its records concatenated, uncompressed.
    let payloadBytes: [Int]

    /// Index of the `ordinal`-th batch written (the pool cycles).
    @inline(__always)
    func index(_ ordinal: Int) -> Int { ordinal % batches.count }

    /// How many batches (cycling the pool) carry at least `payload` bytes of records, and
    /// their size on disk.
    func plan(payload: Int) -> (batches: Int, payload: Int, stored: Int) {
        var count = 0, written = 0, stored = 0
        while written < payload {
            written += payloadBytes[index(count)]
            stored += batches[index(count)].readableBytes
            count += 1
        }
        return (count, written, stored)
    }

    /// The pool for each codec, from the same records (seeded, so every run writes the same
    /// bytes); each batch is checked to decode to its 100 records.
    static func make(codecs: [CompressionCodec], seed: UInt64 = 4242) throws -> [StorageBatches] {
        var generator = RecordGenerator(seed: seed)
        let baseTimestamp: Int64 = 1_700_000_000_000
        var recordsOfBatches: [[Workload.Input]] = []
        for batch in 0..<distinctBatches {
            var inputs: [Workload.Input] = []
            for record in 0..<recordsPerBatch {
                let (key, value) = generator.next()
                let timestamp = baseTimestamp + Int64(batch * recordsPerBatch + record)
                inputs.append(Workload.Input(key: ByteBuffer(string: key), value: ByteBuffer(string: value), timestamp: timestamp))
            }
            recordsOfBatches.append(inputs)
        }
        let context = CodecContext()
        return try codecs.map { codec in
            var batches: [ByteBuffer] = [], produced: [ProducedBatch] = [], payloads: [Int] = []
            for inputs in recordsOfBatches {
                var builder = RecordBatchBuilder(.init(baseOffset: 0, compression: Compression(codec)))
                for input in inputs { try builder.append(timestamp: input.timestamp, key: input.key, value: input.value) }
                let built = try builder.buildProduced(context: context)
                let bytes = built.bytes
                let records = try RecordBatch(bytes: bytes).records(context: context)
                precondition(records.count == inputs.count && records.last?.value == inputs.last?.value, "\(codec): a storage batch does not decode to its records")
                batches.append(bytes)
                produced.append(built)
                payloads.append(builder.uncompressedRecordBytes)
            }
            return StorageBatches(codec: codec, batches: batches, produced: produced, payloadBytes: payloads)
        }
    }
}
