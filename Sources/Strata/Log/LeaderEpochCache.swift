import Synchronization

/// A partition's leader epochs and their start offsets, kept in memory and in
/// `leader-epoch-checkpoint`.
///
/// The entries are ascending in both epoch and start offset. Every change is written to the
/// checkpoint file before it becomes visible: the new list goes to `leader-epoch-checkpoint.tmp`,
/// which is fsynced and renamed over the file, then the directory is fsynced. When that fails
/// the cache keeps its previous entries and the error is thrown, so memory never runs ahead of
/// the disk.
///
/// The cache is safe to use from several threads: one `Synchronization.Mutex` guards the entries
/// and is held across the file write, so writes reach the disk in the order they were made.
/// Blocking file I/O happens on the calling thread; keep it off the cooperative pool.
public final class LeaderEpochCache: Sendable {
    /// The epoch `endOffset(for:logEndOffset:)` answers with when it knows nothing (-1).
    public static let undefinedEpoch: Int32 = -1
    /// The offset `endOffset(for:logEndOffset:)` answers with when it knows nothing (-1).
    public static let undefinedEpochOffset: Int64 = -1

    /// The file every change is written to.
    public let checkpoint: LeaderEpochCheckpointFile
    private let state: Mutex<[EpochEntry]>

    /// Loads the cache from `checkpoint` (a missing or empty file gives an empty cache).
    ///
    /// Entries are taken in file order by Kafka's loading rule: an entry is kept when the cache
    /// is empty, when its epoch differs from the latest, or when it has the latest epoch with a
    /// smaller start offset; keeping it first removes, from the end, entries whose epoch or
    /// start offset is not below its own. A well-formed file loads unchanged; a file that is not
    /// ascending is repaired in memory (the file is left as it is until the next change).
    ///
    /// - Throws: `StrataFormatError` for a malformed file (see
    ///   ``LeaderEpochCheckpointFile/read()``), or `invalidValue` naming the line of a negative
    ///   epoch or start offset; `StrataIOError` when reading fails.
    public init(checkpoint: LeaderEpochCheckpointFile) throws {
        var entries: [EpochEntry] = []
        for (index, entry) in try checkpoint.read().enumerated() {
            guard entry.epoch >= 0, entry.startOffset >= 0 else {
                throw StrataFormatError(.invalidValue, "negative leader epoch or start offset (\(entry.epoch) \(entry.startOffset))",
                                        file: checkpoint.path, line: index + 3)
            }
            let keep = entries.last.map { entry.epoch != $0.epoch || entry.startOffset < $0.startOffset } ?? true
            if keep { Self.insert(entry, into: &entries) }
        }
        self.checkpoint = checkpoint
        self.state = Mutex(entries)
    }

    /// Loads the cache of the partition directory `partitionDirectory`.
    ///
    /// - Throws: As ``init(checkpoint:)``.
    public convenience init(partitionDirectory: String, fileSystem: any FileSystem = PosixFileSystem()) throws {
        try self.init(checkpoint: LeaderEpochCheckpointFile(partitionDirectory: partitionDirectory, fileSystem: fileSystem))
    }

    /// All entries, ascending by epoch (and by start offset).
    public var epochEntries: [EpochEntry] { state.withLock { $0 } }

    /// The newest entry, nil when the cache is empty.
    public var latestEntry: EpochEntry? { state.withLock { $0.last } }

    /// The newest epoch, nil when the cache is empty.
    public var latestEpoch: Int32? { latestEntry?.epoch }

    /// Records that `epoch` started at `startOffset`, when `epoch` is newer than every known one.
    ///
    /// Nothing happens (and false is returned) when `epoch` or `startOffset` is negative or
    /// `epoch` is not greater than ``latestEpoch``. Otherwise existing entries whose epoch is
    /// ≥ `epoch` or whose start offset is ≥ `startOffset` are removed (a new leader may start
    /// below offsets an old leader wrote and that were truncated since), the new entry is
    /// appended, and the file is rewritten. (Kafka's appender applies the same gate before it
    /// calls the cache: only v2 batches whose partition leader epoch is ≥ 0 and above the latest.)
    ///
    /// - Returns: True when the entry was added.
    /// - Throws: `StrataIOError` when the file cannot be written; the cache is then unchanged.
    @discardableResult
    public func assign(epoch: Int32, startOffset: Int64) throws(StrataIOError) -> Bool {
        try update { entries in
            guard epoch >= 0, startOffset >= 0 else { return false }
            if let latest = entries.last, epoch <= latest.epoch { return false }
            Self.insert(EpochEntry(epoch: epoch, startOffset: startOffset), into: &entries)
            return true
        }
    }

    /// The epoch and end offset to answer a follower or consumer asking about `epoch` (Kafka's
    /// `endOffsetFor`).
    ///
    /// - `epoch` is -1 (undefined), or greater than every known epoch: `(-1, -1)`.
    /// - `epoch` is the latest epoch: `(epoch, logEndOffset)`.
    /// - Otherwise the end of `epoch` is the start offset of the next higher known epoch. The
    ///   epoch returned is the largest known epoch ≤ `epoch`; when `epoch` is below every known
    ///   epoch, `epoch` itself is returned with the start offset of the first known epoch.
    ///
    /// - Complexity: O(log n) in the number of entries.
    public func endOffset(for epoch: Int32, logEndOffset: Int64) -> (epoch: Int32, offset: Int64) {
        state.withLock { entries in
            if epoch == Self.undefinedEpoch { return (Self.undefinedEpoch, Self.undefinedEpochOffset) }
            if let latest = entries.last, latest.epoch == epoch { return (epoch, logEndOffset) }
            // The first entry whose epoch is greater than the one asked about.
            var low = 0, high = entries.count
            while low < high {
                let middle = (low + high) / 2
                if entries[middle].epoch <= epoch { low = middle + 1 } else { high = middle }
            }
            guard low < entries.count else { return (Self.undefinedEpoch, Self.undefinedEpochOffset) }
            let higher = entries[low]
            return low == 0 ? (epoch, higher.startOffset) : (entries[low - 1].epoch, higher.startOffset)
        }
    }

    /// Removes the entries at or past `endOffset`, after the log was truncated to end there.
    ///
    /// Removes every entry whose start offset is ≥ `endOffset` and rewrites the file; nothing
    /// happens when `endOffset` is negative or no entry starts at or past it.
    ///
    /// - Throws: `StrataIOError` when the file cannot be written; the cache is then unchanged.
    public func truncateFromEnd(endOffset: Int64) throws(StrataIOError) {
        try update { entries in
            guard endOffset >= 0, let latest = entries.last, latest.startOffset >= endOffset else { return false }
            while let last = entries.last, last.startOffset >= endOffset { entries.removeLast() }
            return true
        }
    }

    /// Drops the entries below a new log start offset `startOffset`.
    ///
    /// Removes every entry whose start offset is ≤ `startOffset`, then puts the last removed
    /// epoch back with `startOffset` as its start (the data before it is gone, the epoch still
    /// covers what follows), and rewrites the file. Nothing happens when no entry starts at or
    /// before `startOffset`.
    ///
    /// - Throws: `StrataIOError` when the file cannot be written; the cache is then unchanged.
    public func truncateFromStart(startOffset: Int64) throws(StrataIOError) {
        try update { entries in
            let removed = entries.prefix { $0.startOffset <= startOffset }
            guard let lastRemoved = removed.last else { return false }
            entries.removeFirst(removed.count)
            entries.insert(EpochEntry(epoch: lastRemoved.epoch, startOffset: startOffset), at: 0)
            return true
        }
    }

    /// Removes every entry and writes the empty file (as for a v0/v1 append, which carries no epoch).
    ///
    /// - Throws: `StrataIOError` when the file cannot be written; the cache is then unchanged.
    public func clear() throws(StrataIOError) {
        try update { entries in
            entries.removeAll()
            return true
        }
    }

    /// Runs `change` on a copy of the entries; when it reports a change, writes the copy to the
    /// file and then makes it the cache's state, all under the lock.
    @discardableResult
    private func update(_ change: (inout [EpochEntry]) -> Bool) throws(StrataIOError) -> Bool {
        try state.withLock { (entries: inout [EpochEntry]) throws(StrataIOError) -> Bool in
            var updated = entries
            guard change(&updated) else { return false }
            try checkpoint.write(updated)
            entries = updated
            return true
        }
    }

    /// Removes from the end the entries whose epoch or start offset is not below `entry`'s, then
    /// appends `entry`.
    private static func insert(_ entry: EpochEntry, into entries: inout [EpochEntry]) {
        while let last = entries.last, last.epoch >= entry.epoch || last.startOffset >= entry.startOffset {
            entries.removeLast()
        }
        entries.append(entry)
    }
}
