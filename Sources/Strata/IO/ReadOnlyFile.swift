#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A file opened for reading with positional reads; the descriptor closes when the last copy
/// goes away. Reads retry on EINTR and name the path in their errors.
public final class ReadOnlyFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for reading.
    ///
    /// - Throws: `StrataIOError` from `open`.
    public init(path: String) throws(StrataIOError) {
        self.path = path
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw StrataIOError(call: "open", path: path, errno: errno) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The file's current size in bytes.
    ///
    /// - Throws: `StrataIOError` from `fstat`.
    public func size() throws(StrataIOError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StrataIOError(call: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    ///
    /// - Throws: `StrataIOError` from `pread`.
    public func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
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
        return buffer
    }
}
