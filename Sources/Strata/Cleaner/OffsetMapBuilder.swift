/// Fills the offset map from the dirty section (spec 6.2, Kafka's `buildOffsetMap`): every
/// keyed record at or above the first dirty offset, skipping control batches and batches of
/// aborted transactions; stops when the map is full (possibly inside a batch).
enum OffsetMapBuilder {
    /// Maps `segments` (each with the offset its successor starts at) from `firstDirty` up to
    /// `firstUncleanable`. Afterwards `map.latestOffset + 1` is where this pass's mapping ends.
    ///
    /// - Throws: `StrataIOError`, `StrataFormatError` for corrupt data.
    static func build(_ map: OffsetMap, segments: [(segment: LogSegment, next: Int64)], firstDirty: Int64, firstUncleanable: Int64,
                      aborted: [AbortedTransaction], limits: DecodingLimits, throttle: Throttle?, cancelled: () -> Bool) throws {
        map.clear()
        map.latestOffset = firstDirty - 1
        // Only transactions whose marker is at or after the first dirty offset: an earlier
        // marker is never read here and would leave its producer looking aborted.
        var transactions = CleanedTransactions(aborted: aborted.filter { $0.lastOffset >= firstDirty })
        let context = CodecContext()
        for (segment, next) in segments where next > firstDirty && segment.baseOffset < firstUncleanable {
            if cancelled() { throw CleanerCancelled() }
            let start = firstDirty > segment.baseOffset ? try segment.floorPosition(of: firstDirty) : 0
            var reader = try segment.entries(from: start)
            var full = false
            while let entry = try reader.next() {
                throttle?.consume(entry.sizeInBytes)
                if entry.lastOffset < firstDirty { continue }
                // Keys from a corrupt batch must never decide what is removed elsewhere.
                do throws(StrataFormatError) { try entry.validate() } catch {
                    throw error.adding(file: reader.path)
                }
                switch entry {
                case .batch(let batch):
                    let header = batch.header
                    if header.isControl {
                        let type = header.recordsCount > 0 ? try batch.controlType(limits: limits) : nil
                        _ = transactions.controlBatch(header, type: type)
                    } else if !transactions.dataBatch(header) {
                        try batch.forEachRecordView(limits: limits, context: context) { record in
                            guard !full, let key = record.key, record.offset >= firstDirty else { return }
                            if !map.put(key, offset: record.offset) { full = true }
                        }
                    }
                case .legacy(let legacy):
                    for message in try legacy.innerMessages(limits: limits, context: context) {
                        guard !full, let key = message.key, message.offset >= firstDirty else { continue }
                        if !key.withUnsafeReadableBytes({ map.put($0, offset: message.offset) }) { full = true }
                    }
                }
                if full { return }
                map.latestOffset = max(map.latestOffset, entry.lastOffset)
            }
            map.latestOffset = max(map.latestOffset, min(next, firstUncleanable) - 1)
        }
    }
}

/// The cleaner was asked to stop (a closing log manager); nothing was changed.
public struct CleanerCancelled: Error, Sendable, CustomStringConvertible {
    public var description: String { "cleaning was cancelled" }
}
