#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// Limits the cleaner's I/O to a rate in bytes per second (Kafka's
/// `log.cleaner.io.max.bytes.per.second`): callers report the bytes they read and write and
/// are put to sleep whenever they run ahead of the rate.
public final class Throttle: Sendable {
    /// The rate.
    public let bytesPerSecond: Int
    private let state = NIOLockedValueBox<(start: Int64, bytes: Int)>((0, 0))

    /// A throttle at `bytesPerSecond` (at least 1).
    public init(bytesPerSecond: Int) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        state.withLockedValue { $0 = (Self.monotonicNanoseconds(), 0) }
    }

    /// Counts `bytes` and sleeps as long as the total is ahead of the rate.
    public func consume(_ bytes: Int) {
        let delay = state.withLockedValue { state -> Int64 in
            state.bytes += bytes
            let now = Self.monotonicNanoseconds()
            let due = state.start + Int64(Double(state.bytes) / Double(bytesPerSecond) * 1e9)
            // Restart the window every second of wall time, so an idle spell earns no burst.
            if now - state.start > 1_000_000_000 && due < now {
                state = (now, 0)
                return 0
            }
            return due - now
        }
        if delay > 1_000_000 { usleep(UInt32(min(delay / 1000, 1_000_000))) }
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
