#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a tool writes text: standard output or error, or a string in tests.
public protocol ToolOutput: AnyObject {
    /// Writes `text` as is.
    func write(_ text: String)
    /// Writes UTF-8 bytes as they are (a JSON line, without making a string of it).
    func write(bytes: UnsafeRawBufferPointer)
}

extension ToolOutput {
    /// Writes `text` and a newline.
    public func line(_ text: String) { write(text + "\n") }

    /// Writes UTF-8 bytes as they are (as text, unless the output takes bytes itself).
    public func write(bytes: UnsafeRawBufferPointer) { write(String(decoding: bytes, as: UTF8.self)) }
}

/// A process stream (stdout or stderr), buffered and written with write(2).
public final class StandardStream: ToolOutput {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    deinit { flush() }

    /// Standard output.
    public static func output() -> StandardStream { StandardStream(descriptor: 1) }
    /// Standard error.
    public static func error() -> StandardStream { StandardStream(descriptor: 2) }

    public func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Appends the bytes to the stream's buffer, no conversion.
    public func write(bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Writes out buffered text (a closed pipe ends the writing quietly).
    public func flush() {
        var done = 0
        buffer.withUnsafeBytes { bytes in
            while done < bytes.count {
                let result = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if result < 0 && errno == EINTR { continue }
                if result <= 0 { break }
                done += result
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Collects text in memory (for tests).
public final class StringOutput: ToolOutput {
    /// Everything written so far.
    public private(set) var text = ""
    /// Creates an empty collector.
    public init() {}
    public func write(_ text: String) { self.text += text }
}
