import Foundation

/// What the threads of a parallel scan hand back, each under its own key.
///
/// A pthread lock (`NSLock`) rather than `Synchronization.Mutex`: on Linux the latter waits on
/// a futex the thread sanitizer cannot see, so every handover would be reported as a race.
final class LogScanResults<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    /// Stores `value` under `key` (called from any thread).
    func set(_ value: Value, for key: Key) {
        lock.withLock { values[key] = value }
    }

    /// Everything stored, once the threads are done.
    var all: [Key: Value] { lock.withLock { values } }
}
