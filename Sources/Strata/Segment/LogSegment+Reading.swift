import NIOCore

extension LogSegment {

    /// Entries of the segment from `position`, up to `end`.
    func entries(from position: Int = 0, end: Int? = nil, windowSize: Int = 1 << 20) throws -> LogFileReader {
        try LogFileReader(file: log, from: position, end: end ?? size, limits: limits, windowSize: windowSize)
    }

    /// The position of the offset index's floor entry for `offset` (0 below the first entry).
    func floorPosition(of offset: Int64) throws -> Int {
        try lock.withLock { try offsetIndex.lookup(offset) }.position
    }

    /// The first entry whose last offset ≥ `offset`, starting from the offset index's floor
    /// entry (and no earlier than `startingPosition`); nil when none is in the segment.
    ///
    /// - Complexity: O(log n) index reads, then a scan of at most about `index.interval.bytes`.
    public func translateOffset(_ offset: Int64, startingPosition: Int = 0, end: Int? = nil) throws -> (position: Int, entry: LogEntry)? {
        let floor = ignoresIndexes ? 0 : try floorPosition(of: offset)
        var reader = try entries(from: max(floor, startingPosition), end: end, windowSize: 64 * 1024)
        while let entry = try reader.next() {
            if entry.lastOffset >= offset { return (entry.position, entry) }
        }
        return nil
    }

    /// Whole entries starting with the one that holds `offset`, at most `maxBytes` of them
    /// (at least one when `minOneBatch`), not past `maxPosition`. The bytes are the stored
    /// bytes, untouched. Nil when the segment has nothing at or above `offset`.
    public func read(from offset: Int64, maxBytes: Int, maxPosition: Int? = nil, minOneBatch: Bool = true) throws -> SegmentReadResult? {
        let end = min(maxPosition ?? size, size)
        guard let (start, firstSize) = try locate(offset, end: end) else { return nil }
        let wanted = min(end - start, max(maxBytes, minOneBatch ? firstSize : 0))
        var length = 0
        var entries: [LogEntry] = []
        var reachedEnd = true
        if wanted >= firstSize {
            var reader = try self.entries(from: start, end: start + wanted, windowSize: wanted)
            while let entry = try reader.next() {
                if length + entry.sizeInBytes > maxBytes && !(entries.isEmpty && minOneBatch) {
                    reachedEnd = false
                    break
                }
                entries.append(entry)
                length += entry.sizeInBytes
            }
            if start + length < end && start + wanted < end { reachedEnd = false }
        } else {
            reachedEnd = false
        }
        return SegmentReadResult(segmentBaseOffset: baseOffset, position: start, entries: entries, reachedEnd: reachedEnd)
    }

    /// The position and size of the first entry whose last offset ≥ `offset`, from the offset
    /// index's floor, reading entry headers only (8 KiB at a time, skipping whole entries).
    func locate(_ offset: Int64, end: Int) throws -> (position: Int, size: Int)? {
        var position = ignoresIndexes ? 0 : try floorPosition(of: offset)
        var window = ByteBuffer()
        var windowStart = 0
        let needed = 27  // a v2 header up to lastOffsetDelta
        while end - position > EntryFraming.headerSize {
            if position < windowStart || windowStart + window.readableBytes - position < min(needed, end - position) {
                window = try log.read(at: position, count: min(8192, end - position))
                windowStart = position
            }
            let relative = position - windowStart
            let remaining = end - position
            let outcome = try window.withUnsafeReadableBytes { raw throws(StrataFormatError) in
                try EntryFraming.inspect(UnsafeRawBufferPointer(rebasing: raw[relative...]), remaining: remaining, position: position, limits: limits)
            }
            guard case .entry(let size, let magic) = outcome else { return nil }
            let at = window.readerIndex + relative
            let stored = window.getInteger(at: at, as: Int64.self)!
            let last = magic == 2 ? stored + Int64(window.getInteger(at: at + 23, as: Int32.self)!) : stored
            if last >= offset { return (position, size) }
            position += size
        }
        return nil
    }

    /// The offset after the last entry (the base offset when the segment is empty).
    ///
    /// - Throws: format or I/O errors reading the tail.
    public func readNextOffset() throws -> Int64 {
        let floor = ignoresIndexes ? (offset: baseOffset, position: 0) : try lock.withLock { try offsetIndex.lookup(Int64.max) }
        var reader = try entries(from: floor.position)
        var next = baseOffset
        while let entry = try reader.next() { next = entry.lastOffset + 1 }
        return next
    }

    /// The first record with timestamp ≥ `timestamp` and offset ≥ `startingOffset`
    /// (offsetsForTimes semantics), as (timestamp, offset); nil when none is in this segment.
    public func findOffsetByTimestamp(_ timestamp: Int64, startingOffset: Int64) throws -> (timestamp: Int64, offset: Int64)? {
        let position = ignoresIndexes ? 0 : try lock.withLock {
            let floor = try timeIndex.lookup(timestamp: timestamp)
            return try offsetIndex.lookup(max(floor.offset, startingOffset)).position
        }
        var reader = try entries(from: position)
        while let entry = try reader.next() {
            guard entry.maxTimestamp >= timestamp else { continue }
            for record in try entry.records(limits: limits) where record.timestamp >= timestamp && record.offset >= startingOffset {
                return (record.timestamp, record.offset)
            }
        }
        return nil
    }

    /// The segment's largest timestamp (the max batch timestamp, else the `.log` mtime).
    public func largestTimestamp() throws -> Int64 {
        if maxTimestampSoFar.timestamp >= 0 { return maxTimestampSoFar.timestamp }
        return try fileSystem.modificationTime(path(SegmentFileName.logSuffix))
    }
}
