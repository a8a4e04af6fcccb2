import NIOCore

/// How far a fetch may read.
public enum FetchIsolation: Sendable, Hashable {
    /// Up to the log end offset (a follower replicating).
    case logEnd
    /// Up to the high watermark (a consumer with read_uncommitted).
    case highWatermark
    /// Up to the last stable offset (a consumer with read_committed).
    case committed
}

/// What a fetch returns.
public struct FetchResult: Sendable {
    /// Whole stored batches, untouched, starting with the one holding the requested offset.
    public var entries: [LogEntry]
    /// The high watermark when the fetch was served.
    public var highWatermark: Int64
    /// The log start offset when the fetch was served.
    public var logStartOffset: Int64
    /// The log end offset when the fetch was served.
    public var logEndOffset: Int64
    /// For `committed` fetches: the aborted transactions overlapping the returned range.
    public var abortedTransactions: [AbortedTransaction]

    /// The batches' bytes, concatenated as a fetch response carries them.
    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        for entry in entries { buffer.writeImmutableBuffer(entry.bytes) }
        return buffer
    }
}

/// A fetch outside the log.
public struct OffsetOutOfRangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offset asked for.
    public var offset: Int64
    /// The log start offset.
    public var logStartOffset: Int64
    /// The log end offset.
    public var logEndOffset: Int64
    public var description: String {
        "offset \(offset) is out of range: the log holds offsets \(logStartOffset) to \(logEndOffset - 1)"
    }
}

extension PartitionLog {
    /// Reads whole batches starting with the one that holds `offset`, at most `maxBytes` of
    /// them (at least one with `minOneBatch`, even when it is larger), not beyond what the
    /// isolation allows. The bytes are returned as stored (ready to send as is).
    ///
    /// - Throws: ``OffsetOutOfRangeError`` for an offset below the log start or above the log
    ///   end; ``AppendError`` (`storageFailed`) after an I/O error that requires reopening the
    ///   log; format or I/O errors reading the files.
    public func read(from offset: Int64, maxBytes: Int, isolation: FetchIsolation = .highWatermark, minOneBatch: Bool = true) throws -> FetchResult {
        try ensureNotFailed()
        let (segments, start, end, hw) = stateLock.withLock { (self.segments, _logStartOffset, _logEndOffset, _highWatermark) }
        // Sizes are captured under the lock: a concurrent append past them is not read.
        let sizes = stateLock.withLock { segments.map(\.size) }
        let bound: Int64 = switch isolation {
        case .logEnd: end
        case .highWatermark: hw
        case .committed: lastStableOffset
        }
        guard offset >= start, offset <= end else {
            throw OffsetOutOfRangeError(offset: offset, logStartOffset: start, logEndOffset: end)
        }
        var result = FetchResult(entries: [], highWatermark: hw, logStartOffset: start, logEndOffset: end, abortedTransactions: [])
        guard offset < bound else { return result }
        var index = Self.segmentIndex(containing: offset, in: segments)
        var budget = maxBytes
        segmentLoop: while index < segments.count, budget > 0 || (result.entries.isEmpty && minOneBatch) {
            let segment = segments[index]
            if let read = try segment.read(from: offset, maxBytes: budget, maxPosition: sizes[index], minOneBatch: result.entries.isEmpty && minOneBatch) {
                for entry in read.entries {
                    if try entry.firstOffset(limits: limits) >= bound { break segmentLoop }
                    result.entries.append(entry)
                    budget -= entry.sizeInBytes
                }
                if let last = result.entries.last, last.lastOffset + 1 >= bound { break }
                // Batches must come back contiguous: stop where the byte limit stopped this segment.
                if !read.reachedEnd || budget <= 0 { break }
            }
            index += 1
        }
        if isolation == .committed, let first = result.entries.first {
            let upper = (result.entries.last?.lastOffset ?? offset) + 1
            result.abortedTransactions = try abortedTransactions(from: try first.firstOffset(limits: limits), upTo: upper, segments: segments)
        }
        return result
    }

    /// The index of the segment whose range holds `offset` (the last with base ≤ offset).
    static func segmentIndex(containing offset: Int64, in segments: [LogSegment]) -> Int {
        var low = 0, high = segments.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if segments[middle].baseOffset <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Aborted transactions overlapping [from, upTo), from the segments' `.txnindex` files.
    func abortedTransactions(from: Int64, upTo: Int64, segments: [LogSegment]) throws -> [AbortedTransaction] {
        var found: [AbortedTransaction] = []
        var index = Self.segmentIndex(containing: from, in: segments)
        while index < segments.count {
            let (transactions, complete) = try segments[index].collectAbortedTransactions(fetchOffset: from, upperBoundOffset: upTo)
            found += transactions
            if complete { break }
            index += 1
        }
        return found
    }

    /// The first record whose timestamp is ≥ `timestamp` (Kafka's offsetsForTimes), as
    /// (timestamp, offset); nil when every record is older.
    ///
    /// - Throws: format or I/O errors.
    public func offset(forTimestamp timestamp: Int64) throws -> (timestamp: Int64, offset: Int64)? {
        let (segments, start) = stateLock.withLock { (self.segments, _logStartOffset) }
        for segment in segments where try segment.largestTimestamp() >= timestamp {
            if let found = try segment.findOffsetByTimestamp(timestamp, startingOffset: start) { return found }
        }
        return nil
    }

    /// The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), nil for an empty log.
    public func maxTimestampOffset() throws -> (timestamp: Int64, offset: Int64)? {
        let segments = stateLock.withLock { self.segments }
        guard let best = segments.max(by: { $0.maxTimestampSoFar.timestamp < $1.maxTimestampSoFar.timestamp }),
              best.maxTimestampSoFar.timestamp >= 0 else { return nil }
        return try best.findOffsetByTimestamp(best.maxTimestampSoFar.timestamp, startingOffset: logStartOffset)
    }
}
