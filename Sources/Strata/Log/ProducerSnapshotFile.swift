import NIOCore

/// One producer's state in a producer snapshot (46 bytes on disk).
public struct ProducerSnapshotEntry: Hashable, Sendable {
    /// The size of an entry on disk.
    public static let size = 46

    /// The producer id.
    public var producerId: Int64
    /// The producer epoch.
    public var producerEpoch: Int16
    /// The last sequence number written by the producer.
    public var lastSequence: Int32
    /// The offset of the last record written by the producer, -1 if none.
    public var lastOffset: Int64
    /// `lastSequence - firstSequence` of the producer's last batch.
    public var offsetDelta: Int32
    /// The max timestamp of the producer's last batch.
    public var timestamp: Int64
    /// The coordinator epoch of the producer's last transaction marker.
    public var coordinatorEpoch: Int32
    /// The first offset of the producer's open transaction, -1 if none is open.
    public var currentTxnFirstOffset: Int64

    /// Creates an entry.
    public init(producerId: Int64, producerEpoch: Int16, lastSequence: Int32, lastOffset: Int64, offsetDelta: Int32,
                timestamp: Int64, coordinatorEpoch: Int32, currentTxnFirstOffset: Int64) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.lastSequence = lastSequence
        self.lastOffset = lastOffset
        self.offsetDelta = offsetDelta
        self.timestamp = timestamp
        self.coordinatorEpoch = coordinatorEpoch
        self.currentTxnFirstOffset = currentTxnFirstOffset
    }
}

/// Kafka's producer state snapshot, `<20-digit offset>.snapshot` in a partition directory.
///
/// Binary, big-endian:
///
/// | byte | field |
/// |---|---|
/// | 0 | int16 version = 1 |
/// | 2 | uint32 CRC-32C of bytes `[6, end)` |
/// | 6 | int32 number of entries |
/// | 10 | the entries, 46 bytes each (see ``ProducerSnapshotEntry``) |
///
/// Each entry: int64 producerId, int16 producerEpoch, int32 lastSequence, int64 lastOffset,
/// int32 offsetDelta, int64 timestamp, int32 coordinatorEpoch, int64 currentTxnFirstOffset.
/// The offset in the name is the producer state's end offset (exclusive).
public enum ProducerSnapshotFile {
    /// The only version Kafka writes and reads.
    public static let version: Int16 = 1
    /// The bytes before the first entry.
    public static let headerSize = 10
    /// Where the CRC-covered region starts (the entry count).
    public static let crcStart = 6

    /// The bytes of a snapshot holding `entries`, in the order given.
    public static func encode(_ entries: [ProducerSnapshotEntry]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: headerSize + entries.count * ProducerSnapshotEntry.size)
        buffer.writeInteger(version)
        let crcIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0)) // patched below
        buffer.writeInteger(Int32(truncatingIfNeeded: entries.count))
        for entry in entries {
            buffer.writeInteger(entry.producerId)
            buffer.writeInteger(entry.producerEpoch)
            buffer.writeInteger(entry.lastSequence)
            buffer.writeInteger(entry.lastOffset)
            buffer.writeInteger(entry.offsetDelta)
            buffer.writeInteger(entry.timestamp)
            buffer.writeInteger(entry.coordinatorEpoch)
            buffer.writeInteger(entry.currentTxnFirstOffset)
        }
        buffer.setInteger(checksum(buffer), at: crcIndex)
        return buffer
    }

    /// The entries of a snapshot's bytes.
    ///
    /// - Parameters:
    ///   - bytes: The whole file (its readable bytes; positions are relative to its reader index).
    ///   - path: The file's name, for errors.
    /// - Throws: `StrataFormatError` naming the file and byte position: `truncated` when the
    ///   header or an entry is cut short, `unsupportedVersion` for a version other than 1,
    ///   `invalidSize` for a negative entry count or bytes after the last entry, `crcMismatch`
    ///   (with both values) when the stored CRC-32C is not that of bytes `[6, end)`.
    public static func decode(_ bytes: ByteBuffer, path: String? = nil) throws(StrataFormatError) -> [ProducerSnapshotEntry] {
        let length = bytes.readableBytes
        let base = bytes.readerIndex
        guard length >= headerSize else {
            throw StrataFormatError(.truncated, "producer snapshot is \(length) bytes, shorter than its \(headerSize)-byte header", file: path, position: length)
        }
        let fileVersion = bytes.getInteger(at: base, as: Int16.self)!
        guard fileVersion == version else {
            throw StrataFormatError(.unsupportedVersion, "unsupported producer snapshot version \(fileVersion) (expected \(version))", file: path, position: 0)
        }
        let declaredCount = bytes.getInteger(at: base + crcStart, as: Int32.self)!
        guard declaredCount >= 0 else {
            throw StrataFormatError(.invalidSize, "negative producer entry count \(declaredCount)", file: path, position: crcStart)
        }
        let count = Int(declaredCount)
        let available = (length - headerSize) / ProducerSnapshotEntry.size
        guard count <= available else {
            throw StrataFormatError(.truncated, "producer snapshot declares \(count) entries (\(count * ProducerSnapshotEntry.size) bytes) but \(length - headerSize) bytes follow the header",
                                    file: path, position: length)
        }
        let end = headerSize + count * ProducerSnapshotEntry.size
        guard end == length else {
            throw StrataFormatError(.invalidSize, "\(length - end) bytes after the last of \(count) producer entries", file: path, position: end)
        }
        let declaredCRC = bytes.getInteger(at: base + 2, as: UInt32.self)!
        let computedCRC = checksum(bytes)
        guard declaredCRC == computedCRC else {
            throw StrataFormatError(.crcMismatch, "corrupt producer snapshot: CRC mismatch (declared \(declaredCRC), computed \(computedCRC))", file: path, position: 2)
        }

        var reader = bytes
        reader.moveReaderIndex(forwardBy: headerSize)
        var entries: [ProducerSnapshotEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            entries.append(ProducerSnapshotEntry(
                producerId: reader.readInteger()!, producerEpoch: reader.readInteger()!, lastSequence: reader.readInteger()!,
                lastOffset: reader.readInteger()!, offsetDelta: reader.readInteger()!, timestamp: reader.readInteger()!,
                coordinatorEpoch: reader.readInteger()!, currentTxnFirstOffset: reader.readInteger()!))
        }
        return entries
    }

    /// The CRC-32C of a snapshot's bytes from the entry count to the end.
    private static func checksum(_ bytes: ByteBuffer) -> UInt32 {
        bytes.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[crcStart...]))
        }
    }

    /// The file name of the snapshot at `offset`: 20 digits and `.snapshot`.
    public static func fileName(offset: Int64) -> String {
        SegmentFileName.name(for: offset, suffix: SegmentFileName.snapshotSuffix)
    }

    /// The offset a snapshot file name carries; nil when the name is not `<digits>.snapshot`.
    ///
    /// Stricter than Kafka (which takes any name ending in `.snapshot` and parses the part before
    /// the first `.`): a leftover `…snapshot.tmp` or `…snapshot.deleted` is not a snapshot, and
    /// neither is `5.x.snapshot`.
    public static func offset(ofFileName name: String) -> Int64? {
        guard name.hasSuffix(SegmentFileName.snapshotSuffix) else { return nil }
        return SegmentFileName.parseDecimal(name.dropLast(SegmentFileName.snapshotSuffix.count).utf8)
    }

    /// Writes a snapshot of `entries` at `offset` in `directory`, durably (`.tmp`, fsync,
    /// rename, fsync of the directory).
    ///
    /// - Returns: The path written.
    /// - Throws: `StrataIOError` when writing, syncing or renaming fails.
    @discardableResult
    public static func write(_ entries: [ProducerSnapshotEntry], offset: Int64, directory: String,
                             fileSystem: any FileSystem = PosixFileSystem()) throws(StrataIOError) -> String {
        let path = directory + "/" + fileName(offset: offset)
        try fileSystem.writeAtomically(encode(entries), to: path)
        return path
    }

    /// Reads and decodes the snapshot at `path`.
    ///
    /// - Throws: `StrataFormatError` as ``decode(_:path:)``; `StrataIOError` when reading fails.
    public static func read(path: String, fileSystem: any FileSystem = PosixFileSystem()) throws -> [ProducerSnapshotEntry] {
        try decode(fileSystem.readWholeFile(path, limit: Int(Int32.max)), path: path)
    }

    /// The offsets of the snapshot files in the partition directory `directory`, ascending.
    ///
    /// - Throws: `StrataIOError` when the directory cannot be listed.
    public static func offsets(in directory: String, fileSystem: any FileSystem = PosixFileSystem()) throws(StrataIOError) -> [Int64] {
        try fileSystem.contentsOfDirectory(directory).compactMap(offset(ofFileName:)).sorted()
    }
}
