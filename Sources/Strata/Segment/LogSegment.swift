import NIOConcurrencyHelpers
import NIOCore

/// One segment of a partition: its `.log` file and the `.index`, `.timeindex` and
/// `.txnindex` beside it, named by the base offset as Kafka names them.
///
/// Appends follow Kafka's sparse indexing rule (`index.interval.bytes`, strictly greater,
/// counted before the batch; time entries only when the max timestamp grows). Lookups take the
/// floor index entry and scan forward. The single writer of the partition owns a segment;
/// readers read through ``read(from:maxBytes:maxPosition:minOneBatch:)`` with a position bound
/// they took under the partition's lock.
public final class LogSegment: @unchecked Sendable {
    /// The segment's base offset (its files' name).
    public let baseOffset: Int64
    /// The partition directory.
    public let directory: String
    let fileSystem: any FileSystem
    let log: any StorageFile
    /// The offset index.
    public let offsetIndex: OffsetIndex
    /// The time index.
    public let timeIndex: TimeIndex
    /// The aborted-transaction index.
    public let transactionIndex: TransactionIndex
    let indexIntervalBytes: Int
    let limits: DecodingLimits
    /// Guards the size, the max timestamp and the indexes: the writer changes them while
    /// readers look offsets up. Held only around index and bookkeeping work, never around
    /// reads or writes of the `.log` itself.
    let lock = NIOLock()
    var _size: Int
    var bytesSinceLastIndexEntry = 0
    var _maxTimestampSoFar: (timestamp: Int64, offset: Int64)
    /// Bytes in the `.log`.
    public var size: Int { lock.withLock { _size } }
    /// The largest batch max timestamp seen and the last offset of the first batch reaching it.
    public var maxTimestampSoFar: (timestamp: Int64, offset: Int64) { lock.withLock { _maxTimestampSoFar } }
    /// The max timestamp of the first batch (drives time-based rolling). Set when a batch is
    /// written at position 0; nil for a segment opened with data until ``shouldRoll(appendSize:appendMaxTimestamp:appendLastOffset:config:now:)``
    /// reads it from the `.log` (Kafka's `loadFirstBatchTimestamp`).
    public internal(set) var rollingBasedTimestamp: Int64?
    /// Set when the indexes cannot be trusted (read-only open of damaged files): lookups scan
    /// from the start of the segment instead.
    public var ignoresIndexes = false
    /// When this segment object was created (wall clock, for segments without timestamps).
    public let createdAtMs: Int64
    /// The random reduction of `segment.ms` drawn for this segment.
    public let rollJitterMs: Int64

    /// Appended to every file name (`.cleaned` while the cleaner writes a segment), else "".
    public let fileSuffix: String

    /// Path of one of the segment's files.
    public func path(_ suffix: String) -> String {
        directory + "/" + SegmentFileName.prefix(for: baseOffset) + suffix + fileSuffix
    }

    private init(baseOffset: Int64, directory: String, fileSystem: any FileSystem, log: any StorageFile, offsetIndex: OffsetIndex,
                 timeIndex: TimeIndex, transactionIndex: TransactionIndex, config: LogConfig, limits: DecodingLimits,
                 size: Int, createdAtMs: Int64, fileSuffix: String = "") {
        self.fileSuffix = fileSuffix
        self.baseOffset = baseOffset
        self.directory = directory
        self.fileSystem = fileSystem
        self.log = log
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.transactionIndex = transactionIndex
        self.indexIntervalBytes = config.indexIntervalBytes
        self.limits = limits
        self._size = size
        self.createdAtMs = createdAtMs
        let jitterRange = min(config.segmentJitterMs, config.segmentMs)
        self.rollJitterMs = jitterRange > 0 ? Int64.random(in: 0..<jitterRange) : 0
        let last = timeIndex.lastEntry
        self._maxTimestampSoFar = (last.timestamp, last.offset)
    }

    /// Creates the files of a new, empty segment (indexes preallocated to `segment.index.bytes`).
    /// `fileSuffix` is appended to every name (the cleaner writes `<base>.log.cleaned`, …).
    ///
    /// - Throws: `StrataIOError`; `StrataFormatError` when a file of that name already exists.
    public static func create(directory: String, baseOffset: Int64, config: LogConfig, fileSystem: any FileSystem,
                              limits: DecodingLimits = .default, now: Int64, fileSuffix: String = "") throws -> LogSegment {
        let prefix = directory + "/" + SegmentFileName.prefix(for: baseOffset)
        for suffix in [SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix] {
            try fileSystem.removeFile(prefix + suffix + fileSuffix)  // stale leftovers of an earlier empty segment
        }
        let log = try fileSystem.open(prefix + SegmentFileName.logSuffix + fileSuffix, mode: .createNew)
        if config.preallocate { try log.truncate(to: config.segmentBytes) }
        let offsetIndex = try OffsetIndex(file: try fileSystem.open(prefix + SegmentFileName.indexSuffix + fileSuffix, mode: .createNew),
                                          baseOffset: baseOffset, maxIndexSize: config.segmentIndexBytes, isNew: true)
        let timeIndex = try TimeIndex(file: try fileSystem.open(prefix + SegmentFileName.timeIndexSuffix + fileSuffix, mode: .createNew),
                                      baseOffset: baseOffset, maxIndexSize: config.segmentIndexBytes, isNew: true)
        let transactionIndex = try TransactionIndex(fileSystem: fileSystem, path: prefix + SegmentFileName.transactionIndexSuffix + fileSuffix, baseOffset: baseOffset)
        try fileSystem.syncDirectory(directory)
        return LogSegment(baseOffset: baseOffset, directory: directory, fileSystem: fileSystem, log: log, offsetIndex: offsetIndex,
                          timeIndex: timeIndex, transactionIndex: transactionIndex, config: config, limits: limits, size: 0, createdAtMs: now,
                          fileSuffix: fileSuffix)
    }

    /// Opens an existing segment. Missing index files are created empty (and the caller should
    /// recover the segment); `readOnly` opens everything without writing.
    ///
    /// - Throws: `StrataIOError`.
    public static func open(directory: String, baseOffset: Int64, config: LogConfig, fileSystem: any FileSystem,
                            readOnly: Bool = false, limits: DecodingLimits = .default, now: Int64) throws -> LogSegment {
        let prefix = directory + "/" + SegmentFileName.prefix(for: baseOffset)
        let mode: FileOpenMode = readOnly ? .readOnly : .readWrite
        let log = try fileSystem.open(prefix + SegmentFileName.logSuffix, mode: mode)
        func index(_ suffix: String) throws -> (any StorageFile, Bool) {
            let path = prefix + suffix
            if fileSystem.exists(path) { return (try fileSystem.open(path, mode: mode), false) }
            if readOnly { return (EmptyFile(path: path), false) }
            return (try fileSystem.open(path, mode: .createNew), true)
        }
        let (offsetFile, offsetIsNew) = try index(SegmentFileName.indexSuffix)
        let (timeFile, _) = try index(SegmentFileName.timeIndexSuffix)
        // A new time index starts at size 0, as Kafka sizes a missing one (spec 3.9).
        let offsetIndex = try OffsetIndex(file: offsetFile, baseOffset: baseOffset, maxIndexSize: config.segmentIndexBytes, isNew: false)
        let timeIndex = try TimeIndex(file: timeFile, baseOffset: baseOffset, maxIndexSize: config.segmentIndexBytes, isNew: false)
        _ = offsetIsNew
        let transactionIndex = try TransactionIndex(fileSystem: fileSystem, path: prefix + SegmentFileName.transactionIndexSuffix, baseOffset: baseOffset, readOnly: readOnly)
        return LogSegment(baseOffset: baseOffset, directory: directory, fileSystem: fileSystem, log: log, offsetIndex: offsetIndex,
                          timeIndex: timeIndex, transactionIndex: transactionIndex, config: config, limits: limits,
                          size: try log.size(), createdAtMs: now)
    }

    // MARK: - Appending

    /// Whether a batch ending at `lastOffset` can be indexed relative to this segment.
    public func canHold(lastOffset: Int64) -> Bool {
        lastOffset >= baseOffset && lastOffset - baseOffset <= Int64(Int32.max)
    }

    /// Appends one entry (already validated and given its offsets) at the end of the `.log`,
    /// indexing it by Kafka's sparse rule.
    ///
    /// - Throws: `StrataIOError`; `StrataFormatError` when its last offset does not fit the
    ///   segment or the file would pass 2 GiB.
    public func append(_ entry: LogEntry) throws {
        let position = size
        guard canHold(lastOffset: entry.lastOffset) else {
            throw StrataFormatError(.unrepresentable, "offset \(entry.lastOffset) cannot be stored in segment \(baseOffset)", file: path(SegmentFileName.logSuffix), position: position)
        }
        guard position + entry.sizeInBytes <= Int(Int32.max) else {
            throw StrataFormatError(.unrepresentable, "segment would exceed 2 GiB", file: path(SegmentFileName.logSuffix), position: position)
        }
        try log.write(entry.bytes, at: position)
        try lock.withLock {
            _size += entry.sizeInBytes
            try index(entry, at: position)
        }
    }

    /// Updates the max timestamp and the indexes for an entry stored at `position` (with the
    /// lock held).
    func index(_ entry: LogEntry, at position: Int) throws {
        let timestamp = entry.maxTimestamp
        if position == 0 { rollingBasedTimestamp = timestamp }
        if timestamp > _maxTimestampSoFar.timestamp { _maxTimestampSoFar = (timestamp, entry.lastOffset) }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            try offsetIndex.append(offset: entry.lastOffset, position: position)
            try timeIndex.maybeAppend(timestamp: _maxTimestampSoFar.timestamp, offset: _maxTimestampSoFar.offset)
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += entry.sizeInBytes
    }

    /// Records an aborted transaction whose marker is in this segment.
    public func appendAbortedTransaction(_ transaction: AbortedTransaction) throws {
        try lock.withLock { try transactionIndex.append(transaction) }
    }

    /// Aborted transactions of this segment overlapping [fetchOffset, upperBound).
    public func collectAbortedTransactions(fetchOffset: Int64, upperBoundOffset: Int64) throws -> (transactions: [AbortedTransaction], isComplete: Bool) {
        try lock.withLock { try transactionIndex.collectAbortedTransactions(fetchOffset: fetchOffset, upperBoundOffset: upperBoundOffset) }
    }

    // MARK: - Lifecycle

    /// What a roll does to the old segment: the final time index entry, then indexes (and a
    /// preallocated log) trimmed to their real size.
    public func onBecomeInactive() throws {
        let size = try lock.withLock { () throws -> Int in
            try timeIndex.maybeAppend(timestamp: _maxTimestampSoFar.timestamp, offset: _maxTimestampSoFar.offset, skipFullCheck: true)
            try offsetIndex.trimToValidSize()
            try timeIndex.trimToValidSize()
            return _size
        }
        if try log.size() != size { try log.truncate(to: size) }
    }

    /// Makes the log and its indexes durable.
    public func flush() throws {
        try log.sync()
        try lock.withLock {
            try offsetIndex.sync()
            try timeIndex.sync()
            try transactionIndex.sync()
        }
    }

    /// Re-extends the indexes to `segment.index.bytes` (for the active segment after loading).
    public func resizeIndexes(to maxIndexSize: Int) throws {
        try lock.withLock {
            try offsetIndex.resize(to: maxIndexSize)
            try timeIndex.resize(to: maxIndexSize)
        }
    }

    /// Reads the first batch's max timestamp from the `.log` when the segment was opened with
    /// data (Kafka's `LogSegment.loadFirstBatchTimestamp`), so that a reopened segment keeps
    /// rolling by the age of its first batch.
    private func loadRollingBasedTimestamp() throws {
        guard rollingBasedTimestamp == nil, size > 0 else { return }
        var reader = try entries(windowSize: 64 * 1024)
        if let first = try reader.next() { rollingBasedTimestamp = first.maxTimestamp }
    }

    /// Closes the files (an active segment gets its final time index entry and trimmed indexes first).
    public func close(trimming: Bool) throws {
        if trimming { try onBecomeInactive() }
        log.close()
        lock.withLock {
            offsetIndex.close()
            timeIndex.close()
            transactionIndex.close()
        }
    }

    /// The segment's files that exist, by suffix.
    public func existingFiles() -> [String] {
        [SegmentFileName.logSuffix, SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix]
            .map(path).filter(fileSystem.exists)
    }

    /// Renames every file of the segment by appending `suffix` (`.deleted`, `.swap`, …).
    public func renameFiles(appending suffix: String) throws {
        for file in existingFiles() { try fileSystem.rename(file, to: file + suffix) }
    }

    /// Whether the segment should roll before an append (spec 3.10).
    ///
    /// - Throws: `StrataIOError` or `StrataFormatError` when the first batch of a segment
    ///   opened with data cannot be read (its timestamp is needed for time-based rolling).
    public func shouldRoll(appendSize: Int, appendMaxTimestamp: Int64, appendLastOffset: Int64, config: LogConfig, now: Int64) throws -> Bool {
        if size > config.segmentBytes - appendSize { return true }
        if size > 0 {
            try loadRollingBasedTimestamp()
            let waited: Int64
            if let first = rollingBasedTimestamp, first >= 0 {
                waited = appendMaxTimestamp - first
            } else {
                waited = now - createdAtMs
            }
            if waited > config.maxSegmentMs - rollJitterMs { return true }
        }
        if lock.withLock({ offsetIndex.isFull || timeIndex.isFull }) { return true }
        return !canHold(lastOffset: appendLastOffset)
    }
}

/// What ``LogSegment/recover(visit:)`` did.
public struct RecoveryResult: Sendable, Hashable {
    /// Bytes cut from the end of the `.log`.
    public var truncatedBytes: Int
    /// Why (the error or partial entry that ended the valid data), when bytes were cut.
    public var reason: String?
    /// Where the cut bytes were saved, when they were more than a torn final write.
    public var setAsidePath: String? = nil
}

/// Where a segment's valid data ends (see ``LogSegment/validPrefix(visit:)``).
public struct ValidPrefix: Sendable, Hashable {
    /// Bytes from the start of the `.log` that hold whole, valid entries.
    public var validBytes: Int
    /// What ended the valid data, nil when it runs to the end of the file.
    public var reason: String?
    /// True when it ended at an incomplete final entry (a torn write), not at corruption.
    public var isPartialTail: Bool
}

/// Entries read from one segment.
public struct SegmentReadResult: Sendable {
    /// The segment they come from.
    public var segmentBaseOffset: Int64
    /// Byte position of the first entry in the segment's `.log`.
    public var position: Int
    /// The entries, whole and untouched.
    public var entries: [LogEntry]
    /// False when the byte limit stopped the read before the end of the segment.
    public var reachedEnd: Bool

    /// Total size in bytes.
    public var sizeInBytes: Int { entries.reduce(0) { $0 + $1.sizeInBytes } }

    /// The stored bytes, concatenated (what a fetch response carries).
    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(sizeInBytes)
        for entry in entries { buffer.writeImmutableBuffer(entry.bytes) }
        return buffer
    }
}

/// A file that does not exist, read as empty (an absent index opened read-only).
final class EmptyFile: StorageFile, @unchecked Sendable {
    let path: String
    init(path: String) { self.path = path }
    func size() throws(StrataIOError) -> Int { 0 }
    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer { ByteBuffer() }
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) { throw StrataIOError(call: "pwrite", path: path, errno: 9) }
    func sync() throws(StrataIOError) {}
    func truncate(to size: Int) throws(StrataIOError) { throw StrataIOError(call: "ftruncate", path: path, errno: 9) }
    func close() {}
}
