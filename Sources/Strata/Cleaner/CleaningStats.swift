/// What cleaning one partition did, counted record by record (for `strata-compact --explain`
/// and for tests).
public struct CleaningStats: Sendable, Hashable, Codable {
    /// Records in the segments read (data and control).
    public var recordsRead = 0
    /// Records written back.
    public var recordsWritten = 0
    /// Bytes of the segments read.
    public var bytesRead = 0
    /// Bytes of the segments written.
    public var bytesWritten = 0
    /// Distinct keys in the offset map, summed over passes.
    public var keysMapped = 0
    /// Records removed because a later record has the same key.
    public var supersededRecordsRemoved = 0
    /// Records without a key removed (compacted topics should not hold them).
    public var keylessRecordsRemoved = 0
    /// Tombstones kept: their delete horizon has not passed (or was set by this cleaning).
    public var tombstonesKept = 0
    /// Tombstones removed because their delete horizon had passed.
    public var tombstonesRemoved = 0
    /// Batches given a delete horizon by this cleaning (tombstones or discardable markers).
    public var horizonsSet = 0
    /// Records of aborted transactions removed.
    public var abortedRecordsRemoved = 0
    /// Transaction markers kept.
    public var markersKept = 0
    /// Transaction markers removed (their transaction had no data left and the horizon passed).
    public var markersRemoved = 0
    /// Batches kept as empty (count 0) batches: a producer's last batch, or a segment's last.
    public var emptyBatchesKept = 0
    /// Batches copied byte for byte.
    public var batchesCopied = 0
    /// Batches re-encoded with fewer records or a new delete horizon.
    public var batchesRebuilt = 0
    /// Batches removed entirely.
    public var batchesRemoved = 0
    /// Segments rewritten.
    public var segmentsRewritten = 0
    /// Segments the rewriting produced.
    public var segmentsProduced = 0
    /// Passes over the log (more than one when the offset map filled up).
    public var passes = 0

    public init() {}
}
