/// What one retention pass did.
public struct RetentionResult: Sendable, Hashable {
    /// Base offsets of the segments deleted.
    public var deletedSegments: [Int64] = []
    /// Why, per segment: `retention.ms`, `retention.bytes` or `log start offset`.
    public var reasons: [String] = []
    /// Segments whose largest timestamp is in the future: they block time retention of
    /// everything after them until the clock catches up.
    public var futureTimestampSegments: [(baseOffset: Int64, largestTimestamp: Int64)] = []

    public static func == (lhs: RetentionResult, rhs: RetentionResult) -> Bool {
        lhs.deletedSegments == rhs.deletedSegments && lhs.reasons == rhs.reasons
            && lhs.futureTimestampSegments.map(\.baseOffset) == rhs.futureTimestampSegments.map(\.baseOffset)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(deletedSegments) }
}

extension PartitionLog {
    /// Deletes old segments as Kafka's retention does (spec 5): segments wholly below the log
    /// start offset always; with `cleanup.policy=delete` also the oldest segments while the
    /// partition exceeds `retention.bytes` and while a segment's largest timestamp is older
    /// than `retention.ms`. Only a contiguous prefix is deleted, never data above the high
    /// watermark; when every segment qualifies a new empty one is rolled first.
    ///
    /// - Throws: ``AppendError`` when read-only; `StrataIOError`.
    @discardableResult
    public func applyRetention() throws -> RetentionResult {
        try ensureWritable()
        return try writeLock.withLock { () throws -> RetentionResult in
            let now = clock()
            var result = RetentionResult()
            let (current, start, hw) = stateLock.withLock { (segments, _logStartOffset, _highWatermark) }
            var totalSize = Int64(current.reduce(0) { $0 + $1.size })
            var deletable: [LogSegment] = []
            for (index, segment) in current.enumerated() {
                let isLast = index == current.count - 1
                let upperBound = isLast ? logEndOffset : current[index + 1].baseOffset
                if isLast && segment.size == 0 { break }
                guard upperBound <= hw else { break }
                let largest = try segment.largestTimestamp()
                if largest > now { result.futureTimestampSegments.append((segment.baseOffset, largest)) }
                var reason: String? = nil
                if !isLast && upperBound <= start {
                    reason = "below the log start offset \(start)"
                } else if config.cleanupPolicy.contains(.delete) {
                    if config.retentionBytes >= 0 && totalSize - Int64(segment.size) >= config.retentionBytes {
                        reason = "partition size \(totalSize) exceeds retention.bytes \(config.retentionBytes)"
                    } else if config.retentionMs >= 0 && now - largest > config.retentionMs {
                        reason = "largest timestamp \(largest) is older than retention.ms \(config.retentionMs)"
                    }
                }
                guard let reason else { break }
                deletable.append(segment)
                result.reasons.append("segment \(segment.baseOffset): \(reason)")
                totalSize -= Int64(segment.size)
            }
            for (baseOffset, timestamp) in result.futureTimestampSegments {
                logger.warning("segment \(baseOffset) has a largest timestamp \(timestamp) in the future; it blocks time retention", metadata: ["partition": "\(topicPartition)"])
            }
            guard !deletable.isEmpty else { return result }
            if deletable.count == current.count { try rollLocked(at: logEndOffset, now: now) }
            let survivors = stateLock.withLock { segments.filter { segment in !deletable.contains { $0 === segment } } }
            stateLock.withLock {
                _logStartOffset = max(_logStartOffset, survivors[0].baseOffset)
                segments = survivors
            }
            for segment in deletable {
                try segment.close(trimming: false)
                try scheduleDeletion(of: segment)
                result.deletedSegments.append(segment.baseOffset)
            }
            try leaderEpochCache?.truncateFromStart(startOffset: logStartOffset)
            for reason in result.reasons { logger.info("retention deleted \(reason)", metadata: ["partition": "\(topicPartition)"]) }
            return result
        }
    }

    /// Advances the log start offset (Kafka's DeleteRecords): records below it become
    /// unreadable at once and their segments are deleted by the next retention pass.
    ///
    /// - Throws: ``AppendError`` when read-only or above the high watermark.
    public func deleteRecords(before offset: Int64) throws {
        try ensureWritable()
        try writeLock.withLock {
            let hw = highWatermark
            guard offset <= hw else {
                throw AppendError(code: .offsetOutOfOrder, message: "cannot move the log start offset to \(offset), above the high watermark \(hw)")
            }
            stateLock.withLock { _logStartOffset = max(_logStartOffset, offset) }
            try leaderEpochCache?.truncateFromStart(startOffset: offset)
        }
    }

    /// Flushes everything, closes the active segment as Kafka does at shutdown (final time
    /// index entry, trimmed indexes), and writes a producer snapshot at the log end offset.
    ///
    /// - Throws: `StrataIOError`.
    public func close() throws {
        guard !isReadOnly else { return }
        // After a storage failure the files must not be declared clean (recovery rebuilds them).
        try ensureNotFailed()
        try writeLock.withLock {
            try flushLocked(upTo: logEndOffset, now: clock())
            let current = stateLock.withLock { segments }
            // The active segment's final time index entry and trimmed indexes must be durable
            // before a clean-shutdown marker says the log needs no recovery: a trim lost to a
            // power cut leaves a zero-filled index whose every slot is then taken as an entry.
            for segment in current { try segment.onBecomeInactive() }
            if let last = current.last { try fsync(last) }
            for segment in current { try segment.close(trimming: false) }
            try writeProducerSnapshot(at: logEndOffset)
            try removeDueFilesIgnoringDelay()
        }
    }

    func removeDueFilesIgnoringDelay() throws {
        for pending in pendingDeletions { for path in pending.paths { try fileSystem.removeFile(path) } }
        pendingDeletions = []
    }
}
