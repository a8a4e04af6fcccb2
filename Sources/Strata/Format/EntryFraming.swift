import NIOCore

/// Kafka's rules for where one log entry ends and the next begins (`FileLogInputStream`).
///
/// Every entry starts with an 8-byte offset, a 4-byte size (the bytes after it) and, at byte
/// 16, the magic. At most 17 bytes left is the end of the data; a size below 14 is corruption
/// (this is what a zero-filled tail looks like); an entry running past the end is a partial
/// tail, not returned.
public enum EntryFraming {
    /// Bytes up to and including the magic byte.
    public static let headerSize = 17
    /// The smallest legal size field (`LegacyRecord.RECORD_OVERHEAD_V0`).
    public static let minimumSize = 14

    /// What lies at a position.
    public enum Outcome: Sendable, Hashable {
        /// At most 17 bytes remain: the data ends here (`trailing` bytes are left over).
        case end(trailing: Int)
        /// An entry of `size` bytes (with its prefix) starts here but only `available` remain.
        case partial(size: Int, available: Int)
        /// A whole entry of `size` bytes (with its prefix) and the given magic.
        case entry(size: Int, magic: Int8)

        /// Why reading stops at `position`, nil when a whole entry is there.
        public func stop(at position: Int) -> LogStop? {
            switch self {
            case .end(let trailing): trailing == 0 ? .endOfData : .trailingBytes(position: position, count: trailing)
            case .partial(let size, let available): .partialEntry(position: position, declaredSize: size, available: available)
            case .entry: nil
            }
        }
    }

    /// Decides what lies at `position`, given the bytes there (at least 17, or all that remain)
    /// and how many bytes remain in the region.
    ///
    /// - Throws: `invalidSize` for a size below 14 or above `limits.maxEntryBytes`;
    ///   `unsupportedMagic` for a magic other than 0, 1 or 2.
    public static func inspect(_ bytes: UnsafeRawBufferPointer, remaining: Int, position: Int, limits: DecodingLimits = .default) throws(StrataFormatError) -> Outcome {
        guard remaining > headerSize else { return .end(trailing: remaining) }
        let offset = Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int64.self))
        let size = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: Int32.self)))
        guard size >= minimumSize else {
            let zero = size == 0 && offset == 0
            throw StrataFormatError(.invalidSize, "record size \(size) is smaller than the minimum record overhead (\(minimumSize))" + (zero ? "; the data is zero-filled from here" : ""), position: position, baseOffset: offset)
        }
        let total = size + RecordBatchHeader.logOverhead
        guard total <= limits.maxEntryBytes else {
            throw StrataFormatError(.invalidSize, "entry of \(total) bytes exceeds the largest allowed (\(limits.maxEntryBytes))", position: position, baseOffset: offset)
        }
        guard total <= remaining else { return .partial(size: total, available: remaining) }
        let magic = Int8(bitPattern: bytes[16])
        guard (0...2).contains(magic) else {
            throw StrataFormatError(.unsupportedMagic, "unsupported magic \(magic) (expected 0, 1 or 2)", position: position, baseOffset: offset)
        }
        return .entry(size: total, magic: magic)
    }

    /// Builds the entry whose bytes are exactly `bytes`.
    ///
    /// - Throws: the entry kind's framing errors.
    public static func makeEntry(_ bytes: ByteBuffer, magic: Int8, position: Int) throws(StrataFormatError) -> LogEntry {
        if magic == 2 { return .batch(try RecordBatch(bytes: bytes, position: position)) }
        return .legacy(try LegacyEntry(bytes: bytes, position: position))
    }
}

/// Why reading entries stopped.
public enum LogStop: Sendable, Hashable {
    /// The data ended on an entry boundary.
    case endOfData
    /// 1–17 bytes were left after the last entry (too few to hold an entry header).
    case trailingBytes(position: Int, count: Int)
    /// An entry declared more bytes than remain: a partially written tail.
    case partialEntry(position: Int, declaredSize: Int, available: Int)
}

/// Walks the entries of a `.log` region held in memory, exactly as Kafka does.
///
/// ```swift
/// var reader = LogEntryReader(segmentBytes)
/// while let entry = try reader.next() { print(entry.lastOffset) }
/// ```
/// After `next()` returns nil, ``stop`` says why; after it throws, ``position`` is the
/// position of the bad entry (the end of the valid bytes).
public struct LogEntryReader {
    private let buffer: ByteBuffer
    private let startPosition: Int
    private let limits: DecodingLimits
    /// Position of the next entry (in the region's own coordinates).
    public private(set) var position: Int
    /// Why reading stopped, once it has.
    public private(set) var stop: LogStop?

    /// Reads entries from `buffer`, whose first byte is at `startPosition` in its file.
    public init(_ buffer: ByteBuffer, startPosition: Int = 0, limits: DecodingLimits = .default) {
        self.buffer = buffer
        self.startPosition = startPosition
        self.limits = limits
        self.position = startPosition
    }

    /// The next entry, or nil at the end of the data or a partial tail.
    ///
    /// - Throws: the framing errors of ``EntryFraming``; the reader does not advance.
    public mutating func next() throws(StrataFormatError) -> LogEntry? {
        if stop != nil { return nil }
        let relative = position - startPosition
        let remaining = buffer.readableBytes - relative
        let at = buffer.readerIndex + relative
        let outcome = try buffer.withUnsafeReadableBytes { raw throws(StrataFormatError) in
            try EntryFraming.inspect(UnsafeRawBufferPointer(rebasing: raw[relative...]), remaining: remaining, position: position, limits: limits)
        }
        guard case .entry(let size, let magic) = outcome else {
            stop = outcome.stop(at: position)
            return nil
        }
        let entry = try EntryFraming.makeEntry(buffer.getSlice(at: at, length: size)!, magic: magic, position: position)
        position += size
        return entry
    }

    /// Moves past the entry at ``position`` after `next()` threw, when its size field can be
    /// trusted to frame it (size ≥ 14 and inside the data). Returns false when framing is lost.
    public mutating func skipEntry() -> Bool {
        let relative = position - startPosition
        guard buffer.readableBytes - relative > EntryFraming.headerSize,
              let size = buffer.getInteger(at: buffer.readerIndex + relative + 8, as: Int32.self),
              size >= EntryFraming.minimumSize, Int(size) + 12 <= buffer.readableBytes - relative
        else { return false }
        position += Int(size) + 12
        return true
    }
}
