/// One problem `strata-verify` found: what kind, where (file, byte position, offset), what the
/// file declared and what was computed from the bytes.
public struct VerifyFinding: Sendable, Hashable {
    /// The kind of problem; its raw value is the stable name used in text and JSON output.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A file that is not in Kafka's format at all (another system's segment).
        case notKafkaFormat
        /// An entry whose framing is broken (size below 14, over the limit, unknown magic).
        case corruptEntry
        /// A batch or message whose stored CRC does not match its bytes.
        case crcMismatch
        /// The last entry declares more bytes than the file has (a torn write).
        case partialTail
        /// 1–17 bytes after the last entry, too few to be one.
        case trailingBytes
        /// With `--deep`: records that do not parse or decompress.
        case invalidRecords
        /// With `--deep`: the header's record count or offsets disagree with the records.
        case recordCountMismatch
        /// Offsets not strictly increasing across batches or segments.
        case offsetOrder
        /// A batch whose offset is below the segment's base offset (the file name).
        case baseOffsetMismatch
        /// A batch whose last offset cannot be stored relative to the base offset.
        case offsetOverflow
        /// A timestamp further in the future than the threshold.
        case futureTimestamp
        /// An index file whose length is not a whole number of entries.
        case indexLength
        /// A run of all-zero index entries after the first (a hole, or an untrimmed tail).
        case indexZeroRun
        /// An offset index entry that does not point at the start of a valid batch.
        case indexPosition
        /// An offset index entry whose offset is not the last offset of the batch it names.
        case indexOffsetMismatch
        /// Index entries out of order.
        case indexOrder
        /// A time index entry whose offset lies in no batch of the segment.
        case timeIndexOffset
        /// A time index entry whose timestamp is not the max timestamp of its batch.
        case timeIndexMismatch
        /// A `.txnindex` that does not parse or disagrees with the control batches.
        case transactionIndex
        /// An index file whose `.log` is missing.
        case indexWithoutLog
        /// A producer snapshot that does not parse (version, CRC, size).
        case snapshotCorrupt
        /// A producer snapshot beyond the log end offset.
        case snapshotBeyondLog
        /// A checkpoint file that does not parse.
        case checkpointCorrupt
        /// A checkpoint entry outside the partition's log.
        case checkpointOutOfRange
        /// A `partition.metadata` that does not parse.
        case partitionMetadata
        /// A leftover `.swap`, `.cleaned` or `.deleted` file.
        case leftoverFile
        /// A file that could not be read (an I/O error, not corruption).
        case unreadable
    }

    /// The kind of problem.
    public var kind: Kind
    /// The file (as reached from the path given).
    public var file: String
    /// The byte position in the file, when the problem has one.
    public var position: Int?
    /// The offset concerned, when known.
    public var offset: Int64?
    /// What the file says.
    public var declared: String?
    /// What the bytes say.
    public var computed: String?
    /// A sentence for people.
    public var message: String

    /// Creates a finding.
    public init(_ kind: Kind, file: String, position: Int? = nil, offset: Int64? = nil,
                declared: String? = nil, computed: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.position = position
        self.offset = offset
        self.declared = declared
        self.computed = computed
        self.message = message
    }

    /// `file:position: kind: message (offset O, declared D, computed C)`.
    public var textLine: String {
        var details: [String] = []
        if let offset { details.append("offset \(offset)") }
        if let declared { details.append("declared \(declared)") }
        if let computed { details.append("computed \(computed)") }
        let location = position.map { "\(file):\($0)" } ?? file
        return "\(location): \(kind.rawValue): \(message)" + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")")
    }

    /// `{"type":"finding","kind",…}` (the contract in the README).
    public var jsonLine: String {
        var line = JSONLine()
        line.add("type", "finding")
        line.add("kind", kind.rawValue)
        line.add("file", file)
        line.add("position", position)
        line.add("offset", offset)
        line.add("declared", declared)
        line.add("computed", computed)
        line.add("message", message)
        return line.text
    }
}
