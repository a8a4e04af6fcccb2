import Strata

extension Verifier {
    /// Checks a segment's `.index` against its scanned log: whole entries, no zero runs, strictly
    /// increasing, each at the start of a valid batch and naming that batch's last offset (or,
    /// after a multi-batch append before KAFKA-806, the last offset of a later batch — lookups
    /// stay correct). Returns false when the index needs rebuilding.
    func checkOffsetIndex(_ path: String, log: LogScan, baseOffset: Int64) -> Bool {
        var previous: (offset: Int64, position: Int)? = nil
        return checkIndexFile(path, entrySize: OffsetIndex.entrySize, open: { file, length in
            let index = try OffsetIndex(file: file, baseOffset: baseOffset, maxIndexSize: max(length, OffsetIndex.entrySize), isNew: false)
            return (index.entryCount, index.entry(at:))
        }, isZero: { $0.offset == baseOffset && $0.position == 0 }) { at, entry in
            var good = true
            if let previous, entry.offset <= previous.offset || entry.position <= previous.position {
                report(VerifyFinding(.indexOrder, file: path, position: at, offset: entry.offset, declared: "offset \(entry.offset) at \(entry.position)",
                                     computed: "after offset \(previous.offset) at \(previous.position)", "index entries do not increase"))
                good = false
            }
            previous = entry
            return checkIndexEntry(entry, slotPosition: at, path: path, log: log) && good
        }
    }

    private func checkIndexEntry(_ entry: (offset: Int64, position: Int), slotPosition: Int, path: String, log: LogScan) -> Bool {
        guard let batch = log.batch(atPosition: entry.position) else {
            let reason = entry.position >= log.size ? "points past the end of the log (\(log.size) bytes)" : "does not point at the start of a valid batch"
            report(VerifyFinding(.indexPosition, file: path, position: slotPosition, offset: entry.offset, declared: "position \(entry.position)",
                                 computed: log.batches.last(where: { $0.position < entry.position }).map { "nearest batch at \($0.position)" }, reason))
            return false
        }
        if batch.lastOffset == entry.offset { return true }
        if entry.offset > batch.lastOffset, let later = log.firstBatch(reaching: entry.offset), log.batches[later].lastOffset == entry.offset {
            return true
        }
        report(VerifyFinding(.indexOffsetMismatch, file: path, position: slotPosition, offset: entry.offset, declared: "offset \(entry.offset)",
                             computed: "batch at \(entry.position) ends at \(batch.lastOffset)", "index offset is not the last offset of its batch"))
        return false
    }

    /// Checks a `.timeindex`: whole entries, no zero runs, timestamps strictly and offsets weakly
    /// increasing, each offset inside a valid batch whose max timestamp is the entry's; and, for
    /// a segment that is no longer active, the final entry Kafka appends at roll (the segment's
    /// max timestamp, which time-based retention reads).
    func checkTimeIndex(_ path: String, log: LogScan, baseOffset: Int64, isActive: Bool) -> Bool {
        var previous: (timestamp: Int64, offset: Int64)? = nil
        let walked = checkIndexFile(path, entrySize: TimeIndex.entrySize, open: { file, length in
            let index = try TimeIndex(file: file, baseOffset: baseOffset, maxIndexSize: max(length, TimeIndex.entrySize), isNew: false)
            return (index.entryCount, index.entry(at:))
        }, isZero: { $0.timestamp == 0 && $0.offset == baseOffset }) { at, entry in
            var good = true
            if let previous, entry.timestamp <= previous.timestamp || entry.offset < previous.offset {
                report(VerifyFinding(.indexOrder, file: path, position: at, offset: entry.offset, declared: "timestamp \(entry.timestamp) offset \(entry.offset)",
                                     computed: "after timestamp \(previous.timestamp) offset \(previous.offset)", "time index entries do not increase"))
                good = false
            }
            previous = entry
            guard let found = log.firstBatch(reaching: entry.offset), log.batches[found].firstOffset <= entry.offset else {
                report(VerifyFinding(.timeIndexOffset, file: path, position: at, offset: entry.offset, declared: "offset \(entry.offset)",
                                     computed: nil, "the offset lies in no valid batch of the segment"))
                return false
            }
            let batch = log.batches[found]
            if batch.maxTimestamp != entry.timestamp {
                report(VerifyFinding(.timeIndexMismatch, file: path, position: at, offset: entry.offset, declared: "timestamp \(entry.timestamp)",
                                     computed: "batch max timestamp \(batch.maxTimestamp)", "the time index disagrees with the log"))
                good = false
            }
            return good
        }
        guard walked, !isActive, let maximum = log.batches.map(\.maxTimestamp).max(), maximum >= 0 else { return walked }
        if (previous?.timestamp ?? -1) < maximum {
            report(VerifyFinding(.timeIndexMismatch, file: path, declared: previous.map { "last entry timestamp \($0.timestamp)" } ?? "no entries",
                                 computed: "segment max timestamp \(maximum)", "the final entry a roll appends is missing (time-based retention reads it)"))
            return false
        }
        return true
    }

    /// The walk both index kinds share: the file opened read-only, a partial last entry
    /// reported, all-zero slots after the first gathered into runs (reported once each), and
    /// `check` called with each other slot's byte position and entry. Returns false when
    /// anything was wrong.
    private func checkIndexFile<Entry>(_ path: String, entrySize: Int,
                                       open: (any StorageFile, Int) throws -> (count: Int, entry: (Int) throws -> Entry),
                                       isZero: (Entry) -> Bool, check: (Int, Entry) -> Bool) -> Bool {
        stats.files += 1
        var good = true
        do {
            let file = try fileSystem.open(path, mode: .readOnly)
            defer { file.close() }
            let length = try file.size()
            if length % entrySize != 0 {
                report(VerifyFinding(.indexLength, file: path, position: length - length % entrySize, declared: "\(length) bytes",
                                     computed: "a multiple of \(entrySize)", "a partial entry at the end"))
                good = false
            }
            let index = try open(length <= VerifyIndexFile.largestInMemory ? try VerifyIndexFile(reading: file) : file, length)
            var zeroRun = ZeroRun()
            for slot in 0..<index.count {
                let entry = try index.entry(slot)
                if slot > 0 && isZero(entry) {
                    zeroRun.add(slot)
                    continue
                }
                if let run = zeroRun.take() { reportZeroRun(run, path: path, entrySize: entrySize); good = false }
                good = check(slot * entrySize, entry) && good
            }
            if let run = zeroRun.take() { reportZeroRun(run, path: path, entrySize: entrySize); good = false }
        } catch {
            report(VerifyFinding(.unreadable, file: path, "\(error)"))
            return false
        }
        return good
    }

    /// Checks a `.txnindex`: it parses, passes Kafka's sanity check, ends increase, and each
    /// entry's last offset is an ABORT marker of the same producer in this segment.
    func checkTransactionIndex(_ path: String, log: LogScan, baseOffset: Int64) -> Bool {
        stats.files += 1
        let entries: [AbortedTransaction]
        do {
            let index = try TransactionIndex(fileSystem: fileSystem, path: path, baseOffset: baseOffset, readOnly: true)
            defer { index.close() }
            entries = try index.allAbortedTransactions()
            try index.sanityCheck()
        } catch {
            report(VerifyFinding(.transactionIndex, file: path, "\(error)"))
            return false
        }
        var good = true
        var previous: Int64? = nil
        for (slot, entry) in entries.enumerated() {
            let at = slot * AbortedTransaction.size
            if entry.lastOffset <= (previous ?? .min) || entry.firstOffset > entry.lastOffset {
                report(VerifyFinding(.transactionIndex, file: path, position: at, offset: entry.lastOffset, declared: "\(entry)",
                                     computed: previous.map { "after last offset \($0)" }, "entries out of order"))
                good = false
            }
            previous = entry.lastOffset
            if log.abortMarkers[entry.lastOffset] != entry.producerId {
                report(VerifyFinding(.transactionIndex, file: path, position: at, offset: entry.lastOffset, declared: "abort of producer \(entry.producerId) at \(entry.lastOffset)",
                                     computed: log.abortMarkers[entry.lastOffset].map { "abort of producer \($0)" } ?? "no ABORT marker there",
                                     "the entry has no matching ABORT control batch"))
                good = false
            }
        }
        return good
    }

    private func reportZeroRun(_ run: ClosedRange<Int>, path: String, entrySize: Int) {
        report(VerifyFinding(.indexZeroRun, file: path, position: run.lowerBound * entrySize, declared: "slots \(run.lowerBound)...\(run.upperBound)",
                             computed: "all zero", "\(run.count) all-zero entr\(run.count == 1 ? "y" : "ies") (a hole or an untrimmed tail)"))
    }
}

/// A run of consecutive all-zero index slots being collected.
struct ZeroRun {
    private var run: ClosedRange<Int>?

    mutating func add(_ slot: Int) {
        run = run.map { $0.lowerBound...slot } ?? slot...slot
    }

    /// The run collected so far, if any, and a fresh start.
    mutating func take() -> ClosedRange<Int>? {
        defer { run = nil }
        return run
    }
}
