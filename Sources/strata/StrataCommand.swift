import ArgumentParser
import Foundation
import Strata
import StrataTopics

/// `strata`: topics, producing and consuming on an embedded data directory.
@main
struct StrataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Topics, producers and consumers on an embedded Strata data directory.",
        discussion: """
            The data directory is --data-dir, else $STRATA_DATA_DIR, else ./strata-data. Partition \
            directories are Kafka's (<data-dir>/<topic>-<partition>/).
            Exit codes: 0 ok, 1 failure (unknown topic, illegal name, locked data directory, I/O error), 64 usage.
            """,
        subcommands: [TopicsCommand.self, ProduceCommand.self, ConsumeCommand.self, DemoCommand.self])
}

/// `--data-dir`, shared by every subcommand.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data directory (default: $STRATA_DATA_DIR, else ./strata-data).")
    var dataDir: String?

    /// The directory to use.
    var path: String {
        if let dataDir { return dataDir }
        if let fromEnvironment = ProcessInfo.processInfo.environment["STRATA_DATA_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        return "./strata-data"
    }

    /// Opens the data directory.
    func open() throws -> Topics { try Topics.open(directory: path) }
}

/// Runs a command body, turning every error into a one-line message on stderr and exit 1.
func failing<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        standardError("strata: error: \(error)")
        throw ExitCode(1)
    }
}

/// Writes a line to standard error at once.
func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Parses `key=value` options.
func parsePairs(_ pairs: [String], option: String) throws -> [(String, String)] {
    try pairs.map { pair in
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
            throw ValidationError("\(option) takes key=value, not \"\(pair)\"")
        }
        return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
    }
}

/// The topic's partition count, after checking an explicit `--partition` against it (the
/// clear error the library would give only on the first send or poll).
@discardableResult
func checkedPartition(_ partition: Int32?, of topic: String, in topics: Topics) throws -> Int {
    let count = try topics.partitionCount(topic)
    if let partition, !(0..<count).contains(Int(partition)) {
        throw TopicsError(.partitionOutOfRange, "partition \(partition) is out of range: topic \"\(topic)\" has partitions 0 to \(count - 1)")
    }
    return count
}
