import NIOCore

extension PartitionLog {
    /// Appends one batch produced by a client: checks it (framing, CRC, size, records,
    /// timestamps, null keys on compacted topics, producer epoch and sequence), assigns its
    /// offsets and leader epoch, and writes it. A retried batch of an idempotent producer is
    /// recognised and not written twice.
    ///
    /// - Throws: ``AppendError`` when refused (nothing is written), `StrataIOError` when the
    ///   write fails (the log end offset does not move past what is on disk).
    @discardableResult
    public func appendAsLeader(_ bytes: ByteBuffer, leaderEpoch: Int32 = 0, durability: AppendDurability = .written) throws -> AppendResult {
        try appendAsLeader(leaderEpoch: leaderEpoch, durability: durability) { validator throws(AppendError) in try validator.validate(bytes) }
    }

    /// Appends one batch built in this process by ``RecordBatchBuilder/buildProduced(context:)``
    /// (an embedded producer): the same rules as a client's batch, checked from the facts the
    /// builder recorded, so a compressed batch is written without being decompressed. A topic
    /// whose `compression.type` differs still decodes and recompresses it.
    ///
    /// - Throws: ``AppendError`` when refused (nothing is written), `StrataIOError`.
    @discardableResult
    public func appendAsLeader(_ produced: ProducedBatch, leaderEpoch: Int32 = 0, durability: AppendDurability = .written) throws -> AppendResult {
        try appendAsLeader(leaderEpoch: leaderEpoch, durability: durability) { validator throws(AppendError) in try validator.validate(produced) }
    }

    /// The leader append once `validate` has checked the batch: dedup, producer state,
    /// offsets, roll, write.
    private func appendAsLeader(leaderEpoch: Int32, durability: AppendDurability,
                                validate: (LeaderAppendValidator) throws(AppendError) -> RecordBatch) throws -> AppendResult {
        try ensureWritable()
        return try writeLock.withLock { () throws -> AppendResult in
            let now = clock()
            let validator = LeaderAppendValidator(config: config, limits: limits, now: now, context: context)
            let batch = try validate(validator)
            if let duplicate = producerState.duplicate(of: batch.header) {
                return AppendResult(firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset, logAppendTime: nil, isDuplicate: true)
            }
            do throws(ProducerStateError) {
                try producerState.validate(batch.header)
            } catch {
                throw AppendError(code: .producerState, message: error.message)
            }
            let baseOffset = logEndOffset
            let count = Int64(batch.header.lastOffsetDelta)
            try maybeRoll(appendSize: batch.header.sizeInBytes, maxTimestamp: batch.header.maxTimestamp, lastOffset: baseOffset + count, now: now)
            let segment = activeSegment
            let stamped = try LeaderAppendValidator.assign(batch, baseOffset: baseOffset, leaderEpoch: leaderEpoch, position: segment.size)
            if leaderEpoch >= 0 { try leaderEpochCache?.assign(epoch: leaderEpoch, startOffset: baseOffset) }
            try write(.batch(stamped), to: segment, durability: durability, now: now)
            let appendTime = config.messageTimestampType == .logAppendTime ? stamped.header.maxTimestamp : nil
            return AppendResult(firstOffset: baseOffset, lastOffset: stamped.header.lastOffset, logAppendTime: appendTime, isDuplicate: false)
        }
    }

    /// Appends entries whose offsets are already assigned (a follower replicating its leader,
    /// or a tool copying a log): any magic, several batches, each checked for framing and CRC,
    /// offsets strictly after the log end.
    ///
    /// - Throws: ``AppendError`` (`corruptMessage`, `offsetOutOfOrder`), `StrataIOError`.
    @discardableResult
    public func appendAsFollower(_ bytes: ByteBuffer, durability: AppendDurability = .written) throws -> AppendResult? {
        try ensureWritable()
        return try writeLock.withLock { () throws -> AppendResult? in
            let now = clock()
            var reader = LogEntryReader(bytes, limits: limits)
            var entries: [LogEntry] = []
            do {
                while let entry = try reader.next() {
                    try entry.validate()
                    entries.append(entry)
                }
            } catch {
                throw AppendError(code: .corruptMessage, message: "\(error)")
            }
            guard reader.stop == .endOfData else {
                throw AppendError(code: .corruptMessage, message: "the appended bytes end with a partial entry (\(String(describing: reader.stop!)))")
            }
            guard let first = entries.first else { return nil }
            var expected = logEndOffset
            let firstOffset = try first.firstOffset(limits: limits)
            for entry in entries {
                let entryFirst = try entry.firstOffset(limits: limits)
                guard entryFirst >= expected, entry.lastOffset >= entryFirst else {
                    throw AppendError(code: .offsetOutOfOrder, message: "entry at offset \(entryFirst)–\(entry.lastOffset) does not follow the log end offset \(expected)")
                }
                expected = entry.lastOffset + 1
            }
            for entry in entries {
                let entryFirst = try entry.firstOffset(limits: limits)
                try maybeRoll(appendSize: entry.sizeInBytes, maxTimestamp: entry.maxTimestamp, lastOffset: entry.lastOffset, now: now, firstOffset: entryFirst)
                let segment = activeSegment
                let placed = try EntryFraming.makeEntry(entry.bytes, magic: entry.magic, position: segment.size)
                if case .batch(let batch) = placed, batch.header.partitionLeaderEpoch >= 0 {
                    try leaderEpochCache?.assign(epoch: batch.header.partitionLeaderEpoch, startOffset: batch.header.baseOffset)
                }
                try write(placed, to: segment, durability: .written, now: now)
            }
            if durability == .fsynced { try flushLocked(upTo: logEndOffset, now: now) }
            return AppendResult(firstOffset: firstOffset, lastOffset: entries.last!.lastOffset, logAppendTime: nil, isDuplicate: false)
        }
    }

    /// Writes one placed entry to the active segment, then publishes the new end offset and
    /// updates producer state (called with the write lock held).
    func write(_ entry: LogEntry, to segment: LogSegment, durability: AppendDurability, now: Int64) throws {
        let sizeBefore = segment.size
        var indexingError: (any Error)? = nil
        do {
            try segment.append(entry)
        } catch where segment.size > sizeBefore {
            // The entry is in the `.log` though indexing it failed: publish it before reporting
            // the error, or the next append would reuse its offsets (spec 11.9, KAFKA-7866).
            // A missing sparse index entry only makes lookups scan a little further.
            indexingError = error
        }
        var aborted: AbortedTransaction? = nil
        if case .batch(let batch) = entry {
            aborted = producerState.abortedTransaction(for: try producerState.apply(batch, limits: limits))
        }
        let records = Int64(entry.lastOffset - (try entry.firstOffset(limits: limits)) + 1)
        stateLock.withLock {
            _logEndOffset = entry.lastOffset + 1
            if _autoAdvance { _highWatermark = _logEndOffset }
        }
        if let aborted {
            do {
                try segment.appendAbortedTransaction(aborted)
            } catch {
                // The marker is in the log and published but its abort is not indexed:
                // read_committed fetches would return the aborted records as committed, and a
                // later flush and clean close would let the next start trust the index. Stop
                // until the log is opened again; recovery rebuilds the index (KAFKA-7866).
                stateLock.withLock { _storageFailure = "the abort marker at offset \(aborted.lastOffset) could not be indexed: \(error)" }
                throw error
            }
        }
        if let indexingError { throw indexingError }
        unflushedMessages += records
        if durability == .fsynced || unflushedMessages >= config.flushMessages || now - lastFlushTime >= config.flushMs {
            try flushLocked(upTo: logEndOffset, now: now)
        }
    }

    /// Rolls to a new segment when the active one should not take this append (spec 3.10).
    func maybeRoll(appendSize: Int, maxTimestamp: Int64, lastOffset: Int64, now: Int64, firstOffset: Int64? = nil) throws {
        let segment = activeSegment
        guard try segment.shouldRoll(appendSize: appendSize, appendMaxTimestamp: maxTimestamp, appendLastOffset: lastOffset, config: config, now: now) else { return }
        try rollLocked(at: max(firstOffset ?? logEndOffset, logEndOffset), now: now)
    }

    /// Starts a new active segment at the log end offset.
    ///
    /// - Throws: `StrataIOError`.
    public func roll() throws {
        try ensureWritable()
        try writeLock.withLock { try rollLocked(at: logEndOffset, now: clock()) }
    }

    func rollLocked(at baseOffset: Int64, now: Int64) throws {
        let old = activeSegment
        if old.size == 0 && old.baseOffset == baseOffset { return }
        // An empty active segment below the new base is replaced (Kafka deletes and recreates it).
        let replacesEmpty = old.size == 0
        if !replacesEmpty {
            try old.onBecomeInactive()
            // Durable before a segment follows it: a segment that is not the last may be trusted
            // without recovery (a checkpointed recovery point can be past it, even one written
            // before a truncation), so its data, final time index entry and trimmed indexes
            // must all be on disk before the new segment can appear after it.
            try fsync(old)
        }
        let segment = try LogSegment.create(directory: directory, baseOffset: baseOffset, config: config, fileSystem: fileSystem, limits: limits, now: now)
        // Readers see the old list or the new one, never a log without an active segment.
        stateLock.withLock {
            if replacesEmpty { _ = segments.removeLast() }
            segments.append(segment)
        }
        if replacesEmpty { try deleteSegmentFilesNow(old) }
        try writeProducerSnapshot(at: baseOffset)
        // Everything below the new segment can be made durable now (Kafka does it asynchronously).
        try flushLocked(upTo: baseOffset, now: now)
        logger.debug("rolled to a new segment", metadata: ["partition": "\(topicPartition)", "baseOffset": "\(baseOffset)"])
    }

    /// Fsyncs every segment holding data below `offset` (at most the log end) that was not yet
    /// durable, and advances the recovery point.
    ///
    /// - Throws: `StrataIOError`.
    public func flush(upTo offset: Int64? = nil) throws {
        guard !isReadOnly else { return }
        try ensureNotFailed()
        try writeLock.withLock { try flushLocked(upTo: offset ?? logEndOffset, now: clock()) }
    }

    func flushLocked(upTo offset: Int64, now: Int64) throws {
        let (recoveryPoint, current) = stateLock.withLock { (_recoveryPoint, segments) }
        let target = min(offset, logEndOffset)
        guard target > recoveryPoint else { return }
        for (index, segment) in current.enumerated() {
            let next = index + 1 < current.count ? current[index + 1].baseOffset : Int64.max
            if next > recoveryPoint && segment.baseOffset < target { try fsync(segment) }
        }
        stateLock.withLock { _recoveryPoint = max(_recoveryPoint, target) }
        if target >= logEndOffset { unflushedMessages = 0 }
        lastFlushTime = now
    }

    /// Fsyncs a segment; when that fails, stops the log (see ``LostWritebackMarker``): the
    /// kernel may have dropped the unsynced pages, so no later fsync can vouch for them.
    func fsync(_ segment: LogSegment) throws {
        do {
            try segment.flush()
        } catch {
            let reason = "fsync of segment \(segment.baseOffset) failed (\(error)); its unsynced writes may be lost"
            stateLock.withLock { _storageFailure = reason }
            let markerError = LostWritebackMarker.leave(in: directory, reason: reason, fileSystem: fileSystem)
            logger.error("\(reason): the log takes no more writes until it is opened again, which writes the recovered data again",
                         metadata: ["partition": "\(topicPartition)", "marker": "\(markerError.map { "not written: \($0)" } ?? LostWritebackMarker.fileName)"])
            throw error
        }
    }

    /// Flushes when `flush.ms` has passed since the last flush (for a periodic task).
    public func flushIfDue() throws {
        guard !isReadOnly else { return }
        try ensureNotFailed()
        try writeLock.withLock {
            let now = clock()
            if unflushedMessages > 0 && now - lastFlushTime >= config.flushMs { try flushLocked(upTo: logEndOffset, now: now) }
        }
    }

    /// Writes the producer state snapshot named after `offset` (the state at that offset).
    func writeProducerSnapshot(at offset: Int64) throws {
        let entries = producerState.snapshotStates.map(ProducerSnapshotEntry.init(state:))
        try ProducerSnapshotFile.write(entries, offset: offset, directory: directory, fileSystem: fileSystem)
    }

    /// Removes a segment's files at once (an empty segment being replaced).
    func deleteSegmentFilesNow(_ segment: LogSegment) throws {
        try segment.close(trimming: false)
        for file in segment.existingFiles() { try fileSystem.removeFile(file) }
    }
}

extension ProducerSnapshotEntry {
    /// The snapshot entry for a producer's state (its last batch only).
    init(state: ProducerState) {
        let last = state.batches.last
        self.init(
            producerId: state.producerId, producerEpoch: state.producerEpoch, lastSequence: last?.lastSequence ?? -1,
            lastOffset: last?.lastOffset ?? -1, offsetDelta: last?.offsetDelta ?? 0, timestamp: state.lastTimestamp,
            coordinatorEpoch: state.coordinatorEpoch, currentTxnFirstOffset: state.currentTransactionFirstOffset ?? -1)
    }
}

extension ProducerState {
    /// The first sequence of a batch from its last sequence and delta, with wrap-around.
    static func firstSequence(last: Int32, delta: Int32) -> Int32 {
        guard last >= 0 else { return -1 }
        return RecordBatchHeader.sequence(last, minus: delta)
    }

    /// The state a snapshot entry describes.
    init(snapshot entry: ProducerSnapshotEntry) {
        var batches: [ProducerBatchMetadata] = []
        if entry.lastOffset >= 0 {
            batches.append(ProducerBatchMetadata(
                firstSequence: Self.firstSequence(last: entry.lastSequence, delta: entry.offsetDelta),
                lastSequence: entry.lastSequence, lastOffset: entry.lastOffset, offsetDelta: entry.offsetDelta, timestamp: entry.timestamp))
        }
        self.init(producerId: entry.producerId, producerEpoch: entry.producerEpoch, coordinatorEpoch: entry.coordinatorEpoch,
                  lastTimestamp: entry.timestamp, currentTransactionFirstOffset: entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : nil,
                  batches: batches)
    }
}

extension PartitionLog {
    /// Appends a transaction marker at the log end, as a transaction coordinator does when it
    /// commits or aborts (Kafka's coordinator-origin append): a 78-byte control batch, which
    /// completes the producer's open transaction and, for ABORT, adds it to the `.txnindex`.
    ///
    /// - Throws: ``AppendError`` (`producerState` for a fenced epoch); `StrataIOError`.
    @discardableResult
    public func appendTransactionMarker(_ type: ControlRecordType, producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32,
                                        leaderEpoch: Int32 = 0, durability: AppendDurability = .written) throws -> AppendResult {
        try ensureWritable()
        return try writeLock.withLock { () throws -> AppendResult in
            let now = clock()
            if let state = producerState.producers[producerId], producerEpoch < state.producerEpoch {
                throw AppendError(code: .producerState, message: "producer \(producerId): marker epoch \(producerEpoch) is older than the current epoch \(state.producerEpoch)")
            }
            let offset = logEndOffset
            let bytes = try RecordBatchBuilder.endTransactionMarker(type, offset: offset, timestamp: now, producerId: producerId,
                                                                    producerEpoch: producerEpoch, coordinatorEpoch: coordinatorEpoch, partitionLeaderEpoch: leaderEpoch)
            try maybeRoll(appendSize: bytes.readableBytes, maxTimestamp: now, lastOffset: offset, now: now)
            let segment = activeSegment
            if leaderEpoch >= 0 { try leaderEpochCache?.assign(epoch: leaderEpoch, startOffset: offset) }
            try write(.batch(try RecordBatch(bytes: bytes, position: segment.size)), to: segment, durability: durability, now: now)
            return AppendResult(firstOffset: offset, lastOffset: offset, logAppendTime: nil, isDuplicate: false)
        }
    }
}
