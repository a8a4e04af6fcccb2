extension PartitionLog {
    /// Removes every record at or above `offset` (a follower whose log diverged from its
    /// leader). Whole later segments are deleted; the segment holding `offset` is cut at the
    /// start of the batch holding it (batches are never split, so an offset inside a batch
    /// removes the whole batch); the high watermark, recovery point, leader epochs and
    /// producer state follow.
    ///
    /// - Returns: the new log end offset (≤ `offset`).
    /// - Throws: ``AppendError`` when read-only; `StrataIOError`.
    @discardableResult
    public func truncate(to offset: Int64) throws -> Int64 {
        try ensureWritable()
        return try writeLock.withLock { () throws -> Int64 in
            guard offset < logEndOffset else { return logEndOffset }
            let current = stateLock.withLock { segments }
            guard offset > current[0].baseOffset else {
                try truncateFullyLocked(startingAt: offset)
                return offset
            }
            var kept: [LogSegment] = []
            for segment in current {
                if segment.baseOffset >= offset && segment.baseOffset > current[0].baseOffset {
                    try scheduleDeletion(of: segment)
                } else {
                    kept.append(segment)
                }
            }
            let last = kept[kept.count - 1]
            try last.truncate(to: offset)
            try last.resizeIndexes(to: config.segmentIndexBytes)
            let end = try last.readNextOffset()
            stateLock.withLock {
                segments = kept
                _logEndOffset = end
                _logStartOffset = min(_logStartOffset, end)
                _highWatermark = min(_highWatermark, end)
                _recoveryPoint = min(_recoveryPoint, end)
            }
            try leaderEpochCache?.truncateFromEnd(endOffset: end)
            for snapshot in try ProducerSnapshotFile.offsets(in: directory, fileSystem: fileSystem) where snapshot > end {
                try fileSystem.removeFile(directory + "/" + SegmentFileName.prefix(for: snapshot) + SegmentFileName.snapshotSuffix)
            }
            producerState = try Self.rebuildProducerState(directory: directory, segments: kept, upTo: end, fileSystem: fileSystem, readOnly: false, limits: limits)
            logger.info("truncated to offset \(end)", metadata: ["partition": "\(topicPartition)"])
            return end
        }
    }

    /// Deletes every segment and starts an empty log at `offset` (a follower far behind its
    /// leader's log start).
    ///
    /// - Throws: ``AppendError`` when read-only; `StrataIOError`.
    public func truncateFullyAndStart(at offset: Int64) throws {
        try ensureWritable()
        try writeLock.withLock { try truncateFullyLocked(startingAt: offset) }
    }

    func truncateFullyLocked(startingAt offset: Int64) throws {
        let old = stateLock.withLock { segments }
        // On disk, the segments must form a valid log at every point a power cut can hit: the
        // new, empty segment never appears in front of older segments (a checkpointed recovery
        // point from before the truncation would let the loader trust them, and the new one,
        // without recovery). So: the segments above `offset` go first, newest first (a crash
        // leaves a truncated log); a segment already at `offset` is replaced by the new one;
        // the segments below it go last, oldest first (a crash leaves a log whose start moved).
        for segment in old.reversed() where segment.baseOffset > offset { try scheduleDeletion(of: segment) }
        for segment in old where segment.baseOffset == offset {
            try segment.close(trimming: false)
            for file in segment.existingFiles() { try fileSystem.rename(file, to: file + SegmentFileName.deletedSuffix) }
        }
        let fresh = try LogSegment.create(directory: directory, baseOffset: offset, config: config, fileSystem: fileSystem, limits: limits, now: clock())
        for segment in old where segment.baseOffset < offset { try scheduleDeletion(of: segment) }
        stateLock.withLock {
            segments = [fresh]
            _logStartOffset = offset
            _logEndOffset = offset
            _highWatermark = offset
            _recoveryPoint = offset
        }
        try leaderEpochCache?.clear()
        producerState.reset(to: offset)
        for snapshot in try ProducerSnapshotFile.offsets(in: directory, fileSystem: fileSystem) {
            try fileSystem.removeFile(directory + "/" + SegmentFileName.prefix(for: snapshot) + SegmentFileName.snapshotSuffix)
        }
        try fileSystem.syncDirectory(directory)
        logger.info("truncated fully, starting at offset \(offset)", metadata: ["partition": "\(topicPartition)"])
    }

    /// Renames a segment's files (and its producer snapshot) to `.deleted` and schedules their
    /// removal after `file.delete.delay.ms`, so in-flight reads of open handles finish.
    func scheduleDeletion(of segment: LogSegment) throws {
        var paths: [String] = []
        for file in segment.existingFiles() {
            try fileSystem.rename(file, to: file + SegmentFileName.deletedSuffix)
            paths.append(file + SegmentFileName.deletedSuffix)
        }
        let snapshot = directory + "/" + SegmentFileName.prefix(for: segment.baseOffset) + SegmentFileName.snapshotSuffix
        if fileSystem.exists(snapshot) {
            try fileSystem.rename(snapshot, to: snapshot + SegmentFileName.deletedSuffix)
            paths.append(snapshot + SegmentFileName.deletedSuffix)
        }
        try fileSystem.syncDirectory(directory)
        pendingDeletions.append((paths, clock() + config.fileDeleteDelayMs))
        if config.fileDeleteDelayMs == 0 { try removeDueFilesLocked() }
    }

    /// Removes `.deleted` files whose `file.delete.delay.ms` has passed (a periodic task; see
    /// ``LogManager/startMaintenance(_:)``).
    ///
    /// - Throws: `StrataIOError`.
    public func removeDueFiles() throws {
        guard !isReadOnly else { return }
        try writeLock.withLock { try removeDueFilesLocked() }
    }

    func removeDueFilesLocked() throws {
        let now = clock()
        var remaining: [(paths: [String], deadline: Int64)] = []
        for pending in pendingDeletions {
            if pending.deadline <= now {
                for path in pending.paths { try fileSystem.removeFile(path) }
            } else {
                remaining.append(pending)
            }
        }
        pendingDeletions = remaining
    }
}
