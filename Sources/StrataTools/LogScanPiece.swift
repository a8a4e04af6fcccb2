/// What one thread learned about a run of consecutive entries of a `.log`: every check that
/// needs only the entry itself. The checks that depend on the entries before it (offset order,
/// the base offset and its "later ones not repeated" rule) are made when the pieces are joined
/// in file order, by `Verifier.scanLog`.
struct LogScanPiece: Sendable {
    /// How a piece ends.
    enum End: Sendable {
        /// The next entry starts at this position, at or past the piece's limit: the scan goes
        /// on from there.
        case boundary(Int)
        /// The data ends cleanly at this position.
        case endOfData(position: Int)
        /// Nothing more can be read from the finding's position on: framing is lost, the last
        /// entry is torn, or stray bytes follow it.
        case tail(VerifyFinding)
        /// The file is not in Kafka's format (its first entry is unreadable).
        case foreign(VerifyFinding)
        /// Reading failed at this position.
        case unreadable(position: Int, VerifyFinding)
    }

    /// Where the piece's first entry starts.
    var start: Int
    /// Why the piece ends.
    var end: End = .endOfData(position: 0)
    /// The entries from `start` on, in file order, 48 bytes each: a piece holds every entry of
    /// its share until the join, so the rare parts (findings, ABORT markers) are kept apart.
    private var stored: [StoredEntry] = []
    private var findings: [Int: [VerifyFinding]] = [:]
    private var abortMarkers: [Int: (offset: Int64, producerId: Int64)] = [:]

    init(start: Int) {
        self.start = start
    }

    /// Adds the next entry.
    mutating func append(_ entry: ScannedEntry) {
        if !entry.findings.isEmpty { findings[stored.count] = entry.findings }
        if let marker = entry.abortMarker { abortMarkers[stored.count] = marker }
        stored.append(StoredEntry(entry))
    }

    /// Calls `body` with each entry, in file order.
    func forEachEntry(_ body: (ScannedEntry) -> Void) {
        for index in stored.indices {
            body(stored[index].entry(findings: findings[index] ?? [], abortMarker: abortMarkers[index]))
        }
    }

    /// An entry without its findings and ABORT marker.
    private struct StoredEntry: Sendable {
        var position: Int
        var firstOffset: Int64
        var lastOffset: Int64
        var maxTimestamp: Int64
        var size: UInt32
        var records: UInt32
        var kind: Kind

        /// ``ScannedEntry/Verdict`` without its offsets (they are stored beside it).
        enum Kind: UInt8 {
            case unframed, damaged, kept, checkedNotKept
        }

        init(_ entry: ScannedEntry) {
            position = entry.position
            maxTimestamp = entry.maxTimestamp
            // An entry is at most 12 bytes more than Int32.max; a batch's records fit in UInt32.
            size = UInt32(clamping: entry.size)
            records = UInt32(clamping: entry.records)
            switch entry.verdict {
            case .unframed: (kind, firstOffset, lastOffset) = (.unframed, 0, 0)
            case .damaged: (kind, firstOffset, lastOffset) = (.damaged, 0, 0)
            case .checked(let first, let last, let keep): (kind, firstOffset, lastOffset) = (keep ? .kept : .checkedNotKept, first, last)
            }
        }

        func entry(findings: [VerifyFinding], abortMarker: (offset: Int64, producerId: Int64)?) -> ScannedEntry {
            let verdict: ScannedEntry.Verdict = switch kind {
            case .unframed: .unframed
            case .damaged: .damaged
            case .kept, .checkedNotKept: .checked(firstOffset: firstOffset, lastOffset: lastOffset, keep: kind == .kept)
            }
            return ScannedEntry(position: position, size: Int(size), verdict: verdict, maxTimestamp: maxTimestamp, records: Int(records),
                                abortMarker: abortMarker, findings: findings)
        }
    }
}

/// One entry as a thread saw it: its place, what it is, and its own findings.
struct ScannedEntry: Sendable {
    /// What the entry-local checks made of the entry.
    enum Verdict: Sendable {
        /// Its framing is broken but its size field frames it (a `corruptEntry` finding).
        case unframed
        /// A whole entry whose CRC or first offset is bad.
        case damaged
        /// A whole entry with a good CRC; `keep` is false when `--deep` found its records bad.
        case checked(firstOffset: Int64, lastOffset: Int64, keep: Bool)
    }

    var position: Int
    /// Bytes with the 12-byte prefix (for an unframed entry, what its size field frames).
    var size: Int
    var verdict: Verdict
    var maxTimestamp: Int64 = 0
    /// Records to count: the header's count, or with `--deep` the records decoded.
    var records = 0
    /// An ABORT control batch: its offset and producer id.
    var abortMarker: (offset: Int64, producerId: Int64)? = nil
    /// The entry's own findings, in the order they are reported (after the order checks).
    var findings: [VerifyFinding] = []

    /// The entry's bytes.
    var range: Range<Int> { position..<(position + size) }
}
