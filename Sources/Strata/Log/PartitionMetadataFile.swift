import NIOCore

/// What `partition.metadata` records: its version and the topic's id.
public struct PartitionMetadata: Hashable, Sendable {
    /// The file's version (Kafka writes 0 and accepts any version ≥ 0).
    public var version: Int32
    /// The id of the topic the partition belongs to.
    public var topicID: TopicID

    /// Creates the metadata.
    public init(version: Int32 = PartitionMetadataFile.currentVersion, topicID: TopicID) {
        self.version = version
        self.topicID = topicID
    }
}

/// A partition directory's `partition.metadata`: the id of its topic.
///
/// The file is exactly two lines, and the second has **no** trailing newline:
///
/// ```
/// version: 0
/// topic_id: LJ-0nObETNu9zQf653GiTA
/// ```
///
/// Reading follows Kafka's reader: each of the first two lines is split at `:` followed by
/// whitespace and must give two parts (the key names are not checked); the version must be a
/// number ≥ 0; the id must be 16 bytes of URL-safe base64 and not all zeros. Anything after the
/// second line is ignored.
public struct PartitionMetadataFile: Sendable {
    /// The file name inside a partition directory.
    public static let fileName = "partition.metadata"
    /// The version this library writes.
    public static let currentVersion: Int32 = 0

    /// Where the file lives.
    public let path: String
    /// The file system every access goes through.
    public let fileSystem: any FileSystem

    /// Describes the file at `path`.
    public init(path: String, fileSystem: any FileSystem = PosixFileSystem()) {
        self.path = path
        self.fileSystem = fileSystem
    }

    /// Describes the file of the partition directory `partitionDirectory`.
    public init(partitionDirectory: String, fileSystem: any FileSystem = PosixFileSystem()) {
        self.init(path: partitionDirectory + "/" + Self.fileName, fileSystem: fileSystem)
    }

    /// True when the file exists.
    public func exists() -> Bool { fileSystem.exists(path) }

    /// Reads the file.
    ///
    /// - Throws: `StrataFormatError` naming the file and line (`malformedLine`,
    ///   `unsupportedVersion` for a negative version, `invalidValue` for the all-zero id);
    ///   `StrataIOError` when the file is missing or reading fails.
    public func read() throws -> PartitionMetadata {
        try Self.decode(try fileSystem.readWholeFile(path, limit: 1 << 20), path: path)
    }

    /// Replaces the file with version 0 and `topicID`, atomically and durably (`.tmp`, fsync,
    /// rename, fsync of the directory).
    ///
    /// - Precondition: `topicID` is not ``TopicID/zero`` (no reader would accept it).
    /// - Throws: `StrataIOError` when writing, syncing or renaming fails.
    public func write(topicID: TopicID) throws(StrataIOError) {
        precondition(topicID != .zero, "the all-zero topic id cannot be stored in partition.metadata")
        try fileSystem.writeAtomically(Self.encode(topicID: topicID), to: path)
    }

    /// The bytes of the file for `topicID`: `version: 0\ntopic_id: <id>`, without a final newline.
    public static func encode(topicID: TopicID) -> ByteBuffer {
        ByteBuffer(string: "version: \(currentVersion)\ntopic_id: \(topicID.base64URL)")
    }

    /// The metadata in a file's bytes.
    ///
    /// - Parameters:
    ///   - bytes: The whole file (its readable bytes).
    ///   - path: The file's name, for errors.
    /// - Throws: `StrataFormatError` with the line and its byte position: `malformedLine` when a
    ///   line is missing, does not split into two parts at `:` plus whitespace, or holds no
    ///   number or no base64url id; `unsupportedVersion` for a negative version; `invalidValue`
    ///   for the all-zero id.
    public static func decode(_ bytes: ByteBuffer, path: String? = nil) throws(StrataFormatError) -> PartitionMetadata {
        let lines = TextLines(bytes)
        func failure(_ code: StrataFormatError.Code, _ message: String, line: Int) -> StrataFormatError {
            StrataFormatError(code, message, file: path, position: lines.position(ofLine: line), line: line)
        }
        func value(ofLine number: Int, _ what: String) throws(StrataFormatError) -> Substring {
            guard number <= lines.count else {
                throw failure(.malformedLine, "partition metadata file ends before its \(what) line", line: number)
            }
            guard let text = lines.text(ofLine: number) else {
                throw failure(.malformedLine, "line is not valid UTF-8", line: number)
            }
            let parts = splitAtColonWhitespace(text)
            guard parts.count == 2 else {
                throw failure(.malformedLine, "malformed \(what) line \"\(text)\" in partition metadata (expected \"key: value\")", line: number)
            }
            return parts[1]
        }

        let versionText = try value(ofLine: 1, "version")
        guard let version = Int32(versionText) else {
            throw failure(.malformedLine, "malformed version \"\(versionText)\" in partition metadata", line: 1)
        }
        guard version >= 0 else {
            throw failure(.unsupportedVersion, "unsupported partition metadata version \(version)", line: 1)
        }
        let idText = try value(ofLine: 2, "topic_id")
        guard let topicID = TopicID(base64URL: idText) else {
            throw failure(.malformedLine, "malformed topic id \"\(idText)\" in partition metadata (expected 22 characters of URL-safe base64)", line: 2)
        }
        guard topicID != .zero else {
            throw failure(.invalidValue, "invalid topic id \(topicID) (all zeros) in partition metadata", line: 2)
        }
        return PartitionMetadata(version: version, topicID: topicID)
    }
}

/// `line` split as Java's `line.split(":\\s+")` splits it: at each `:` followed by one or more
/// whitespace characters, with trailing empty parts dropped.
func splitAtColonWhitespace(_ line: Substring) -> [Substring] {
    var parts: [Substring] = []
    var start = line.startIndex
    var index = line.startIndex
    while index < line.endIndex {
        let next = line.index(after: index)
        if line[index] == ":", next < line.endIndex, isJavaWhitespace(line[next]) {
            parts.append(line[start..<index])
            var end = next
            while end < line.endIndex, isJavaWhitespace(line[end]) { end = line.index(after: end) }
            start = end
            index = end
        } else {
            index = next
        }
    }
    parts.append(line[start...])
    while let last = parts.last, last.isEmpty { parts.removeLast() }
    return parts
}
