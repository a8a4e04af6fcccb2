import Strata

/// One step of a repair, in the order it runs.
enum RepairAction: Sendable {
    /// Copy bytes `range` of `log` into `target`, a new file beside it.
    case saveAside(log: String, range: Range<Int>, target: String)
    /// Rewrite `log` without the byte ranges `cut` (damaged entries framed well enough to skip).
    case excise(log: String, cut: [Range<Int>])
    /// Cut `log` at `position` (a corrupt or torn tail).
    case truncate(log: String, position: Int)
    /// Rebuild the offset and time index of a segment from its log.
    case rebuildIndexes(directory: String, baseOffset: Int64)
    /// Rename a producer snapshot beyond the repaired log's end to `target` (Kafka would
    /// delete it at startup).
    case setAsideSnapshot(path: String, target: String)
    /// A finding repair leaves to the operator.
    case manual(file: String, reason: String)

    /// The plan line.
    var description: String {
        switch self {
        case .saveAside(let log, let range, let target): "save bytes \(range.lowerBound)..<\(range.upperBound) of \(log) to \(target)"
        case .excise(let log, let cut): "rewrite \(log) without \(cut.count) damaged range\(cut.count == 1 ? "" : "s") (" + cut.map { "\($0.lowerBound)..<\($0.upperBound)" }.joined(separator: ", ") + ")"
        case .truncate(let log, let position): "truncate \(log) to \(position) bytes"
        case .rebuildIndexes(let directory, let base): "rebuild the indexes of \(directory)/\(SegmentFileName.prefix(for: base)) from its log"
        case .setAsideSnapshot(let path, let target): "rename \(path) (beyond the repaired log's end) to \(target)"
        case .manual(let file, let reason): "leave \(file) alone: \(reason)"
        }
    }

    /// The plan entry as an NDJSON line.
    var jsonLine: String {
        var line = JSONLine()
        line.add("type", "repair")
        switch self {
        case .saveAside(let log, let range, let target):
            line.add("action", "saveAside"); line.add("file", log); line.add("position", range.lowerBound); line.add("end", range.upperBound); line.add("target", target)
        case .excise(let log, let cut):
            line.add("action", "excise"); line.add("file", log)
            line.addRaw("ranges", "[" + cut.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]")
        case .truncate(let log, let position):
            line.add("action", "truncate"); line.add("file", log); line.add("position", position)
        case .rebuildIndexes(let directory, let base):
            line.add("action", "rebuildIndexes"); line.add("file", directory + "/" + SegmentFileName.prefix(for: base) + SegmentFileName.indexSuffix)
        case .setAsideSnapshot(let path, let target):
            line.add("action", "setAsideSnapshot"); line.add("file", path); line.add("target", target)
        case .manual(let file, let reason):
            line.add("action", "manual"); line.add("file", file); line.add("reason", reason)
        }
        line.add("description", description)
        return line.text
    }
}

/// What `--repair` will do, decided from a verification before anything is touched.
struct RepairPlan: Sendable {
    /// The steps, segment by segment.
    var actions: [RepairAction] = []
    /// Partition directories that will change (their data directories' locks are taken).
    var directories: Set<String> = []

    /// The findings repair handles itself; every other kind is left to the operator.
    static let repairable: Set<VerifyFinding.Kind> = [
        .corruptEntry, .crcMismatch, .partialTail, .trailingBytes, .invalidRecords, .recordCountMismatch,
        .indexLength, .indexZeroRun, .indexPosition, .indexOffsetMismatch, .indexOrder, .timeIndexOffset, .timeIndexMismatch, .snapshotBeyondLog,
    ]

    /// The plan for `verdicts` and `findings`: cut damaged log bytes aside, rebuild indexes;
    /// refuse segments with offset problems or symbolic links.
    init(verdicts: [SegmentVerdict], findings: [VerifyFinding], fileSystem: any FileSystem) throws {
        var handled: Set<String> = []
        for verdict in verdicts where verdict.indexesNeedRebuild || verdict.scan.needsRepair {
            let scan = verdict.scan
            let prefix = verdict.directory + "/" + SegmentFileName.prefix(for: verdict.baseOffset)
            let files = [SegmentFileName.logSuffix, SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix].map { prefix + $0 }
            if scan.hasOffsetProblems {
                actions.append(.manual(file: scan.path, reason: "its offsets disagree with its name or with each other; cutting batches could lose data"))
                continue
            }
            if let link = files.first(where: SymbolicLink.isLink) {
                actions.append(.manual(file: link, reason: "a symbolic link; repair never writes through one"))
                continue
            }
            handled.formUnion(files)
            directories.insert(verdict.directory)
            var cut = scan.damaged
            if let tail = scan.tailStart { cut.append(tail..<scan.size) }
            for range in cut where try Self.holdsData(scan.path, range: range, fileSystem: fileSystem) {
                actions.append(.saveAside(log: scan.path, range: range, target: scan.path + ".cut-\(range.lowerBound)"))
            }
            if !scan.damaged.isEmpty {
                actions.append(.excise(log: scan.path, cut: cut))
            } else if let tail = scan.tailStart {
                actions.append(.truncate(log: scan.path, position: tail))
            }
            actions.append(.rebuildIndexes(directory: verdict.directory, baseOffset: verdict.baseOffset))
            if verdict.transactionIndexIsBad {
                actions.append(.manual(file: prefix + SegmentFileName.transactionIndexSuffix, reason: "entries that still match an ABORT marker are kept; open the partition with recovery to rebuild the rest"))
            }
        }
        for directory in directories.sorted() {
            handled.formUnion(try setAsideSnapshots(in: directory, verdicts: verdicts, fileSystem: fileSystem))
        }
        var left: Set<String> = []
        for finding in findings where !(Self.repairable.contains(finding.kind) && handled.contains(finding.file)) {
            if Self.repairable.contains(finding.kind) && actions.contains(where: { if case .manual(let file, _) = $0 { file == finding.file } else { false } }) { continue }
            guard left.insert(finding.file + "\u{0}" + finding.kind.rawValue).inserted else { continue }
            actions.append(.manual(file: finding.file, reason: "\(finding.kind.rawValue): \(finding.message)"))
        }
    }

    /// Plans renaming the producer snapshots of `directory` that lie beyond its log end once
    /// repaired; returns their paths.
    private mutating func setAsideSnapshots(in directory: String, verdicts: [SegmentVerdict], fileSystem: any FileSystem) throws -> [String] {
        let segments = verdicts.filter { $0.directory == directory }
        guard let end = segments.map({ $0.nextOffset ?? $0.baseOffset }).max() else { return [] }
        var paths: [String] = []
        for name in try fileSystem.contentsOfDirectory(directory).sorted() {
            guard let offset = ProducerSnapshotFile.offset(ofFileName: name), offset > end else { continue }
            let path = directory + "/" + name
            actions.append(.setAsideSnapshot(path: path, target: path + ".beyond-log-end"))
            paths.append(path)
        }
        return paths
    }

    /// Whether any byte of `range` is not zero (zero fill is not data worth keeping).
    static func holdsData(_ path: String, range: Range<Int>, fileSystem: any FileSystem) throws -> Bool {
        let file = try fileSystem.open(path, mode: .readOnly)
        defer { file.close() }
        var position = range.lowerBound
        while position < range.upperBound {
            let bytes = try file.read(at: position, count: min(1 << 20, range.upperBound - position))
            if bytes.readableBytes == 0 { return false }
            if bytes.readableBytesView.contains(where: { $0 != 0 }) { return true }
            position += bytes.readableBytes
        }
        return false
    }
}
