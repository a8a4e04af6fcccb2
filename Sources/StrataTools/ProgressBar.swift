#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
public final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let enabled: Bool
    private var lastDrawn = -1
    private var label = ""

    /// A bar for `total` units; `enabled` false (or stderr not a terminal) draws nothing.
    public init(total: Int, enabled: Bool = true) {
        self.total = max(1, total)
        self.enabled = enabled && isatty(2) == 1
    }

    /// Shows `done` units, labelled.
    public func update(_ done: Int, label: String) {
        guard enabled else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn || label != self.label else { return }
        lastDrawn = percent
        self.label = label
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let text = "\r[\(bar)] \(percent)% \(label.prefix(40))\u{1B}[K"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }

    /// Clears the line.
    public func finish() {
        guard enabled else { return }
        _ = "\r\u{1B}[K".withCString { write(2, $0, strlen($0)) }
    }
}
