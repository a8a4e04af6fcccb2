import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A data directory of many partitions (a Kafka `log.dirs` entry): one `.lock` so two
/// processes never write the same logs, the clean-shutdown marker, the recovery-point and
/// log-start-offset checkpoints, and per-topic configuration kept in files Kafka ignores
/// (`strata-topic-<topic>.properties`), so Kafka's tools still read the directory.
public final class LogManager: @unchecked Sendable {
    /// The data directory.
    public let directory: String
    /// True when opened read-only (no lock, no marker, nothing written).
    public let isReadOnly: Bool
    let fileSystem: any FileSystem
    let options: PartitionOpenOptions
    let lock: (any FileLock)?
    let state = NIOLock()
    /// Serialises ``reopenPartition(_:replacing:)`` (a recovery must not run twice at once).
    let reopenLock = NIOLock()
    /// Serialises checkpoint writes (the background task and callers share the temp files).
    let checkpointLock = NIOLock()
    /// The background tasks, when started.
    let maintenance = NIOLockedValueBox<MaintenanceTask?>(nil)
    var partitions: [TopicPartition: PartitionLog] = [:]
    var topicConfigs: [String: [String: String]] = [:]
    /// The background cleaner, when started (``startBackgroundCleaning(_:)``).
    var backgroundCleaner: BackgroundCleaner?
    /// What loading found, per partition.
    public private(set) var loadReports: [TopicPartition: LoadReport] = [:]
    /// Whether the directory had been shut down cleanly.
    public let hadCleanShutdown: Bool

    /// The file name prefix of per-topic configuration files.
    public static let topicConfigPrefix = "strata-topic-"
    static let topicConfigSuffix = ".properties"

    /// Opens the data directory (creating it), locks it, and opens every partition in it in
    /// parallel, recovering them when the last shutdown was not clean.
    ///
    /// - Throws: ``DataDirectoryLockedError`` when another process holds the lock;
    ///   `StrataIOError`; errors of ``PartitionLog/open(directory:config:options:)``.
    public static func open(directory: String, options: PartitionOpenOptions = PartitionOpenOptions()) throws -> LogManager {
        let fs = options.fileSystem
        var lock: (any FileLock)? = nil
        if !options.readOnly {
            try fs.createDirectory(directory)
            lock = try lockDirectory(directory, fileSystem: fs)
        }
        let marker = CleanShutdownMarker(logDirectory: directory, fileSystem: fs)
        let clean = marker.exists()
        if !options.readOnly {
            // Removed at once: a crash while loading must count as unclean (KAFKA-10471). Also
            // when it looks absent: a removal whose directory sync failed before could still
            // be undone by a power cut, bringing the marker back over data written since.
            try marker.remove()
        }
        let recoveryPoints = (try? OffsetCheckpointFile(logDirectory: directory, kind: .recoveryPoint, fileSystem: fs).read()) ?? [:]
        let startOffsets = (try? OffsetCheckpointFile(logDirectory: directory, kind: .logStartOffset, fileSystem: fs).read()) ?? [:]
        let manager = LogManager(directory: directory, isReadOnly: options.readOnly, fileSystem: fs, options: options, lock: lock, clean: clean)
        let names = try fs.contentsOfDirectory(directory)
        for name in names where name.hasPrefix(topicConfigPrefix) && name.hasSuffix(topicConfigSuffix) {
            let topic = String(name.dropFirst(topicConfigPrefix.count).dropLast(topicConfigSuffix.count))
            let text = String(buffer: try fs.readWholeFile(directory + "/" + name))
            manager.topicConfigs[topic] = Self.parseProperties(text)
        }
        let partitionNames = names.filter { fs.isDirectory(directory + "/" + $0) }.compactMap { name -> TopicPartition? in
            TopicPartition(directoryName: name)
        }.sorted()
        let results = NIOLockedValueBox([Result<PartitionLog, any Error>?](repeating: nil, count: partitionNames.count))
        DispatchQueue.concurrentPerform(iterations: partitionNames.count) { index in
            let topicPartition = partitionNames[index]
            var partitionOptions = options
            partitionOptions.cleanShutdown = clean
            partitionOptions.recoveryPoint = recoveryPoints[topicPartition]
            partitionOptions.logStartOffset = startOffsets[topicPartition]
            let result = Result { () throws -> PartitionLog in
                let config = try manager.config(forTopic: topicPartition.topic)
                return try PartitionLog.open(directory: directory + "/" + topicPartition.directoryName, config: config, options: partitionOptions)
            }
            results.withLockedValue { $0[index] = result }
        }
        for (index, result) in results.withLockedValue({ $0 }).enumerated() {
            let partition = try result!.get()
            manager.partitions[partitionNames[index]] = partition
            manager.loadReports[partitionNames[index]] = partition.loadReport
        }
        return manager
    }

    /// Takes the data directory's `.lock` (creating it) without waiting, as a broker does, so
    /// that no two processes change the same logs.
    ///
    /// - Throws: ``DataDirectoryLockedError`` when another process holds it; `StrataIOError`.
    public static func lockDirectory(_ directory: String, fileSystem: any FileSystem = PosixFileSystem()) throws -> any FileLock {
        do throws(StrataIOError) {
            return try fileSystem.lockExclusively(directory + "/.lock")
        } catch {
            if error.errno == 11 /* EWOULDBLOCK */ { throw DataDirectoryLockedError(directory: directory) }
            throw error
        }
    }

    init(directory: String, isReadOnly: Bool, fileSystem: any FileSystem, options: PartitionOpenOptions, lock: (any FileLock)?, clean: Bool) {
        self.directory = directory
        self.isReadOnly = isReadOnly
        self.fileSystem = fileSystem
        self.options = options
        self.lock = lock
        self.hadCleanShutdown = clean
    }

    /// The partitions, sorted.
    public var topicPartitions: [TopicPartition] { state.withLock { partitions.keys.sorted() } }

    /// The open log of a partition.
    public func partition(_ topicPartition: TopicPartition) -> PartitionLog? {
        state.withLock { partitions[topicPartition] }
    }

    /// The configuration of a topic: Kafka's defaults with its stored overrides.
    ///
    /// - Throws: ``LogConfig/InvalidValue`` when a stored override is invalid.
    public func config(forTopic topic: String) throws -> LogConfig {
        try LogConfig(properties: state.withLock { topicConfigs[topic] ?? [:] })
    }

    /// The stored overrides of a topic.
    public func configOverrides(forTopic topic: String) -> [String: String] {
        state.withLock { topicConfigs[topic] ?? [:] }
    }

    /// Stores a topic's overrides (validated first), durably.
    ///
    /// - Throws: ``LogConfig/InvalidValue``; `StrataIOError`.
    public func setConfigOverrides(_ overrides: [String: String], forTopic topic: String) throws {
        _ = try LogConfig(properties: overrides)
        let text = overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        try fileSystem.writeAtomically(ByteBuffer(string: text), to: directory + "/" + Self.topicConfigPrefix + topic + Self.topicConfigSuffix)
        state.withLock { topicConfigs[topic] = overrides }
    }

    /// The topic's id, from the `partition.metadata` of any of its partitions here.
    public func topicID(of topic: String) -> TopicID? {
        let logs = state.withLock { partitions }
        for (topicPartition, log) in logs where topicPartition.topic == topic {
            if let metadata = try? PartitionMetadataFile(partitionDirectory: log.directory, fileSystem: fileSystem).read() {
                return metadata.topicID
            }
        }
        return nil
    }

    /// Creates (or returns) the log of a partition with its topic's configuration, and writes
    /// its `partition.metadata` (the topic's id, shared by all its partitions) before any data.
    ///
    /// - Throws: ``InvalidTopicPartitionError`` for a topic name that breaks Kafka's rules (so no
    ///   name can lead outside the data directory); `StrataIOError`; configuration errors.
    @discardableResult
    public func createPartition(_ topicPartition: TopicPartition) throws -> PartitionLog {
        if let existing = partition(topicPartition) { return existing }
        if let reason = TopicNameRules.problem(with: topicPartition.topic) ?? (topicPartition.partition < 0 ? "the partition number is negative" : nil) {
            throw InvalidTopicPartitionError(topicPartition: topicPartition, reason: reason)
        }
        var partitionOptions = options
        partitionOptions.cleanShutdown = true
        let topicID = topicID(of: topicPartition.topic) ?? TopicID.random()
        let log = try PartitionLog.open(directory: directory + "/" + topicPartition.directoryName, config: try config(forTopic: topicPartition.topic), options: partitionOptions)
        let metadata = PartitionMetadataFile(partitionDirectory: log.directory, fileSystem: fileSystem)
        if !metadata.exists() { try metadata.write(topicID: topicID) }
        try fileSystem.syncDirectory(directory)
        state.withLock { partitions[topicPartition] = log }
        return log
    }

    /// Deletes a partition: its directory is renamed `<topic>-<p>.<id>-delete` (as Kafka
    /// marks it) and then removed.
    ///
    /// - Throws: `StrataIOError`.
    public func deletePartition(_ topicPartition: TopicPartition) throws {
        guard let log = state.withLock({ partitions.removeValue(forKey: topicPartition) }) else { return }
        for segment in log.allSegments { try segment.close(trimming: false) }
        let source = directory + "/" + topicPartition.directoryName
        let marked = source + "." + TopicID.random().bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + "-delete"
        try fileSystem.rename(source, to: marked)
        try fileSystem.syncDirectory(directory)
        for name in try fileSystem.contentsOfDirectory(marked) { try fileSystem.removeFile(marked + "/" + name) }
        try fileSystem.removeDirectory(marked)
        try fileSystem.syncDirectory(directory)
    }

    /// Writes the recovery-point and log-start-offset checkpoints.
    ///
    /// - Throws: `StrataIOError`.
    public func writeCheckpoints() throws {
        guard !isReadOnly else { return }
        try checkpointLock.withLock {
            let logs = state.withLock { partitions }
            var recoveryPoints: [TopicPartition: Int64] = [:]
            var startOffsets: [TopicPartition: Int64] = [:]
            for (topicPartition, log) in logs {
                recoveryPoints[topicPartition] = log.recoveryPoint
                if log.logStartOffset > (log.segmentBaseOffsets.first ?? 0) { startOffsets[topicPartition] = log.logStartOffset }
            }
            try OffsetCheckpointFile(logDirectory: directory, kind: .recoveryPoint, fileSystem: fileSystem).write(recoveryPoints)
            try OffsetCheckpointFile(logDirectory: directory, kind: .logStartOffset, fileSystem: fileSystem).write(startOffsets)
        }
    }

    /// Shuts down cleanly: every log flushed and closed, checkpoints written, the clean
    /// shutdown marker written, the lock released.
    ///
    /// - Throws: `StrataIOError`.
    public func close() throws {
        guard !isReadOnly else { return }
        defer { lock?.unlock() }
        stopMaintenance()
        stopBackgroundCleaning()
        let logs = state.withLock { partitions }
        // Every log is closed even when one fails; the directory is then not marked clean, so
        // the next open recovers it.
        var firstError: (any Error)? = nil
        for log in logs.values {
            do { try log.close() } catch { firstError = firstError ?? error }
        }
        if let firstError { throw firstError }
        try writeCheckpoints()
        try CleanShutdownMarker(logDirectory: directory, fileSystem: fileSystem).write(brokerEpoch: 0)
    }

    /// Opens a partition again after its log stopped on a storage failure
    /// (``AppendError/Code/storageFailed``, e.g. a failed fsync): the stopped log's files are
    /// closed without flushing and the directory is recovered as after an unclean shutdown,
    /// which writes the recovered data again when an fsync had failed. When `failed` is no
    /// longer the partition's log (another caller reopened it first), the current log is
    /// returned.
    ///
    /// - Throws: `StrataIOError`, `StrataFormatError` from recovery; a partition that does not
    ///   exist throws `StrataIOError` ENOENT.
    public func reopenPartition(_ topicPartition: TopicPartition, replacing failed: PartitionLog) throws -> PartitionLog {
        try reopenLock.withLock {
            guard let current = partition(topicPartition) else {
                throw StrataIOError(call: "open", path: directory + "/" + topicPartition.directoryName, errno: ENOENT)
            }
            guard current === failed else { return current }
            for segment in failed.allSegments { try? segment.close(trimming: false) }
            var partitionOptions = options
            partitionOptions.cleanShutdown = false
            partitionOptions.recoveryPoint = failed.recoveryPoint
            partitionOptions.logStartOffset = failed.logStartOffset
            let log = try PartitionLog.open(directory: failed.directory, config: try config(forTopic: topicPartition.topic), options: partitionOptions)
            state.withLock { partitions[topicPartition] = log }
            return log
        }
    }

    static func parseProperties(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals]).trimmed] = String(line[line.index(after: equals)...]).trimmed
        }
        return result
    }
}

/// Another process holds the data directory's `.lock`.
public struct DataDirectoryLockedError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The data directory.
    public var directory: String
    public var description: String {
        "\(directory) is locked by another process (its .lock file is held); stop that process first"
    }
}

#if canImport(Glibc)
import Glibc
#endif
