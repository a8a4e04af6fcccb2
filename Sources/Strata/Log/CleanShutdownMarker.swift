import NIOCore

/// A log dir's `.kafka_cleanshutdown`: present only while the broker is cleanly stopped.
///
/// A broker writes it at the very end of an orderly shutdown, after every log was flushed and
/// closed and the offset checkpoints were written. At startup its **existence** says the data
/// needs no recovery scan; the broker deletes it at once (before loading), so a crash while
/// loading counts as unclean. Since Kafka 3.7 it holds `{"version":0,"brokerEpoch":N}`; older
/// brokers left it empty. Reading tolerates both, unknown fields, and garbage.
public struct CleanShutdownMarker: Sendable {
    /// The file name inside a log dir.
    public static let fileName = ".kafka_cleanshutdown"
    /// The version this library writes.
    public static let currentVersion: Int32 = 0

    /// What the file says; every field nil for an empty or unreadable file.
    public struct Contents: Hashable, Sendable {
        /// The `version` field.
        public var version: Int32?
        /// The `brokerEpoch` field: the epoch of the broker that shut down.
        public var brokerEpoch: Int64?

        /// Creates contents.
        public init(version: Int32? = nil, brokerEpoch: Int64? = nil) {
            self.version = version
            self.brokerEpoch = brokerEpoch
        }
    }

    /// Where the file lives.
    public let path: String
    /// The file system every access goes through.
    public let fileSystem: any FileSystem

    /// Describes the marker of the log dir `logDirectory`.
    public init(logDirectory: String, fileSystem: any FileSystem = PosixFileSystem()) {
        self.path = logDirectory + "/" + Self.fileName
        self.fileSystem = fileSystem
    }

    /// True when the marker exists: the log dir was shut down cleanly.
    public func exists() -> Bool { fileSystem.exists(path) }

    /// Writes the marker with `brokerEpoch`, durably (`.tmp`, fsync, rename, fsync of the directory).
    ///
    /// - Throws: `StrataIOError` when writing, syncing or renaming fails.
    public func write(brokerEpoch: Int64) throws(StrataIOError) {
        try fileSystem.writeAtomically(Self.encode(brokerEpoch: brokerEpoch), to: path)
    }

    /// Reads the marker; nil when it does not exist.
    ///
    /// Never fails on content: an empty file (older brokers), unknown fields or text that is not
    /// the expected JSON give nil fields.
    ///
    /// - Throws: `StrataIOError` when the file exists but cannot be read.
    public func read() throws(StrataIOError) -> Contents? {
        try fileSystem.readWholeFileIfPresent(path, limit: 1 << 20).map(Self.decode)
    }

    /// Deletes the marker (if present) and makes the deletion durable.
    ///
    /// - Throws: `StrataIOError` when unlinking or syncing the directory fails.
    public func remove() throws(StrataIOError) {
        try fileSystem.removeFile(path)
        try fileSystem.syncDirectory(parentDirectory(of: path))
    }

    /// The file's bytes: `{"version":0,"brokerEpoch":<epoch>}` (no spaces, no newline).
    public static func encode(brokerEpoch: Int64) -> ByteBuffer {
        ByteBuffer(string: "{\"version\":\(currentVersion),\"brokerEpoch\":\(brokerEpoch)}")
    }

    /// What a marker's bytes say; nil fields where the bytes do not say it.
    ///
    /// The bytes must be one JSON object; `version` and `brokerEpoch` are taken when they are
    /// integers that fit, every other member is skipped. Anything that is not such an object
    /// (including an empty file) gives all-nil contents.
    public static func decode(_ bytes: ByteBuffer) -> Contents {
        var scanner = JSONScanner(Array(bytes.readableBytesView))
        return scanner.topLevelIntegers() ?? Contents()
    }
}

/// Just enough JSON to read the integer members of one object and skip anything else.
private struct JSONScanner {
    private let bytes: [UInt8]
    private var index = 0
    private static let maximumDepth = 64

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func topLevelIntegers() -> CleanShutdownMarker.Contents? {
        var contents = CleanShutdownMarker.Contents()
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return finish(contents) }
        while true {
            skipWhitespace()
            guard let key = string() else { return nil }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            let valueStart = index
            guard skipValue(depth: 0) else { return nil }
            let number = Int64(String(decoding: bytes[valueStart..<index], as: UTF8.self))
            switch key {
            case "version": contents.version = number.flatMap { Int32(exactly: $0) }
            case "brokerEpoch": contents.brokerEpoch = number
            default: break
            }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            guard take(UInt8(ascii: "}")) else { return nil }
            return finish(contents)
        }
    }

    private mutating func finish(_ contents: CleanShutdownMarker.Contents) -> CleanShutdownMarker.Contents? {
        skipWhitespace()
        return index == bytes.count ? contents : nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string's raw text between the quotes (escapes are kept as written).
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            case UInt8(ascii: "\\"): index += 2
            default: index += 1
            }
        }
        return nil
    }

    private mutating func skipValue(depth: Int) -> Bool {
        guard depth < Self.maximumDepth, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            index += 1
            skipWhitespace()
            if take(close) { return true }
            while true {
                skipWhitespace()
                if isObject {
                    guard string() != nil else { return false }
                    skipWhitespace()
                    guard take(UInt8(ascii: ":")) else { return false }
                    skipWhitespace()
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: ",")) { continue }
                return take(close)
            }
        default:
            // A number or a literal (true, false, null): a run of the characters they use.
            let start = index
            while index < bytes.count, Self.isScalarCharacter(bytes[index]) { index += 1 }
            return index > start
        }
    }

    private static func isScalarCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "E"): true
        default: false
        }
    }
}
