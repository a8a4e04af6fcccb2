import Atomics
import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import Strata

/// How to open a data directory for topics.
public struct TopicsOptions: Sendable {
    /// Where metrics go; nil reports none. The library never bootstraps `MetricsSystem`.
    public var metricsFactory: (any MetricsFactory)?
    /// Where diagnostics go.
    public var logger = Logger(label: "strata.topics")
    /// Storage options (file system, clock, decoding limits) passed to every partition log.
    public var storage = PartitionOpenOptions()
    /// The background tasks of the data directory (retention, flushes on `flush.ms`, deletion
    /// of `.deleted` files, checkpoints) while it is open; nil runs none.
    public var maintenance: MaintenanceSchedule? = MaintenanceSchedule()
    /// Background compaction of topics with `cleanup.policy=compact` (the committed-offsets
    /// topic among them) while the directory is open, as a broker's `log.cleaner.enable`;
    /// nil runs none.
    public var cleaning: BackgroundCleaningOptions? = BackgroundCleaningOptions()

    /// Defaults: no metrics, the POSIX file system, the system clock.
    public init(metricsFactory: (any MetricsFactory)? = nil) {
        self.metricsFactory = metricsFactory
    }
}

/// The topics of one data directory: create, list, describe, add partitions and delete, and
/// the factory of producers and consumers that share it.
///
/// Each partition is a Kafka partition directory `<data-dir>/<topic>-<partition>/`; a topic's
/// configuration overrides are stored beside them (see ``Strata/LogManager``). The directory
/// is locked while open, so one process at a time uses it; within that process any number of
/// producers and consumers may run concurrently.
///
/// ```swift
/// let topics = try Topics.open(directory: "./strata-data")
/// try topics.create("orders", partitions: 3, config: ["cleanup.policy": "delete"])
/// let producer = topics.makeProducer()
/// let sent = try producer.sendSync(ProducerRecord(topic: "orders", key: "o-1", value: "paid"))
/// ```
public final class Topics: Sendable {
    /// The data directory.
    public let directory: String
    let manager: LogManager
    let notifier = AppendNotifier()
    let metrics: TopicsMetrics
    let logger: Logger
    let offsets: OffsetStore
    let groups: GroupCoordinator
    let clock: @Sendable () -> Int64
    private let adminLock = NIOLock()
    /// Each topic's partition logs, by partition number. Changed only through
    /// ``changeTopicLogs(_:)``, which moves ``topologyVersion`` on.
    private let topicLogs: NIOLockedValueBox<[String: [PartitionLog]]>
    /// Grows whenever a topic's logs change (created, grown, deleted, a log reopened) and on
    /// close: a producer caches each topic's logs and reads this, lock-free, on every send.
    let topologyVersion = ManagedAtomic<Int>(0)
    private let lastProducerId: NIOLockedValueBox<Int64>
    private let isClosed = NIOLockedValueBox(false)

    /// The most partitions a topic may have: `<topic>-<partition>` stays within a 255-byte
    /// file name for the longest legal topic name.
    public static let maxPartitions = 10_000

    /// Opens (creating it if needed) and locks a data directory, recovering its partitions
    /// after an unclean shutdown, and creates the committed-offsets topic on first use.
    ///
    /// - Throws: `DataDirectoryLockedError` when another process (or another `Topics` in this
    ///   one) holds it; `StrataIOError` naming the call and path; recovery errors.
    public static func open(directory: String, options: TopicsOptions = TopicsOptions()) throws -> Topics {
        let manager = try LogManager.open(directory: directory, options: options.storage)
        do {
            let topics = try Topics(directory: directory, manager: manager, options: options)
            if let schedule = options.maintenance { manager.startMaintenance(schedule) }
            if let cleaning = options.cleaning { manager.startBackgroundCleaning(cleaning) }
            return topics
        } catch {
            try? manager.close()
            throw error
        }
    }

    private init(directory: String, manager: LogManager, options: TopicsOptions) throws {
        self.directory = directory
        self.manager = manager
        self.metrics = TopicsMetrics(factory: options.metricsFactory)
        self.logger = options.logger
        self.clock = options.storage.clock
        if manager.partition(OffsetStore.partition) == nil {
            try manager.setConfigOverrides(OffsetStore.config, forTopic: OffsetStore.topic)
            try manager.createPartition(OffsetStore.partition)
        }
        var logs: [String: [PartitionLog]] = [:]
        var incomplete: Set<String> = []
        var maxProducerId: Int64 = 0
        // Sorted by topic, then partition: each topic's logs arrive in partition order.
        for topicPartition in manager.topicPartitions {
            guard let log = manager.partition(topicPartition) else { continue }
            maxProducerId = max(maxProducerId, log.producers.keys.max() ?? 0)
            if Int(topicPartition.partition) != logs[topicPartition.topic, default: []].count { incomplete.insert(topicPartition.topic) }
            logs[topicPartition.topic, default: []].append(log)
        }
        // A directory copied from one broker may hold only some partitions of a topic: such a
        // topic is left alone (not listed, not writable), never completed behind the user's back.
        for topic in incomplete.sorted() {
            logs[topic] = nil
            options.logger.warning("topic skipped: its partition directories are not numbered 0, 1, 2, … without gaps",
                                   metadata: ["topic": "\(topic)", "directory": "\(directory)"])
        }
        self.topicLogs = NIOLockedValueBox(logs)
        self.lastProducerId = NIOLockedValueBox(maxProducerId)
        self.offsets = try OffsetStore(log: manager.partition(OffsetStore.partition)!)
        self.groups = GroupCoordinator(notifier: notifier)
    }

    // MARK: - Administration

    /// Creates a topic with `partitions` partitions and configuration overrides (Kafka topic
    /// configs: `cleanup.policy`, `compression.type`, `segment.bytes`, `retention.ms`,
    /// `retention.bytes`, `max.message.bytes`, …).
    ///
    /// Everything is checked before anything is written; if creating a partition fails, the
    /// partitions already created and the stored overrides are removed again.
    ///
    /// - Throws: ``TopicsError`` `invalidTopicName`, `internalTopic`, `topicExists`,
    ///   `partitionOutOfRange` (a count outside 1…``maxPartitions``), `invalidConfig`;
    ///   `StrataIOError`.
    @discardableResult
    public func create(_ name: String, partitions: Int, config: [String: String] = [:]) throws -> TopicDescription {
        try ensureOpen()
        try TopicName.validate(name)
        guard !TopicName.isInternal(name) else {
            throw TopicsError(.internalTopic, "topic names starting with \"\(TopicName.internalPrefix)\" are reserved for internal topics: \"\(name)\"")
        }
        guard (1...Self.maxPartitions).contains(partitions) else {
            throw TopicsError(.partitionOutOfRange, "a topic has 1 to \(Self.maxPartitions) partitions, not \(partitions)")
        }
        do throws(LogConfig.InvalidValue) {
            _ = try LogConfig(properties: config)
        } catch {
            throw TopicsError(.invalidConfig, "topic \"\(name)\": \(error)")
        }
        try adminLock.withLock {
            if exists(name) {
                throw TopicsError(.topicExists, "topic \"\(name)\" already exists in \(directory)")
            }
            if manager.topicPartitions.contains(where: { $0.topic == name }) {
                throw TopicsError(.topicExists, "\(directory) already holds partition directories of \"\(name)\" (not numbered 0, 1, 2, … without gaps); move them away first")
            }
            if config.isEmpty { try manager.removeConfigOverrides(forTopic: name) } else { try manager.setConfigOverrides(config, forTopic: name) }
            var created: [TopicPartition] = []
            var logs: [PartitionLog] = []
            do {
                for partition in 0..<partitions {
                    let topicPartition = TopicPartition(topic: name, partition: Int32(partition))
                    logs.append(try manager.createPartition(topicPartition))
                    created.append(topicPartition)
                }
            } catch {
                for topicPartition in created { try? manager.deletePartition(topicPartition) }
                try? manager.removeConfigOverrides(forTopic: name)
                throw error
            }
            changeTopicLogs { $0[name] = logs }
        }
        logger.debug("created topic", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
        return try describe(name)
    }

    /// The topics, sorted; internal ones (the committed offsets) only when asked for.
    public func list(includeInternal: Bool = false) -> [String] {
        topicLogs.withLockedValue { Array($0.keys) }.filter { includeInternal || !TopicName.isInternal($0) }.sorted()
    }

    /// Whether the topic exists.
    public func exists(_ name: String) -> Bool { topicLogs.withLockedValue { $0[name] != nil } }

    /// The topic's partitions (with their offsets and sizes) and configuration.
    ///
    /// - Throws: ``TopicsError`` `unknownTopic`.
    public func describe(_ name: String) throws -> TopicDescription {
        let count = try partitionCount(name)
        var partitions: [PartitionDescription] = []
        for partition in 0..<count {
            let log = try partitionLog(TopicPartition(topic: name, partition: Int32(partition)))
            partitions.append(PartitionDescription(
                partition: Int32(partition), logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
                highWatermark: log.highWatermark, durableOffset: log.recoveryPoint, sizeInBytes: log.sizeInBytes,
                segmentCount: log.segmentBaseOffsets.count))
        }
        return TopicDescription(
            name: name, topicID: manager.topicID(of: name)?.description, isInternal: TopicName.isInternal(name),
            configOverrides: manager.configOverrides(forTopic: name), partitions: partitions)
    }

    /// Grows a topic to `count` partitions (Kafka never shrinks one). Keys that hashed to one
    /// partition may hash to another afterwards, as in Kafka.
    ///
    /// - Throws: ``TopicsError`` `unknownTopic`, `partitionOutOfRange` when `count` is not
    ///   larger than the current count or above ``maxPartitions``; `StrataIOError`.
    public func addPartitions(_ name: String, totalCount count: Int) throws {
        try ensureOpen()
        try adminLock.withLock {
            let current = try partitionCount(name)
            guard count > current, count <= Self.maxPartitions else {
                throw TopicsError(.partitionOutOfRange, "topic \"\(name)\" has \(current) partitions; the new count must be larger and at most \(Self.maxPartitions), not \(count)")
            }
            var added: [PartitionLog] = []
            for partition in current..<count { added.append(try manager.createPartition(TopicPartition(topic: name, partition: Int32(partition)))) }
            changeTopicLogs { $0[name, default: []] += added }
        }
        groups.topicsChanged(partitionCounts: partitionCounts)
    }

    /// Deletes a topic: its partition directories, its configuration overrides, and every
    /// group's committed offsets for it (tombstones in the offsets topic).
    ///
    /// - Throws: ``TopicsError`` `unknownTopic`, `internalTopic`; `StrataIOError`.
    public func delete(_ name: String) throws {
        try ensureOpen()
        guard !TopicName.isInternal(name) else { throw TopicsError(.internalTopic, "the internal topic \"\(name)\" cannot be deleted") }
        try adminLock.withLock {
            let count = try partitionCount(name)
            changeTopicLogs { $0[name] = nil }
            for partition in 0..<count { try manager.deletePartition(TopicPartition(topic: name, partition: Int32(partition))) }
            try manager.removeConfigOverrides(forTopic: name)
            try offsets.forget(topic: name)
        }
        groups.topicsChanged(partitionCounts: partitionCounts)
        notifier.signal(topic: nil)
    }

    /// The number of partitions of a topic.
    ///
    /// - Throws: ``TopicsError`` `unknownTopic`.
    public func partitionCount(_ name: String) throws(TopicsError) -> Int {
        guard let count = topicLogs.withLockedValue({ $0[name]?.count }) else { throw unknownTopic(name) }
        return count
    }

    /// Every topic's partition count.
    var partitionCounts: [String: Int] { topicLogs.withLockedValue { $0.mapValues(\.count) } }

    /// A topic's partition logs, by partition number.
    func logs(ofTopic name: String) throws(TopicsError) -> [PartitionLog] {
        try ensureOpen()
        guard let logs = topicLogs.withLockedValue({ $0[name] }) else { throw unknownTopic(name) }
        return logs
    }

    /// A group's committed offsets.
    public func committedOffsets(group: String) -> [TopicPartition: CommittedOffset] { offsets.committed(group: group) }

    /// The groups with committed offsets.
    public var groupsWithCommits: [String] { offsets.groups }

    // MARK: - Producers and consumers

    /// A producer writing to this directory's topics.
    public func makeProducer(_ config: ProducerConfig = ProducerConfig()) -> Producer {
        Producer(topics: self, config: config)
    }

    /// A consumer reading this directory's topics.
    public func makeConsumer(_ config: ConsumerConfig = ConsumerConfig()) -> Consumer {
        Consumer(topics: self, config: config)
    }

    // MARK: - Closing

    /// Flushes and closes every partition, writes the checkpoints and the clean-shutdown
    /// marker, and releases the lock. Producers and consumers fail with `closed` afterwards.
    ///
    /// - Throws: `StrataIOError`.
    public func close() throws {
        let wasClosed = isClosed.withLockedValue { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        topologyVersion.wrappingIncrement(ordering: .releasing)
        notifier.signal(topic: nil)
        try adminLock.withLock { try manager.close() }
    }

    /// Whether ``close()`` was called.
    public var closed: Bool { isClosed.withLockedValue { $0 } }

    // MARK: - Internal

    func ensureOpen() throws(TopicsError) {
        if closed { throw TopicsError(.closed, "the data directory \(directory) is closed") }
    }

    func unknownTopic(_ name: String) -> TopicsError {
        let known = list()
        let hint = known.isEmpty ? "there are no topics" : known.count <= 10 ? "topics here: \(known.joined(separator: ", "))" : "\(known.count) topics here"
        return TopicsError(.unknownTopic, "unknown topic \"\(TopicName.printable(name))\" in \(directory) (\(hint))")
    }

    /// The log of a partition, checked against the topic's partition count.
    func partitionLog(_ topicPartition: TopicPartition) throws(TopicsError) -> PartitionLog {
        let logs = try logs(ofTopic: topicPartition.topic)
        guard topicPartition.partition >= 0, Int(topicPartition.partition) < logs.count else {
            throw Self.outOfRange(topicPartition, count: logs.count)
        }
        return logs[Int(topicPartition.partition)]
    }

    static func outOfRange(_ topicPartition: TopicPartition, count: Int) -> TopicsError {
        TopicsError(.partitionOutOfRange, "partition \(topicPartition.partition) is out of range: topic \"\(topicPartition.topic)\" has partitions 0 to \(count - 1)")
    }

    /// Opens a stopped partition log again (see `LogManager.reopenPartition`).
    func reopenPartition(_ failed: PartitionLog) throws -> PartitionLog {
        try ensureOpen()
        let topicPartition = failed.topicPartition
        let log = try manager.reopenPartition(topicPartition, replacing: failed)
        let index = Int(topicPartition.partition)
        changeTopicLogs { logs in
            if logs[topicPartition.topic]?.indices.contains(index) == true { logs[topicPartition.topic]![index] = log }
        }
        return log
    }

    /// Changes the topics' logs and moves ``topologyVersion`` on, so producers drop what they
    /// cached.
    private func changeTopicLogs(_ change: (inout [String: [PartitionLog]]) -> Void) {
        topicLogs.withLockedValue { change(&$0) }
        topologyVersion.wrappingIncrement(ordering: .releasing)
    }

    /// A producer id never used in this directory's logs.
    func allocateProducerId() -> Int64 {
        lastProducerId.withLockedValue { last in
            last += 1
            return last
        }
    }
}

/// A topic as ``Topics/describe(_:)`` reports it.
public struct TopicDescription: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The topic id from `partition.metadata` (printed as Kafka prints it), if any.
    public var topicID: String?
    /// Whether it is an internal topic.
    public var isInternal: Bool
    /// The configuration overrides (Kafka's defaults apply to every other key).
    public var configOverrides: [String: String]
    /// The partitions, by number.
    public var partitions: [PartitionDescription]

    /// Bytes of all `.log` files of the topic.
    public var sizeInBytes: Int { partitions.reduce(0) { $0 + $1.sizeInBytes } }
}

/// One partition as ``Topics/describe(_:)`` reports it.
public struct PartitionDescription: Sendable, Hashable {
    /// The partition number.
    public var partition: Int32
    /// The first readable offset.
    public var logStartOffset: Int64
    /// The offset the next record will get.
    public var logEndOffset: Int64
    /// The offset consumers may read up to.
    public var highWatermark: Int64
    /// The offset below which every record is fsynced (the recovery point).
    public var durableOffset: Int64
    /// Bytes of its `.log` files.
    public var sizeInBytes: Int
    /// How many segments it has.
    public var segmentCount: Int
}
