import NIOCore

/// A segment's `.index` file: a sparse map from offsets to byte positions in its `.log`.
///
/// Each 8-byte entry holds, big-endian, an int32 offset relative to the segment's base offset
/// and the int32 position of a batch in the `.log` file. As Kafka writes it, the offset is
/// the **last** offset of a batch and the position is the **start** of that batch. Entries
/// strictly increase in offset and do not decrease in position.
///
/// A new index is preallocated: its file is sized to the maximum index size (Kafka's
/// `segment.index.bytes`, 10,485,760 by default) rounded down to whole entries, and is filled
/// from the front. Kafka takes every whole entry of an existing file as valid — an existing
/// index has `floor(fileLength / 8)` entries — so the index of an inactive segment must be cut
/// to its entries with ``trimToValidSize()`` before it is closed, or a reopened index reports
/// its zero-filled tail as entries (relative offset 0, position 0).
///
/// The file is read with positional reads and never loaded whole: only the entry count, the
/// last entry and one block of at most 4 KiB of recently read entries stay in memory.
///
/// An index belongs to one segment and is used by one writer at a time; it is not `Sendable`.
public final class OffsetIndex {
    /// Bytes per entry.
    public static let entrySize = 8
    /// Kafka's default `segment.index.bytes` (10 MiB).
    public static let defaultMaxIndexSize = 10 * 1024 * 1024

    private var slots: IndexSlots
    private var lastPosition: Int

    /// The segment's base offset; stored offsets are relative to it.
    public let baseOffset: Int64
    /// The size a new or reset index is preallocated to (before rounding down to whole entries).
    public let maxIndexSize: Int
    /// The largest offset in the index, or ``baseOffset`` when it is empty.
    public private(set) var lastOffset: Int64

    /// The open file.
    public var file: any StorageFile { slots.file }
    /// The path of the file.
    public var path: String { slots.path }
    /// Entries in use.
    public var entryCount: Int { slots.entryCount }
    /// How many entries the file can hold at its current length.
    public var maxEntries: Int { slots.maxEntries }
    /// True when no entry can be appended.
    public var isFull: Bool { entryCount >= maxEntries }
    /// The file length in bytes (the preallocated size while the index is active).
    public var fileLength: Int { slots.length }
    /// The bytes the entries occupy (`entryCount × 8`), the length a trimmed file has.
    public var sizeInBytes: Int { entryCount * Self.entrySize }
    /// The last entry, or `(baseOffset, 0)` when the index is empty.
    public var lastEntry: (offset: Int64, position: Int) { (lastOffset, lastPosition) }

    /// Opens the offset index of the segment at `baseOffset` in `file`.
    ///
    /// - Parameters:
    ///   - file: the `.index` file, opened for writing unless the index is only read.
    ///   - baseOffset: the segment's base offset.
    ///   - maxIndexSize: Kafka's `segment.index.bytes`; a new index is preallocated to it
    ///     rounded down to a multiple of 8, and ``reset()`` returns to it.
    ///   - isNew: true for an index created now: the file is emptied and preallocated, with no
    ///     entries. False for an existing index: every whole entry of the file counts
    ///     (`floor(length / 8)`), and the file length is the capacity (so a trimmed index is
    ///     full until ``resize(to:)`` extends it).
    /// - Throws: `invalidIndexArgument` when a new index could not hold one entry;
    ///   `StrataIOError` when the file cannot be sized or read.
    public init(file: any StorageFile, baseOffset: Int64, maxIndexSize: Int = OffsetIndex.defaultMaxIndexSize, isNew: Bool) throws {
        slots = try IndexSlots(file: file, entrySize: Self.entrySize, baseOffset: baseOffset, maxIndexSize: maxIndexSize, isNew: isNew, kind: "offset index")
        self.baseOffset = baseOffset
        self.maxIndexSize = maxIndexSize
        (lastOffset, lastPosition) = (baseOffset, 0)
        if let last = slots.lastEntry { (lastOffset, lastPosition) = decode(last, at: last.readerIndex) }
    }

    private func decode(_ bytes: ByteBuffer, at index: Int) -> (offset: Int64, position: Int) {
        let relative = bytes.getInteger(at: index, as: Int32.self)!
        let position = bytes.getInteger(at: index + 4, as: Int32.self)!
        return (RelativeOffset.absolute(relative, base: baseOffset), Int(position))
    }

    private func offsetKey(_ bytes: ByteBuffer, _ index: Int) -> Int64 {
        RelativeOffset.absolute(bytes.getInteger(at: index, as: Int32.self)!, base: baseOffset)
    }

    private func positionKey(_ bytes: ByteBuffer, _ index: Int) -> Int64 {
        Int64(bytes.getInteger(at: index + 4, as: Int32.self)!)
    }

    /// True when `offset` can be stored in this index (`0 ≤ offset − baseOffset ≤ 2^31−1`).
    public func canConvertToRelativeOffset(_ offset: Int64) -> Bool {
        RelativeOffset.of(offset, base: baseOffset) != nil
    }

    /// Appends the entry `(offset, position)` with one positional write of 8 bytes.
    ///
    /// - Throws: `indexFull` when no slot is left; `invalidIndexAppend` when `offset` is not
    ///   above ``lastOffset`` or `position` is below the last entry's position (both only
    ///   when the index has entries); `indexOffsetOverflow` when `offset − baseOffset` is
    ///   outside `0...Int32.max`; `unrepresentable` when `position` is outside
    ///   `0...Int32.max`; `StrataIOError` when the write fails.
    public func append(offset: Int64, position: Int) throws {
        guard !isFull else {
            throw slots.error(.indexFull, "offset index is full: cannot append offset \(offset) as entry \(entryCount) of \(maxEntries)", position: entryCount * Self.entrySize)
        }
        if entryCount > 0 {
            guard offset > lastOffset else {
                throw slots.error(.invalidIndexAppend, "offset index append out of order: offset \(offset) is not above the last offset \(lastOffset)", position: entryCount * Self.entrySize)
            }
            guard position >= lastPosition else {
                throw slots.error(.invalidIndexAppend, "offset index append out of order: position \(position) of offset \(offset) is below the last position \(lastPosition)", position: entryCount * Self.entrySize)
            }
        }
        guard let relative = RelativeOffset.of(offset, base: baseOffset) else {
            throw slots.error(.indexOffsetOverflow, "offset \(offset) cannot be stored relative to base offset \(baseOffset) in an int32", position: entryCount * Self.entrySize)
        }
        guard position >= 0, position <= Int(Int32.max) else {
            throw slots.error(.unrepresentable, "position \(position) of offset \(offset) does not fit the offset index's int32", position: entryCount * Self.entrySize)
        }
        var bytes = ByteBuffer()
        bytes.reserveCapacity(Self.entrySize)
        bytes.writeInteger(relative)
        bytes.writeInteger(Int32(position))
        try slots.append(bytes)
        (lastOffset, lastPosition) = (offset, position)
    }

    /// The entry with the largest offset ≤ `targetOffset`, or `(baseOffset, 0)` when there is
    /// none (the index is empty or every entry is above the target).
    ///
    /// This is where a read of `targetOffset` starts scanning the `.log`: from the returned
    /// position, the first batch whose last offset is ≥ the target holds it.
    ///
    /// - Throws: `StrataIOError` when reading fails; `truncated` when the file was cut
    ///   behind the index's back.
    /// - Complexity: O(log n); at most ⌈log₂(⌈n / 512⌉ + 1)⌉ + 1 positional reads of at
    ///   most 4 KiB (512 entries per block), none when the target is at or above the last entry.
    public func lookup(_ targetOffset: Int64) throws -> (offset: Int64, position: Int) {
        guard let found = try slots.largestSlot(atMost: targetOffset, key: offsetKey) else { return (baseOffset, 0) }
        return decode(found.entry, at: found.entry.readerIndex)
    }

    /// The entry with the smallest position ≥ `position`, or nil when every entry is below it.
    ///
    /// With `position` = start position + fetch size, its offset bounds the offsets a fetch
    /// can return (Kafka's `fetchUpperBoundOffset`, used to collect aborted transactions).
    ///
    /// - Throws: `StrataIOError` when reading fails.
    /// - Complexity: O(log n), as ``lookup(_:)``.
    public func firstEntry(atOrAfterPosition position: Int) throws -> (offset: Int64, position: Int)? {
        let clamped = Int64(clamping: position)
        let slot = try slots.countBelow(clamped, key: positionKey)
        guard slot < entryCount else { return nil }
        let bytes = try slots.entry(slot)
        return decode(bytes, at: bytes.readerIndex)
    }

    /// Entry number `index` (0-based), as stored.
    ///
    /// Entries of a damaged file are returned as they are: zero-filled slots read as
    /// `(baseOffset, 0)`.
    ///
    /// - Throws: `invalidIndexArgument` when `index` is not below ``entryCount``;
    ///   `StrataIOError` when reading fails.
    public func entry(at index: Int) throws -> (offset: Int64, position: Int) {
        guard index >= 0, index < entryCount else {
            throw slots.error(.invalidIndexArgument, "offset index entry \(index) requested, but the index has \(entryCount) entries")
        }
        let bytes = try slots.entry(index)
        return decode(bytes, at: bytes.readerIndex)
    }

    /// Removes every entry whose offset is ≥ `offset`.
    ///
    /// Only the in-memory entry count changes; the file keeps its length and its bytes (as in
    /// Kafka) until entries are appended over them or the file is trimmed or resized.
    ///
    /// - Throws: `StrataIOError` when reading fails.
    /// - Complexity: O(log n), as ``lookup(_:)``.
    public func truncate(toOffset offset: Int64) throws {
        let keep = try slots.countBelow(offset, key: offsetKey)
        try truncate(toEntries: keep)
    }

    private func truncate(toEntries count: Int) throws {
        try slots.truncate(toEntries: count)
        (lastOffset, lastPosition) = (baseOffset, 0)
        if let last = slots.lastEntry { (lastOffset, lastPosition) = decode(last, at: last.readerIndex) }
    }

    /// Removes every entry and sizes the file back to ``maxIndexSize`` (rounded down to
    /// whole entries), as Kafka does before rebuilding an index.
    ///
    /// - Throws: `StrataIOError` when the file cannot be resized.
    public func reset() throws {
        try truncate(toEntries: 0)
        try slots.resize(to: maxIndexSize)
    }

    /// Sets the file length to `newSize` rounded down to a multiple of 8, but never below the
    /// entries in use; the capacity (``maxEntries``) follows.
    ///
    /// Kafka re-extends the active segment's indexes with this after loading and after
    /// truncation.
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

    /// Kafka's offset index sanity check (spec 3.9).
    ///
    /// - Throws: `corruptIndex` when the index has entries and its last offset is below the
    ///   base offset (a negative relative offset in the last entry), or when the file length is
    ///   not a multiple of 8; `StrataIOError` when the size cannot be read. A zero-filled,
    ///   untrimmed index passes: its zero slots read as relative offset 0.
    public func sanityCheck() throws {
        if entryCount > 0 && lastOffset < baseOffset {
            throw slots.error(
                .corruptIndex, "corrupt offset index: the last entry's offset \(lastOffset) is below the base offset \(baseOffset)",
                position: (entryCount - 1) * Self.entrySize)
        }
        let length = try slots.file.size()
        if length % Self.entrySize != 0 {
            throw slots.error(
                .corruptIndex, "corrupt offset index: file length \(length) is not a multiple of \(Self.entrySize)",
                position: length - length % Self.entrySize)
        }
    }

    /// Closes the file. The file is not trimmed: call ``trimToValidSize()`` first for an
    /// inactive segment (Kafka trims on close).
    public func close() {
        slots.file.close()
    }
}

@available(*, unavailable)
extension OffsetIndex: Sendable {}
