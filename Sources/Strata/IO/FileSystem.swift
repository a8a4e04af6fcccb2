import NIOCore

/// How a file is opened.
public enum FileOpenMode: Sendable, Hashable {
    /// Reading only; the file must exist.
    case readOnly
    /// Reading and writing; the file must exist.
    case readWrite
    /// Reading and writing, creating the file when it is missing.
    case createIfMissing
    /// Reading and writing a new file; fails when it exists.
    case createNew
}

/// The one layer every file operation of Strata goes through.
///
/// The production implementation is ``PosixFileSystem``: system calls that retry EINTR and
/// name the call and path in their errors. Tests replace it with a layer that injects faults
/// (lost unsynced writes, torn writes, ENOSPC, EIO) to prove what survives a crash.
public protocol FileSystem: Sendable {
    /// Opens a file.
    func open(_ path: String, mode: FileOpenMode) throws(StrataIOError) -> any StorageFile
    /// True when something exists at `path` (a broken symbolic link counts).
    func exists(_ path: String) -> Bool
    /// True when `path` is a directory (symbolic links are not followed).
    func isDirectory(_ path: String) -> Bool
    /// The names in a directory, unsorted, without `.` and `..`.
    func contentsOfDirectory(_ path: String) throws(StrataIOError) -> [String]
    /// Creates one directory (its parent must exist); succeeds when it already exists.
    func createDirectory(_ path: String) throws(StrataIOError)
    /// Renames atomically, replacing any file at `to`.
    func rename(_ from: String, to: String) throws(StrataIOError)
    /// Removes a file (not a directory); succeeds when it is already gone.
    func removeFile(_ path: String) throws(StrataIOError)
    /// Removes an empty directory.
    func removeDirectory(_ path: String) throws(StrataIOError)
    /// Makes a directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(StrataIOError)
    /// The last modification time, in milliseconds since the epoch.
    func modificationTime(_ path: String) throws(StrataIOError) -> Int64
    /// Sets the modification time, in milliseconds since the epoch.
    func setModificationTime(_ path: String, milliseconds: Int64) throws(StrataIOError)
    /// Takes an exclusive advisory lock on `path` (creating the file), without waiting.
    ///
    /// - Throws: `StrataIOError` with `EWOULDBLOCK` when another process holds it.
    func lockExclusively(_ path: String) throws(StrataIOError) -> any FileLock
}

/// An open file with positional I/O.
public protocol StorageFile: AnyObject, Sendable {
    /// The path it was opened with.
    var path: String { get }
    /// The current size in bytes.
    func size() throws(StrataIOError) -> Int
    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer
    /// Reads up to `count` bytes at `offset` into `buffer`, replacing its content; its memory
    /// is reused when nothing else shares it (a reader walking a file in windows).
    func read(at offset: Int, count: Int, into buffer: inout ByteBuffer) throws(StrataIOError)
    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError)
    /// Makes the file's data (and size) durable.
    func sync() throws(StrataIOError)
    /// Sets the size, cutting or zero-extending.
    func truncate(to size: Int) throws(StrataIOError)
    /// Closes the file now; later calls fail with EBADF.
    func close()
}

/// A held lock; released by ``unlock()`` or when the last reference goes away.
public protocol FileLock: AnyObject, Sendable {
    /// Releases the lock.
    func unlock()
}

extension FileSystem {
    /// Writes `bytes` to `path` so that either the old or the new content survives a crash:
    /// write `path.tmp`, fsync it, rename it over `path`, fsync the directory.
    public func writeAtomically(_ bytes: ByteBuffer, to path: String) throws(StrataIOError) {
        let temporary = path + ".tmp"
        let file = try open(temporary, mode: .createIfMissing)
        do {
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
        } catch {
            file.close()
            throw error
        }
        file.close()
        try rename(temporary, to: path)
        try syncDirectory(parentDirectory(of: path))
    }

    /// Reads a whole (small) file.
    public func readWholeFile(_ path: String, limit: Int = 64 << 20) throws(StrataIOError) -> ByteBuffer {
        let file = try open(path, mode: .readOnly)
        defer { file.close() }
        let size = try file.size()
        guard size <= limit else { throw StrataIOError(call: "read", path: path, errno: 27 /* EFBIG */) }
        return try file.read(at: 0, count: size)
    }
}

/// The directory part of a path (`.` for a bare name).
public func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
}

extension StorageFile {
    /// The default: a new buffer from ``read(at:count:)``.
    public func read(at offset: Int, count: Int, into buffer: inout ByteBuffer) throws(StrataIOError) {
        buffer = try read(at: offset, count: count)
    }
}
