/// The cleaner's access to a partition: a consistent view to plan from, and the replacement of
/// old segments by a cleaned one under the write lock with Kafka's crash-safe protocol.
extension PartitionLog {
    /// What the cleaner plans from, taken at one moment.
    struct CleaningView {
        var segments: [LogSegment]
        var logStartOffset: Int64
        var logEndOffset: Int64
        var highWatermark: Int64
        var lastStableOffset: Int64
        var producers: [Int64: ProducerState]
    }

    func cleaningView() -> CleaningView {
        writeLock.withLock { () -> CleaningView in
            let current: [LogSegment] = stateLock.withLock { segments }
            let start: Int64 = stateLock.withLock { _logStartOffset }
            let end: Int64 = stateLock.withLock { _logEndOffset }
            let hw: Int64 = stateLock.withLock { _highWatermark }
            let unstable: Int64? = producerState.firstUnstableOffset
            return CleaningView(segments: current, logStartOffset: start, logEndOffset: end, highWatermark: hw,
                                lastStableOffset: min(unstable ?? hw, hw), producers: producerState.producers)
        }
    }

    /// Replaces `old` (consecutive segments, not the active one) by `cleaned` (written as
    /// `<base>.*.cleaned` with the base offset of `old[0]`), as Kafka's `replaceSegments`:
    /// the cleaned files are renamed `.swap` (the commit point), the old segments' files
    /// `.deleted`, the `.swap` files to their final names (the `.log` last), with a directory
    /// fsync after each step. A crash at any point leaves a directory that opening completes
    /// (a `.swap` is installed) or rolls back (`.cleaned` files are removed).
    ///
    /// - Throws: ``CleanerConflict`` when the log changed since `old` was read (nothing is
    ///   changed); `StrataIOError` (after the commit point the log must be opened again).
    func replaceSegments(_ old: [LogSegment], with cleaned: LogSegment) throws {
        try ensureWritable()
        try writeLock.withLock {
            let current = stateLock.withLock { segments }
            guard let start = current.firstIndex(where: { $0 === old[0] }), start + old.count < current.count,
                  zip(current[start..<(start + old.count)], old).allSatisfy({ $0 === $1 }), cleaned.baseOffset == old[0].baseOffset
            else {
                throw CleanerConflict(directory: directory)
            }
            let now = clock()
            let suffixes = [SegmentFileName.logSuffix, SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix]
            let final = { (suffix: String) in self.directory + "/" + SegmentFileName.prefix(for: cleaned.baseOffset) + suffix }
            let present = suffixes.filter { fileSystem.exists(final($0) + SegmentFileName.cleanedSuffix) }
            try cleaned.close(trimming: false)
            // 1. .cleaned → .swap: once one .swap exists with no .cleaned left, the result is committed.
            do {
                for suffix in present {
                    try fileSystem.rename(final(suffix) + SegmentFileName.cleanedSuffix, to: final(suffix) + SegmentFileName.swapSuffix)
                }
                try fileSystem.syncDirectory(directory)
            } catch {
                for suffix in present {
                    try? fileSystem.removeFile(final(suffix) + SegmentFileName.cleanedSuffix)
                    try? fileSystem.removeFile(final(suffix) + SegmentFileName.swapSuffix)
                }
                throw error
            }
            do {
                // 2. The old segments' files → .deleted.
                var deleted: [String] = []
                // Left open, as retention leaves deleted segments: a reader that took the old
                // list finishes its read through the renamed files; the handles close when the
                // last reference goes.
                for segment in old {
                    for file in segment.existingFiles() {
                        try fileSystem.rename(file, to: file + SegmentFileName.deletedSuffix)
                        deleted.append(file + SegmentFileName.deletedSuffix)
                    }
                }
                try fileSystem.syncDirectory(directory)
                // 3. .swap → final names, the .log last (a leftover .log.swap tells the loader to finish).
                for suffix in present.filter({ $0 != SegmentFileName.logSuffix }) + present.filter({ $0 == SegmentFileName.logSuffix }) {
                    try fileSystem.rename(final(suffix) + SegmentFileName.swapSuffix, to: final(suffix))
                }
                try fileSystem.syncDirectory(directory)
                let installed = try LogSegment.open(directory: directory, baseOffset: cleaned.baseOffset, config: config, fileSystem: fileSystem,
                                                    limits: limits, now: now)
                stateLock.withLock { segments.replaceSubrange(start..<(start + old.count), with: [installed]) }
                pendingDeletions.append((deleted, now + config.fileDeleteDelayMs))
                if config.fileDeleteDelayMs == 0 { try removeDueFilesLocked() }
            } catch {
                stateLock.withLock { _storageFailure = "replacing cleaned segment \(cleaned.baseOffset) failed: \(error)" }
                throw error
            }
        }
    }
}

/// The log changed (retention, truncation) while the cleaner worked on it; the cleaned output
/// was discarded and nothing was replaced.
public struct CleanerConflict: Error, Sendable, CustomStringConvertible {
    /// The partition directory.
    public var directory: String
    public var description: String { "\(directory) changed while it was being cleaned; the cleaned output was discarded" }
}
