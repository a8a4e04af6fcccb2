import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Strata
import StrataTopics

/// A fresh directory under the system temp directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "topics") {
        path = NSTemporaryDirectory() + "strata-\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The names in the directory, sorted.
    var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// Runs `body` on a data directory opened in a fresh temporary directory; closes and removes it.
func withTopics<T>(_ label: String = "topics", options: TopicsOptions = TopicsOptions(), _ body: (Topics, TemporaryDirectory) throws -> T) throws -> T {
    let directory = TemporaryDirectory(label)
    defer { directory.remove() }
    let topics = try Topics.open(directory: directory.path, options: options)
    defer { try? topics.close() }
    return try body(topics, directory)
}

/// The async version of ``withTopics(_:options:_:)``.
func withTopicsAsync<T>(_ label: String = "topics", options: TopicsOptions = TopicsOptions(), _ body: (Topics, TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = TemporaryDirectory(label)
    defer { directory.remove() }
    let topics = try Topics.open(directory: directory.path, options: options)
    defer { try? topics.close() }
    return try await body(topics, directory)
}

/// ``withTopics(_:options:_:)`` on a ``FailingSyncFileSystem`` the body can arm.
func withFailingDisk<T>(_ body: (Topics, TemporaryDirectory, FailingSyncFileSystem) throws -> T) throws -> T {
    let fileSystem = FailingSyncFileSystem()
    var options = TopicsOptions()
    options.storage.fileSystem = fileSystem
    return try withTopics(options: options) { topics, directory in try body(topics, directory, fileSystem) }
}

/// Every record of the given partitions, read from the beginning without a group.
func readAll(_ topics: Topics, _ topic: String) throws -> [ConsumerRecord] {
    let consumer = topics.makeConsumer(ConsumerConfig(autoOffsetReset: .earliest))
    defer { try? consumer.close() }
    let count = try topics.partitionCount(topic)
    try consumer.assign((0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) })
    var all: [ConsumerRecord] = []
    while true {
        let batch = try consumer.poll()
        if batch.isEmpty { break }
        all += batch
    }
    return all
}

/// The stored batches of a partition directory, read with Strata directly (read-only, no lock).
func storedEntries(_ directory: String, _ partition: TopicPartition) throws -> [LogEntry] {
    var options = PartitionOpenOptions()
    options.readOnly = true
    options.cleanShutdown = true
    let log = try PartitionLog.open(directory: directory + "/" + partition.directoryName, options: options)
    return try log.read(from: log.logStartOffset, maxBytes: .max, isolation: .logEnd).entries
}

/// A file system over the real one whose `.log` fsyncs fail while armed, after the data was
/// written (the outcome a producer cannot know), and whose `.log` writes fail with ENOSPC
/// while the disk is "full".
final class FailingSyncFileSystem: FileSystem {
    let base = PosixFileSystem()
    let failuresLeft = NIOLockedValueBox(0)
    let diskFull = NIOLockedValueBox(false)
    /// `.log` fsyncs so far.
    let syncs = NIOLockedValueBox(0)
    /// How long each `.log` fsync takes at least, in microseconds (after its failure check).
    let syncDelay = NIOLockedValueBox<UInt32>(0)
    /// While set, every call that would change something fails with EROFS.
    let readOnly = NIOLockedValueBox(false)

    private func refuseIfReadOnly(_ call: String, _ path: String) throws(StrataIOError) {
        if readOnly.withLockedValue({ $0 }) { throw StrataIOError(call: call, path: path, errno: 30) }
    }

    func open(_ path: String, mode: FileOpenMode) throws(StrataIOError) -> any StorageFile {
        if mode != .readOnly { try refuseIfReadOnly("open", path) }
        let file = try base.open(path, mode: mode)
        return path.hasSuffix(".log") ? FailingSyncFile(file, failuresLeft: failuresLeft, diskFull: diskFull, syncs: syncs, syncDelay: syncDelay) : file
    }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func contentsOfDirectory(_ path: String) throws(StrataIOError) -> [String] { try base.contentsOfDirectory(path) }
    func createDirectory(_ path: String) throws(StrataIOError) {
        try refuseIfReadOnly("mkdir", path)
        try base.createDirectory(path)
    }
    func rename(_ from: String, to: String) throws(StrataIOError) {
        try refuseIfReadOnly("rename", from)
        try base.rename(from, to: to)
    }
    func removeFile(_ path: String) throws(StrataIOError) {
        try refuseIfReadOnly("unlink", path)
        try base.removeFile(path)
    }
    func removeDirectory(_ path: String) throws(StrataIOError) {
        try refuseIfReadOnly("rmdir", path)
        try base.removeDirectory(path)
    }
    func syncDirectory(_ path: String) throws(StrataIOError) { try base.syncDirectory(path) }
    func modificationTime(_ path: String) throws(StrataIOError) -> Int64 { try base.modificationTime(path) }
    func setModificationTime(_ path: String, milliseconds: Int64) throws(StrataIOError) { try base.setModificationTime(path, milliseconds: milliseconds) }
    func lockExclusively(_ path: String) throws(StrataIOError) -> any FileLock { try base.lockExclusively(path) }
}

final class FailingSyncFile: StorageFile {
    let file: any StorageFile
    let failuresLeft: NIOLockedValueBox<Int>
    let diskFull: NIOLockedValueBox<Bool>
    let syncs: NIOLockedValueBox<Int>
    let syncDelay: NIOLockedValueBox<UInt32>
    init(_ file: any StorageFile, failuresLeft: NIOLockedValueBox<Int>, diskFull: NIOLockedValueBox<Bool>,
         syncs: NIOLockedValueBox<Int>, syncDelay: NIOLockedValueBox<UInt32>) {
        self.file = file
        self.failuresLeft = failuresLeft
        self.diskFull = diskFull
        self.syncs = syncs
        self.syncDelay = syncDelay
    }
    var path: String { file.path }
    func size() throws(StrataIOError) -> Int { try file.size() }
    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer { try file.read(at: offset, count: count) }
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) {
        if diskFull.withLockedValue({ $0 }) { throw StrataIOError(call: "pwrite", path: path, errno: 28) }
        try file.write(bytes, at: offset)
    }
    func sync() throws(StrataIOError) {
        let fail = failuresLeft.withLockedValue { left -> Bool in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
        syncs.withLockedValue { $0 += 1 }
        if fail { throw StrataIOError(call: "fsync", path: path, errno: 5) }
        let delay = syncDelay.withLockedValue { $0 }
        if delay > 0 { usleep(delay) }
        try file.sync()
    }
    func truncate(to size: Int) throws(StrataIOError) { try file.truncate(to: size) }
    func close() { file.close() }
}

/// A built executable: beside the test runner, else in `.build/debug` of the package.
func executable(_ name: String) -> URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return packageRoot.appendingPathComponent(".build/debug/\(name)")
}
