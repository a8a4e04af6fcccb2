/// The compression codecs Kafka defines, by their id in the batch attributes (bits 0–2).
public enum CompressionCodec: Int8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    /// The name kafka-dump-log prints (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    public var name: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    public var description: String { name }

    /// Parses a codec name as Kafka's configs spell it (`none`/`uncompressed`, `gzip`, …).
    public init?(name: String) {
        switch name.lowercased() {
        case "none", "uncompressed": self = .none
        case "gzip": self = .gzip
        case "snappy": self = .snappy
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }

    /// Kafka's default level for the codec (`compression.<codec>.level`), nil when it has none.
    public var defaultLevel: Int32? {
        switch self {
        case .none, .snappy: nil
        case .gzip: 6  // -1 means zlib's default, which is 6
        case .lz4: 9
        case .zstd: 3
        }
    }

    /// The levels Kafka accepts for the codec.
    public var validLevels: ClosedRange<Int32>? {
        switch self {
        case .none, .snappy: nil
        case .gzip: 1...9
        case .lz4: 1...17
        case .zstd: -131072...22
        }
    }
}

/// A codec with its level: what a producer or topic asks batches to be written with.
public struct Compression: Sendable, Hashable, CustomStringConvertible {
    /// The codec.
    public var codec: CompressionCodec
    /// The level handed to the codec library (nil for codecs without levels).
    public var level: Int32?

    /// Creates a compression setting; `level` nil means Kafka's default for the codec.
    ///
    /// - Throws: `unknownCompression` when the level is outside the range Kafka accepts
    ///   (gzip also accepts -1, meaning the default).
    public init(_ codec: CompressionCodec, level: Int32?) throws(StrataFormatError) {
        self.codec = codec
        guard var level else {
            self.level = codec.defaultLevel
            return
        }
        if codec == .gzip && level == -1 { level = 6 }
        guard let range = codec.validLevels, range.contains(level) else {
            throw StrataFormatError(.unknownCompression, "compression level \(level) is not valid for \(codec.name)")
        }
        self.level = level
    }

    /// The codec at Kafka's default level.
    public init(_ codec: CompressionCodec) {
        self.codec = codec
        self.level = codec.defaultLevel
    }

    /// No compression.
    public static let none = Compression(.none)
    /// gzip at zlib's default level 6.
    public static let gzip = Compression(.gzip)
    /// snappy with xerial framing, as the Java producer writes it.
    public static let snappy = Compression(.snappy)
    /// lz4 at Kafka's default level 9 (lz4's fast compressor).
    public static let lz4 = Compression(.lz4)
    /// zstd at Kafka's default level 3.
    public static let zstd = Compression(.zstd)

    public var description: String {
        if let level { return "\(codec.name)(level \(level))" }
        return codec.name
    }
}
