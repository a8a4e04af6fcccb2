import Strata

extension Verifier {
    /// Verifies a data directory (a `log.dirs` entry): every partition in it, KRaft snapshots
    /// at its top, leftovers, and the four offset checkpoints against the partitions' logs.
    /// A subdirectory holding directories rather than segments is verified as a data
    /// directory in turn (a few levels deep), so a folder of several brokers' dirs works too.
    func verifyDataDirectory(_ directory: String, depth: Int) {
        let names: [String]
        do {
            names = try fileSystem.contentsOfDirectory(directory).sorted()
        } catch {
            report(VerifyFinding(.unreadable, file: directory, "\(error)"))
            return
        }
        var outcomes: [String: PartitionOutcome] = [:]
        for name in names {
            let path = directory + "/" + name
            if fileSystem.isDirectory(path) {
                switch VerifyTarget.classify(path, fileSystem: fileSystem) {
                case .partition: outcomes[name] = verifyPartition(path)
                case .dataDirectory where depth < 3: verifyDataDirectory(path, depth: depth + 1)
                default: break
                }
            } else if let kind = LeftoverFile.kind(of: name) {
                stats.files += 1
                report(VerifyFinding(.leftoverFile, file: path, "a leftover \(kind) file"))
            } else if KRaftSnapshot.isSnapshot(name) {
                _ = scanLog(path, baseOffset: nil)
            }
        }
        for kind in OffsetCheckpointFile.Kind.allCases {
            verifyCheckpoint(OffsetCheckpointFile(logDirectory: directory, kind: kind, fileSystem: fileSystem), kind: kind, outcomes: outcomes)
        }
    }

    /// An offset checkpoint parses and, for each partition verified here, names an offset
    /// within its log (at most the log end offset). Entries for partitions absent from the
    /// directory are not judged (Kafka drops them).
    private func verifyCheckpoint(_ file: OffsetCheckpointFile, kind: OffsetCheckpointFile.Kind, outcomes: [String: PartitionOutcome]) {
        guard let entries = readCheckpoint(file.path, read: file.readEntries) else { return }
        for entry in entries {
            guard let end = outcomes[entry.topicPartition.directoryName]?.logEndOffset else { continue }
            if entry.offset > end || entry.offset < 0 {
                report(VerifyFinding(.checkpointOutOfRange, file: file.path, offset: entry.offset, declared: "\(entry.topicPartition) \(entry.offset)",
                                     computed: "log end offset \(end)", "\(kind.fileName) names an offset outside the partition's log"))
            }
        }
    }

    /// The entries of a checkpoint file that exists, or nil (reported when it does not parse).
    func readCheckpoint<Entry>(_ path: String, read: () throws -> [Entry]) -> [Entry]? {
        guard fileSystem.exists(path) else { return nil }
        stats.files += 1
        do {
            return try read()
        } catch {
            report(VerifyFinding(.checkpointCorrupt, file: path, "\(error)"))
            return nil
        }
    }
}
