#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The real file system, through POSIX calls that retry EINTR and name the call and path.
public struct PosixFileSystem: FileSystem {
    /// Creates the file system.
    public init() {}

    private static func retrying(_ call: () -> Int32) -> Int32 {
        var result: Int32
        repeat { result = call() } while result < 0 && errno == EINTR
        return result
    }

    public func open(_ path: String, mode: FileOpenMode) throws(StrataIOError) -> any StorageFile {
        var flags = O_CLOEXEC
        switch mode {
        case .readOnly: flags |= O_RDONLY
        // Never write through a symbolic link: one swapped in for a segment or checkpoint by
        // another user would otherwise point Strata's writes at any file it can open (ELOOP).
        case .readWrite: flags |= O_RDWR | O_NOFOLLOW
        case .createIfMissing: flags |= O_RDWR | O_CREAT | O_NOFOLLOW
        case .createNew: flags |= O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW
        }
        // O_NONBLOCK: a FIFO given as a segment would otherwise block the open until a writer
        // appears (it changes nothing for regular files); anything but a regular file is refused.
        let fd = Self.retrying { Glibc.open(path, flags | O_NONBLOCK, 0o644) }
        guard fd >= 0 else { throw StrataIOError(call: "open", path: path, errno: errno) }
        var info = Glibc.stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw StrataIOError(call: "fstat", path: path, errno: error)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            let kind = switch info.st_mode & S_IFMT {
            case S_IFDIR: "a directory"
            case S_IFIFO: "a FIFO"
            case S_IFCHR, S_IFBLK: "a device"
            case S_IFSOCK: "a socket"
            default: "not a regular file"
            }
            throw StrataIOError(call: "open", path: path, errno: EINVAL, detail: "\(kind), not a regular file")
        }
        return PosixFile(path: path, descriptor: fd)
    }

    private func stat(_ path: String) -> stat? {
        var info = Glibc.stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    public func exists(_ path: String) -> Bool { stat(path) != nil }

    public func isDirectory(_ path: String) -> Bool {
        guard let info = stat(path) else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    public func contentsOfDirectory(_ path: String) throws(StrataIOError) -> [String] {
        guard let dir = opendir(path) else { throw StrataIOError(call: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func createDirectory(_ path: String) throws(StrataIOError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw StrataIOError(call: "mkdir", path: path, errno: errno)
        }
    }

    public func rename(_ from: String, to: String) throws(StrataIOError) {
        guard Glibc.rename(from, to) == 0 else { throw StrataIOError(call: "rename", path: "\(from) -> \(to)", errno: errno) }
    }

    public func removeFile(_ path: String) throws(StrataIOError) {
        if unlink(path) != 0 && errno != ENOENT { throw StrataIOError(call: "unlink", path: path, errno: errno) }
    }

    public func removeDirectory(_ path: String) throws(StrataIOError) {
        guard rmdir(path) == 0 else { throw StrataIOError(call: "rmdir", path: path, errno: errno) }
    }

    public func syncDirectory(_ path: String) throws(StrataIOError) {
        let fd = Self.retrying { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw StrataIOError(call: "open", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        guard Self.retrying({ fsync(fd) }) == 0 else { throw StrataIOError(call: "fsync", path: path, errno: errno) }
    }

    public func modificationTime(_ path: String) throws(StrataIOError) -> Int64 {
        guard let info = stat(path) else { throw StrataIOError(call: "lstat", path: path, errno: errno) }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    public func setModificationTime(_ path: String, milliseconds: Int64) throws(StrataIOError) {
        let spec = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var times = [spec, spec]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw StrataIOError(call: "utimensat", path: path, errno: errno) }
    }

    public func lockExclusively(_ path: String) throws(StrataIOError) -> any FileLock {
        let fd = Self.retrying { Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644) }
        guard fd >= 0 else { throw StrataIOError(call: "open", path: path, errno: errno) }
        // A lock this process just released can still be held for a moment by a child being
        // spawned elsewhere in it (a fork holds every descriptor until its exec closes the
        // close-on-exec ones), so a refusal is only believed after half a second of retries.
        var attempts = 0
        while Self.retrying({ flock(fd, LOCK_EX | LOCK_NB) }) != 0 {
            let error = errno
            attempts += 1
            guard error == EWOULDBLOCK, attempts < 50 else {
                Glibc.close(fd)
                throw StrataIOError(call: "flock", path: path, errno: error)
            }
            usleep(10_000)
        }
        return PosixFileLock(descriptor: fd)
    }
}

/// A file descriptor with positional I/O; closed on ``close()`` or deinit.
final class PosixFile: StorageFile, @unchecked Sendable {
    let path: String
    // Written once by close(); reads race only with a caller that closes while using it.
    private var descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }

    func size() throws(StrataIOError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StrataIOError(call: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        try read(at: offset, count: count, into: &buffer)
        return buffer
    }

    func read(at offset: Int, count: Int, into buffer: inout ByteBuffer) throws(StrataIOError) {
        // Cleared in place: the storage is reused when this is its only reference.
        buffer.clear(minimumCapacity: count)
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { out in
            var done = 0
            while done < count {
                let result = pread(descriptor, out.baseAddress! + done, count - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if result == 0 { break }
                done += result
            }
            return done
        }
        if failure != 0 { throw StrataIOError(call: "pread", path: path, errno: failure) }
    }

    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) {
        var failure: Int32 = 0
        bytes.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let result = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += result
            }
        }
        if failure != 0 { throw StrataIOError(call: "pwrite", path: path, errno: failure) }
    }

    func sync() throws(StrataIOError) {
        var result: Int32
        repeat { result = fdatasync(descriptor) } while result < 0 && errno == EINTR
        guard result == 0 else { throw StrataIOError(call: "fdatasync", path: path, errno: errno) }
    }

    func truncate(to size: Int) throws(StrataIOError) {
        var result: Int32
        repeat { result = ftruncate(descriptor, off_t(size)) } while result < 0 && errno == EINTR
        guard result == 0 else { throw StrataIOError(call: "ftruncate", path: path, errno: errno) }
    }
}

/// An flock held on an open descriptor.
final class PosixFileLock: FileLock, @unchecked Sendable {
    private var descriptor: Int32
    init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { unlock() }
    func unlock() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}
