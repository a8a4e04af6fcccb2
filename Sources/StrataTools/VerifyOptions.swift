import Foundation
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
    /// Threads that scan one `.log` together, each reading and checking its own part of the
    /// file, and the small segments of a partition a file per thread (the findings are the
    /// same for every value). Values below 1 count as 1; the default is the number of active
    /// processors.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// A `.log` smaller than this is scanned by one thread (splitting it costs more than it
    /// saves). Tests lower it to split small files.
    var minimumSplitBytes = 8 << 20
    /// The smallest share of a file worth a thread. Tests lower it.
    var minimumShareBytes = LogScanSplit.minimumShareBytes
    /// How far past its share's start a thread looks for the first batch to begin at.
    var boundarySearchBytes = 4 << 20

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
