import NIOCore

extension LogSegment {

    /// Rebuilds the indexes from the `.log` and cuts a torn or corrupt tail (Kafka's
    /// `LogSegment.recover`): every entry's framing and CRC is checked; reading stops at the
    /// first bad or partial one and the file is truncated there. `visit` sees each good entry
    /// (to rebuild producer state and leader epochs).
    ///
    /// - Returns: the bytes cut from the end, and why, when anything was cut.
    /// - Throws: `StrataIOError`.
    @discardableResult
    public func recover(visit: (LogEntry) throws -> Void = { _ in }) throws -> RecoveryResult {
        try lock.withLock {
            try offsetIndex.reset()
            try timeIndex.reset()
            try transactionIndex.reset()
            bytesSinceLastIndexEntry = 0
            _maxTimestampSoFar = (-1, baseOffset)
            rollingBasedTimestamp = nil
        }
        let valid = try validPrefix { entry in
            try lock.withLock { try index(entry, at: entry.position) }
            try visit(entry)
        }
        let cut = size - valid.validBytes
        var setAside: String? = nil
        if cut > 0 {
            setAside = try saveAsideIfMeaningful(from: valid.validBytes, partialTail: valid.isPartialTail)
            try log.truncate(to: valid.validBytes)
            lock.withLock { _size = valid.validBytes }
        }
        try lock.withLock {
            try offsetIndex.trimToValidSize()
            try timeIndex.maybeAppend(timestamp: _maxTimestampSoFar.timestamp, offset: _maxTimestampSoFar.offset, skipFullCheck: true)
            try timeIndex.trimToValidSize()
        }
        return RecoveryResult(truncatedBytes: cut, reason: cut > 0 ? valid.reason : nil, setAsidePath: setAside)
    }

    /// Copies the bytes recovery is about to cut into `<base>.log.cut-<position>` beside the
    /// segment, unless they are only a torn final write or zero fill: bytes after a corrupt
    /// batch may still hold records, and an operator decides what to do with them.
    /// Returns the path written, if any.
    func saveAsideIfMeaningful(from position: Int, partialTail: Bool) throws -> String? {
        guard !partialTail else { return nil }
        let chunk = 1 << 20
        var anyNonZero = false
        var offset = position
        while offset < size && !anyNonZero {
            let bytes = try log.read(at: offset, count: min(chunk, size - offset))
            anyNonZero = bytes.readableBytesView.contains { $0 != 0 }
            offset += chunk
        }
        guard anyNonZero else { return nil }
        let target = path(SegmentFileName.logSuffix) + ".cut-\(position)"
        let file = try fileSystem.open(target, mode: .createIfMissing)
        defer { file.close() }
        try file.truncate(to: 0)
        offset = position
        while offset < size {
            let bytes = try log.read(at: offset, count: min(chunk, size - offset))
            try file.write(bytes, at: offset - position)
            offset += bytes.readableBytes
        }
        try file.sync()
        try fileSystem.syncDirectory(directory)
        return target
    }

    /// Scans the `.log` as recovery does — framing, CRC, offsets inside the segment — without
    /// changing anything, and returns where the valid data ends and why.
    public func validPrefix(visit: (LogEntry) throws -> Void = { _ in }) throws -> ValidPrefix {
        let logPath = path(SegmentFileName.logSuffix)
        var reader = try entries()
        var validBytes = 0
        while true {
            do {
                guard let entry = try reader.next() else { break }
                try entry.validate()
                guard canHold(lastOffset: entry.lastOffset) else {
                    throw StrataFormatError(.unrepresentable, "offset \(entry.lastOffset) does not belong in segment \(baseOffset)", position: entry.position, baseOffset: entry.storedOffset)
                }
                try visit(entry)
                validBytes = reader.position
            } catch let error as StrataFormatError {
                return ValidPrefix(validBytes: validBytes, reason: error.adding(file: logPath).description, isPartialTail: false)
            }
        }
        switch reader.stop {
        case .partialEntry(let position, let declared, let available):
            return ValidPrefix(validBytes: validBytes, reason: "partial entry at byte \(position) of \(logPath): declares \(declared) bytes, \(available) present", isPartialTail: true)
        case .trailingBytes(let position, let count):
            return ValidPrefix(validBytes: validBytes, reason: "\(count) stray bytes at byte \(position) of \(logPath)", isPartialTail: true)
        default:
            return ValidPrefix(validBytes: validBytes, reason: nil, isPartialTail: false)
        }
    }

    /// Makes readers stop at `validBytes` without touching the file (read-only recovery).
    func limitReadableSize(to validBytes: Int) {
        lock.withLock { _size = min(_size, validBytes) }
    }

    /// Whether every offset index entry points inside the log with strictly increasing
    /// offsets and positions, and time index entries increase (what a read-only open needs
    /// before trusting an index it cannot rebuild).
    public func indexesAreConsistent() throws -> Bool {
        try lock.withLock { try indexesAreConsistentLocked() }
    }

    private func indexesAreConsistentLocked() throws -> Bool {
        let size = _size
        var previous: (offset: Int64, position: Int)? = nil
        for i in 0..<offsetIndex.entryCount {
            let entry = try offsetIndex.entry(at: i)
            guard entry.position < max(size, 1), entry.offset >= baseOffset else { return false }
            if let previous, entry.offset <= previous.offset || entry.position <= previous.position { return false }
            previous = entry
        }
        var previousTime: (timestamp: Int64, offset: Int64)? = nil
        for i in 0..<timeIndex.entryCount {
            let entry = try timeIndex.entry(at: i)
            if let previousTime, entry.timestamp <= previousTime.timestamp || entry.offset < previousTime.offset { return false }
            previousTime = entry
        }
        return true
    }

    /// Removes every entry with an offset ≥ `offset` (whole batches), and the index entries
    /// for them. Returns the bytes removed.
    ///
    /// - Throws: `StrataIOError`, format errors reading the log.
    @discardableResult
    public func truncate(to offset: Int64) throws -> Int {
        guard let (position, _) = try translateOffset(offset) else { return 0 }
        let removed = size - position
        let last = try lock.withLock { () throws -> (timestamp: Int64, offset: Int64) in
            try offsetIndex.truncate(toOffset: offset)
            try timeIndex.truncate(toOffset: offset)
            try transactionIndex.truncate(toOffset: offset)
            _size = position
            bytesSinceLastIndexEntry = 0
            return timeIndex.lastEntry
        }
        try log.truncate(to: position)
        // Recompute the max timestamp from the last time index entry and the entries after it.
        var maximum = (timestamp: last.timestamp, offset: last.offset)
        var reader = try entries(from: try lock.withLock { try offsetIndex.lookup(last.offset).position })
        while let entry = try reader.next() {
            if entry.maxTimestamp > maximum.timestamp { maximum = (entry.maxTimestamp, entry.lastOffset) }
        }
        lock.withLock {
            _maxTimestampSoFar = maximum
            if _size == 0 { rollingBasedTimestamp = nil }
        }
        return removed
    }
}

extension LogSegment {
    /// Writes the log's bytes again over themselves, then fsyncs the log: after an fsync
    /// failure the page cache may hold bytes the kernel will never write back (see
    /// ``LostWritebackMarker``); writing them again makes them dirty, so this fsync saves them.
    /// Identical bytes make a torn rewrite harmless.
    func rewriteForDurability() throws {
        let chunk = 1 << 20
        var offset = 0
        let end = size
        while offset < end {
            let bytes = try log.read(at: offset, count: min(chunk, end - offset))
            guard bytes.readableBytes > 0 else { break }
            try log.write(bytes, at: offset)
            offset += bytes.readableBytes
        }
        try flush()
    }
}
