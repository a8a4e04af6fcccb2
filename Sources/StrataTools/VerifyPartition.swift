import Strata

/// What repair needs to know about one verified segment.
struct SegmentVerdict: Sendable, Hashable {
    var directory: String
    var baseOffset: Int64
    /// The log scan (its batch table dropped once the indexes are checked).
    var scan: LogScan
    /// The offset or time index is wrong (or missing while the log needs repair).
    var indexesNeedRebuild: Bool
    /// The `.txnindex` does not parse or disagrees with the log.
    var transactionIndexIsBad: Bool
    /// One past the last valid offset (nil without valid batches).
    var nextOffset: Int64?
}

/// What verifying a partition directory learned, for the data directory's checkpoints.
struct PartitionOutcome: Sendable {
    /// One past the last offset of the last readable segment (nil without any `.log`).
    var logEndOffset: Int64?
}

extension Verifier {
    /// Verifies one segment: its `.log`, then each index beside it (only `onlyIndex` when given).
    /// Returns the scan, with its batches, for the cross-segment checks.
    @discardableResult
    func verifySegment(directory: String, baseOffset: Int64, onlyIndex: String?, isActive: Bool = true) -> LogScan? {
        let prefix = directory + "/" + SegmentFileName.prefix(for: baseOffset)
        guard let scan = scanLog(prefix + SegmentFileName.logSuffix, baseOffset: baseOffset), !scan.isForeign else { return nil }
        func wanted(_ suffix: String) -> Bool {
            fileSystem.exists(prefix + suffix) && (onlyIndex == nil || onlyIndex == SegmentFileName.prefix(for: baseOffset) + suffix)
        }
        var indexesGood = true
        if wanted(SegmentFileName.indexSuffix) {
            indexesGood = checkOffsetIndex(prefix + SegmentFileName.indexSuffix, log: scan, baseOffset: baseOffset) && indexesGood
        }
        if wanted(SegmentFileName.timeIndexSuffix) {
            indexesGood = checkTimeIndex(prefix + SegmentFileName.timeIndexSuffix, log: scan, baseOffset: baseOffset, isActive: isActive) && indexesGood
        }
        var transactionIndexGood = true
        if wanted(SegmentFileName.transactionIndexSuffix) {
            transactionIndexGood = checkTransactionIndex(prefix + SegmentFileName.transactionIndexSuffix, log: scan, baseOffset: baseOffset)
        }
        var kept = scan
        kept.batches = []
        segmentVerdicts.append(SegmentVerdict(directory: directory, baseOffset: baseOffset, scan: kept,
                                              indexesNeedRebuild: !indexesGood || scan.needsRepair, transactionIndexIsBad: !transactionIndexGood,
                                              nextOffset: scan.nextOffset))
        return scan
    }

    /// Verifies a partition directory: every segment, offsets across segments, index files
    /// without a log, leftovers, producer snapshots, the leader epoch checkpoint and
    /// `partition.metadata`.
    func verifyPartition(_ directory: String) -> PartitionOutcome {
        let names: [String]
        do {
            names = try fileSystem.contentsOfDirectory(directory).sorted()
        } catch {
            report(VerifyFinding(.unreadable, file: directory, "\(error)"))
            return PartitionOutcome()
        }
        let logBases = names.filter { $0.hasSuffix(SegmentFileName.logSuffix) }.compactMap(SegmentFileName.baseOffset(of:)).sorted()
        let logBaseSet = Set(logBases)
        for name in names {
            let path = directory + "/" + name
            if let kind = LeftoverFile.kind(of: name) {
                stats.files += 1
                report(VerifyFinding(.leftoverFile, file: path, "a leftover \(kind) file (Kafka removes or completes these at startup)"))
            } else if [SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix].contains(where: name.hasSuffix),
                      let base = SegmentFileName.baseOffset(of: name), !logBaseSet.contains(base) {
                stats.files += 1
                report(VerifyFinding(.indexWithoutLog, file: path, declared: SegmentFileName.name(for: base, suffix: SegmentFileName.logSuffix),
                                     computed: "missing", "an index file whose log is missing"))
            } else if KRaftSnapshot.isSnapshot(name) {
                _ = scanLog(path, baseOffset: nil)
            }
        }
        var previous: (path: String, last: Int64)? = nil
        var logEnd: Int64? = nil
        let jobs = max(options.jobs, 1)
        for (index, base) in logBases.enumerated() {
            if index % jobs == 0 {
                let group = logBases[index..<min(index + jobs, logBases.count)]
                prescanLogs(group.map { directory + "/" + SegmentFileName.name(for: $0, suffix: SegmentFileName.logSuffix) }, baseOffsets: group.map { $0 })
            }
            guard let scan = verifySegment(directory: directory, baseOffset: base, onlyIndex: nil, isActive: base == logBases.last) else { continue }
            if let previous, base <= previous.last || (scan.batches.first?.firstOffset ?? .max) <= previous.last {
                let first = scan.batches.first?.firstOffset ?? base
                report(VerifyFinding(.offsetOrder, file: scan.path, position: scan.batches.first?.position ?? 0, offset: min(first, base),
                                     declared: "after \(previous.last) (last offset of \(previous.path))", computed: "base offset \(base), first offset \(first)",
                                     "segments overlap: offsets do not increase across segments"))
            }
            if let last = scan.batches.last?.lastOffset { previous = (scan.path, last) }
            logEnd = max(logEnd ?? .min, scan.nextOffset ?? base)
        }
        prescanned = [:]
        for name in names {
            if let offset = ProducerSnapshotFile.offset(ofFileName: name) {
                verifySnapshot(directory + "/" + name, logEndOffset: logEnd, offset: offset)
            }
        }
        verifyLeaderEpochs(directory, logEndOffset: logEnd)
        let metadata = PartitionMetadataFile(partitionDirectory: directory, fileSystem: fileSystem)
        if metadata.exists() {
            stats.files += 1
            do {
                _ = try metadata.read()
            } catch {
                report(VerifyFinding(.partitionMetadata, file: metadata.path, "\(error)"))
            }
        }
        return PartitionOutcome(logEndOffset: logEnd)
    }

    /// A producer snapshot: version, CRC and size (Kafka's reader), and not beyond the log end.
    func verifySnapshot(_ path: String, logEndOffset: Int64?, offset: Int64? = nil) {
        stats.files += 1
        do {
            _ = try ProducerSnapshotFile.read(path: path, fileSystem: fileSystem)
        } catch let error as StrataIOError {
            report(VerifyFinding(.unreadable, file: path, "\(error)"))
            return
        } catch {
            report(VerifyFinding(.snapshotCorrupt, file: path, "\(error)"))
            return
        }
        if let offset, let logEndOffset, offset > logEndOffset {
            report(VerifyFinding(.snapshotBeyondLog, file: path, offset: offset, declared: "snapshot at \(offset)",
                                 computed: "log end offset \(logEndOffset)", "a producer snapshot beyond the end of the log"))
        }
    }

    /// `leader-epoch-checkpoint`: parses; epochs and start offsets increase; none past the log end.
    private func verifyLeaderEpochs(_ directory: String, logEndOffset: Int64?) {
        let file = LeaderEpochCheckpointFile(partitionDirectory: directory, fileSystem: fileSystem)
        guard let entries = readCheckpoint(file.path, read: file.read) else { return }
        var previous: EpochEntry? = nil
        for (line, entry) in entries.enumerated() {
            if let previous, entry.epoch <= previous.epoch || entry.startOffset < previous.startOffset {
                report(VerifyFinding(.checkpointOutOfRange, file: file.path, offset: entry.startOffset, declared: "\(entry)",
                                     computed: "after \(previous)", "leader epochs out of order (entry \(line + 1))"))
            }
            if let logEndOffset, entry.startOffset > logEndOffset {
                report(VerifyFinding(.checkpointOutOfRange, file: file.path, offset: entry.startOffset, declared: "\(entry)",
                                     computed: "log end offset \(logEndOffset)", "a leader epoch starting beyond the end of the log"))
            }
            previous = entry
        }
    }
}
