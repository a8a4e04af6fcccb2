import NIOCore

/// The fixed-size slots of an `.index` or `.timeindex` file, read and written with positional
/// I/O through a ``StorageFile``.
///
/// Kafka memory-maps these files; Strata reads them with pread instead so that memory stays
/// bounded whatever the index size. What is kept in memory: the entry count, the file length,
/// the last entry, and one block of at most ``blockBytes`` recently read entries.
///
/// Lookups are a two-level binary search: first over the first entry of each block (one pread
/// per probe), then inside the one block that can hold the answer (one pread for the block, or
/// none when it is the cached one). A trimmed index of an inactive segment (typically a few
/// hundred entries) is a single block, so a lookup costs at most one read.
struct IndexSlots {
    /// The size of a block of entries read at once, in bytes (rounded down to whole entries).
    static let blockBytes = 4096

    let file: any StorageFile
    let entrySize: Int
    let baseOffset: Int64
    /// What the index is called in messages (`offset index`, `time index`).
    let kind: String
    /// Entries per block.
    let entriesPerBlock: Int
    /// Entries in use.
    private(set) var entryCount: Int
    /// The file length in bytes (the preallocated size for an active index).
    private(set) var length: Int
    /// The bytes of the last entry in use, when there is one.
    private(set) var lastEntry: ByteBuffer?
    /// The most recently read block: its number, how many entries it held, its bytes.
    private var cachedBlock: (number: Int, count: Int, bytes: ByteBuffer)?

    var path: String { file.path }
    /// How many entries the file length can hold.
    var maxEntries: Int { length / entrySize }

    /// Opens the slots of `file`.
    ///
    /// A new index discards any content and is sized to `maxIndexSize` rounded down to whole
    /// entries, with no entries in use. An existing one has `floor(length / entrySize)` entries,
    /// all taken as valid (Kafka's rule), and its length as its capacity.
    init(file: any StorageFile, entrySize: Int, baseOffset: Int64, maxIndexSize: Int, isNew: Bool, kind: String) throws {
        self.file = file
        self.entrySize = entrySize
        self.baseOffset = baseOffset
        self.kind = kind
        self.entriesPerBlock = max(1, Self.blockBytes / entrySize)
        if isNew {
            let rounded = maxIndexSize >= 0 ? maxIndexSize / entrySize * entrySize : 0
            guard rounded >= entrySize else {
                throw StrataFormatError(
                    .invalidIndexArgument, "invalid maximum \(kind) size \(maxIndexSize): it must hold at least one \(entrySize)-byte entry",
                    file: file.path, baseOffset: baseOffset)
            }
            try file.truncate(to: 0)
            try file.truncate(to: rounded)
            length = rounded
            entryCount = 0
        } else {
            length = try file.size()
            entryCount = length / entrySize
            if entryCount > 0 {
                lastEntry = try readEntries(from: entryCount - 1, count: 1)
            }
        }
    }

    /// An error of this index, naming the file and its base offset.
    func error(_ code: StrataFormatError.Code, _ message: String, position: Int? = nil) -> StrataFormatError {
        StrataFormatError(code, message, file: path, position: position, baseOffset: baseOffset)
    }

    /// Reads `count` whole entries starting at slot `first`.
    ///
    /// - Throws: `truncated` when the file is shorter than the entries it was opened with
    ///   (it was cut behind the index's back); `StrataIOError` when reading fails.
    private func readEntries(from first: Int, count: Int) throws -> ByteBuffer {
        let position = first * entrySize
        let wanted = count * entrySize
        let bytes = try file.read(at: position, count: wanted)
        guard bytes.readableBytes == wanted else {
            throw error(
                .truncated, "\(kind) file ended early: wanted \(wanted) bytes for entries \(first)..<\(first + count), got \(bytes.readableBytes)",
                position: position + bytes.readableBytes)
        }
        return bytes
    }

    /// The bytes of entry `slot` (which must be below ``entryCount``).
    mutating func entry(_ slot: Int) throws -> ByteBuffer {
        precondition(slot >= 0 && slot < entryCount, "index slot out of range")
        if slot == entryCount - 1, let lastEntry { return lastEntry }
        let blockNumber = slot / entriesPerBlock
        if let cachedBlock, cachedBlock.number == blockNumber, slot - blockNumber * entriesPerBlock < cachedBlock.count {
            return cachedBlock.bytes.getSlice(at: cachedBlock.bytes.readerIndex + (slot - blockNumber * entriesPerBlock) * entrySize, length: entrySize)!
        }
        return try readEntries(from: slot, count: 1)
    }

    /// The entries of block `number` in use, from the cache or the file.
    private mutating func block(_ number: Int) throws -> ByteBuffer {
        let first = number * entriesPerBlock
        let count = min(entriesPerBlock, entryCount - first)
        if let cachedBlock, cachedBlock.number == number, cachedBlock.count == count {
            return cachedBlock.bytes
        }
        let bytes = try readEntries(from: first, count: count)
        cachedBlock = (number, count, bytes)
        return bytes
    }

    /// The largest slot whose key is ≤ `target`, with its bytes; nil when the index is empty
    /// or its first key is above `target`.
    ///
    /// `key` reads the sort key of the entry starting at the given index of the buffer. For
    /// keys that do not increase (a damaged file) it still returns some slot, never traps.
    ///
    /// - Complexity: O(log n) comparisons; at most ⌈log₂(blocks + 1)⌉ reads of one entry plus
    ///   one read of a block, where blocks = ⌈n / entriesPerBlock⌉.
    mutating func largestSlot(atMost target: Int64, key: (ByteBuffer, Int) -> Int64) throws -> (slot: Int, entry: ByteBuffer)? {
        guard entryCount > 0 else { return nil }
        let last = try entry(entryCount - 1)
        if key(last, last.readerIndex) <= target { return (entryCount - 1, last) }

        // The largest block whose first key is ≤ target. Invariant: block `low` qualifies
        // (or low == -1), blocks ≥ `high` do not.
        let blockCount = (entryCount + entriesPerBlock - 1) / entriesPerBlock
        var low = -1
        var high = blockCount
        while high - low > 1 {
            let middle = low + (high - low) / 2
            let first = try entry(middle * entriesPerBlock)
            if key(first, first.readerIndex) <= target { low = middle } else { high = middle }
        }
        guard low >= 0 else { return nil }

        // Inside the block: its first entry qualifies; find the last one that does.
        let bytes = try block(low)
        let count = bytes.readableBytes / entrySize
        var lowSlot = 0
        var highSlot = count
        while highSlot - lowSlot > 1 {
            let middle = lowSlot + (highSlot - lowSlot) / 2
            if key(bytes, bytes.readerIndex + middle * entrySize) <= target { lowSlot = middle } else { highSlot = middle }
        }
        let slot = low * entriesPerBlock + lowSlot
        return (slot, bytes.getSlice(at: bytes.readerIndex + lowSlot * entrySize, length: entrySize)!)
    }

    /// The number of leading entries whose key is < `target` (the first slot with key ≥
    /// `target`, for keys that do not decrease).
    mutating func countBelow(_ target: Int64, key: (ByteBuffer, Int) -> Int64) throws -> Int {
        guard target > Int64.min else { return 0 }
        return (try largestSlot(atMost: target - 1, key: key)?.slot ?? -1) + 1
    }

    /// Writes one entry into the next free slot.
    ///
    /// - Throws: `indexFull` when no slot is left; `StrataIOError` when the write fails.
    mutating func append(_ bytes: ByteBuffer) throws {
        precondition(bytes.readableBytes == entrySize, "index entry of the wrong size")
        guard entryCount < maxEntries else {
            throw error(.indexFull, "\(kind) is full: no slot left for entry \(entryCount) (file length \(length) bytes)", position: entryCount * entrySize)
        }
        try file.write(bytes, at: entryCount * entrySize)
        entryCount += 1
        lastEntry = bytes
    }

    /// Keeps the first `count` entries (the file is not changed).
    mutating func truncate(toEntries count: Int) throws {
        precondition(count >= 0 && count <= entryCount, "index truncation past the end")
        cachedBlock = nil
        if count == entryCount { return }
        lastEntry = count > 0 ? try readEntries(from: count - 1, count: 1) : nil
        entryCount = count
    }

    /// Sets the file length to `newSize` rounded down to whole entries, but never below the
    /// entries in use.
    ///
    /// - Throws: `invalidIndexArgument` for a negative size; `StrataIOError` when the file
    ///   cannot be resized.
    mutating func resize(to newSize: Int) throws {
        guard newSize >= 0 else {
            throw error(.invalidIndexArgument, "cannot resize \(kind) to \(newSize) bytes")
        }
        let rounded = max(newSize / entrySize * entrySize, entryCount * entrySize)
        if rounded != length {
            try file.truncate(to: rounded)
            length = rounded
        }
    }
}
