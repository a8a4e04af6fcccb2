/// Kafka's file names inside a partition directory: a 20-digit zero-padded offset, then a suffix.
///
/// Segment files are `<base offset>.log`, `.index`, `.timeindex` and `.txnindex`; producer
/// snapshots are `<offset>.snapshot`. A file on its way out or in gets a second suffix
/// (`00000000000000000000.log.deleted`, `.cleaned`, `.swap`). The offset is read back from the
/// part of the name before the first `.`.
public enum SegmentFileName {
    /// The data file of a segment.
    public static let logSuffix = ".log"
    /// The offset index of a segment.
    public static let indexSuffix = ".index"
    /// The time index of a segment.
    public static let timeIndexSuffix = ".timeindex"
    /// The aborted-transaction index of a segment.
    public static let transactionIndexSuffix = ".txnindex"
    /// A producer state snapshot.
    public static let snapshotSuffix = ".snapshot"
    /// Appended to a file scheduled for asynchronous deletion.
    public static let deletedSuffix = ".deleted"
    /// Appended to the cleaner's (or a split's) output before it is committed.
    public static let cleanedSuffix = ".cleaned"
    /// Appended to a finished replacement segment that is being swapped in.
    public static let swapSuffix = ".swap"

    /// The number of digits in the offset part of a name.
    public static let digits = 20

    /// The name prefix for `offset`: its decimal digits, zero-padded to 20 characters.
    ///
    /// `prefix(for: 42)` is `00000000000000000042`. A negative offset (never valid in a
    /// file name) is written as `-` followed by the padded magnitude, as Java's formatter does.
    public static func prefix(for offset: Int64) -> String {
        let digits = String(offset.magnitude)
        let padded = String(repeating: "0", count: max(0, Self.digits - digits.count)) + digits
        return offset < 0 ? "-" + padded : padded
    }

    /// The file name for `offset` with `suffix` (for example ``logSuffix``).
    public static func name(for offset: Int64, suffix: String) -> String {
        prefix(for: offset) + suffix
    }

    /// The offset a file name starts with: the part before the first `.`, read as a decimal.
    ///
    /// Returns nil when that part is empty, holds anything but ASCII digits, or does not fit an
    /// `Int64`. Any number of digits is accepted (Kafka parses the prefix, it does not check its
    /// width).
    public static func baseOffset(of fileName: String) -> Int64? {
        let utf8 = fileName.utf8
        let end = utf8.firstIndex(of: UInt8(ascii: ".")) ?? utf8.endIndex
        return parseDecimal(utf8[utf8.startIndex..<end])
    }

    /// A non-negative decimal made only of ASCII digits, or nil.
    static func parseDecimal(_ digits: Substring.UTF8View) -> Int64? {
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
