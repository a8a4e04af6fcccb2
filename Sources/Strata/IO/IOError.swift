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
    /// What Strata found wrong, when it refused the call's result itself (e.g. not a regular
    /// file); the system's message otherwise.
    public var detail: String?

    /// Creates an error.
    public init(call: String, path: String, errno: Int32, detail: String? = nil) {
        self.call = call
        self.path = path
        self.errno = errno
        self.detail = detail
    }

    /// The reason: ``detail`` when set, else the system's message for the errno.
    public var reason: String { detail ?? String(cString: strerror(errno)) }

    public var description: String { "\(call) \(path): \(reason) (errno \(errno))" }
}
