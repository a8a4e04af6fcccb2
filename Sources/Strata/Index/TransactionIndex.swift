import NIOCore

/// A segment's `.txnindex` file: the transactions aborted by markers in the segment.
///
/// A plain append-only file of 34-byte ``AbortedTransaction`` entries with strictly increasing
/// last offsets. It is not preallocated and, as in Kafka, not created until the first entry is
/// appended, so a segment without aborted transactions has no `.txnindex` file. Reads go
/// through the file in bounded chunks; only the entry count and the last entry's last offset
/// stay in memory.
///
/// A trailing partial entry (a torn append) is ignored by every read, as Kafka ignores it, and
/// is overwritten by the next append.
///
/// An index belongs to one segment and one writer; it is not `Sendable`.
public final class TransactionIndex {
    /// Entries read per positional read while scanning.
    static let entriesPerRead = 1024

    /// The file system the file is created and opened through.
    public let fileSystem: any FileSystem
    /// The path of the `.txnindex` file (which may not exist yet).
    public let path: String
    /// The segment's base offset.
    public let baseOffset: Int64
    /// True when the index was opened only for reading: appends and changes fail.
    public let isReadOnly: Bool

    private var file: (any StorageFile)?
    private var fileSize = 0
    private var lastOffset: Int64?
    private var isClosed = false
    /// Entries rebuilt in memory, read instead of the file (see ``useInMemory(_:)``).
    private var inMemoryEntries: [AbortedTransaction]?

    /// Entries in the file (trailing partial bytes excluded).
    public var entryCount: Int { fileSize / AbortedTransaction.size }
    /// True once the file exists (it was there when opened, or an entry was appended).
    public var fileExists: Bool { file != nil }
    /// The file length in bytes (0 while the file does not exist).
    public var sizeInBytes: Int { fileSize }

    /// Opens the transaction index at `path`, or prepares to create it on the first append.
    ///
    /// - Parameters:
    ///   - fileSystem: where the file lives.
    ///   - path: the `.txnindex` path.
    ///   - baseOffset: the segment's base offset.
    ///   - readOnly: open an existing file only for reading; ``append(_:)``, ``truncate(toOffset:)``
    ///     and ``reset()`` then fail.
    /// - Throws: `StrataIOError` when an existing file cannot be opened or read.
    public init(fileSystem: any FileSystem, path: String, baseOffset: Int64, readOnly: Bool = false) throws {
        self.fileSystem = fileSystem
        self.path = path
        self.baseOffset = baseOffset
        self.isReadOnly = readOnly
        if fileSystem.exists(path) {
            let file = try fileSystem.open(path, mode: readOnly ? .readOnly : .readWrite)
            self.file = file
            do {
                fileSize = try file.size()
                if entryCount > 0 {
                    let field = try file.read(at: (entryCount - 1) * AbortedTransaction.size + 18, count: 8)
                    lastOffset = field.getInteger(at: field.readerIndex, as: Int64.self)
                }
            } catch {
                file.close()
                throw error
            }
        }
    }

    private func error(_ code: StrataFormatError.Code, _ message: String, position: Int? = nil) -> StrataFormatError {
        StrataFormatError(code, message, file: path, position: position, baseOffset: baseOffset)
    }

    private func checkUsable(_ call: String, writing: Bool) throws {
        let badDescriptor: Int32 = 9  // EBADF, as the file layer reports for a closed file
        if isClosed || (writing && isReadOnly) { throw StrataIOError(call: call, path: path, errno: badDescriptor) }
    }

    /// Appends `transaction`, creating the file on the first append.
    ///
    /// The entry is written at the end of the whole entries, over any partial tail.
    ///
    /// - Throws: `invalidIndexAppend` when `transaction.lastOffset` is not above the last
    ///   entry's; `StrataIOError` when the file cannot be created or written (also for an
    ///   index opened read-only or closed).
    public func append(_ transaction: AbortedTransaction) throws {
        try checkUsable("append", writing: true)
        let position = entryCount * AbortedTransaction.size
        if let lastOffset, transaction.lastOffset <= lastOffset {
            throw error(
                .invalidIndexAppend,
                "transaction index append out of order: last offset \(transaction.lastOffset) is not above the current last offset \(lastOffset)",
                position: position)
        }
        let file: any StorageFile
        if let existing = self.file {
            file = existing
        } else {
            file = try fileSystem.open(path, mode: .createIfMissing)
            self.file = file
            fileSize = try file.size()
        }
        try file.write(transaction.encoded, at: position)
        fileSize = max(fileSize, position + AbortedTransaction.size)
        lastOffset = transaction.lastOffset
    }

    /// Calls `body` with each entry and its byte position, in file order, until it returns false.
    ///
    /// - Throws: `unsupportedIndexVersion` for an entry whose version byte is above 0;
    ///   `StrataIOError` when reading fails; whatever `body` throws.
    private func forEach(_ body: (AbortedTransaction, Int) throws -> Bool) throws {
        try checkUsable("read", writing: false)
        if let inMemoryEntries {
            for (index, transaction) in inMemoryEntries.enumerated() {
                guard try body(transaction, index * AbortedTransaction.size) else { return }
            }
            return
        }
        guard let file else { return }
        let total = entryCount
        var first = 0
        while first < total {
            let count = min(Self.entriesPerRead, total - first)
            let start = first * AbortedTransaction.size
            var chunk = try file.read(at: start, count: count * AbortedTransaction.size)
            guard chunk.readableBytes == count * AbortedTransaction.size else {
                throw error(.truncated, "transaction index file ended early: wanted \(total) entries", position: start + chunk.readableBytes)
            }
            for index in 0..<count {
                let position = start + index * AbortedTransaction.size
                let transaction = try AbortedTransaction(parsing: &chunk, position: position)
                if transaction.version > AbortedTransaction.currentVersion {
                    throw error(
                        .unsupportedIndexVersion,
                        "unexpected aborted transaction version \(transaction.version) (current version is \(AbortedTransaction.currentVersion))",
                        position: position)
                }
                guard try body(transaction, position) else { return }
            }
            first += count
        }
    }

    /// Reads `entries` instead of the file from now on: a read-only open recovering a segment
    /// rebuilds its aborted transactions in memory, as it may not rewrite the file.
    public func useInMemory(_ entries: [AbortedTransaction]) {
        inMemoryEntries = entries
    }

    /// Every entry, in file order.
    ///
    /// - Throws: `unsupportedIndexVersion` for an entry of a version above 0 (naming its
    ///   byte position); `StrataIOError` when reading fails.
    /// - Complexity: O(n); reads the whole file.
    public func allAbortedTransactions() throws -> [AbortedTransaction] {
        var all: [AbortedTransaction] = []
        all.reserveCapacity(entryCount)
        try forEach { transaction, _ in
            all.append(transaction)
            return true
        }
        return all
    }

    /// The aborted transactions a READ_COMMITTED fetch of `[fetchOffset, upperBoundOffset)`
    /// must report: entries with `lastOffset ≥ fetchOffset` and `firstOffset < upperBoundOffset`,
    /// in file order.
    ///
    /// The scan stops at the first entry whose last stable offset is ≥ `upperBoundOffset`
    /// (after including it when it matches): no later segment can hold more relevant entries,
    /// and `isComplete` is true. When it is false the caller goes on with the next segment.
    ///
    /// - Throws: as ``allAbortedTransactions()``.
    /// - Complexity: O(n) in the entries scanned.
    public func collectAbortedTransactions(fetchOffset: Int64, upperBoundOffset: Int64) throws -> (transactions: [AbortedTransaction], isComplete: Bool) {
        var found: [AbortedTransaction] = []
        var complete = false
        try forEach { transaction, _ in
            if transaction.lastOffset >= fetchOffset && transaction.firstOffset < upperBoundOffset {
                found.append(transaction)
            }
            if transaction.lastStableOffset >= upperBoundOffset {
                complete = true
                return false
            }
            return true
        }
        return (found, complete)
    }

    /// Removes every entry from the first one whose last offset is ≥ `offset` on, cutting the
    /// file there. Nothing changes when there is no such entry (or no file).
    ///
    /// - Throws: as ``allAbortedTransactions()``; `StrataIOError` when the file cannot be cut.
    public func truncate(toOffset offset: Int64) throws {
        try checkUsable("truncate", writing: true)
        var cut: Int?
        var newLast: Int64?
        try forEach { transaction, position in
            if transaction.lastOffset >= offset {
                cut = position
                return false
            }
            newLast = transaction.lastOffset
            return true
        }
        guard let cut, let file else { return }
        try file.truncate(to: cut)
        fileSize = cut
        lastOffset = newLast
    }

    /// Removes every entry (the file, when it exists, is cut to 0 bytes and kept).
    ///
    /// - Throws: `StrataIOError` when the file cannot be cut.
    public func reset() throws {
        try checkUsable("truncate", writing: true)
        if let file { try file.truncate(to: 0) }
        fileSize = 0
        lastOffset = nil
    }

    /// Kafka's transaction index sanity check: every entry ends at or after the base offset.
    ///
    /// - Throws: `corruptIndex` naming the first entry whose last offset is below the base
    ///   offset; as ``allAbortedTransactions()`` otherwise.
    public func sanityCheck() throws {
        try forEach { transaction, position in
            if transaction.lastOffset < baseOffset {
                throw error(
                    .corruptIndex,
                    "corrupt transaction index: the last offset of \(transaction) is below the base offset \(baseOffset)",
                    position: position + 18)
            }
            return true
        }
    }

    /// Makes the entries written so far durable (nothing to do while the file does not exist).
    ///
    /// The directory entry of a newly created file is not synced here: the segment does that
    /// when it syncs its directory.
    ///
    /// - Throws: `StrataIOError` when the sync fails.
    public func sync() throws {
        try file?.sync()
    }

    /// Closes the file; later calls fail with `EBADF`.
    public func close() {
        file?.close()
        isClosed = true
    }
}

@available(*, unavailable)
extension TransactionIndex: Sendable {}
