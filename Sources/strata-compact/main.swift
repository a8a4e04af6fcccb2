import ArgumentParser
import Strata
import StrataTools

/// `strata-compact`: log compaction with Kafka's semantics, offline.
struct StrataCompact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata-compact",
        abstract: "Compact Kafka partitions (Strata's or a stopped broker's) as Kafka's log cleaner does.",
        discussion: """
        PATH is a partition directory (<topic>-<partition>) or a data directory. In a data directory, a partition \
        is compacted when --all is given, when it is named with --partition, when Strata's strata-topic-<topic>.properties \
        says cleanup.policy includes compact, when its topic is __consumer_offsets or __transaction_state, or when the \
        directory's cleaner-offset-checkpoint lists it (a Kafka broker keeps topic configs in ZooKeeper/KRaft, not on disk). \
        The active segment is never cleaned. A directory whose .lock another process holds is refused.
        Exit codes: 0 compacted (or would, with --dry-run), 1 nothing could be done or refused, 2 error, 64 usage.
        """)

    @Argument(help: "Partition or data directories.")
    var paths: [String] = []

    @Flag(help: "Compact every partition, whatever its policy.")
    var all = false

    @Option(name: .customLong("partition"), help: "Compact only this partition (<topic>-<partition>); repeatable.")
    var partitions: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Report what would be done; change nothing.")
    var dryRun = false

    @Flag(help: "Per partition: records and bytes before and after, keys, tombstones kept/removed and why, what blocked cleaning.")
    var explain = false

    @Flag(help: "One JSON object per partition (NDJSON).")
    var json = false

    @Option(name: .customLong("delete-retention-ms"), help: "How long tombstones and markers stay after their first cleaning (default: the topic's, 86400000).")
    var deleteRetentionMs: Int64?

    @Option(name: .customLong("min-compaction-lag-ms"), help: "Leave records younger than this uncompacted (default: the topic's, 0).")
    var minCompactionLagMs: Int64?

    @Option(name: .customLong("max-memory"), help: "Memory for the offset map, e.g. 64M (default 128M); more keys take more passes.")
    var maxMemory: String = "128M"

    @Option(help: "Limit I/O to this many bytes per second, e.g. 50M.")
    var throttle: String?

    @Flag(name: .customLong("roll-active"), help: "Start a new empty active segment first, so the current one can be cleaned too.")
    var rollActive = false

    @Flag(name: .customLong("drop-keyless"), help: "Compact partitions holding records without a key (compaction deletes them); refused otherwise.")
    var dropKeyless = false

    static func bytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = text.uppercased().last, let unit = units[last] { return Int(text.dropLast()).flatMap { $0 > 0 ? $0 * unit : nil } }
        return Int(text).flatMap { $0 > 0 ? $0 : nil }
    }

    mutating func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one partition or data directory") }
        guard let memory = Self.bytes(maxMemory), memory >= 1024 else { throw ValidationError("--max-memory must be a size of at least 1K, such as 64M") }
        _ = memory
        if let throttle, Self.bytes(throttle) == nil { throw ValidationError("--throttle must be a positive rate in bytes per second, such as 50M") }
        if let deleteRetentionMs, deleteRetentionMs < 0 { throw ValidationError("--delete-retention-ms must not be negative") }
        if let minCompactionLagMs, minCompactionLagMs < 0 { throw ValidationError("--min-compaction-lag-ms must not be negative") }
        for name in partitions where TopicPartition(directoryName: name) == nil { throw ValidationError("--partition \(name): expected <topic>-<partition>") }
    }

    func run() throws {
        var settings = CompactSettings()
        settings.paths = paths
        settings.all = all
        settings.partitions = partitions
        settings.dryRun = dryRun
        settings.explain = explain
        settings.json = json
        settings.deleteRetentionMs = deleteRetentionMs
        settings.minCompactionLagMs = minCompactionLagMs
        settings.maxMemory = Self.bytes(maxMemory) ?? 128 << 20
        settings.throttle = throttle.flatMap(Self.bytes)
        settings.rollActive = rollActive
        settings.dropKeyless = dropKeyless
        let out = StandardStream.output()
        let err = StandardStream.error()
        let code = CompactRunner.run(settings, out: out, err: err)
        out.flush()
        err.flush()
        if code != .ok { throw ExitCode(code.rawValue) }
    }
}

StrataCompact.main()
