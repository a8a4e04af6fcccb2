/// A log directory's `cleaner-offset-checkpoint` (spec 6.9): per compacted partition, the
/// first offset not yet cleaned. Written atomically (temp, fsync, rename, fsync directory).
public struct CleanerCheckpoint: Sendable {
    /// The checkpoint file.
    public let file: OffsetCheckpointFile

    /// The checkpoint of the log directory `logDirectory`.
    public init(logDirectory: String, fileSystem: any FileSystem = PosixFileSystem()) {
        file = OffsetCheckpointFile(logDirectory: logDirectory, kind: .cleanerOffset, fileSystem: fileSystem)
    }

    /// The checkpointed offsets; an unreadable file counts as empty (the cleaner then starts
    /// from each log's start offset, as Kafka does).
    public func offsets() -> [TopicPartition: Int64] {
        (try? file.read()) ?? [:]
    }

    /// Sets one partition's offset, dropping partitions whose directories are gone.
    ///
    /// - Throws: `StrataIOError`.
    public func update(_ topicPartition: TopicPartition, to offset: Int64) throws {
        let fileSystem = file.checkpoint.fileSystem
        let logDirectory = parentDirectory(of: file.path)
        var offsets = offsets().filter { fileSystem.isDirectory(logDirectory + "/" + $0.key.directoryName) }
        offsets[topicPartition] = offset
        try file.write(offsets)
    }
}
