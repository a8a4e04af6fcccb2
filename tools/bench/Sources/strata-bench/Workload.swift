import NIOCore
import Strata

/// The records of one benchmark batch and the Strata operations measured on them.
///
/// Records are generated until the uncompressed batch would exceed `batchBytes`, exactly as
/// a producer fills a batch up to its size limit; every codec encodes the same records.
struct Workload {
    /// One record to append: key, value and timestamp.
    struct Input {
        var key: ByteBuffer
        var value: ByteBuffer
        var timestamp: Int64
    }

    /// The nominal batch size (the most bytes the uncompressed batch may take).
    let batchBytes: Int
    /// The records, in order.
    let inputs: [Input]
    /// The concatenated encoded records, as an uncompressed batch stores them (the bytes
    /// every codec compresses, Strata's and the raw library's alike).
    let plaintext: [UInt8]

    /// Generates records for a batch of at most `batchBytes` bytes.
    init(batchBytes: Int, seed: UInt64 = 42) throws {
        self.batchBytes = batchBytes
        var generator = RecordGenerator(seed: seed)
        var configuration = RecordBatchBuilder.Configuration()
        configuration.maxBatchBytes = batchBytes
        var builder = RecordBatchBuilder(configuration)
        var inputs: [Input] = []
        let baseTimestamp: Int64 = 1_700_000_000_000
        while true {
            let (key, value) = generator.next()
            let input = Input(key: ByteBuffer(string: key), value: ByteBuffer(string: value), timestamp: baseTimestamp + Int64(inputs.count))
            guard builder.hasRoomFor(keySize: input.key.readableBytes, valueSize: input.value.readableBytes) else { break }
            try builder.append(timestamp: input.timestamp, key: input.key, value: input.value)
            inputs.append(input)
        }
        self.inputs = inputs
        let batch = try RecordBatch(bytes: builder.build())
        plaintext = Array(buffer: try batch.plaintextPayload())
    }

    /// Number of records.
    var recordCount: Int { inputs.count }

    /// The measured encode: append every record to a builder (sized for the batch, as a
    /// producer sizes it from batch.size), then build the batch.
    func encode(_ compression: Compression, context: CodecContext) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(.init(baseOffset: 0, compression: compression), expectedRecordBytes: plaintext.count)
        for input in inputs {
            try builder.append(timestamp: input.timestamp, key: input.key, value: input.value)
        }
        return try builder.build(context: context)
    }

    /// The measured decode: frame the batch, check its CRC, decode every record and touch
    /// its value, as `Record`s (values are ByteBuffer slices) or as borrowed `RecordView`s.
    /// Returns a digest of the values (their lengths and first bytes).
    static func decode(_ bytes: ByteBuffer, context: CodecContext, views: Bool = false) throws -> Int {
        let batch = try RecordBatch(bytes: bytes)
        try batch.validate()
        var digest = 0
        if views {
            try batch.forEachRecordView(context: context) { view in
                if let value = view.value { digest &+= value.count &+ Int(value.first ?? 0) }
            }
        } else {
            try batch.forEachRecord(context: context) { record in
                if let value = record.value { digest &+= touch(value) }
            }
        }
        return digest
    }

    /// What decoding reads of a value: its length and first byte, folded into one number.
    @inline(__always)
    private static func touch(_ value: ByteBuffer) -> Int {
        value.readableBytes &+ Int(value.getInteger(at: value.readerIndex, as: UInt8.self) ?? 0)
    }

    /// Encodes the batch once and checks it before it is timed: it decodes to exactly these
    /// records, and ``decode(_:context:)`` returns the digest of their values.
    func verifiedBatch(_ compression: Compression, context: CodecContext) throws -> ByteBuffer {
        let bytes = try encode(compression, context: context)
        let records = try RecordBatch(bytes: bytes).records()
        precondition(records.count == inputs.count, "\(compression): decoded \(records.count) records, expected \(inputs.count)")
        for (record, input) in zip(records, inputs) {
            precondition(record.key == input.key && record.value == input.value && record.timestamp == input.timestamp, "\(compression): record \(record.offset) differs after a round trip")
        }
        let expected = inputs.reduce(0) { $0 &+ Self.touch($1.value) }
        let digest = try Self.decode(bytes, context: context)
        precondition(digest == expected, "\(compression): decode digest \(digest), expected \(expected)")
        return bytes
    }
}
