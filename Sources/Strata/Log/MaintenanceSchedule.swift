/// How often a data directory's background tasks run, named after Kafka's broker settings.
/// Started by ``LogManager/startMaintenance(_:)``; every interval is in milliseconds.
public struct MaintenanceSchedule: Sendable, Hashable {
    /// `log.retention.check.interval.ms`: `retention.ms` and `retention.bytes` applied to every
    /// partition (Kafka's default: 5 minutes).
    public var retentionCheckIntervalMs: Int64 = 300_000
    /// `log.flush.scheduler.interval.ms`: partitions whose `flush.ms` has passed are flushed.
    /// Kafka's default never runs it; here once a second, which does nothing unless a topic
    /// sets `flush.ms`.
    public var flushCheckIntervalMs: Int64 = 1_000
    /// `log.flush.offset.checkpoint.interval.ms` (and the log-start-offset one): the
    /// recovery-point and log-start-offset checkpoints are written (default: 1 minute).
    public var checkpointIntervalMs: Int64 = 60_000
    /// How often segments renamed `.deleted` are checked against `file.delete.delay.ms`.
    public var deletionCheckIntervalMs: Int64 = 1_000

    /// Kafka's defaults.
    public init() {}
}
