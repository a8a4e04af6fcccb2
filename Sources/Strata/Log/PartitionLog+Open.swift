import Logging
import NIOCore

/// How to open a partition directory.
public struct PartitionOpenOptions: Sendable {
    /// The file system (the real one unless a test injects faults).
    public var fileSystem: any FileSystem = PosixFileSystem()
    /// Open for reading only: nothing on disk is changed, not even a torn tail.
    public var readOnly = false
    /// Whether the data directory was shut down cleanly (`.kafka_cleanshutdown` existed).
    public var cleanShutdown = false
    /// The recovery point from `recovery-point-offset-checkpoint` (nil: 0).
    public var recoveryPoint: Int64? = nil
    /// The log start offset from `log-start-offset-checkpoint` (nil: the first segment's base).
    public var logStartOffset: Int64? = nil
    /// Milliseconds since the epoch.
    public var clock: @Sendable () -> Int64 = { systemMilliseconds() }
    /// Where recovery says what it did.
    public var logger = Logger(label: "strata.log")
    /// Decoding ceilings.
    public var limits = DecodingLimits.default

    /// The defaults: read-write, unclean (every segment past the recovery point is checked).
    public init() {}
}

extension PartitionLog {
    /// Opens (or creates) the partition directory at `directory`, named `<topic>-<partition>`,
    /// as Kafka's `LogLoader` does: finishes or rolls back interrupted swaps, removes leftover
    /// `.deleted` and `.cleaned` files, rebuilds missing indexes, recovers every segment past
    /// the recovery point after an unclean shutdown (cutting a torn or corrupt tail and what
    /// follows it), and rebuilds producer state and the leader epoch cache. Read-only opens
    /// change nothing: they read around a bad tail and ignore indexes that fail their checks.
    ///
    /// - Throws: `StrataIOError`; `StrataFormatError` for a directory name that is not
    ///   `<topic>-<partition>` or a read-only directory without segments.
    public static func open(directory: String, config: LogConfig = LogConfig(), options: PartitionOpenOptions = PartitionOpenOptions()) throws -> PartitionLog {
        let fs = options.fileSystem
        let name = directory.split(separator: "/").last.map(String.init) ?? directory
        guard let topicPartition = TopicPartition(directoryName: name) else {
            throw StrataFormatError(.notKafkaFormat, "\(name) is not a partition directory name (<topic>-<partition>)", file: directory)
        }
        var report = LoadReport()
        let now = options.clock()
        if !options.readOnly {
            // A partition directory that is a symbolic link (or a file) is not written through:
            // the link could lead anywhere outside the data directory.
            if fs.exists(directory) && !fs.isDirectory(directory) {
                throw StrataIOError(call: "open", path: directory + " (a symbolic link or a file, not a partition directory)", errno: ENOTDIR)
            }
            try fs.createDirectory(directory)
        }
        // An fsync failed since the data was written: nothing unflushed can be trusted to reach
        // the disk, whatever the clean-shutdown marker says.
        let lostWriteback = !options.readOnly && LostWritebackMarker.isPresent(in: directory, fileSystem: fs)
        var options = options
        if lostWriteback { options.cleanShutdown = false }
        report.cleanShutdown = options.cleanShutdown
        let log = options.logger
        func act(_ text: String) {
            report.actions.append(text)
            log.info("\(text)", metadata: ["partition": "\(topicPartition)"])
        }

        try completeInterruptedOperations(directory: directory, fileSystem: fs, readOnly: options.readOnly, limits: options.limits, act: act)

        // Segments by base offset; indexes without a log are removed (or reported).
        let names = try fs.contentsOfDirectory(directory)
        let logBases = Set(names.filter { $0.hasSuffix(SegmentFileName.logSuffix) }.compactMap(SegmentFileName.baseOffset(of:)))
        for file in names where file.hasSuffix(SegmentFileName.indexSuffix) || file.hasSuffix(SegmentFileName.timeIndexSuffix) || file.hasSuffix(SegmentFileName.transactionIndexSuffix) {
            guard let base = SegmentFileName.baseOffset(of: file), !logBases.contains(base) else { continue }
            if options.readOnly {
                act("index file \(file) has no log segment (left alone, read-only)")
            } else {
                try fs.removeFile(directory + "/" + file)
                act("removed index file \(file), which has no log segment")
            }
        }
        var segments: [LogSegment] = []
        var needsRecovery: Set<Int64> = []
        for base in logBases.sorted() {
            let hadIndex = fs.exists(directory + "/" + SegmentFileName.prefix(for: base) + SegmentFileName.indexSuffix)
            let segment = try LogSegment.open(directory: directory, baseOffset: base, config: config, fileSystem: fs, readOnly: options.readOnly, limits: options.limits, now: now)
            if !hadIndex { needsRecovery.insert(base) }
            if (try? segment.transactionIndex.sanityCheck()) == nil { needsRecovery.insert(base) }
            segments.append(segment)
        }

        // Recovery: unflushed segments after an unclean shutdown, and segments missing indexes.
        let recoveryPoint = options.recoveryPoint ?? 0
        let epochCache = try LeaderEpochCache(partitionDirectory: directory, fileSystem: fs)
        var index = 0
        var firstRecovered: Int64? = nil
        // Producer state while recovering, to rebuild each segment's aborted-transaction index
        // (recovery empties it): valid at the start of segment `nextIndex`.
        var replay: (state: ProducerStateManager, nextIndex: Int)? = nil
        while index < segments.count {
            let segment = segments[index]
            let next = index + 1 < segments.count ? segments[index + 1].baseOffset : Int64.max
            let unflushed = !options.cleanShutdown && next > recoveryPoint
            guard unflushed || needsRecovery.contains(segment.baseOffset) else {
                index += 1
                continue
            }
            if firstRecovered == nil { firstRecovered = segment.baseOffset }
            let cut: Int
            let reason: String?
            var setAside: String? = nil
            var state = replay?.nextIndex == index ? replay!.state
                : try rebuildProducerState(directory: directory, segments: Array(segments[..<index]), upTo: segment.baseOffset, fileSystem: fs, readOnly: true, limits: options.limits)
            if options.readOnly {
                var aborted: [AbortedTransaction] = []
                let valid = try segment.validPrefix { entry in
                    if case .batch(let batch) = entry, let transaction = try replayForRecovery(batch, into: &state, limits: options.limits) {
                        aborted.append(transaction)
                    }
                }
                cut = segment.size - valid.validBytes
                reason = valid.reason
                segment.limitReadableSize(to: valid.validBytes)
                // Recovery would rebuild these indexes, which read-only cannot: they may be older
                // than the log (a power cut between the `.log` and `.index` fsyncs after a
                // truncation) with entries that look consistent but point into other batches.
                // Lookups scan instead, and aborted transactions come from the replay above.
                segment.ignoresIndexes = true
                segment.transactionIndex.useInMemory(aborted)
            } else {
                let result = try segment.recover { entry in
                    guard case .batch(let batch) = entry else { return }
                    if batch.header.partitionLeaderEpoch >= 0 {
                        try epochCache.assign(epoch: batch.header.partitionLeaderEpoch, startOffset: batch.header.baseOffset)
                    }
                    // As Kafka's LogSegment.recover: replay into producer state and index the
                    // transactions it completes as aborted.
                    if let aborted = try replayForRecovery(batch, into: &state, limits: options.limits) {
                        try segment.appendAbortedTransaction(aborted)
                    }
                }
                cut = result.truncatedBytes
                reason = result.reason
                setAside = result.setAsidePath
                report.rebuiltSegments.append(segment.baseOffset)
                if lostWriteback { try segment.rewriteForDurability() }
            }
            replay = (state, index + 1)
            if cut > 0 {
                report.truncatedBytes += cut
                act("\(options.readOnly ? "would truncate" : "truncated") \(cut) bytes from segment \(segment.baseOffset): \(reason ?? "invalid data")"
                    + (setAside.map { "; the cut bytes were saved to \($0)" } ?? ""))
                let later = segments[(index + 1)...]
                for dropped in later {
                    if options.readOnly {
                        act("segment \(dropped.baseOffset) follows a corrupt tail and is ignored (read-only)")
                    } else {
                        // The log ends at the corruption, as in Kafka; the later segment's data
                        // is kept aside (a name Kafka and Strata ignore), never deleted.
                        try dropped.close(trimming: false)
                        let logFile = dropped.path(SegmentFileName.logSuffix)
                        try fs.rename(logFile, to: logFile + ".orphaned")
                        for file in dropped.existingFiles() { try fs.removeFile(file) }
                        act("moved segment \(dropped.baseOffset), which followed a corrupt tail, to \(logFile).orphaned")
                    }
                }
                segments.removeSubrange((index + 1)...)
            }
            index += 1
        }
        if lostWriteback {
            try LostWritebackMarker.remove(in: directory, fileSystem: fs)
            act("an fsync failed before this open: wrote the recovered data of segments \(report.rebuiltSegments) again and synced it")
        }
        if options.readOnly {
            for segment in segments where try !segment.ignoresIndexes && !segment.indexesAreConsistent() {
                segment.ignoresIndexes = true
                act("index of segment \(segment.baseOffset) is inconsistent; reading it by scanning instead")
            }
        }

        var logEndOffset = try segments.last?.readNextOffset() ?? (options.logStartOffset ?? 0)
        var logStartOffset = max(options.logStartOffset ?? 0, segments.first?.baseOffset ?? 0)
        if !options.readOnly {
            if let checkpointed = options.logStartOffset, logEndOffset < checkpointed, !segments.isEmpty {
                for segment in segments {
                    try segment.close(trimming: false)
                    for file in segment.existingFiles() { try fs.removeFile(file) }
                }
                act("deleted every segment: the log end offset \(logEndOffset) is below the log start offset \(checkpointed)")
                segments = []
                logEndOffset = checkpointed
            }
            if segments.isEmpty {
                let start = options.logStartOffset ?? logEndOffset
                segments = [try LogSegment.create(directory: directory, baseOffset: start, config: config, fileSystem: fs, limits: options.limits, now: now)]
                logEndOffset = start
                logStartOffset = start
            }
            try segments.last!.resizeIndexes(to: config.segmentIndexBytes)
            try epochCache.truncateFromEnd(endOffset: logEndOffset)
            try epochCache.truncateFromStart(startOffset: logStartOffset)
        } else if segments.isEmpty {
            throw StrataFormatError(.notKafkaFormat, "\(directory) holds no log segments", file: directory)
        }

        // When recovery replayed every batch up to the end, its producer state is the answer;
        // otherwise start from the newest snapshot and replay what follows it.
        let producerState: ProducerStateManager
        if let recovered = replay, recovered.nextIndex == segments.count, !options.readOnly {
            producerState = recovered.state
            for offset in try ProducerSnapshotFile.offsets(in: directory, fileSystem: fs) where offset > logEndOffset {
                try fs.removeFile(directory + "/" + SegmentFileName.prefix(for: offset) + SegmentFileName.snapshotSuffix)
            }
        } else {
            producerState = try rebuildProducerState(directory: directory, segments: segments, upTo: logEndOffset, fileSystem: fs, readOnly: options.readOnly, limits: options.limits)
        }
        // After an unclean shutdown nothing in a recovered segment is known to be durable: what
        // was read may sit only in the page cache (the process died, not the machine), and a
        // checkpoint written before a truncation can name a recovery point above data written
        // since. The next flush syncs them again.
        let newRecoveryPoint = options.cleanShutdown ? logEndOffset : min(recoveryPoint, logEndOffset, firstRecovered ?? logEndOffset)
        let partition = PartitionLog(
            directory: directory, topicPartition: topicPartition, config: config, isReadOnly: options.readOnly, fileSystem: fs,
            clock: options.clock, logger: options.logger, limits: options.limits, segments: segments, logStartOffset: logStartOffset,
            logEndOffset: logEndOffset, recoveryPoint: options.readOnly ? logEndOffset : newRecoveryPoint,
            producerState: producerState, leaderEpochCache: epochCache)
        partition.loadReport = report
        return partition
    }

    /// Step (a)–(c) of Kafka's loader: `.deleted` files removed, `.cleaned` files removed,
    /// `.swap` files either discarded (an incomplete split) or installed over the segments they
    /// replace.
    static func completeInterruptedOperations(directory: String, fileSystem fs: any FileSystem, readOnly: Bool, limits: DecodingLimits, act: (String) -> Void) throws {
        let names = try fs.contentsOfDirectory(directory)
        let deleted = names.filter { $0.hasSuffix(SegmentFileName.deletedSuffix) && !$0.hasSuffix(".checkpoint" + SegmentFileName.deletedSuffix) }
        let cleaned = names.filter { $0.hasSuffix(SegmentFileName.cleanedSuffix) }
        var swaps = names.filter { $0.hasSuffix(SegmentFileName.swapSuffix) }
        if readOnly {
            for file in deleted + cleaned + swaps { act("leftover file \(file) (left alone, read-only)") }
            return
        }
        for file in deleted {
            try fs.removeFile(directory + "/" + file)
            act("removed leftover \(file)")
        }
        if let lowestCleaned = cleaned.compactMap(SegmentFileName.baseOffset(of:)).min() {
            for file in swaps where (SegmentFileName.baseOffset(of: file) ?? 0) >= lowestCleaned {
                try fs.removeFile(directory + "/" + file)
                act("removed \(file), part of an incomplete swap")
            }
            swaps.removeAll { (SegmentFileName.baseOffset(of: $0) ?? 0) >= lowestCleaned }
        }
        for file in cleaned {
            try fs.removeFile(directory + "/" + file)
            act("removed unfinished cleaner output \(file)")
        }
        let swapLogs = swaps.filter { $0.hasSuffix(SegmentFileName.logSuffix + SegmentFileName.swapSuffix) }
        guard !swapLogs.isEmpty else { return }
        var low = Int64.max, high = Int64.min
        for file in swapLogs {
            guard let base = SegmentFileName.baseOffset(of: file) else { continue }
            low = min(low, base)
            var reader = try LogFileReader(path: directory + "/" + file, limits: limits, fileSystem: fs)
            var next = base
            while let entry = (try? reader.next()) ?? nil { next = entry.lastOffset + 1 }
            high = max(high, next)
        }
        let segmentSuffixes = [SegmentFileName.logSuffix, SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix]
        for file in names where segmentSuffixes.contains(where: { file.hasSuffix($0) }) {
            guard let base = SegmentFileName.baseOffset(of: file), base >= low, base < high else { continue }
            try fs.removeFile(directory + "/" + file)
            act("removed \(file), replaced by a completed swap")
        }
        for file in swaps {
            try fs.rename(directory + "/" + file, to: directory + "/" + String(file.dropLast(SegmentFileName.swapSuffix.count)))
            act("installed \(file)")
        }
        try fs.syncDirectory(directory)
    }

    /// Applies a recovered batch to producer state; returns the aborted transaction it
    /// completes, as the append path indexes it.
    static func replayForRecovery(_ batch: RecordBatch, into state: inout ProducerStateManager, limits: DecodingLimits) throws -> AbortedTransaction? {
        state.abortedTransaction(for: try state.apply(batch, limits: limits))
    }

    /// Producer state at `upTo`: the newest snapshot at or below it, then the batches after it.
    static func rebuildProducerState(directory: String, segments: [LogSegment], upTo end: Int64, fileSystem fs: any FileSystem, readOnly: Bool, limits: DecodingLimits) throws -> ProducerStateManager {
        var snapshotOffsets = try ProducerSnapshotFile.offsets(in: directory, fileSystem: fs).sorted()
        if !readOnly {
            for offset in snapshotOffsets where offset > end {
                try fs.removeFile(directory + "/" + SegmentFileName.prefix(for: offset) + SegmentFileName.snapshotSuffix)
            }
            snapshotOffsets.removeAll { $0 > end }
        }
        var state = ProducerStateManager(mapEndOffset: segments.first?.baseOffset ?? 0)
        for offset in snapshotOffsets.reversed() where offset <= end {
            let path = directory + "/" + SegmentFileName.prefix(for: offset) + SegmentFileName.snapshotSuffix
            guard let entries = try? ProducerSnapshotFile.read(path: path, fileSystem: fs) else { continue }
            state = ProducerStateManager(states: entries.map(ProducerState.init(snapshot:)), mapEndOffset: offset)
            break
        }
        let from = state.mapEndOffset
        guard from < end else { return state }
        for (index, segment) in segments.enumerated() {
            let next = index + 1 < segments.count ? segments[index + 1].baseOffset : Int64.max
            if next <= from { continue }  // every batch here ends below the snapshot
            let start = from > segment.baseOffset && !segment.ignoresIndexes ? try segment.floorPosition(of: from) : 0
            var reader = try segment.entries(from: start)
            while let entry = try reader.next() {
                guard case .batch(let batch) = entry, batch.header.lastOffset >= from, batch.header.baseOffset < end else { continue }
                try state.apply(batch, limits: limits)
            }
        }
        return state
    }
}

/// Milliseconds since the epoch from the system clock.
public func systemMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#endif
