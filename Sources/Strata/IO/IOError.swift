#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, naming the call, the path and the errno.
public struct StrataIOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The system call (`open`, `pread`, `fsync`, …).
    public var call: String
    /// The file it was made on.
    public var path: String
    /// The errno value.
    public var errno: Int32

    /// Creates an error.
    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// The system's message for the errno.
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(call) \(path): \(reason) (errno \(errno))" }
}
