import Strata

/// One valid batch of a scanned `.log`, kept for the index checks.
struct ScannedBatch: Sendable, Hashable {
    var position: Int
    var size: Int
    var firstOffset: Int64
    var lastOffset: Int64
    var maxTimestamp: Int64
}

/// What scanning one `.log` (or KRaft snapshot) found, beyond its findings.
struct LogScan: Sendable, Hashable {
    /// The file.
    var path: String
    /// The base offset its name gives (nil for a file not named as a segment).
    var baseOffset: Int64?
    /// Bytes in the file.
    var size = 0
    /// The valid batches, in file order.
    var batches: [ScannedBatch] = []
    /// Damaged entries whose size field still frames them: `[start, end)` byte ranges.
    var damaged: [Range<Int>] = []
    /// Where framing is lost or a partial tail starts: everything from here is unreadable.
    var tailStart: Int?
    /// ABORT markers: marker offset → producer id.
    var abortMarkers: [Int64: Int64] = [:]
    /// Problems with offsets (order, base, overflow) that repair does not fix.
    var hasOffsetProblems = false
    /// The file is not in Kafka's format at all.
    var isForeign = false

    /// One past the last valid offset, when the file holds valid batches.
    var nextOffset: Int64? { batches.last.map { $0.lastOffset + 1 } }
    /// Whether the log bytes need repair (damaged entries or an unreadable tail).
    var needsRepair: Bool { !damaged.isEmpty || tailStart != nil }

    /// The batch starting exactly at `position`.
    func batch(atPosition position: Int) -> ScannedBatch? {
        let index = firstIndex { $0.position >= position }
        guard index < batches.count, batches[index].position == position else { return nil }
        return batches[index]
    }

    /// The index of the first valid batch whose last offset is at least `offset`.
    func firstBatch(reaching offset: Int64) -> Int? {
        let index = firstIndex { $0.lastOffset >= offset }
        return index < batches.count ? index : nil
    }

    /// Binary search: the first batch index where `predicate` holds (it must be monotonic).
    private func firstIndex(where predicate: (ScannedBatch) -> Bool) -> Int {
        var low = 0, high = batches.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(batches[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

extension LogEntry {
    /// The CRC computed from the entry's bytes (CRC-32C for v2, CRC-32 for legacy).
    var computedCRC: UInt32 {
        switch self {
        case .batch(let batch): batch.computedCRC
        case .legacy(let entry): entry.message.computedCRC
        }
    }
}
