import NIOCore

/// A leader epoch and the first offset written under it.
public struct EpochEntry: Hashable, Sendable, CustomStringConvertible {
    /// The partition leader epoch.
    public var epoch: Int32
    /// The first offset written by the leader of that epoch.
    public var startOffset: Int64

    /// Creates an entry.
    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }

    public var description: String { "EpochEntry(epoch=\(epoch), startOffset=\(startOffset))" }
}

/// The entry lines of `leader-epoch-checkpoint`: `<epoch> <startOffset>`, version 0.
public enum LeaderEpochCheckpointFormat: CheckpointEntryFormat {
    public static let version: Int32 = 0
    public static let entryShape = "<epoch> <startOffset>"

    public static func line(for entry: EpochEntry) -> String {
        "\(entry.epoch) \(entry.startOffset)"
    }

    public static func entry(fromFields fields: [Substring]) -> EpochEntry? {
        guard fields.count == 2, let epoch = Int32(fields[0]), let startOffset = Int64(fields[1]) else { return nil }
        return EpochEntry(epoch: epoch, startOffset: startOffset)
    }
}

/// A partition's `leader-epoch-checkpoint`: its leader epochs in ascending order, each with the
/// first offset written under it.
///
/// The text format is ``CheckpointFile``'s, for example:
///
/// ```
/// 0
/// 3
/// 0 0
/// 1 9
/// 3 10
/// ```
///
/// ``LeaderEpochCache`` keeps this file up to date.
public struct LeaderEpochCheckpointFile: Sendable {
    /// The file name inside a partition directory.
    public static let fileName = "leader-epoch-checkpoint"

    /// The underlying text file.
    public let checkpoint: CheckpointFile<LeaderEpochCheckpointFormat>

    /// Describes the checkpoint file at `path`.
    public init(path: String, fileSystem: any FileSystem = PosixFileSystem()) {
        checkpoint = CheckpointFile(path: path, fileSystem: fileSystem)
    }

    /// Describes the checkpoint file of the partition directory `partitionDirectory`.
    public init(partitionDirectory: String, fileSystem: any FileSystem = PosixFileSystem()) {
        self.init(path: partitionDirectory + "/" + Self.fileName, fileSystem: fileSystem)
    }

    /// Where the file lives.
    public var path: String { checkpoint.path }

    /// Reads the entries in file order; a missing or empty file reads as none.
    ///
    /// - Throws: `StrataFormatError` naming the file and line (`unsupportedVersion`,
    ///   `malformedLine`, `entryCountMismatch`); `StrataIOError` when reading fails.
    public func read() throws -> [EpochEntry] {
        try checkpoint.read()
    }

    /// Replaces the file with `entries`, in the order given, atomically and durably.
    ///
    /// - Throws: `StrataIOError` when writing, syncing or renaming fails.
    public func write(_ entries: [EpochEntry]) throws(StrataIOError) {
        try checkpoint.write(entries)
    }
}
