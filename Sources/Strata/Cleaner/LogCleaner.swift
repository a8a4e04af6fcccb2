import Logging

/// How the cleaner works: memory, rate, and overrides of the topic's settings.
public struct CleanerOptions: Sendable {
    /// The offset map's memory (`log.cleaner.dedupe.buffer.size`, 128 MiB). When the dirty
    /// section has more keys than fit, the partition is cleaned in several passes.
    public var dedupeBufferBytes = 128 << 20
    /// How full the map may get (`log.cleaner.io.buffer.load.factor`, 0.9).
    public var loadFactor = 0.9
    /// The I/O rate limit, nil for none (`log.cleaner.io.max.bytes.per.second`).
    public var throttle: Throttle? = nil
    /// Replaces the topic's `delete.retention.ms`.
    public var deleteRetentionMs: Int64? = nil
    /// Replaces the topic's `min.compaction.lag.ms`.
    public var minCompactionLagMs: Int64? = nil
    /// Clean whatever is cleanable, whatever the dirty ratio (an operator's explicit request).
    public var ignoreDirtyRatio = false
    /// Compute what cleaning would do without changing anything (one pass).
    public var dryRun = false
    /// Run the retention rules after cleaning (spec 6.10: `compact,delete` applies both).
    public var applyRetention = true
    /// Checked between segments; true stops the cleaner with ``CleanerCancelled``.
    public var isCancelled: @Sendable () -> Bool = { false }
    /// Called with the bytes read so far, for progress displays.
    public var progress: (@Sendable (Int) -> Void)? = nil

    /// Kafka's defaults.
    public init() {}
}

/// What cleaning one partition did or would do.
public struct CleaningResult: Sendable, Codable {
    /// The partition.
    public var topicPartition: String
    /// The assessment before cleaning.
    public var assessment: CleaningAssessment
    /// True when segments were rewritten (or, in a dry run, would be).
    public var cleaned: Bool
    /// Why nothing was cleaned, when nothing was.
    public var notCleanedReason: String?
    /// The counts.
    public var stats: CleaningStats
    /// The first offset not yet cleaned afterwards (the new cleaner checkpoint).
    public var cleanedUpTo: Int64
    /// What retention deleted afterwards.
    public var retention: [String]
    /// The `delete.retention.ms` applied (the topic's, or the override).
    public var deleteRetentionMs: Int64
    /// The `min.compaction.lag.ms` applied (the topic's, or the override).
    public var minCompactionLagMs: Int64
}

/// Log compaction with Kafka's semantics (spec section 6).
///
/// ``clean(_:checkpoint:options:)`` cleans one partition: it assesses how far cleaning may go
/// (the last stable offset, the active segment and `min.compaction.lag.ms` bound it), maps the
/// dirty section's keys to their latest offsets in a fixed buffer, and rewrites the segments
/// below that point group by group, keeping for each key only its latest record (offsets
/// unchanged), removing aborted transactions' data, tombstones and markers past their delete
/// horizon, keeping each producer's last batch; each group goes through the `.cleaned` →
/// `.swap` → replace protocol. When the map fills up, it cleans in several passes.
public enum LogCleaner {
    /// How dirty `log` is and how far cleaning may go, from `checkpoint` (the first offset not
    /// yet cleaned, nil: the log start).
    ///
    /// - Throws: `StrataIOError` or `StrataFormatError` when a segment's timestamps cannot be read.
    public static func assess(_ log: PartitionLog, checkpoint: Int64?, options: CleanerOptions = CleanerOptions()) throws -> CleaningAssessment {
        try assess(log.cleaningView(), config: effectiveConfig(log.config, options), checkpoint: checkpoint, now: log.clock())
    }

    static func effectiveConfig(_ config: LogConfig, _ options: CleanerOptions) -> LogConfig {
        var config = config
        if let value = options.deleteRetentionMs { config.deleteRetentionMs = value }
        if let value = options.minCompactionLagMs { config.minCompactionLagMs = value }
        return config
    }

    static func assess(_ view: PartitionLog.CleaningView, config: LogConfig, checkpoint: Int64?, now: Int64) throws -> CleaningAssessment {
        let segments = view.segments.map { segment in
            CleaningAssessment.Segment(baseOffset: segment.baseOffset, size: segment.size, largestTimestamp: { try segment.largestTimestamp() },
                                       firstBatchTimestamp: {
                var reader = try segment.entries(windowSize: 64 << 10)
                return try reader.next()?.maxTimestamp ?? -1
            })
        }
        return try CleaningAssessment.assess(segments: segments, logStartOffset: view.logStartOffset, logEndOffset: view.logEndOffset,
                                             lastStableOffset: view.lastStableOffset, highWatermark: view.highWatermark,
                                             checkpoint: checkpoint, config: config, now: now)
    }

    /// Cleans `log` from `checkpoint` (nil: from the log start), when its dirty ratio or
    /// `max.compaction.lag.ms` says so (or always with ``CleanerOptions/ignoreDirtyRatio``).
    ///
    /// - Throws: ``AppendError`` for a read-only log; ``CleanerConflict`` when the log changed
    ///   under the cleaner; ``CleanerCancelled``; `StrataIOError`; `StrataFormatError` for
    ///   corrupt data (nothing is replaced then).
    public static func clean(_ log: PartitionLog, checkpoint: Int64?, options: CleanerOptions = CleanerOptions()) throws -> CleaningResult {
        if !options.dryRun { try log.ensureWritable() }
        let config = effectiveConfig(log.config, options)
        let now = log.clock()
        var view = log.cleaningView()
        let assessment = try assess(view, config: config, checkpoint: checkpoint, now: now)
        var result = CleaningResult(topicPartition: log.topicPartition.description, assessment: assessment, cleaned: false, notCleanedReason: nil,
                                    stats: CleaningStats(), cleanedUpTo: assessment.firstDirtyOffset, retention: [],
                                    deleteRetentionMs: config.deleteRetentionMs, minCompactionLagMs: config.minCompactionLagMs)
        if !config.cleanupPolicy.contains(.compact) && !options.ignoreDirtyRatio {
            result.notCleanedReason = "cleanup.policy does not include compact"
            return result
        }
        if assessment.cleanableBytes == 0 {
            result.notCleanedReason = "nothing is cleanable: " + assessment.blockers.joined(separator: "; ")
        } else if !options.ignoreDirtyRatio && !assessment.isEligible(minCleanableRatio: config.minCleanableDirtyRatio) {
            result.notCleanedReason = "dirty ratio \(assessment.dirtyRatio) is not above min.cleanable.dirty.ratio \(config.minCleanableDirtyRatio)"
        }
        if result.notCleanedReason == nil {
            let map = OffsetMap(memoryBytes: options.dedupeBufferBytes, loadFactor: options.loadFactor)
            var firstDirty = assessment.firstDirtyOffset
            let uncleanable = assessment.firstUncleanableOffset
            while firstDirty < uncleanable {
                let end = try cleanPass(log, view: view, map: map, firstDirty: firstDirty, firstUncleanable: uncleanable,
                                        config: config, now: now, options: options, stats: &result.stats)
                result.cleaned = true
                guard end > firstDirty else { break }  // no progress: never loop
                firstDirty = end
                if options.dryRun { break }
                view = log.cleaningView()
            }
            result.cleanedUpTo = firstDirty
            log.logger.info("cleaned up to offset \(firstDirty) in \(result.stats.passes) pass(es): \(result.stats.recordsRead) records read, \(result.stats.recordsWritten) written",
                            metadata: ["partition": "\(log.topicPartition)"])
        }
        if !options.dryRun && options.applyRetention {
            result.retention = try log.applyRetention().reasons
        }
        return result
    }

    /// One pass: maps [firstDirty, …) until the map is full or `firstUncleanable`, then rewrites
    /// every segment below the mapped end. Returns the mapped end (the next pass's first dirty offset).
    static func cleanPass(_ log: PartitionLog, view: PartitionLog.CleaningView, map: OffsetMap, firstDirty: Int64, firstUncleanable: Int64,
                          config: LogConfig, now: Int64, options: CleanerOptions, stats: inout CleaningStats) throws -> Int64 {
        let segments = view.segments
        let withNext = segments.indices.map { (segment: segments[$0], next: $0 + 1 < segments.count ? segments[$0 + 1].baseOffset : view.logEndOffset) }
        var aborted: [AbortedTransaction] = []
        for segment in segments { aborted += try segment.transactionIndex.allAbortedTransactions() }
        var bytesDone = 0
        let throttle = options.throttle
        let cancelled = options.isCancelled
        try OffsetMapBuilder.build(map, segments: Array(withNext.dropLast()), firstDirty: firstDirty, firstUncleanable: firstUncleanable,
                                   aborted: aborted, limits: log.limits, throttle: throttle, cancelled: cancelled)
        let end = map.latestOffset + 1
        stats.keysMapped += map.count
        stats.passes += 1
        let toClean = withNext.dropLast().filter { $0.segment.baseOffset < end }
        // Legacy tombstones: kept while their segment's mtime is within delete.retention.ms of the
        // last already-clean segment's mtime (Kafka's pre-KIP-534 rule, still used for v0/v1).
        var legacyHorizon: Int64 = 0
        if let lastClean = withNext.dropLast().last(where: { $0.next <= firstDirty }),
           let mtime = try? log.fileSystem.modificationTime(lastClean.segment.path(SegmentFileName.logSuffix)) {
            legacyHorizon = mtime - config.deleteRetentionMs
        }
        let lastBatches = view.producers.mapValues { state in
            (lastDataOffset: state.lastDataOffset >= 0 ? Optional(state.lastDataOffset) : nil, epoch: state.producerEpoch)
        }
        var filter = RecordFilter(map: map, now: now, deleteRetentionMs: config.deleteRetentionMs, lastBatchOfProducer: lastBatches,
                                  transactions: CleanedTransactions(aborted: aborted), limits: log.limits)
        let groups = SegmentGrouping.groups(Array(toClean), maxSize: config.segmentBytes, maxIndexSize: config.segmentIndexBytes)
        for group in groups {
            let cleaned = try GroupRewriter.rewrite(group, directory: log.directory, config: config, fileSystem: log.fileSystem, filter: &filter,
                                                    legacyDeleteHorizonMs: legacyHorizon, limits: log.limits, now: now, throttle: throttle,
                                                    dryRun: options.dryRun, cancelled: cancelled, stats: &stats)
            bytesDone += group.reduce(0) { $0 + $1.segment.size }
            options.progress?(bytesDone)
            guard let cleaned else { continue }
            do {
                try log.replaceSegments(group.map(\.segment), with: cleaned)
            } catch let error as CleanerConflict {
                GroupRewriter.discard(cleaned)
                throw error
            }
            stats.segmentsRewritten += group.count
            stats.segmentsProduced += 1
        }
        return end
    }

    /// Cleans `log` with the checkpoint of its log directory (the directory holding it), and
    /// records where cleaning ended there.
    ///
    /// - Throws: as ``clean(_:checkpoint:options:)``; `StrataIOError` writing the checkpoint.
    @discardableResult
    public static func clean(_ log: PartitionLog, options: CleanerOptions = CleanerOptions()) throws -> CleaningResult {
        let checkpoint = CleanerCheckpoint(logDirectory: parentDirectory(of: log.directory), fileSystem: log.fileSystem)
        let result = try clean(log, checkpoint: checkpoint.offsets()[log.topicPartition], options: options)
        if result.cleaned && !options.dryRun { try checkpoint.update(log.topicPartition, to: result.cleanedUpTo) }
        return result
    }
}
