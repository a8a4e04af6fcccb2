import Dispatch
import Strata

extension Verifier {
    /// Scans one `.log` (or a KRaft snapshot when `baseOffset` is nil): framing, CRC of every
    /// entry, offsets (strictly increasing, not below the base offset, representable), future
    /// timestamps and, with `--deep`, every record. Damaged entries are skipped whenever their
    /// size field still frames them, so one bad batch does not hide the rest.
    ///
    /// A large v2 file is read by `options.jobs` threads at once, each reading and checking its
    /// own share (``LogScanSplit``, ``LogScanWorker``); the shares are joined in file order,
    /// where the checks that depend on earlier entries are made, so the findings, counts and
    /// verdicts are exactly those of one thread reading the file from start to end.
    func scanLog(_ path: String, baseOffset: Int64?) -> LogScan? {
        stats.files += 1
        stats.segments += 1
        var scan = LogScan(path: path, baseOffset: baseOffset)
        let worker: LogScanWorker
        do {
            let file = try fileSystem.open(path, mode: .readOnly)
            scan.size = try file.size()
            worker = LogScanWorker(file: file, size: scan.size, baseOffset: baseOffset, options: options, progress: progress)
        } catch {
            report(VerifyFinding(.unreadable, file: path, "\(error)"))
            return nil
        }
        let doneBytes = stats.bytes
        defer { progress?.update(bytes: stats.bytes, file: path) }
        let pieces = prescanned.removeValue(forKey: path).map { [$0] } ?? scanInParallel(worker)
        var piece = pieces[0]
        while true {
            join(piece, into: &scan)
            switch piece.end {
            case .boundary(let position):
                // The next piece goes on from here when its thread started exactly here;
                // otherwise its start was not a batch boundary, and this thread reads on.
                let next = pieces.firstIndex { $0.start >= position }
                if let next, pieces[next].start == position {
                    piece = pieces[next]
                } else {
                    piece = worker.scan(from: position, until: next.map { pieces[$0].start } ?? .max)
                }
            case .endOfData(let position):
                stats.bytes = doneBytes + position
                return scan
            case .tail(let finding):
                report(finding)
                scan.tailStart = finding.position
                stats.bytes = doneBytes + finding.position!
                return scan
            case .foreign(let finding):
                report(finding)
                scan.isForeign = true
                return scan
            case .unreadable(let position, let finding):
                report(finding)
                stats.bytes = doneBytes + position
                return nil
            }
        }
    }

    /// The pieces of the file, each scanned by its own thread from its start up to the next
    /// one's: one piece for a small file, a legacy one, or `jobs` 1 (and when reading fails
    /// while looking for starts, so that the one thread meets the failure where it lies).
    private func scanInParallel(_ worker: LogScanWorker) -> [LogScanPiece] {
        let size = worker.size
        guard options.jobs > 1, size >= max(options.minimumSplitBytes, EntryFraming.headerSize),
              (try? worker.file.read(at: EntryFraming.headerSize - 1, count: 1).getInteger(at: 0, as: UInt8.self)) == 2,
              let starts = try? LogScanSplit.starts(of: worker.file, size: size, jobs: options.jobs, minimumShareBytes: options.minimumShareBytes,
                                                      searchBytes: options.boundarySearchBytes, limits: options.limits),
              starts.count > 1
        else { return [worker.scan(from: 0, until: .max)] }
        let pieces = LogScanResults<Int, LogScanPiece>()
        DispatchQueue.concurrentPerform(iterations: starts.count) { index in
            let limit = index + 1 < starts.count ? starts[index + 1] : .max
            pieces.set(worker.scan(from: starts[index], until: limit), for: index)
        }
        let scanned = pieces.all
        return starts.indices.map { scanned[$0]! }
    }

    /// Scans the `.log` files too small to be split (`baseOffsets` gives each one's base
    /// offset) on `options.jobs` threads at once, a file per thread, for ``scanLog(_:baseOffset:)``
    /// to join in its turn, so that a partition of small segments uses every core too. A file
    /// that cannot be opened here is left for `scanLog` to meet.
    func prescanLogs(_ paths: [String], baseOffsets: [Int64?]) {
        guard options.jobs > 1, paths.count > 1 else { return }
        let scanned = LogScanResults<String, LogScanPiece>()
        DispatchQueue.concurrentPerform(iterations: paths.count) { [options, progress, fileSystem] index in
            guard let file = try? fileSystem.open(paths[index], mode: .readOnly), let size = try? file.size(), size < options.minimumSplitBytes else { return }
            let worker = LogScanWorker(file: file, size: size, baseOffset: baseOffsets[index], options: options, progress: progress)
            scanned.set(worker.scan(from: 0, until: .max), for: paths[index])
        }
        prescanned.merge(scanned.all) { $1 }
    }

    /// Adds a piece's entries to `scan` in file order: reports their findings after the checks
    /// that depend on the entries before (offsets increasing, the base offset), and counts them.
    private func join(_ piece: LogScanPiece, into scan: inout LogScan) {
        piece.forEachEntry { entry in
            switch entry.verdict {
            case .unframed:
                entry.findings.forEach(report)
                scan.damaged.append(entry.range)
            case .damaged:
                stats.batches += 1
                entry.findings.forEach(report)
                scan.damaged.append(entry.range)
            case .checked(let first, let last, let keep):
                stats.batches += 1
                checkOrder(of: entry, first: first, last: last, in: &scan)
                if let marker = entry.abortMarker { scan.abortMarkers[marker.offset] = marker.producerId }
                entry.findings.forEach(report)
                stats.records += entry.records
                if keep {
                    scan.batches.append(ScannedBatch(position: entry.position, size: entry.size, firstOffset: first, lastOffset: last, maxTimestamp: entry.maxTimestamp))
                } else {
                    scan.damaged.append(entry.range)
                }
            }
        }
    }

    /// The checks of a valid entry against the file name's base offset and the valid batch
    /// before it.
    private func checkOrder(of entry: ScannedEntry, first: Int64, last: Int64, in scan: inout LogScan) {
        let path = scan.path, position = entry.position
        if let base = scan.baseOffset {
            if first < base && !scan.hasOffsetProblems {
                report(VerifyFinding(.baseOffsetMismatch, file: path, position: position, offset: first, declared: "base offset \(base) (file name)",
                                     computed: "first offset \(first)", "a batch below the segment's base offset (later ones not repeated)"))
                scan.hasOffsetProblems = true
            } else if last - base > Int64(Int32.max) {
                report(VerifyFinding(.offsetOverflow, file: path, position: position, offset: last, declared: "base offset \(base)",
                                     computed: "last offset \(last)", "offset too far above the base offset to be indexed"))
                scan.hasOffsetProblems = true
            }
        }
        if let previous = scan.batches.last, first <= previous.lastOffset {
            report(VerifyFinding(.offsetOrder, file: path, position: position, offset: first, declared: "after \(previous.lastOffset)",
                                 computed: "\(first)", "offsets do not increase"))
            scan.hasOffsetProblems = true
        }
        if last < first { scan.hasOffsetProblems = true }
    }
}
