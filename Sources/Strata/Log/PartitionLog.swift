import Logging
import NIOConcurrencyHelpers
import NIOCore

/// One partition directory (`<topic>-<partition>/`): an ordered list of segments with a single
/// writer and many concurrent readers, in Kafka's exact on-disk format.
///
/// Leaders append client batches (``appendAsLeader(_:leaderEpoch:durability:)``: validated,
/// offsets assigned, idempotent retries detected); followers append batches whose offsets are
/// already assigned (``appendAsFollower(_:)``). Readers fetch whole stored batches by offset
/// (``read(from:maxBytes:isolation:minOneBatch:)``) or look offsets up by time. Segments roll on
/// size, time, full indexes and offset overflow; retention deletes whole old segments; opening
/// after an unclean shutdown recovers every segment past the recovery point.
public final class PartitionLog: @unchecked Sendable {
    /// The partition directory.
    public let directory: String
    /// The topic and partition, from the directory name.
    public let topicPartition: TopicPartition
    /// The storage settings.
    public let config: LogConfig
    /// True when opened for reading only: nothing on disk is ever changed.
    public let isReadOnly: Bool
    let fileSystem: any FileSystem
    let clock: @Sendable () -> Int64
    let logger: Logger
    let limits: DecodingLimits
    /// Serializes writers (appends, rolls, truncation, retention, flushes).
    let writeLock = NIOLock()
    /// Guards the published state below; held briefly, never across I/O.
    let stateLock = NIOLock()
    var segments: [LogSegment]
    var _logStartOffset: Int64
    var _logEndOffset: Int64
    var _highWatermark: Int64
    var _recoveryPoint: Int64
    var producerState: ProducerStateManager
    let leaderEpochCache: LeaderEpochCache?
    var unflushedMessages: Int64 = 0
    var lastFlushTime: Int64
    var pendingDeletions: [(paths: [String], deadline: Int64)] = []
    let context = CodecContext()
    /// What opening the directory found and did.
    public internal(set) var loadReport = LoadReport()
    /// When true (the default for an embedded, unreplicated log), every append advances the
    /// high watermark to the log end offset. A replicating broker sets it false and calls
    /// ``updateHighWatermark(_:)``.
    public var autoAdvanceHighWatermark: Bool {
        get { stateLock.withLock { _autoAdvance } }
        set { stateLock.withLock { _autoAdvance = newValue } }
    }
    var _autoAdvance = true
    /// Set when an I/O error left the files out of step with the published state: every later
    /// append, flush, close and read fails until the log is opened again.
    var _storageFailure: String?

    init(directory: String, topicPartition: TopicPartition, config: LogConfig, isReadOnly: Bool, fileSystem: any FileSystem,
         clock: @escaping @Sendable () -> Int64, logger: Logger, limits: DecodingLimits, segments: [LogSegment],
         logStartOffset: Int64, logEndOffset: Int64, recoveryPoint: Int64, producerState: ProducerStateManager,
         leaderEpochCache: LeaderEpochCache?) {
        self.directory = directory
        self.topicPartition = topicPartition
        self.config = config
        self.isReadOnly = isReadOnly
        self.fileSystem = fileSystem
        self.clock = clock
        self.logger = logger
        self.limits = limits
        self.segments = segments
        self._logStartOffset = logStartOffset
        self._logEndOffset = logEndOffset
        self._highWatermark = logEndOffset
        self._recoveryPoint = recoveryPoint
        self.producerState = producerState
        self.leaderEpochCache = leaderEpochCache
        self.lastFlushTime = clock()
    }

    // MARK: - Published state

    /// The first offset readers may fetch.
    public var logStartOffset: Int64 { stateLock.withLock { _logStartOffset } }
    /// The offset the next record will get.
    public var logEndOffset: Int64 { stateLock.withLock { _logEndOffset } }
    /// The offset below which data is committed (replicated); readers see no further.
    public var highWatermark: Int64 { stateLock.withLock { _highWatermark } }
    /// The offset below which everything is known to be fsynced.
    public var recoveryPoint: Int64 { stateLock.withLock { _recoveryPoint } }
    /// Base offsets of the segments, oldest first.
    public var segmentBaseOffsets: [Int64] { stateLock.withLock { segments.map(\.baseOffset) } }
    /// Total bytes of all `.log` files.
    public var sizeInBytes: Int { stateLock.withLock { segments.reduce(0) { $0 + $1.size } } }
    /// The segments, oldest first (for tools; do not write through them).
    public var allSegments: [LogSegment] { stateLock.withLock { segments } }
    /// The leader epoch entries (epoch, start offset).
    public var leaderEpochs: [EpochEntry] { leaderEpochCache?.epochEntries ?? [] }
    /// The producers known to the log.
    public var producers: [Int64: ProducerState] { writeLock.withLock { producerState.producers } }

    /// The last stable offset: below the first open transaction and the high watermark.
    public var lastStableOffset: Int64 {
        let unstable = writeLock.withLock { producerState.firstUnstableOffset }
        let hw = highWatermark
        return min(unstable ?? hw, hw)
    }

    /// Sets the high watermark (a replicating leader: the offset every in-sync replica has);
    /// clamped to [log start, log end].
    public func updateHighWatermark(_ offset: Int64) {
        stateLock.withLock { _highWatermark = min(max(offset, _logStartOffset), _logEndOffset) }
    }

    func ensureWritable() throws(AppendError) {
        guard !isReadOnly else { throw AppendError(code: .readOnly, message: "\(directory) is open read-only") }
        try ensureNotFailed()
    }

    /// Throws when an earlier I/O error left the files out of step (see ``AppendError/Code/storageFailed``).
    func ensureNotFailed() throws(AppendError) {
        if let failure = stateLock.withLock({ _storageFailure }) {
            throw AppendError(code: .storageFailed, message: "\(directory) must be opened again: \(failure)")
        }
    }

    var activeSegment: LogSegment { stateLock.withLock { segments[segments.count - 1] } }
}

/// What opening a partition directory found and did, for operators.
public struct LoadReport: Sendable, Hashable {
    /// Whether the directory was closed cleanly.
    public var cleanShutdown = true
    /// One line per action (files removed, swaps completed, segments recovered or truncated).
    public var actions: [String] = []
    /// Bytes cut from torn or corrupt tails.
    public var truncatedBytes = 0
    /// Segments whose indexes were rebuilt.
    public var rebuiltSegments: [Int64] = []
}

/// How durable an append must be before it returns.
public enum AppendDurability: Sendable, Hashable {
    /// Written to the file; flushed by the flush policy (`flush.messages`, `flush.ms`).
    case written
    /// Fsynced before returning (`acks=all` on a single node).
    case fsynced
}

/// Where an append landed.
public struct AppendResult: Sendable, Hashable {
    /// Offset of the first record.
    public var firstOffset: Int64
    /// Offset of the last record.
    public var lastOffset: Int64
    /// The broker's append time when the topic uses LogAppendTime, else nil.
    public var logAppendTime: Int64?
    /// True when the batch repeated one already in the log (an idempotent retry): nothing
    /// was written and the offsets are the original ones.
    public var isDuplicate: Bool
}
