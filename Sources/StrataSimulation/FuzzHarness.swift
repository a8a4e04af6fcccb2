import NIOCore
import Strata

/// What each fuzz target does with its input, shared by the libFuzzer targets in `fuzz/` and by
/// the unit test that replays every saved failure (`fuzz/FailCases/`). Errors are expected;
/// a crash, a hang, a leak or a broken invariant (checked with `precondition`) is a finding.
public enum FuzzHarness {
    /// The target named as its folder in `fuzz/FailCases/`.
    public static func target(named name: String) -> ((UnsafeRawBufferPointer) -> Void)? {
        switch name {
        case "FuzzLogEntries": logEntries
        case "FuzzDecompress": decompress
        case "FuzzIndexes": indexes
        case "FuzzMetadataFiles": metadataFiles
        case "FuzzRecovery": recovery
        case "FuzzVarints": varints
        default: nil
        }
    }

    /// Every target's name.
    public static let targetNames = ["FuzzLogEntries", "FuzzDecompress", "FuzzIndexes", "FuzzMetadataFiles", "FuzzRecovery", "FuzzVarints"]

    static let limits = DecodingLimits(maxDecompressedBytes: 1 << 20, maxEntryBytes: 1 << 20)

    /// Bytes as a `.log` region: every entry framed, CRC-checked, every record decoded as
    /// records and as views; the walk goes on past entries whose size still frames them.
    public static func logEntries(_ input: UnsafeRawBufferPointer) {
        var reader = LogEntryReader(ByteBuffer(bytes: input), limits: limits)
        for _ in 0..<10_000 {
            do {
                guard let entry = try reader.next() else { break }
                _ = entry.isValid
                _ = try? entry.records(limits: limits)
                if case .batch(let batch) = entry {
                    try? batch.forEachRecordView(limits: limits) { view in _ = view.headers.count }
                    _ = try? batch.controlType(limits: limits)
                }
            } catch {
                if !reader.skipEntry() { break }
            }
        }
    }

    /// Bytes through a decompressor with Kafka's framing (the first byte picks the codec and
    /// the magic-0 LZ4 rule); the output never passes the ceiling by more than one LZ4 block.
    public static func decompress(_ input: UnsafeRawBufferPointer) {
        guard let selector = input.first else { return }
        let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]
        var output = ByteBuffer()
        try? Codecs.decompress(UnsafeRawBufferPointer(rebasing: input.dropFirst()), codec: codecs[Int(selector) % codecs.count],
                               limit: 1 << 20, into: &output, legacyLZ4HeaderChecksum: selector & 0x80 != 0)
        precondition(output.readableBytes <= (1 << 20) + (64 << 10), "decompression passed its ceiling")
    }

    /// Bytes as `.index`, `.timeindex` and `.txnindex` files on a simulated disk: opened,
    /// sanity-checked, read and looked up.
    public static func indexes(_ input: UnsafeRawBufferPointer) {
        let bytes = ByteBuffer(bytes: input)
        let fs = SimulatedFileSystem()
        do {
            try fs.createDirectory("/p")
            for suffix in [".index", ".timeindex", ".txnindex"] {
                try fs.open("/p/00000000000000000100" + suffix, mode: .createNew).write(bytes, at: 0)
            }
            let offsets = try OffsetIndex(file: try fs.open("/p/00000000000000000100.index", mode: .readOnly), baseOffset: 100,
                                          maxIndexSize: max(input.count, 8), isNew: false)
            try? offsets.sanityCheck()
            for i in 0..<min(offsets.entryCount, 512) { _ = try? offsets.entry(at: i) }
            _ = try? offsets.lookup(150)
            let times = try TimeIndex(file: try fs.open("/p/00000000000000000100.timeindex", mode: .readOnly), baseOffset: 100,
                                      maxIndexSize: max(input.count, 12), isNew: false)
            try? times.sanityCheck()
            _ = try? times.lookup(timestamp: 1_700_000_000_000)
            if let transactions = try? TransactionIndex(fileSystem: fs, path: "/p/00000000000000000100.txnindex", baseOffset: 100, readOnly: true) {
                _ = try? transactions.allAbortedTransactions()
                _ = try? transactions.collectAbortedTransactions(fetchOffset: 100, upperBoundOffset: 200)
                try? transactions.sanityCheck()
            }
        } catch {}
    }

    /// Bytes as a producer snapshot, offset and leader-epoch checkpoints, `partition.metadata`
    /// and a clean-shutdown marker.
    public static func metadataFiles(_ input: UnsafeRawBufferPointer) {
        let bytes = ByteBuffer(bytes: input)
        _ = try? ProducerSnapshotFile.decode(bytes, path: "fuzz.snapshot")
        _ = try? CheckpointFile<OffsetCheckpointFormat>.decode(bytes, path: "recovery-point-offset-checkpoint")
        _ = try? CheckpointFile<LeaderEpochCheckpointFormat>.decode(bytes, path: "leader-epoch-checkpoint")
        _ = try? PartitionMetadataFile.decode(bytes, path: "partition.metadata")
        _ = CleanShutdownMarker.decode(bytes)
    }

    /// Bytes as the tail of an active segment after a crash, behind one valid batch: the
    /// partition opens (recovering), keeps that batch, reads back and takes an append.
    public static func recovery(_ input: UnsafeRawBufferPointer) {
        let fs = SimulatedFileSystem()
        do {
            try fs.createDirectory("/data")
            try fs.createDirectory("/data/t-0")
            var builder = RecordBatchBuilder(.init())
            try builder.append(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v"))
            var log = try builder.build()
            log.writeBytes(input)
            try fs.open("/data/t-0/00000000000000000000.log", mode: .createNew).write(log, at: 0)
            var options = PartitionOpenOptions()
            options.fileSystem = fs
            options.limits = limits
            var config = LogConfig()
            config.segmentIndexBytes = 4_096  // small preallocation keeps each run fast
            let partition = try PartitionLog.open(directory: "/data/t-0", config: config, options: options)
            precondition(partition.logEndOffset >= 1, "the valid first batch was lost")
            _ = try partition.read(from: 0, maxBytes: 1 << 16)
            var next = RecordBatchBuilder(.init())
            try next.append(timestamp: 1_700_000_000_001, key: ByteBuffer(string: "k2"), value: ByteBuffer(string: "v2"))
            try partition.appendAsLeader(try next.build())
            try partition.close()
        } catch {}
    }

    /// The first 4 KiB as a run of zig-zag varints and varlongs (each position read both ways): a decoded
    /// value never uses more than 5 (10) bytes nor fewer than its canonical encoding, and
    /// encoding it again decodes to the same value in exactly ``Varint/size(_:)-(Int32)`` bytes.
    public static func varints(_ input: UnsafeRawBufferPointer) {
        withUnsafeTemporaryAllocation(byteCount: 10, alignment: 1) { scratch in
            var position = 0
            while position < min(input.count, 4_096) {
                let rest = UnsafeRawBufferPointer(rebasing: input[position...])
                var advance = 1
                if let (value, length) = try? Varint.readVarint(rest) {
                    precondition(length <= 5 && length <= rest.count && length >= Varint.size(value), "varint length \(length) for \(value)")
                    let written = Varint.store(value, into: scratch, at: 0)
                    let again = try? Varint.readVarint(UnsafeRawBufferPointer(rebasing: scratch[..<written]))
                    precondition(again?.value == value && again?.length == Varint.size(value) && written == Varint.size(value), "varint \(value) does not round-trip")
                    advance = length
                }
                if let (value, length) = try? Varint.readVarlong(rest) {
                    precondition(length <= 10 && length <= rest.count && length >= Varint.size(value), "varlong length \(length) for \(value)")
                    let written = Varint.store(value, into: scratch, at: 0)
                    let again = try? Varint.readVarlong(UnsafeRawBufferPointer(rebasing: scratch[..<written]))
                    precondition(again?.value == value && again?.length == Varint.size(value) && written == Varint.size(value), "varlong \(value) does not round-trip")
                }
                position += advance
            }
        }
    }
}
