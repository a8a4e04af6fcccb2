import NIOCore
import Strata

/// Carries out a ``RepairPlan``: every cut byte is first copied to a new file beside its
/// segment (created exclusively, so never through a symbolic link), every rewrite goes to a
/// new file that is fsynced and renamed over the old one, and indexes are rebuilt by the
/// library's segment recovery.
struct RepairExecution {
    let fileSystem: any FileSystem
    let limits: DecodingLimits
    /// The configuration indexes are rebuilt with (`index.interval.bytes` matters).
    let config: LogConfig

    /// Runs one action.
    ///
    /// - Throws: `StrataIOError`, `StrataFormatError`; the first failure stops the repair.
    func run(_ action: RepairAction) throws {
        switch action {
        case .saveAside(let log, let range, let target):
            try copy(from: log, range: range, toNew: target)
        case .excise(let log, let cut):
            try rewrite(log, without: cut)
        case .truncate(let log, let position):
            let file = try fileSystem.open(log, mode: .readWrite)
            defer { file.close() }
            try file.truncate(to: position)
            try file.sync()
        case .rebuildIndexes(let directory, let baseOffset):
            try rebuildIndexes(directory: directory, baseOffset: baseOffset)
        case .setAsideSnapshot(let path, let target):
            guard !fileSystem.exists(target), !SymbolicLink.isLink(path) else {
                throw StrataIOError(call: "rename", path: target, errno: 17 /* EEXIST */)
            }
            try fileSystem.rename(path, to: target)
            try fileSystem.syncDirectory(parentDirectory(of: path))
        case .manual:
            break
        }
    }

    /// Copies `range` of `source` into a new file, durably: `target`, or when a file of that
    /// name exists (an earlier repair cut short), the same bytes are not saved twice and other
    /// content is never overwritten — the copy goes to `target.1`, `target.2`, ….
    private func copy(from source: String, range: Range<Int>, toNew target: String) throws {
        let input = try fileSystem.open(source, mode: .readOnly)
        defer { input.close() }
        let wanted = try input.read(at: range.lowerBound, count: range.count)
        var name = target
        var attempt = 0
        while fileSystem.exists(name) {
            if !SymbolicLink.isLink(name), let existing = try? fileSystem.open(name, mode: .readOnly) {
                defer { existing.close() }
                if let size = try? existing.size(), size == range.count, (try? existing.read(at: 0, count: size)) == wanted {
                    try existing.sync()
                    try fileSystem.syncDirectory(parentDirectory(of: name))
                    return
                }
            }
            attempt += 1
            name = target + ".\(attempt)"
        }
        let output = try fileSystem.open(name, mode: .createNew)
        defer { output.close() }
        var position = range.lowerBound
        while position < range.upperBound {
            let bytes = try input.read(at: position, count: min(1 << 20, range.upperBound - position))
            guard bytes.readableBytes > 0 else { break }
            try output.write(bytes, at: position - range.lowerBound)
            position += bytes.readableBytes
        }
        try output.sync()
        try fileSystem.syncDirectory(parentDirectory(of: name))
    }

    /// Writes `log` without the `cut` ranges to `<log>.repair`, then renames it over `log`.
    private func rewrite(_ log: String, without cut: [Range<Int>]) throws {
        let input = try fileSystem.open(log, mode: .readOnly)
        defer { input.close() }
        let size = try input.size()
        let temporary = log + ".repair"
        // A leftover from a repair cut short: a partial copy of this log, which is still whole
        // (the rename had not happened). A link is removed, never followed.
        try fileSystem.removeFile(temporary)
        let output = try fileSystem.open(temporary, mode: .createNew)
        defer { output.close() }
        var written = 0
        var position = 0
        for range in cut.sorted(by: { $0.lowerBound < $1.lowerBound }) + [size..<size] {
            while position < range.lowerBound {
                let bytes = try input.read(at: position, count: min(1 << 20, range.lowerBound - position))
                guard bytes.readableBytes > 0 else { break }
                try output.write(bytes, at: written)
                written += bytes.readableBytes
                position += bytes.readableBytes
            }
            position = max(position, range.upperBound)
        }
        try output.sync()
        try fileSystem.rename(temporary, to: log)
        try fileSystem.syncDirectory(parentDirectory(of: log))
    }

    /// Rebuilds a segment's offset and time indexes with `LogSegment.recover`, keeping the
    /// aborted-transaction entries that still end inside the segment (recovery empties that
    /// index; a partition open rebuilds it from producer state, which one segment lacks).
    private func rebuildIndexes(directory: String, baseOffset: Int64) throws {
        let prefix = directory + "/" + SegmentFileName.prefix(for: baseOffset)
        let aborted: [AbortedTransaction]
        if fileSystem.exists(prefix + SegmentFileName.transactionIndexSuffix) {
            let index = try? TransactionIndex(fileSystem: fileSystem, path: prefix + SegmentFileName.transactionIndexSuffix, baseOffset: baseOffset, readOnly: true)
            aborted = (try? index?.allAbortedTransactions()) ?? []
            index?.close()
        } else {
            aborted = []
        }
        let segment = try LogSegment.open(directory: directory, baseOffset: baseOffset, config: config, fileSystem: fileSystem,
                                          limits: limits, now: systemMilliseconds())
        var markers: [Int64: Int64] = [:]
        try segment.recover { entry in
            if case .batch(let batch) = entry, batch.header.isControl, try batch.controlType(limits: limits) == .abort {
                markers[batch.header.baseOffset] = batch.header.producerId
            }
        }
        var last: Int64 = .min
        for transaction in aborted where markers[transaction.lastOffset] == transaction.producerId && transaction.lastOffset > last {
            try segment.appendAbortedTransaction(transaction)
            last = transaction.lastOffset
        }
        try segment.flush()
        try segment.close(trimming: true)
    }
}
