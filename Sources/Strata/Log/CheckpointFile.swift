import NIOCore

/// How one kind of checkpoint file turns its entries into lines and back.
///
/// A format supplies the version number its files carry and the rules for one entry line;
/// ``CheckpointFile`` does the rest of the file (version line, count line, newlines, atomic
/// replacement).
public protocol CheckpointEntryFormat: Sendable {
    /// One entry of the file.
    associatedtype Entry: Sendable

    /// The version written on the first line, and the only one accepted when reading.
    static var version: Int32 { get }

    /// The shape of an entry line for messages, e.g. `<topic> <partition> <offset>`.
    static var entryShape: String { get }

    /// The text of the line for `entry`, without the newline.
    static func line(for entry: Entry) -> String

    /// The entry a line holds, given the line's whitespace-separated fields; nil when the
    /// fields are not a valid entry.
    static func entry(fromFields fields: [Substring]) -> Entry?
}

/// Kafka's generic checkpoint text file: a version line, a count line, then one line per entry.
///
/// The layout (UTF-8, every line ending in `\n`, including the last):
///
/// ```
/// <version>
/// <number of entries>
/// <entry>            (that many times)
/// ```
///
/// Reading follows Kafka's reader: a zero-byte file holds no entries; the version must be the
/// format's; every entry line must parse, and the number of entry lines must equal the count.
/// Fields are separated by runs of whitespace, as Java's `split("\\s+")` separates them (so a
/// line that starts with whitespace has an empty first field and is malformed, and trailing
/// whitespace is ignored). A missing final newline and `\r\n` endings are tolerated. Writing
/// replaces the file atomically and durably (``FileSystem/writeAtomically(_:to:)``).
public struct CheckpointFile<Format: CheckpointEntryFormat>: Sendable {
    /// Where the file lives.
    public let path: String
    /// The file system every access goes through.
    public let fileSystem: any FileSystem

    /// Describes the checkpoint file at `path`; nothing is read or written yet.
    public init(path: String, fileSystem: any FileSystem = PosixFileSystem()) {
        self.path = path
        self.fileSystem = fileSystem
    }

    /// Reads the entries, in file order.
    ///
    /// A missing file reads as no entries, as does an empty one (Kafka creates the file empty
    /// when it first opens a checkpoint).
    ///
    /// - Throws: `StrataFormatError` naming the file and line: `unsupportedVersion`,
    ///   `malformedLine`, `entryCountMismatch`; `StrataIOError` when reading fails.
    public func read() throws -> [Format.Entry] {
        guard let bytes = try fileSystem.readWholeFileIfPresent(path) else { return [] }
        return try Self.decode(bytes, path: path)
    }

    /// Replaces the file with `entries`, in the order given.
    ///
    /// Writes `<path>.tmp`, fsyncs it, renames it over `path` and fsyncs the directory, so a
    /// crash leaves either the old or the new file.
    ///
    /// - Throws: `StrataIOError` when a step fails.
    public func write(_ entries: [Format.Entry]) throws(StrataIOError) {
        try fileSystem.writeAtomically(Self.encode(entries), to: path)
    }

    /// The bytes of a checkpoint file holding `entries`, in the order given.
    public static func encode(_ entries: [Format.Entry]) -> ByteBuffer {
        var text = "\(Format.version)\n\(entries.count)\n"
        for entry in entries {
            text += Format.line(for: entry)
            text += "\n"
        }
        return ByteBuffer(string: text)
    }

    /// The entries of a checkpoint file's bytes, in file order.
    ///
    /// - Parameters:
    ///   - bytes: The whole file (its readable bytes).
    ///   - path: The file's name, for errors.
    /// - Throws: `StrataFormatError` with the 1-based line and its byte position:
    ///   `unsupportedVersion` when the version line holds another version, `malformedLine`
    ///   for a line that is not a number (version, count) or not an entry, or not UTF-8;
    ///   `entryCountMismatch` when the number of entry lines differs from the count line.
    public static func decode(_ bytes: ByteBuffer, path: String? = nil) throws(StrataFormatError) -> [Format.Entry] {
        let lines = TextLines(bytes)
        if lines.isEmpty { return [] }

        func failure(_ code: StrataFormatError.Code, _ message: String, line: Int) -> StrataFormatError {
            StrataFormatError(code, message, file: path, position: lines.position(ofLine: line), line: line)
        }
        func text(_ number: Int) throws(StrataFormatError) -> Substring {
            guard number <= lines.count else {
                throw failure(.malformedLine, "checkpoint file ends before line \(number)", line: number)
            }
            guard let text = lines.text(ofLine: number) else {
                throw failure(.malformedLine, "line is not valid UTF-8", line: number)
            }
            return text
        }

        let versionText = try text(1)
        guard let version = Int32(versionText) else {
            throw failure(.malformedLine, "malformed version line \"\(versionText)\" in checkpoint file", line: 1)
        }
        guard version == Format.version else {
            throw failure(.unsupportedVersion, "unsupported checkpoint version \(version) (expected \(Format.version))", line: 1)
        }
        let countText = try text(2)
        guard let count = Int32(countText), count >= 0 else {
            throw failure(.malformedLine, "malformed entry count line \"\(countText)\" in checkpoint file", line: 2)
        }

        var entries: [Format.Entry] = []
        entries.reserveCapacity(min(Int(count), lines.count - 2))
        var number = 3
        while number <= lines.count {
            let line = try text(number)
            guard let entry = Format.entry(fromFields: javaWhitespaceFields(line)) else {
                throw failure(.malformedLine, "malformed checkpoint entry \"\(line)\" (expected \(Format.entryShape))", line: number)
            }
            entries.append(entry)
            number += 1
        }
        if entries.count != Int(count) {
            let line = entries.count > Int(count) ? 3 + Int(count) : number
            throw failure(.entryCountMismatch, "checkpoint file declares \(count) entries but holds \(entries.count)", line: line)
        }
        return entries
    }
}

/// True for the characters Java's regular-expression `\s` matches: space, \t, \n, \u{0B}, \f, \r.
func isJavaWhitespace(_ character: Character) -> Bool {
    switch character {
    case " ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\r\n": true
    default: false
    }
}

/// The fields of `line` as Java's `line.split("\\s+")` returns them: separated by runs of
/// whitespace, with an empty first field when the line starts with whitespace and nothing for
/// trailing whitespace.
func javaWhitespaceFields(_ line: Substring) -> [Substring] {
    var fields = line.split(whereSeparator: isJavaWhitespace)
    if !fields.isEmpty, let first = line.first, isJavaWhitespace(first) {
        fields.insert(line[line.startIndex..<line.startIndex], at: 0)
    }
    return fields
}

/// The lines of a small text file, found once: split at `\n`, a final `\r` dropped from each,
/// and no empty line after a final `\n`.
struct TextLines {
    private let bytes: [UInt8]
    /// Start and end (exclusive, before `\r\n` or `\n`) of each line.
    private var ranges: [Range<Int>] = []

    init(_ buffer: ByteBuffer) {
        bytes = Array(buffer.readableBytesView)
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            ranges.append(start..<index)
            start = index + 1
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        ranges = ranges.map { range in
            range.isEmpty || bytes[range.upperBound - 1] != UInt8(ascii: "\r") ? range : range.lowerBound..<(range.upperBound - 1)
        }
    }

    /// No lines at all (a zero-byte file).
    var isEmpty: Bool { ranges.isEmpty }
    /// The number of lines.
    var count: Int { ranges.count }

    /// Line `number` (1-based) decoded as UTF-8; nil when it is not valid UTF-8.
    func text(ofLine number: Int) -> Substring? {
        String(validating: bytes[ranges[number - 1]], as: UTF8.self).map { Substring($0) }
    }

    /// The byte position where line `number` (1-based) starts, or the end for a line past the last.
    func position(ofLine number: Int) -> Int {
        number <= ranges.count ? ranges[number - 1].lowerBound : bytes.count
    }
}

extension FileSystem {
    /// Reads a whole (small) file; nil when it does not exist.
    func readWholeFileIfPresent(_ path: String, limit: Int = 64 << 20) throws(StrataIOError) -> ByteBuffer? {
        do {
            return try readWholeFile(path, limit: limit)
        } catch {
            if error.call == "open" && error.errno == 2 /* ENOENT */ { return nil }
            throw error
        }
    }
}
