import Foundation
import Strata

/// Which partitions `strata-compact` compacts, and why.
///
/// A data directory written by a stopped Kafka broker keeps no topic configuration on disk
/// (it lives in ZooKeeper or the KRaft metadata log), so the policy is decided from what the
/// disk does say, in this order: a partition directory given as PATH, or named with
/// `--partition`, is compacted; `--all` compacts every partition; otherwise a partition is
/// compacted when Strata's `strata-topic-<topic>.properties` says `cleanup.policy` includes
/// `compact`, when its topic is one Kafka always compacts (`__consumer_offsets`,
/// `__transaction_state`), or when the directory's `cleaner-offset-checkpoint` lists it (Kafka's
/// cleaner writes entries only for compacted logs).
public struct CompactTargets: Sendable {
    /// One data directory and what to do in it.
    public struct Directory: Sendable {
        /// The data directory.
        public var path: String
        /// The partitions to compact, each with the reason it was chosen.
        public var partitions: [(TopicPartition, String)]
        /// Partitions left alone, with the reason.
        public var skipped: [(TopicPartition, String)]
        /// True for a data directory (given as PATH, or the parent of a partition PATH holding
        /// a `.lock`, `meta.properties` or a checkpoint file); false for the parent of a lone
        /// partition directory, which is neither opened nor written.
        public var isDataDirectory = true
    }

    /// Whether `path` holds the files of a data directory.
    static func looksLikeDataDirectory(_ path: String) -> Bool {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
        return [".lock", "meta.properties", OffsetCheckpointFile.Kind.recoveryPoint.fileName, ".kafka_cleanshutdown"].contains { names.contains($0) }
    }

    /// Topics Kafka always creates with `cleanup.policy=compact`.
    public static let alwaysCompacted: Set<String> = ["__consumer_offsets", "__transaction_state"]

    /// The data directories, in the order given.
    public var directories: [Directory] = []

    /// A PATH that is neither a partition nor a data directory.
    public struct PathError: Error, CustomStringConvertible {
        /// The message.
        public var description: String
    }

    /// Resolves `paths` (partition or data directories) with the selection flags.
    ///
    /// - Throws: ``PathError`` naming the first PATH that is not a directory of either kind.
    public static func resolve(paths: [String], all: Bool, named: [String]) throws -> CompactTargets {
        var targets = CompactTargets()
        let fm = FileManager.default
        for raw in paths {
            let path = raw.count > 1 && raw.hasSuffix("/") ? String(raw.dropLast()) : raw
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PathError(description: "\(raw): not a directory")
            }
            let name = (path as NSString).lastPathComponent
            let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
            if let partition = TopicPartition(directoryName: name), names.contains(where: { $0.hasSuffix(".log") }) {
                let parent = (path as NSString).deletingLastPathComponent
                let directory = parent.isEmpty ? "." : parent
                targets.add(directory, partition, "named on the command line", chosen: true)
                if let index = targets.directories.firstIndex(where: { $0.path == directory }) {
                    targets.directories[index].isDataDirectory = looksLikeDataDirectory(directory)
                }
                continue
            }
            let partitions = names.compactMap { entry -> TopicPartition? in
                var entryIsDirectory: ObjCBool = false
                guard fm.fileExists(atPath: path + "/" + entry, isDirectory: &entryIsDirectory), entryIsDirectory.boolValue else { return nil }
                return TopicPartition(directoryName: entry)
            }.sorted()
            guard !partitions.isEmpty || names.contains("meta.properties") || names.contains(".lock") else {
                throw PathError(description: "\(raw): neither a partition directory (<topic>-<partition> with .log files) nor a data directory")
            }
            let checkpointed = Set(CleanerCheckpoint(logDirectory: path).offsets().keys)
            for partition in partitions {
                let (chosen, reason) = decide(partition, dataDirectory: path, all: all, named: named, checkpointed: checkpointed)
                targets.add(path, partition, reason, chosen: chosen)
            }
            if targets.directories.last?.path != path { targets.directories.append(Directory(path: path, partitions: [], skipped: [])) }
        }
        return targets
    }

    static func decide(_ partition: TopicPartition, dataDirectory: String, all: Bool, named: [String], checkpointed: Set<TopicPartition>) -> (Bool, String) {
        if named.contains(partition.directoryName) { return (true, "named with --partition") }
        if !named.isEmpty { return (false, "not named with --partition") }
        if all { return (true, "--all") }
        let properties = dataDirectory + "/" + LogManager.topicConfigPrefix + partition.topic + ".properties"
        if let text = try? String(contentsOfFile: properties, encoding: .utf8) {
            let policy = text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("cleanup.policy") }
            if let policy, policy.contains("compact") { return (true, "cleanup.policy includes compact (\(properties))") }
            return (false, "cleanup.policy does not include compact (\(properties))")
        }
        if alwaysCompacted.contains(partition.topic) { return (true, "Kafka always compacts \(partition.topic)") }
        if checkpointed.contains(partition) { return (true, "listed in cleaner-offset-checkpoint (Kafka compacted it)") }
        return (false, "no policy on disk says compact (use --all or --partition)")
    }

    mutating func add(_ directory: String, _ partition: TopicPartition, _ reason: String, chosen: Bool) {
        if let index = directories.firstIndex(where: { $0.path == directory }) {
            if chosen { directories[index].partitions.append((partition, reason)) } else { directories[index].skipped.append((partition, reason)) }
        } else {
            directories.append(Directory(path: directory, partitions: chosen ? [(partition, reason)] : [], skipped: chosen ? [] : [(partition, reason)]))
        }
    }
}
