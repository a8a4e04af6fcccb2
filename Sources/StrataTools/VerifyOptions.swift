import Strata

/// What `strata-verify` checks and how it reports.
public struct VerifyOptions: Sendable {
    /// Parse every record of every batch (counts, offsets, decompression), not only CRCs.
    public var deep = false
    /// NDJSON findings and summary instead of text.
    public var json = false
    /// A batch timestamp more than this many milliseconds after `now` is reported.
    public var futureThresholdMs: Int64 = 24 * 3_600_000
    /// The wall clock the future-timestamp check compares with.
    public var now: Int64 = systemMilliseconds()
    /// Ceilings for entry and decompressed sizes.
    public var limits = DecodingLimits.default

    /// The defaults: CRC pass, text output, one day of future tolerance.
    public init() {}
}

/// Counts shown in the summary.
public struct VerifyStats: Sendable, Hashable {
    /// Files examined.
    public var files = 0
    /// `.log` segments (and KRaft snapshot files) scanned.
    public var segments = 0
    /// Top-level entries read.
    public var batches = 0
    /// Records (exact with `--deep`; v2 header counts otherwise).
    public var records = 0
    /// Bytes of log data read.
    public var bytes = 0
}
