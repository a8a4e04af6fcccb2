import CoreMetrics
import Strata
import Dispatch
import NIOConcurrencyHelpers

/// The metrics a data directory reports through the `MetricsFactory` it was opened with (none
/// by default: the library never bootstraps the global `MetricsSystem`).
///
/// | label | kind | dimensions |
/// | --- | --- | --- |
/// | `strata_produced_records_total` | counter | topic |
/// | `strata_produced_bytes_total` | counter (batch bytes as stored) | topic |
/// | `strata_append_duration` | timer (one batch append, fsync included for acks=all) | topic |
/// | `strata_consumed_records_total` | counter | topic, group |
/// | `strata_consumed_bytes_total` | counter (key + value bytes) | topic, group |
/// | `strata_fetch_duration` | timer (one partition fetch) | topic |
/// | `strata_consumer_lag` | gauge (high watermark − position) | topic, partition, group |
final class TopicsMetrics: Sendable {
    let factory: any MetricsFactory
    private let counters = NIOLockedValueBox([String: Counter]())
    private let timers = NIOLockedValueBox([String: CoreMetrics.Timer]())
    private let gauges = NIOLockedValueBox([String: Gauge]())

    init(factory: (any MetricsFactory)?) {
        self.factory = factory ?? NOOPMetricsHandler.instance
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = Self.key(label, dimensions)
        return counters.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
    }

    func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        let key = Self.key(label, dimensions)
        return timers.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = Self.key(label, dimensions)
        return gauges.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = Gauge(label: label, dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
    }

    /// The three metrics of appends to one topic, looked up once.
    private struct ProduceMetrics {
        var records: Counter
        var bytes: Counter
        var appendDuration: CoreMetrics.Timer
    }

    /// The two metrics of one group reading one topic, looked up once.
    private struct ConsumeMetrics {
        var records: Counter
        var bytes: Counter
    }

    private struct GroupTopic: Hashable {
        var topic: String
        var group: String
    }

    private struct GroupPartition: Hashable {
        var partition: TopicPartition
        var group: String
    }

    private let produce = NIOLockedValueBox([String: ProduceMetrics]())
    private let consume = NIOLockedValueBox([GroupTopic: ConsumeMetrics]())
    private let fetchTimers = NIOLockedValueBox([String: CoreMetrics.Timer]())
    private let lagGauges = NIOLockedValueBox([GroupPartition: Gauge]())

    func produced(topic: String, records: Int, bytes: Int, nanoseconds: UInt64) {
        // One lookup per batch: the labelled handles are built once per topic.
        let metrics = produce.withLockedValue { cache in
            if let known = cache[topic] { return known }
            let dimensions = [("topic", topic)]
            let made = ProduceMetrics(
                records: counter("strata_produced_records_total", dimensions), bytes: counter("strata_produced_bytes_total", dimensions),
                appendDuration: timer("strata_append_duration", dimensions))
            cache[topic] = made
            return made
        }
        metrics.records.increment(by: records)
        metrics.bytes.increment(by: bytes)
        metrics.appendDuration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func fetched(topic: String, nanoseconds: UInt64) {
        let fetchTimer = fetchTimers.withLockedValue { cache in
            if let known = cache[topic] { return known }
            let made = timer("strata_fetch_duration", [("topic", topic)])
            cache[topic] = made
            return made
        }
        fetchTimer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func consumed(topic: String, group: String?, records: Int, bytes: Int) {
        let key = GroupTopic(topic: topic, group: group ?? "")
        let metrics = consume.withLockedValue { cache in
            if let known = cache[key] { return known }
            let dimensions = [("topic", key.topic), ("group", key.group)]
            let made = ConsumeMetrics(records: counter("strata_consumed_records_total", dimensions), bytes: counter("strata_consumed_bytes_total", dimensions))
            cache[key] = made
            return made
        }
        metrics.records.increment(by: records)
        metrics.bytes.increment(by: bytes)
    }

    func lag(_ topicPartition: TopicPartition, group: String?, lag: Int64) {
        let key = GroupPartition(partition: topicPartition, group: group ?? "")
        let lagGauge = lagGauges.withLockedValue { cache in
            if let known = cache[key] { return known }
            let made = gauge("strata_consumer_lag", [("topic", topicPartition.topic), ("partition", "\(topicPartition.partition)"), ("group", key.group)])
            cache[key] = made
            return made
        }
        lagGauge.record(lag)
    }
}

/// The monotonic clock in nanoseconds, for durations.
func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
