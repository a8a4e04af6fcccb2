/// An error found while decoding or encoding Kafka's on-disk formats.
///
/// Each error names what was wrong (``code``), and as much context as is known: the file, the
/// byte position inside it and the base offset of the batch being read. Its description reads
/// like `corrupt batch: CRC mismatch (declared 1, computed 2) in 00000000000000000042.log at
/// byte 1234 (base offset 42)`.
public struct StrataFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem; an extensible set of named values.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short stable name, e.g. `crcMismatch`.
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The input ended before a complete structure could be read.
        public static let truncated = Code("truncated")
        /// A stored checksum differs from the one computed over the bytes.
        public static let crcMismatch = Code("crcMismatch")
        /// A length or count field is negative, too small, or larger than the bytes that hold it.
        public static let invalidSize = Code("invalidSize")
        /// The magic byte is not 0, 1 or 2.
        public static let unsupportedMagic = Code("unsupportedMagic")
        /// A varint or varlong is longer than its type allows.
        public static let invalidVarint = Code("invalidVarint")
        /// A record inside a batch is malformed.
        public static let invalidRecord = Code("invalidRecord")
        /// The compression codec id is not one Kafka defines, or not allowed for this magic.
        public static let unknownCompression = Code("unknownCompression")
        /// The compressed payload is damaged or not in the codec's framing.
        public static let decompressionFailed = Code("decompressionFailed")
        /// Decompressing would produce more bytes than the configured ceiling.
        public static let decompressedSizeLimitExceeded = Code("decompressedSizeLimitExceeded")
        /// The codec library failed to compress.
        public static let compressionFailed = Code("compressionFailed")
        /// A value cannot be represented in Kafka's format (e.g. an offset delta over 2^31-1).
        public static let unrepresentable = Code("unrepresentable")
        /// The bytes are not Kafka log entries at all (e.g. another system's segment format).
        public static let notKafkaFormat = Code("notKafkaFormat")
        /// A control record's key or value is malformed.
        public static let invalidControlRecord = Code("invalidControlRecord")
        /// A file's version field names a version this reader does not support.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A line of a text file (checkpoint, `partition.metadata`) is not in the expected form.
        public static let malformedLine = Code("malformedLine")
        /// The number of entries differs from the count the file declares.
        public static let entryCountMismatch = Code("entryCountMismatch")
        /// A field holds a value its format forbids (e.g. the all-zero topic id).
        public static let invalidValue = Code("invalidValue")
    }

    /// What was wrong.
    public var code: Code
    /// A human-readable explanation, including declared and computed values where known.
    public var message: String
    /// The file being read, when known.
    public var file: String?
    /// The byte position in the file (or region) where the problem was found.
    public var position: Int?
    /// The base offset of the batch (or offset of the legacy entry) being read.
    public var baseOffset: Int64?
    /// The 1-based line number, for text files (checkpoints, `partition.metadata`).
    public var line: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String? = nil, position: Int? = nil, baseOffset: Int64? = nil, line: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.position = position
        self.baseOffset = baseOffset
        self.line = line
    }

    /// A copy with context filled in where it is still missing.
    public func adding(file: String? = nil, position: Int? = nil, baseOffset: Int64? = nil, line: Int? = nil) -> StrataFormatError {
        var copy = self
        if copy.file == nil { copy.file = file }
        if copy.position == nil { copy.position = position }
        if copy.baseOffset == nil { copy.baseOffset = baseOffset }
        if copy.line == nil { copy.line = line }
        return copy
    }

    public var description: String {
        var text = message
        if let file { text += " in \(file)" }
        if let line {
            text += " at line \(line)"
            if let position { text += " (byte \(position))" }
        } else if let position {
            text += " at byte \(position)"
        }
        if let baseOffset { text += " (base offset \(baseOffset))" }
        return text
    }
}
