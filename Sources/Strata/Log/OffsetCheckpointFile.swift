import NIOCore

/// One line of an offset checkpoint: a partition and its offset.
public struct OffsetCheckpointEntry: Hashable, Sendable {
    /// The partition.
    public var topicPartition: TopicPartition
    /// Its checkpointed offset.
    public var offset: Int64

    /// Creates an entry.
    public init(_ topicPartition: TopicPartition, offset: Int64) {
        self.topicPartition = topicPartition
        self.offset = offset
    }
}

/// The entry lines of the per-log-dir offset checkpoints: `<topic> <partition> <offset>`, version 0.
///
/// The partition and offset are read as Java reads them (`Integer.parseInt`, `Long.parseLong`):
/// an optional sign, then decimal digits. Topic names cannot hold whitespace, so they are
/// written as they are.
public enum OffsetCheckpointFormat: CheckpointEntryFormat {
    public static let version: Int32 = 0
    public static let entryShape = "<topic> <partition> <offset>"

    public static func line(for entry: OffsetCheckpointEntry) -> String {
        "\(entry.topicPartition.topic) \(entry.topicPartition.partition) \(entry.offset)"
    }

    public static func entry(fromFields fields: [Substring]) -> OffsetCheckpointEntry? {
        guard fields.count == 3, !fields[0].isEmpty, let partition = Int32(fields[1]), let offset = Int64(fields[2]) else { return nil }
        return OffsetCheckpointEntry(TopicPartition(topic: String(fields[0]), partition: partition), offset: offset)
    }
}

/// A log dir's offset checkpoint: `recovery-point-offset-checkpoint`,
/// `log-start-offset-checkpoint`, `cleaner-offset-checkpoint` or `replication-offset-checkpoint`.
///
/// Each holds one offset per partition of the log dir in the text format of ``CheckpointFile``,
/// for example (two partitions of `my-topic`):
///
/// ```
/// 0
/// 2
/// my-topic 0 1234
/// my-topic 1 99
/// ```
///
/// Kafka writes the lines in hash-map order; ``write(_:)`` writes them sorted by partition, and
/// ``write(entries:)`` in the order given.
public struct OffsetCheckpointFile: Sendable {
    /// The four offset checkpoints of a log dir.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Offsets below which every partition's data is known to be flushed.
        case recoveryPoint = "recovery-point-offset-checkpoint"
        /// Each partition's log start offset.
        case logStartOffset = "log-start-offset-checkpoint"
        /// Where the cleaner stopped in each compacted partition.
        case cleanerOffset = "cleaner-offset-checkpoint"
        /// Each partition's high watermark.
        case replicationOffset = "replication-offset-checkpoint"

        /// The file name inside the log dir.
        public var fileName: String { rawValue }
    }

    /// The underlying text file.
    public let checkpoint: CheckpointFile<OffsetCheckpointFormat>

    /// Describes the checkpoint file at `path`.
    public init(path: String, fileSystem: any FileSystem = PosixFileSystem()) {
        checkpoint = CheckpointFile(path: path, fileSystem: fileSystem)
    }

    /// Describes the checkpoint of `kind` in the log dir `logDirectory`.
    public init(logDirectory: String, kind: Kind, fileSystem: any FileSystem = PosixFileSystem()) {
        self.init(path: logDirectory + "/" + kind.fileName, fileSystem: fileSystem)
    }

    /// Where the file lives.
    public var path: String { checkpoint.path }

    /// Reads the offsets by partition (for a partition listed twice, the later line wins).
    ///
    /// A missing or empty file reads as no offsets.
    ///
    /// - Throws: `StrataFormatError` naming the file and line (`unsupportedVersion`,
    ///   `malformedLine`, `entryCountMismatch`); `StrataIOError` when reading fails.
    public func read() throws -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for entry in try checkpoint.read() { offsets[entry.topicPartition] = entry.offset }
        return offsets
    }

    /// Reads the lines in file order.
    ///
    /// - Throws: As ``read()``.
    public func readEntries() throws -> [OffsetCheckpointEntry] {
        try checkpoint.read()
    }

    /// Replaces the file with `offsets`, one line per partition sorted by topic and partition.
    ///
    /// - Throws: `StrataIOError` when writing, syncing or renaming fails.
    public func write(_ offsets: [TopicPartition: Int64]) throws(StrataIOError) {
        try checkpoint.write(offsets.sorted { $0.key < $1.key }.map { OffsetCheckpointEntry($0.key, offset: $0.value) })
    }

    /// Replaces the file with `entries`, in the order given.
    ///
    /// - Throws: `StrataIOError` when writing, syncing or renaming fails.
    public func write(entries: [OffsetCheckpointEntry]) throws(StrataIOError) {
        try checkpoint.write(entries)
    }
}
