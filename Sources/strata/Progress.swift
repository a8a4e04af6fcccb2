import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress line on standard error, redrawn at most twice a second, only when standard
/// error is a terminal (never in pipes, files or tests).
final class ProgressLine: @unchecked Sendable {
    private let verb: String
    private let enabled = isatty(2) == 1
    private let lock = NSLock()
    private var count = 0
    private var started = Date()
    private var lastDrawn = Date.distantPast

    init(_ verb: String) { self.verb = verb }

    /// Counts records and redraws when due.
    func advance(by records: Int = 1) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        count += records
        let now = Date()
        guard now.timeIntervalSince(lastDrawn) >= 0.5 else { return }
        lastDrawn = now
        let rate = Double(count) / max(now.timeIntervalSince(started), 0.001)
        FileHandle.standardError.write(Data("\r\u{1B}[K\(verb) \(count) records (\(Int(rate))/s)".utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if lastDrawn != .distantPast { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
