/// How dirty a compacted partition is and how far the cleaner may go (spec 6.1, Kafka's
/// `LogToClean` and `LogCleanerManager.cleanableOffsets`), with the reasons cleaning stops
/// where it does.
public struct CleaningAssessment: Sendable, Hashable, Codable {
    /// The first offset not yet cleaned (from the cleaner checkpoint, reset to the log start
    /// offset when missing or out of range).
    public var firstDirtyOffset: Int64
    /// Cleaning stops below this offset (a segment base): the last stable offset, the active
    /// segment and `min.compaction.lag.ms` bound it.
    public var firstUncleanableOffset: Int64
    /// Bytes of the segments below the first dirty offset.
    public var cleanBytes: Int64
    /// Bytes of the segments from the first dirty offset to the first uncleanable one.
    public var cleanableBytes: Int64
    /// cleanable / (clean + cleanable).
    public var dirtyRatio: Double
    /// True when `max.compaction.lag.ms` has passed for a dirty segment: clean whatever the ratio.
    public var mustCleanNow: Bool
    /// What keeps records from being cleaned, in words (the active segment, an open
    /// transaction, the lag settings).
    public var blockers: [String]

    /// Whether the cleaner should clean now: dirty bytes exist and either the max lag passed
    /// or the dirty ratio is strictly above `minRatio`.
    public func isEligible(minCleanableRatio minRatio: Double) -> Bool {
        cleanableBytes > 0 && (mustCleanNow || dirtyRatio > minRatio)
    }

    /// One segment as the assessment sees it.
    struct Segment {
        var baseOffset: Int64
        var size: Int
        /// The largest timestamp of its records (-1 when none).
        var largestTimestamp: () throws -> Int64
        /// The first batch's max timestamp (-1 when none).
        var firstBatchTimestamp: () throws -> Int64
    }

    /// Assesses segments (oldest first; the last is the active one).
    static func assess(segments: [Segment], logStartOffset: Int64, logEndOffset: Int64, lastStableOffset: Int64, highWatermark: Int64,
                       checkpoint: Int64?, config: LogConfig, now: Int64) throws -> CleaningAssessment {
        var blockers: [String] = []
        var firstDirty = checkpoint ?? logStartOffset
        if firstDirty < logStartOffset || firstDirty > logEndOffset { firstDirty = logStartOffset }
        let active = segments[segments.count - 1].baseOffset
        var uncleanable = min(lastStableOffset, active)
        if lastStableOffset < active {
            if lastStableOffset < highWatermark {
                blockers.append("an open transaction: the last stable offset is \(lastStableOffset)")
            } else {
                blockers.append("the high watermark \(highWatermark) is below the active segment")
            }
        }
        blockers.append("the active segment (from offset \(active)) is never cleaned")
        // Dirty, non-active segments.
        let dirty = segments.indices.dropLast().filter { index in
            let next = segments[index + 1].baseOffset
            return next > firstDirty
        }
        if config.minCompactionLagMs > 0 {
            for index in dirty {
                let largest = try segments[index].largestTimestamp()
                if largest > now - config.minCompactionLagMs {
                    if segments[index].baseOffset < uncleanable {
                        uncleanable = segments[index].baseOffset
                        blockers.append("min.compaction.lag.ms \(config.minCompactionLagMs): segment \(segments[index].baseOffset) holds records from \(largest), too recent")
                    }
                    break
                }
            }
        }
        // Rounded down to the base of the segment holding it: cleaning works on whole segments.
        if let holder = segments.last(where: { $0.baseOffset <= uncleanable }) { uncleanable = holder.baseOffset }
        var cleanBytes: Int64 = 0
        var cleanableBytes: Int64 = 0
        for index in segments.indices.dropLast() {
            let base = segments[index].baseOffset
            let next = segments[index + 1].baseOffset
            if next <= firstDirty { cleanBytes += Int64(segments[index].size) }
            else if base < uncleanable && next > firstDirty { cleanableBytes += Int64(segments[index].size) }
        }
        var mustCleanNow = false
        if config.maxCompactionLagMs < Int64.max {
            let firstTimestamps = try dirty.filter { segments[$0].baseOffset < uncleanable }.map { try segments[$0].firstBatchTimestamp() }.filter { $0 > 0 }
            if let earliest = firstTimestamps.min(), earliest < now - config.maxCompactionLagMs {
                mustCleanNow = true
            }
        }
        let total = cleanBytes + cleanableBytes
        let ratio = total == 0 ? 0 : Double(cleanableBytes) / Double(total)
        return CleaningAssessment(firstDirtyOffset: firstDirty, firstUncleanableOffset: uncleanable, cleanBytes: cleanBytes,
                                  cleanableBytes: cleanableBytes, dirtyRatio: ratio, mustCleanNow: mustCleanNow, blockers: blockers)
    }
}
