import Foundation
import Strata

/// `strata-verify`'s engine: checks segment files, partition directories and whole data
/// directories, reporting each finding as it is made, never writing anything.
///
/// ```swift
/// let verifier = Verifier(options: VerifyOptions(), out: StandardStream.output())
/// verifier.verify(path: "/var/kafka-logs")
/// verifier.finish()
/// exit(verifier.exitCode.rawValue)
/// ```
public final class Verifier {
    /// The options in force.
    public let options: VerifyOptions
    let out: ToolOutput
    let progress: VerifyProgress?
    let fileSystem = PosixFileSystem()
    /// Every finding so far.
    public private(set) var findings: [VerifyFinding] = []
    /// Counts for the summary.
    public internal(set) var stats = VerifyStats()
    /// What each verified segment needs from a repair (filled as partitions are verified).
    var segmentVerdicts: [SegmentVerdict] = []
    /// Small `.log` files already scanned by ``prescanLogs(_:baseOffsets:)``, by path, waiting
    /// for ``scanLog(_:baseOffset:)`` to join them in their turn.
    var prescanned: [String: LogScanPiece] = [:]
    let started = Date()

    /// Creates a verifier writing findings to `out` and, when given, a progress bar.
    public init(options: VerifyOptions, out: ToolOutput, progress: VerifyProgress? = nil) {
        self.options = options
        self.out = out
        self.progress = progress
    }

    /// Records a finding and prints it.
    func report(_ finding: VerifyFinding) {
        findings.append(finding)
        progress?.clear()
        out.line(options.json ? finding.jsonLine : finding.textLine)
    }

    /// Verifies a segment file, a partition directory or a data directory.
    public func verify(path: String) {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        switch VerifyTarget.classify(trimmed, fileSystem: fileSystem) {
        case .missing:
            report(VerifyFinding(.unreadable, file: trimmed, "no such file or directory"))
        case .file:
            verifyFile(trimmed)
        case .partition:
            _ = verifyPartition(trimmed)
        case .dataDirectory:
            verifyDataDirectory(trimmed, depth: 0)
        case .empty:
            report(VerifyFinding(.notKafkaFormat, file: trimmed, "no Kafka segment, partition or data directory here"))
        }
    }

    /// Verifies one file given by itself, by its kind (the text after the last '.').
    func verifyFile(_ path: String) {
        let name = (path as NSString).lastPathComponent
        let directory = parentDirectory(of: path)
        if let kind = LeftoverFile.kind(of: name) {
            stats.files += 1
            report(VerifyFinding(.leftoverFile, file: path, "a leftover \(kind) file (Kafka removes or completes these at startup)"))
            return
        }
        guard let base = SegmentFileName.baseOffset(of: name) else {
            _ = scanLog(path, baseOffset: nil)
            return
        }
        switch "." + (name.split(separator: ".").last.map(String.init) ?? "") {
        case SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix, SegmentFileName.transactionIndexSuffix:
            let logPath = directory + "/" + SegmentFileName.name(for: base, suffix: SegmentFileName.logSuffix)
            guard fileSystem.exists(logPath) else {
                stats.files += 1
                report(VerifyFinding(.indexWithoutLog, file: path, "the index's log \(logPath) is missing"))
                return
            }
            verifySegment(directory: directory, baseOffset: base, onlyIndex: name)
        case SegmentFileName.snapshotSuffix:
            verifySnapshot(path, logEndOffset: nil)
        case SegmentFileName.logSuffix:
            verifySegment(directory: directory, baseOffset: base, onlyIndex: nil)
        default:
            _ = scanLog(path, baseOffset: nil)
        }
    }

    /// Prints the summary line and flushes the progress bar.
    public func finish() {
        progress?.clear()
        let counts = Dictionary(grouping: findings, by: \.kind).mapValues(\.count)
        let seconds = Date().timeIntervalSince(started)
        if options.json {
            var line = JSONLine()
            line.add("type", "summary")
            line.add("files", stats.files)
            line.add("segments", stats.segments)
            line.add("batches", stats.batches)
            line.add("records", stats.records)
            line.add("bytes", stats.bytes)
            line.add("findings", findings.count)
            let byKind = counts.keys.sorted { $0.rawValue < $1.rawValue }.map { JSONLine.quote($0.rawValue) + ":" + String(counts[$0]!) }
            line.addRaw("byKind", "{" + byKind.joined(separator: ",") + "}")
            line.add("exitCode", Int(exitCode.rawValue))
            line.writeLine(to: out)
        } else {
            let kinds = counts.keys.sorted { $0.rawValue < $1.rawValue }.map { "\($0.rawValue) \(counts[$0]!)" }
            let verdict = findings.isEmpty ? "clean" : "\(findings.count) finding\(findings.count == 1 ? "" : "s") (" + kinds.joined(separator: ", ") + ")"
            let mb = Double(stats.bytes) / 1_048_576
            out.line("Verified \(stats.files) files: \(stats.segments) segments, \(stats.batches) batches, \(stats.records) records, " + String(format: "%.1f MiB in %.2f s", mb, seconds) + ": \(verdict)")
        }
    }

    /// 2 when something could not be read, 1 with findings, else 0.
    public var exitCode: ToolExitCode {
        if findings.contains(where: { $0.kind == .unreadable }) { return .operationalError }
        return findings.isEmpty ? .ok : .findings
    }
}

/// What a path given to `strata-verify` is.
enum VerifyTarget {
    case missing, file, partition, dataDirectory, empty

    /// Decided by contents, not by name: a directory holding segment-named files (or a
    /// partition's metadata files) is a partition; one holding directories is a data directory.
    static func classify(_ path: String, fileSystem: any FileSystem) -> VerifyTarget {
        guard fileSystem.exists(path) else { return .missing }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return .file }
        guard let names = try? fileSystem.contentsOfDirectory(path) else { return .file }
        let partitionFiles = [LeaderEpochCheckpointFile.fileName, PartitionMetadataFile.fileName]
        if names.contains(where: { SegmentFileName.baseOffset(of: $0) != nil || partitionFiles.contains($0) || KRaftSnapshot.isNumberedSnapshot($0) }) {
            return .partition
        }
        if names.contains(where: { fileSystem.isDirectory(path + "/" + $0) }) { return .dataDirectory }
        return .empty
    }
}

/// Files Kafka leaves mid-operation: `.deleted`, `.cleaned`, `.swap`.
enum LeftoverFile {
    /// The leftover suffix of `name` (without the dot), or nil.
    static func kind(of name: String) -> String? {
        for suffix in [SegmentFileName.deletedSuffix, SegmentFileName.cleanedSuffix, SegmentFileName.swapSuffix] where name.hasSuffix(suffix) {
            return String(suffix.dropFirst())
        }
        return nil
    }
}

/// KRaft snapshot files (`<offset>-<epoch>.checkpoint`, `bootstrap.checkpoint`): record
/// batches in log framing, without a segment's base offset.
enum KRaftSnapshot {
    static let suffix = ".checkpoint"

    /// Any KRaft snapshot, `bootstrap.checkpoint` included.
    static func isSnapshot(_ name: String) -> Bool { name.hasSuffix(suffix) }

    /// A metadata partition's snapshot, `<offset>-<epoch>.checkpoint`.
    static func isNumberedSnapshot(_ name: String) -> Bool {
        guard isSnapshot(name) else { return false }
        let parts = name.dropLast(suffix.count).split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }
}
