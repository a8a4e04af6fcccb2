#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal.
///
/// The threads scanning one file report to it at once: a lock guards its state, and it draws
/// at most ten times a second.
public final class VerifyProgress: @unchecked Sendable {
    private let total: Int
    private let output: StandardStream
    private let lock = NSLock()
    private var done = 0
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// A bar for `total` bytes, or nil when standard error is not a terminal.
    public static func forTerminal(totalBytes: Int) -> VerifyProgress? {
        isatty(2) == 1 ? VerifyProgress(total: totalBytes) : nil
    }

    init(total: Int) {
        self.total = max(total, 1)
        self.output = StandardStream.error()
    }

    /// Sets the bytes done to `bytes`, in `file`, and redraws when due.
    func update(bytes: Int, file: String) {
        lock.withLock {
            done = bytes
            drawIfDue(file: file)
        }
    }

    /// Adds `bytes` to the bytes done, in `file`, and redraws when due.
    func advance(by bytes: Int, file: String) {
        lock.withLock {
            done += bytes
            drawIfDue(file: file)
        }
    }

    /// Erases the bar (before a line of output, and at the end).
    func clear() {
        lock.withLock {
            guard drawn else { return }
            output.write("\r\u{1B}[K")
            output.flush()
            drawn = false
        }
    }

    /// Draws at most ten times a second; the caller holds the lock.
    private func drawIfDue(file: String) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let fraction = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let name = file.split(separator: "/").suffix(2).joined(separator: "/")
        output.write("\r\u{1B}[K[\(bar)] " + String(format: "%3.0f%% ", fraction * 100) + name)
        output.flush()
        drawn = true
    }

    /// Bytes of `.log` data under `path` (a file or directories a few levels deep).
    public static func logBytes(under path: String, depth: Int = 0) -> Int {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        guard isDirectory.boolValue else { return ((try? manager.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        guard depth < 5, let names = try? manager.contentsOfDirectory(atPath: path) else { return 0 }
        return names.reduce(0) { sum, name in
            let child = path + "/" + name
            var childIsDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: child, isDirectory: &childIsDirectory)
            if childIsDirectory.boolValue { return sum + logBytes(under: child, depth: depth + 1) }
            return name.hasSuffix(".log") ? sum + logBytes(under: child, depth: depth + 1) : sum
        }
    }
}
