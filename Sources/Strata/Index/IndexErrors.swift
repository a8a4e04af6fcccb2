extension StrataFormatError.Code {
    /// An index file breaks a rule Kafka checks when it runs its index sanity checks
    /// (spec 3.9): a last entry below the base offset, a last timestamp below the first one,
    /// a file length that is not a whole number of entries, an aborted transaction ending
    /// before the segment starts.
    public static let corruptIndex = StrataFormatError.Code("corruptIndex")
    /// An append to an offset or time index that has no free slot left.
    public static let indexFull = StrataFormatError.Code("indexFull")
    /// An append that would break the order of an index: an offset not above the last one,
    /// a position or timestamp below the last one.
    public static let invalidIndexAppend = StrataFormatError.Code("invalidIndexAppend")
    /// An offset that cannot be stored relative to the segment's base offset: below it, or
    /// more than 2^31-1 above it (Kafka's `IndexOffsetOverflowException`).
    public static let indexOffsetOverflow = StrataFormatError.Code("indexOffsetOverflow")
    /// An index method was called with an argument outside its domain (an entry number past
    /// the end, a size below one entry).
    public static let invalidIndexArgument = StrataFormatError.Code("invalidIndexArgument")
    /// A transaction index entry carries a version this implementation (and Kafka) does not know.
    public static let unsupportedIndexVersion = StrataFormatError.Code("unsupportedIndexVersion")
}

/// Relative offsets as the index files store them: `offset − baseOffset` as an int32 ≥ 0.
enum RelativeOffset {
    /// `offset − baseOffset` when it lies in `0...Int32.max`, else nil.
    static func of(_ offset: Int64, base: Int64) -> Int32? {
        let (difference, overflow) = offset.subtractingReportingOverflow(base)
        guard !overflow, difference >= 0, difference <= Int64(Int32.max) else { return nil }
        return Int32(difference)
    }

    /// The absolute offset of a stored relative offset (wrapping instead of trapping, so a
    /// hostile file with a base offset near Int64.max cannot crash a reader).
    static func absolute(_ relative: Int32, base: Int64) -> Int64 {
        base &+ Int64(relative)
    }
}
