import Foundation
import Strata

/// Problems found while dumping index files, reported after all files as kafka-dump-log does.
struct IndexReports {
    var offsetMismatches: [(path: String, entries: [(index: Int64, log: Int64)])] = []
    var timestampMismatches: [(path: String, entries: [(index: Int64, log: Int64)])] = []
    var outOfOrder: [(path: String, entries: [(index: Int64, previous: Int64)])] = []
    var notFound: [(index: Int64, found: Int64)] = []
}

extension LogDumper {
    /// The log file beside an index file, and the index's base offset.
    private func segment(of path: String) -> (log: String, base: Int64) {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let base = SegmentFileName.baseOffset(of: name) ?? 0
        let log = url.deletingLastPathComponent().appendingPathComponent(SegmentFileName.prefix(for: base) + SegmentFileName.logSuffix).path
        return (log, base)
    }

    /// The first entry of `logPath` at or after `position` whose last offset is ≥ `offset`
    /// (the whole file is scanned when `position` is nil).
    private func firstEntry(in logPath: String, from position: Int, atLeast offset: Int64?) throws -> LogEntry? {
        var limits = options.limits
        limits.maxEntryBytes = options.maxMessageSize
        var reader = try LogFileReader(path: logPath, from: position, limits: limits)
        while let entry = try reader.next() {
            guard let offset else { return entry }
            if entry.lastOffset >= offset { return entry }
        }
        return nil
    }

    /// What both index kinds print before their entries: the sanity check's verdict (and
    /// nothing else) with `--index-sanity-check`, or that the index is empty. Returns whether
    /// entries follow.
    private func entriesToDump(path: String, entryCount: Int, sanityCheck: () throws -> Void) throws -> Bool {
        if options.indexSanityCheck {
            try sanityCheck()
            out.line("\(path) passed sanity check.")
            return false
        }
        if entryCount == 0 {
            textLine("\(path) is empty.")
            return false
        }
        return true
    }

    /// One index entry: `{"type":…,"file":…,<fields>}` in JSON, else kafka-dump-log's
    /// `name: value name: value` line (left out with `--verify-index-only`).
    private func printIndexEntry(_ type: String, path: String, _ fields: [(name: String, value: Int64)]) {
        if options.json {
            var line = JSONLine()
            line.add("type", type)
            line.add("file", path)
            for field in fields { line.add(field.name, field.value) }
            line.writeLine(to: out)
        } else if !options.verifyIndexOnly {
            out.line(fields.map { "\($0.name): \($0.value)" }.joined(separator: " "))
        }
    }

    /// Dumps an offset index (`.index`): one line per entry, each checked against the log.
    public mutating func dumpOffsetIndex(path: String) {
        textLine("Dumping \(path)")
        let (logPath, base) = segment(of: path)
        do {
            let file = try PosixFileSystem().open(path, mode: .readOnly)
            defer { file.close() }
            let index = try OffsetIndex(file: file, baseOffset: base, maxIndexSize: max(try file.size(), 8), isNew: false)
            guard try entriesToDump(path: path, entryCount: index.entryCount, sanityCheck: index.sanityCheck) else { return }
            var mismatches: [(index: Int64, log: Int64)] = []
            for i in 0..<index.entryCount {
                let entry = try index.entry(at: i)
                // Zero padding after a crash: an entry other than the first at the base offset.
                if i > 0 && entry.offset == base { break }
                let found = try? firstEntry(in: logPath, from: entry.position, atLeast: nil)
                if found?.lastOffset != entry.offset { mismatches.append((entry.offset, found?.lastOffset ?? -1)) }
                printIndexEntry("index", path: path, [("offset", entry.offset), ("position", Int64(entry.position))])
            }
            if !mismatches.isEmpty { indexReports.offsetMismatches.append((absolute(path), mismatches)) }
        } catch {
            fail("\(error)", file: path)
        }
    }

    /// Dumps a time index (`.timeindex`): one line per entry, each checked against the log.
    public mutating func dumpTimeIndex(path: String) {
        textLine("Dumping \(path)")
        let (logPath, base) = segment(of: path)
        do {
            let file = try PosixFileSystem().open(path, mode: .readOnly)
            defer { file.close() }
            let index = try TimeIndex(file: file, baseOffset: base, maxIndexSize: max(try file.size(), 12), isNew: false)
            guard try entriesToDump(path: path, entryCount: index.entryCount, sanityCheck: index.sanityCheck) else { return }
            let offsetIndexPath = String(path.dropLast(SegmentFileName.timeIndexSuffix.count)) + SegmentFileName.indexSuffix
            let offsetIndexFile = try? PosixFileSystem().open(offsetIndexPath, mode: .readOnly)
            defer { offsetIndexFile?.close() }
            let offsetIndex = try offsetIndexFile.map { try OffsetIndex(file: $0, baseOffset: base, maxIndexSize: max(try $0.size(), 8), isNew: false) }
            var mismatches: [(index: Int64, log: Int64)] = []
            var outOfOrder: [(index: Int64, previous: Int64)] = []
            var previous: Int64? = nil
            for i in 0..<index.entryCount {
                let entry = try index.entry(at: i)
                if i > 0 && entry.offset == base { break }
                let position = (try? offsetIndex?.lookup(entry.offset).position) ?? 0
                let found = try? firstEntry(in: logPath, from: position, atLeast: entry.offset)
                if let found, found.lastOffset == entry.offset {
                    let logTimestamp = (try? found.records(limits: options.limits).map(\.timestamp).max()) ?? nil
                    if let logTimestamp, logTimestamp != entry.timestamp { mismatches.append((entry.timestamp, logTimestamp)) }
                } else {
                    indexReports.notFound.append((entry.offset, found?.lastOffset ?? -1))
                }
                if let previous, previous >= entry.timestamp { outOfOrder.append((entry.timestamp, previous)) }
                previous = entry.timestamp
                printIndexEntry("timeindex", path: path, [("timestamp", entry.timestamp), ("offset", entry.offset)])
            }
            if !mismatches.isEmpty { indexReports.timestampMismatches.append((absolute(path), mismatches)) }
            if !outOfOrder.isEmpty { indexReports.outOfOrder.append((absolute(path), outOfOrder)) }
        } catch {
            fail("\(error)", file: path)
        }
    }

    /// Dumps an aborted-transaction index (`.txnindex`).
    public mutating func dumpTransactionIndex(path: String) {
        textLine("Dumping \(path)")
        let (_, base) = segment(of: path)
        do {
            let index = try TransactionIndex(fileSystem: PosixFileSystem(), path: path, baseOffset: base, readOnly: true)
            for entry in try index.allAbortedTransactions() {
                out.line("version: \(entry.version) producerId: \(entry.producerId) firstOffset: \(entry.firstOffset) lastOffset: \(entry.lastOffset) lastStableOffset: \(entry.lastStableOffset)")
            }
        } catch {
            fail("\(error)", file: path)
        }
    }

    /// Dumps a producer state snapshot (`.snapshot`).
    public mutating func dumpProducerSnapshot(path: String) {
        textLine("Dumping \(path)")
        do {
            for entry in try ProducerSnapshotFile.read(path: path) {
                let transaction = entry.currentTxnFirstOffset >= 0 ? "OptionalLong[\(entry.currentTxnFirstOffset)]" : "OptionalLong.empty"
                var line = "producerId: \(entry.producerId) producerEpoch: \(entry.producerEpoch) coordinatorEpoch: \(entry.coordinatorEpoch) currentTxnFirstOffset: \(transaction) lastTimestamp: \(entry.timestamp) "
                if entry.lastOffset >= 0 {
                    let first = RecordBatchHeader.sequence(entry.lastSequence, minus: entry.offsetDelta)
                    line += "firstSequence: \(first) lastSequence: \(entry.lastSequence) lastOffset: \(entry.lastOffset) offsetDelta: \(entry.offsetDelta) timestamp: \(entry.timestamp)"
                }
                out.line(line)
            }
        } catch {
            fail("\(error)", file: path)
        }
    }

    /// Prints the index reports (to standard error) after all files.
    mutating func finishIndexReports() {
        for (path, entries) in indexReports.offsetMismatches {
            err.line("Mismatches in :\(path)")
            for entry in entries { err.line("  Index offset: \(entry.index), log offset: \(entry.log)") }
        }
        for (path, entries) in indexReports.timestampMismatches {
            err.line("Found timestamp mismatch in :\(path)")
            for entry in entries { err.line("  Index timestamp: \(entry.index), log timestamp: \(entry.log)") }
        }
        for (path, entries) in indexReports.outOfOrder {
            err.line("Found out of order timestamp in :\(path)")
            for entry in entries { err.line("  Index timestamp: \(entry.index), Previously indexed timestamp: \(entry.previous)") }
        }
        if !indexReports.notFound.isEmpty {
            err.line("The following indexed offsets are not found in the log.")
            for entry in indexReports.notFound { err.line("Indexed offset: \(entry.index), found log offset: \(entry.found)") }
        }
        let problems = !indexReports.offsetMismatches.isEmpty || !indexReports.timestampMismatches.isEmpty
            || !indexReports.outOfOrder.isEmpty || !indexReports.notFound.isEmpty
        if problems { hadProblems = true }
        indexReports = IndexReports()
    }
}
