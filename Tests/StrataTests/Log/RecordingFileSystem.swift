import Foundation
import NIOCore
@testable import Strata

/// The real file system, recording every mutating call, and failing renames on demand.
final class RecordingFileSystem: FileSystem, @unchecked Sendable {
    private let base = PosixFileSystem()
    private let lock = NSLock()
    private var recorded: [String] = []
    private var renameFailure: Int32?

    /// The calls made so far, as `call name` with file names (not whole paths).
    var events: [String] { lock.withLock { recorded } }
    func clearEvents() { lock.withLock { recorded.removeAll() } }
    /// Makes every later rename fail with `errno` (nil: succeed again).
    func failRenames(with errno: Int32?) { lock.withLock { renameFailure = errno } }

    func record(_ event: String) { lock.withLock { recorded.append(event) } }
    private func name(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }

    func open(_ path: String, mode: FileOpenMode) throws(StrataIOError) -> any StorageFile {
        if mode != .readOnly { record("open \(name(path))") }
        return CallRecordingFile(try base.open(path, mode: mode), owner: self, name: name(path))
    }
    func exists(_ path: String) -> Bool { base.exists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func contentsOfDirectory(_ path: String) throws(StrataIOError) -> [String] { try base.contentsOfDirectory(path) }
    func createDirectory(_ path: String) throws(StrataIOError) { try base.createDirectory(path) }
    func rename(_ from: String, to: String) throws(StrataIOError) {
        if let errno = lock.withLock({ renameFailure }) { throw StrataIOError(call: "rename", path: "\(from) -> \(to)", errno: errno) }
        record("rename \(name(from)) \(name(to))")
        try base.rename(from, to: to)
    }
    func removeFile(_ path: String) throws(StrataIOError) {
        record("unlink \(name(path))")
        try base.removeFile(path)
    }
    func removeDirectory(_ path: String) throws(StrataIOError) { try base.removeDirectory(path) }
    func syncDirectory(_ path: String) throws(StrataIOError) {
        record("fsyncdir")
        try base.syncDirectory(path)
    }
    func modificationTime(_ path: String) throws(StrataIOError) -> Int64 { try base.modificationTime(path) }
    func setModificationTime(_ path: String, milliseconds: Int64) throws(StrataIOError) { try base.setModificationTime(path, milliseconds: milliseconds) }
    func lockExclusively(_ path: String) throws(StrataIOError) -> any FileLock { try base.lockExclusively(path) }
}

final class CallRecordingFile: StorageFile, @unchecked Sendable {
    let inner: any StorageFile
    let owner: RecordingFileSystem
    let name: String
    init(_ inner: any StorageFile, owner: RecordingFileSystem, name: String) {
        self.inner = inner
        self.owner = owner
        self.name = name
    }
    var path: String { inner.path }
    func size() throws(StrataIOError) -> Int { try inner.size() }
    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer { try inner.read(at: offset, count: count) }
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) {
        owner.record("write \(name)")
        try inner.write(bytes, at: offset)
    }
    func sync() throws(StrataIOError) {
        owner.record("fsync \(name)")
        try inner.sync()
    }
    func truncate(to size: Int) throws(StrataIOError) { try inner.truncate(to: size) }
    func close() { inner.close() }
}

/// The sequence of calls one atomic replacement of `name` makes.
func atomicWriteEvents(_ name: String) -> [String] {
    ["open \(name).tmp", "write \(name).tmp", "fsync \(name).tmp", "rename \(name).tmp \(name)", "fsyncdir"]
}

/// A file's whole content as text.
func fileText(_ path: String) throws -> String {
    String(buffer: try PosixFileSystem().readWholeFile(path))
}
