import Foundation
import Logging
import Strata

/// What `strata-compact` was asked to do.
public struct CompactSettings: Sendable {
    /// Partition or data directories.
    public var paths: [String] = []
    /// Compact every partition, whatever its policy.
    public var all = false
    /// Partitions to compact (`<topic>-<partition>`); the others are left alone.
    public var partitions: [String] = []
    /// Report what would be done; change nothing.
    public var dryRun = false
    /// Explain per partition: counts before and after, tombstones, what blocked cleaning.
    public var explain = false
    /// NDJSON instead of text.
    public var json = false
    /// Overrides `delete.retention.ms`.
    public var deleteRetentionMs: Int64?
    /// Overrides `min.compaction.lag.ms`.
    public var minCompactionLagMs: Int64?
    /// The offset map's memory in bytes.
    public var maxMemory = 128 << 20
    /// The I/O limit in bytes per second.
    public var throttle: Int?
    /// Draw a progress bar when standard error is a terminal.
    public var progress = true
    /// Start a new empty active segment first, so that the old one can be cleaned (the
    /// cleaner never touches the active segment; offline, nothing appends to it).
    public var rollActive = false
    /// Compact partitions holding records without a key (which compaction deletes).
    public var dropKeyless = false

    /// Nothing set yet.
    public init() {}
}

/// `strata-compact`: compacts partitions offline with Kafka's semantics (see ``CompactTargets``
/// for how partitions are chosen). Exit codes: 0 something was compacted (or would be, with
/// `--dry-run`), 1 nothing could be done or a directory was refused (held by another process,
/// symbolic links in the way), 2 an error (I/O, corrupt data), 64 usage.
public enum CompactRunner {
    /// Runs the job, writing reports to `out` and diagnostics to `err`.
    public static func run(_ settings: CompactSettings, out: any ToolOutput, err: any ToolOutput) -> ToolExitCode {
        let targets: CompactTargets
        do {
            targets = try CompactTargets.resolve(paths: settings.paths, all: settings.all, named: settings.partitions)
        } catch {
            err.line("strata-compact: \(error)")
            return .operationalError
        }
        var cleanedAny = false
        var failed = false
        let report = CompactReport(settings: settings, out: out)
        for directory in targets.directories {
            for (partition, reason) in directory.skipped { report.skipped(directory.path, partition, reason) }
            guard !directory.partitions.isEmpty else { continue }
            if CompactSafety.isLocked(directory.path) {
                err.line("strata-compact: refused \(directory.path): its .lock is held by another process (a running broker or Strata); stop it first")
                for (partition, _) in directory.partitions { report.refused(directory.path, partition, "the data directory is locked by another process") }
                continue
            }
            // Before anything is opened (opening alone removes leftover files): never write
            // through a symbolic link.
            var safe = directory
            safe.partitions = directory.partitions.filter { partition, _ in
                let links = CompactSafety.symlinks(dataDirectory: directory.path, partition: partition)
                guard !links.isEmpty else { return true }
                err.line("strata-compact: refused \(partition): it would write through symbolic links: \(links.joined(separator: ", "))")
                report.refused(directory.path, partition, "symbolic links in the way: \(links.joined(separator: ", "))")
                return false
            }
            guard !safe.partitions.isEmpty else { continue }
            do {
                cleanedAny = try compact(safe, settings: settings, report: report, err: err) || cleanedAny
            } catch let error as DataDirectoryLockedError {
                err.line("strata-compact: refused: \(error)")
            } catch {
                err.line("strata-compact: \(directory.path): \(error)")
                failed = true
            }
        }
        report.finish()
        if failed { return .operationalError }
        return cleanedAny ? .ok : .findings
    }

    /// Compacts the chosen partitions of one data directory; true when any was (or would be) cleaned.
    static func compact(_ directory: CompactTargets.Directory, settings: CompactSettings, report: CompactReport, err: any ToolOutput) throws -> Bool {
        var options = PartitionOpenOptions()
        options.readOnly = settings.dryRun
        options.cleanShutdown = false
        options.logger = Logger(label: "strata-compact")
        options.logger.logLevel = .error
        let opened = try OpenedPartitions(directory, options: options)
        defer { if !settings.dryRun { opened.close() } }
        // The cleaner checkpoint lives in a data directory only: a lone partition directory's
        // parent is not written to, and its partition is cleaned from its start.
        let checkpoint = directory.isDataDirectory ? CleanerCheckpoint(logDirectory: directory.path) : nil
        let checkpoints = checkpoint?.offsets() ?? [:]
        // A Kafka broker's high watermarks: never clean past one (KAFKA-13194).
        let highWatermarks = directory.isDataDirectory
            ? (try? OffsetCheckpointFile(logDirectory: directory.path, kind: .replicationOffset).read()) ?? [:] : [:]
        var totalBytes = 0
        for (partition, _) in directory.partitions {
            guard let log = opened.partition(partition) else { continue }
            totalBytes += log.sizeInBytes
            if let highWatermark = highWatermarks[partition] {
                log.autoAdvanceHighWatermark = false
                log.updateHighWatermark(highWatermark)
            }
        }
        let bar = ProgressBar(total: totalBytes, enabled: settings.progress && !settings.json)
        defer { bar.finish() }
        var doneBefore = 0
        var cleanedAny = false
        for (partition, reason) in directory.partitions {
            guard let log = opened.partition(partition) else {
                report.refused(directory.path, partition, "no such partition here")
                continue
            }
            var cleaner = CleanerOptions()
            cleaner.dedupeBufferBytes = settings.maxMemory
            cleaner.throttle = settings.throttle.map { Throttle(bytesPerSecond: $0) }
            cleaner.deleteRetentionMs = settings.deleteRetentionMs
            cleaner.minCompactionLagMs = settings.minCompactionLagMs
            cleaner.ignoreDirtyRatio = true
            cleaner.dryRun = settings.dryRun
            // Retention only where the topic's own (Strata) configuration says delete as well.
            let overrides = opened.overrides(partition.topic)
            cleaner.applyRetention = overrides["cleanup.policy"].map { $0.contains("delete") } ?? false
            let base = doneBefore
            let label = partition.directoryName
            cleaner.progress = { @Sendable done in bar.update(base + done, label: label) }
            do {
                if settings.rollActive && !settings.dryRun && log.allSegments.last.map({ $0.size > 0 }) == true { try log.roll() }
                if !settings.dropKeyless {
                    var preview = cleaner
                    preview.dryRun = true
                    preview.progress = nil
                    let keyless = try LogCleaner.clean(log, checkpoint: checkpoints[partition], options: preview).stats.keylessRecordsRemoved
                    if keyless > 0 {
                        err.line("strata-compact: refused \(partition): \(keyless) records have no key and compaction would delete them (is this topic really compacted?); pass --drop-keyless to compact anyway")
                        report.refused(directory.path, partition, "\(keyless) records without a key")
                        continue
                    }
                }
                let sizeBefore = log.sizeInBytes
                let result = try LogCleaner.clean(log, checkpoint: checkpoints[partition], options: cleaner)
                if result.cleaned && !settings.dryRun { try checkpoint?.update(partition, to: result.cleanedUpTo) }
                cleanedAny = cleanedAny || result.cleaned
                report.partition(directory.path, partition, selectedBecause: reason, result: result, sizeBefore: sizeBefore, sizeAfter: log.sizeInBytes)
            } catch {
                err.line("strata-compact: \(partition): \(error)")
                report.failed(directory.path, partition, "\(error)")
                throw CompactFailure(partition: partition.directoryName)
            }
            doneBefore += log.sizeInBytes
        }
        return cleanedAny
    }
}

/// The partitions of one directory, opened: through a ``LogManager`` (its `.lock`, recovery,
/// checkpoints and clean shutdown) for a data directory, or alone for a partition directory
/// whose parent is not one (nothing beside the partition is opened or written).
struct OpenedPartitions {
    let partition: (TopicPartition) -> PartitionLog?
    let overrides: (String) -> [String: String]
    let close: () -> Void

    init(_ directory: CompactTargets.Directory, options: PartitionOpenOptions) throws {
        if directory.isDataDirectory {
            let manager = try LogManager.open(directory: directory.path, options: options)
            partition = manager.partition
            overrides = manager.configOverrides(forTopic:)
            close = { try? manager.close() }
            return
        }
        var logs: [TopicPartition: PartitionLog] = [:]
        for (topicPartition, _) in directory.partitions {
            logs[topicPartition] = try PartitionLog.open(directory: directory.path + "/" + topicPartition.directoryName, config: LogConfig(), options: options)
        }
        partition = { logs[$0] }
        overrides = { _ in [:] }
        close = { for log in logs.values { try? log.close() } }
    }
}

/// A partition failed; the message was already written.
struct CompactFailure: Error, CustomStringConvertible {
    var partition: String
    var description: String { "\(partition) failed" }
}
