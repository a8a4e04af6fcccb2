import NIOCore

/// A segment's `.timeindex` file: a sparse map from timestamps to offsets.
///
/// Each 12-byte entry holds, big-endian, an int64 timestamp and an int32 offset relative to
/// the segment's base offset. As Kafka writes it, the timestamp T is the largest batch max
/// timestamp appended to the segment so far and the offset is the last offset of the earliest
/// batch that reached T, so every record with a timestamp above T lies after that offset.
/// Entries strictly increase in timestamp and do not decrease in offset.
///
/// Like ``OffsetIndex``, a new index is preallocated to the maximum index size rounded down to
/// whole entries (10,485,756 bytes for the default 10,485,760), an existing one has
/// `floor(fileLength / 12)` entries, and the index of an inactive segment must be trimmed.
/// The index reports itself full one slot early (``isFull`` is `entryCount ≥ maxEntries − 1`)
/// to keep room for the final entry Kafka appends when the segment is rolled or closed (with
/// `skipFullCheck`).
///
/// Only the entry count, the last entry and one block of at most 4 KiB of recently read
/// entries stay in memory. An index belongs to one segment and one writer; it is not `Sendable`.
public final class TimeIndex {
    /// Bytes per entry.
    public static let entrySize = 12
    /// Kafka's default `segment.index.bytes` (10 MiB; 10,485,756 bytes once rounded down).
    public static let defaultMaxIndexSize = OffsetIndex.defaultMaxIndexSize

    private var slots: IndexSlots

    /// The segment's base offset; stored offsets are relative to it.
    public let baseOffset: Int64
    /// The size a new or reset index is preallocated to (before rounding down to whole entries).
    public let maxIndexSize: Int
    /// The last entry, or `(-1, baseOffset)` when the index is empty (-1 is Kafka's
    /// `NO_TIMESTAMP`).
    public private(set) var lastEntry: (timestamp: Int64, offset: Int64)

    /// The open file.
    public var file: any StorageFile { slots.file }
    /// The path of the file.
    public var path: String { slots.path }
    /// Entries in use.
    public var entryCount: Int { slots.entryCount }
    /// How many entries the file can hold at its current length.
    public var maxEntries: Int { slots.maxEntries }
    /// True when only the reserved last slot is left (`entryCount ≥ maxEntries − 1`).
    public var isFull: Bool { entryCount >= maxEntries - 1 }
    /// The file length in bytes (the preallocated size while the index is active).
    public var fileLength: Int { slots.length }
    /// The bytes the entries occupy (`entryCount × 12`), the length a trimmed file has.
    public var sizeInBytes: Int { entryCount * Self.entrySize }

    /// Opens the time index of the segment at `baseOffset` in `file`.
    ///
    /// - Parameters:
    ///   - file: the `.timeindex` file, opened for writing unless the index is only read.
    ///   - baseOffset: the segment's base offset.
    ///   - maxIndexSize: Kafka's `segment.index.bytes`; a new index is preallocated to it
    ///     rounded down to a multiple of 12, and ``reset()`` returns to it.
    ///   - isNew: true for an index created now: the file is emptied and preallocated, with no
    ///     entries. False for an existing index: every whole entry of the file counts
    ///     (`floor(length / 12)`), and the file length is the capacity.
    /// - Throws: `invalidIndexArgument` when a new index could not hold one entry;
    ///   `StrataIOError` when the file cannot be sized or read.
    public init(file: any StorageFile, baseOffset: Int64, maxIndexSize: Int = TimeIndex.defaultMaxIndexSize, isNew: Bool) throws {
        slots = try IndexSlots(file: file, entrySize: Self.entrySize, baseOffset: baseOffset, maxIndexSize: maxIndexSize, isNew: isNew, kind: "time index")
        self.baseOffset = baseOffset
        self.maxIndexSize = maxIndexSize
        lastEntry = (-1, baseOffset)
        if let last = slots.lastEntry { lastEntry = decode(last, at: last.readerIndex) }
    }

    private func decode(_ bytes: ByteBuffer, at index: Int) -> (timestamp: Int64, offset: Int64) {
        let timestamp = bytes.getInteger(at: index, as: Int64.self)!
        let relative = bytes.getInteger(at: index + 8, as: Int32.self)!
        return (timestamp, RelativeOffset.absolute(relative, base: baseOffset))
    }

    private func timestampKey(_ bytes: ByteBuffer, _ index: Int) -> Int64 {
        bytes.getInteger(at: index, as: Int64.self)!
    }

    private func offsetKey(_ bytes: ByteBuffer, _ index: Int) -> Int64 {
        RelativeOffset.absolute(bytes.getInteger(at: index + 8, as: Int32.self)!, base: baseOffset)
    }

    /// True when `offset` can be stored in this index (`0 ≤ offset − baseOffset ≤ 2^31−1`).
    public func canConvertToRelativeOffset(_ offset: Int64) -> Bool {
        RelativeOffset.of(offset, base: baseOffset) != nil
    }

    /// Appends `(timestamp, offset)` when `timestamp` is above the last entry's timestamp
    /// (−1 for an empty index, so v0 data with no timestamps leaves the index empty).
    ///
    /// An entry with the same timestamp as the last one is silently ignored, as in Kafka.
    /// The entry is written with one positional write of 12 bytes.
    ///
    /// - Parameter skipFullCheck: true for the final entry written when the segment is
    ///   rolled or closed, which may use the slot ``isFull`` reserves.
    /// - Returns: true when an entry was written.
    /// - Throws: `indexFull` when ``isFull`` (unless `skipFullCheck`), or when no slot at all is
    ///   left; `invalidIndexAppend` when the index has entries and `offset` is below the last
    ///   entry's offset or `timestamp` below its timestamp; `indexOffsetOverflow` when the
    ///   entry is written and `offset − baseOffset` is outside `0...Int32.max`;
    ///   `StrataIOError` when the write fails.
    @discardableResult
    public func maybeAppend(timestamp: Int64, offset: Int64, skipFullCheck: Bool = false) throws -> Bool {
        let position = entryCount * Self.entrySize
        if !skipFullCheck && isFull {
            throw slots.error(.indexFull, "time index is full: cannot append (\(timestamp), \(offset)) as entry \(entryCount) of \(maxEntries) (the last slot is kept for the roll entry)", position: position)
        }
        if entryCount > 0 {
            guard offset >= lastEntry.offset else {
                throw slots.error(.invalidIndexAppend, "time index append out of order: offset \(offset) is below the last offset \(lastEntry.offset)", position: position)
            }
            guard timestamp >= lastEntry.timestamp else {
                throw slots.error(.invalidIndexAppend, "time index append out of order: timestamp \(timestamp) is below the last timestamp \(lastEntry.timestamp)", position: position)
            }
        }
        guard timestamp > lastEntry.timestamp else { return false }
        guard let relative = RelativeOffset.of(offset, base: baseOffset) else {
            throw slots.error(.indexOffsetOverflow, "offset \(offset) cannot be stored relative to base offset \(baseOffset) in an int32", position: position)
        }
        var bytes = ByteBuffer()
        bytes.reserveCapacity(Self.entrySize)
        bytes.writeInteger(timestamp)
        bytes.writeInteger(relative)
        try slots.append(bytes)
        lastEntry = (timestamp, offset)
        return true
    }

    /// The entry with the largest timestamp ≤ `timestamp`, or `(-1, baseOffset)` when there is
    /// none.
    ///
    /// A search for the first record at or after `timestamp` starts from the returned offset
    /// (through the offset index) and scans forward.
    ///
    /// - Throws: `StrataIOError` when reading fails; `truncated` when the file was cut
    ///   behind the index's back.
    /// - Complexity: O(log n); at most ⌈log₂(⌈n / 341⌉ + 1)⌉ + 1 positional reads of at
    ///   most 4 KiB (341 entries per block), none when the target is at or above the last entry.
    public func lookup(timestamp: Int64) throws -> (timestamp: Int64, offset: Int64) {
        guard let found = try slots.largestSlot(atMost: timestamp, key: timestampKey) else { return (-1, baseOffset) }
        return decode(found.entry, at: found.entry.readerIndex)
    }

    /// Entry number `index` (0-based), as stored.
    ///
    /// Entries of a damaged file are returned as they are: zero-filled slots read as
    /// `(0, baseOffset)`.
    ///
    /// - Throws: `invalidIndexArgument` when `index` is not below ``entryCount``;
    ///   `StrataIOError` when reading fails.
    public func entry(at index: Int) throws -> (timestamp: Int64, offset: Int64) {
        guard index >= 0, index < entryCount else {
            throw slots.error(.invalidIndexArgument, "time index entry \(index) requested, but the index has \(entryCount) entries")
        }
        let bytes = try slots.entry(index)
        return decode(bytes, at: bytes.readerIndex)
    }

    /// Removes every entry whose offset is ≥ `offset`.
    ///
    /// Only the in-memory entry count changes; the file keeps its length and bytes until
    /// entries are appended over them or it is trimmed or resized.
    ///
    /// - Throws: `StrataIOError` when reading fails.
    /// - Complexity: O(log n), as ``lookup(timestamp:)``.
    public func truncate(toOffset offset: Int64) throws {
        let keep = try slots.countBelow(offset, key: offsetKey)
        try truncate(toEntries: keep)
    }

    private func truncate(toEntries count: Int) throws {
        try slots.truncate(toEntries: count)
        lastEntry = (-1, baseOffset)
        if let last = slots.lastEntry { lastEntry = decode(last, at: last.readerIndex) }
    }

    /// Removes every entry and sizes the file back to ``maxIndexSize`` (rounded down to
    /// whole entries), as Kafka does before rebuilding an index.
    ///
    /// - Throws: `StrataIOError` when the file cannot be resized.
    public func reset() throws {
        try truncate(toEntries: 0)
        try slots.resize(to: maxIndexSize)
    }

    /// Sets the file length to `newSize` rounded down to a multiple of 12, but never below the
    /// entries in use; the capacity (``maxEntries``) follows.
    ///
    /// - Throws: `invalidIndexArgument` for a negative size; `StrataIOError` when the file
    ///   cannot be resized.
    public func resize(to newSize: Int) throws {
        try slots.resize(to: newSize)
    }

    /// Cuts the file to exactly its entries (``sizeInBytes``), as every inactive index must be.
    ///
    /// - Throws: `StrataIOError` when the file cannot be resized.
    public func trimToValidSize() throws {
        try slots.resize(to: sizeInBytes)
    }

    /// Makes the entries written so far durable.
    ///
    /// - Throws: `StrataIOError` when the sync fails.
    public func sync() throws {
        try slots.file.sync()
    }

    /// Kafka's time index sanity check (spec 3.9).
    ///
    /// - Throws: `corruptIndex` when the index has entries and its last timestamp is below its
    ///   first timestamp, or its last offset is below the base offset, or when the file length
    ///   is not a multiple of 12; `StrataIOError` when reading fails.
    public func sanityCheck() throws {
        if entryCount > 0 {
            let first = try entry(at: 0)
            if lastEntry.timestamp < first.timestamp {
                throw slots.error(
                    .corruptIndex, "corrupt time index: the last timestamp \(lastEntry.timestamp) is below the first timestamp \(first.timestamp)",
                    position: (entryCount - 1) * Self.entrySize)
            }
            if lastEntry.offset < baseOffset {
                throw slots.error(
                    .corruptIndex, "corrupt time index: the last entry's offset \(lastEntry.offset) is below the base offset \(baseOffset)",
                    position: (entryCount - 1) * Self.entrySize + 8)
            }
        }
        let length = try slots.file.size()
        if length % Self.entrySize != 0 {
            throw slots.error(
                .corruptIndex, "corrupt time index: file length \(length) is not a multiple of \(Self.entrySize)",
                position: length - length % Self.entrySize)
        }
    }

    /// Closes the file. The file is not trimmed: append the final entry and call
    /// ``trimToValidSize()`` first for an inactive segment (Kafka does both on close).
    public func close() {
        slots.file.close()
    }
}

@available(*, unavailable)
extension TimeIndex: Sendable {}
