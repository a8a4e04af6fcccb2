import Foundation
import Strata
import StrataTopics
import StrataSimulation
import Testing

/// The built `strata` binary: stdout, stderr and exit codes.
@Suite struct StrataCommandTests {
    typealias Outcome = ChildProcess.Outcome

    static func strata(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> Outcome {
        let binary = executable("strata")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build strata first (swift build)")
        var env = ProcessInfo.processInfo.environment
        env["STRATA_DATA_DIR"] = nil
        for (key, value) in environment { env[key] = value }
        return try ChildProcess.run(binary, arguments, environment: env, stdin: stdin)
    }

    @Test func topicsCreateListDescribeAndDelete() throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let dir = ["--data-dir", directory.path]
        let created = try Self.strata(["topics", "create", "orders", "--partitions", "3", "--config", "cleanup.policy=compact", "--config", "segment.bytes=65536"] + dir)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("Created topic orders with 3 partitions"))
        #expect(try Self.strata(["topics", "create", "audit"] + dir).status == 0)
        #expect(try Self.strata(["topics", "list"] + dir).stdout == "audit\norders\n")
        #expect(try Self.strata(["topics", "list", "--include-internal"] + dir).stdout == "__consumer_offsets\naudit\norders\n")
        let described = try Self.strata(["topics", "describe", "orders"] + dir)
        #expect(described.stdout.contains("PartitionCount: 3"))
        #expect(described.stdout.contains("Configs: cleanup.policy=compact,segment.bytes=65536"))
        #expect(described.stdout.contains("Partition: 2\tStartOffset: 0\tEndOffset: 0"))
        #expect(try Self.strata(["topics", "add-partitions", "audit", "--partitions", "2"] + dir).status == 0)
        #expect(try Self.strata(["topics", "delete", "orders"] + dir).stdout == "Deleted topic orders.\n")
        #expect(try Self.strata(["topics", "list"] + dir).stdout == "audit\n")
    }

    @Test func failuresExitOneAndUsageErrorsExitSixtyFour() throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let dir = ["--data-dir", directory.path]
        let illegal = try Self.strata(["topics", "create", "../escape"] + dir)
        #expect(illegal.status == 1)
        #expect(illegal.stderr.contains("illegal topic name \"../escape\""))
        let badConfig = try Self.strata(["topics", "create", "t", "--config", "retention.ms=soon"] + dir)
        #expect(badConfig.status == 1)
        #expect(badConfig.stderr.contains("retention.ms"))
        let unknown = try Self.strata(["produce", "--topic", "missing"] + dir, stdin: "x\n")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown topic \"missing\""))
        #expect(try Self.strata(["consume", "--topic", "missing"] + dir).status == 1)
        #expect(try Self.strata(["topics", "create", "t", "--partitions", "2"] + dir).status == 0)
        let outOfRange = try Self.strata(["produce", "--topic", "t", "--partition", "5"] + dir, stdin: "x\n")
        #expect(outOfRange.status == 1)
        #expect(outOfRange.stderr.contains("partition 5 is out of range"))
        #expect(try Self.strata(["produce"] + dir).status == 64)
        #expect(try Self.strata(["produce", "--topic", "t", "--acks", "2"] + dir).status == 64)
        #expect(try Self.strata(["consume", "--topic", "t", "--offset", "3"] + dir).status == 64)
        #expect(try Self.strata(["consume", "--topic", "t", "--commit"] + dir).status == 64)
        #expect(try Self.strata(["consume", "--topic", "t", "--from-beginning", "--from-timestamp", "5"] + dir).status == 64)
        #expect(try Self.strata(["topics", "list"] + dir).stdout == "t\n")
    }

    @Test func aLockedDataDirectoryIsReported() throws {
        try withTopics("cli-locked") { _, directory in
            let locked = try Self.strata(["topics", "list", "--data-dir", directory.path])
            #expect(locked.status == 1)
            #expect(locked.stderr.contains("locked by another process"))
        }
    }

    @Test func produceKeyedLinesAndReadThemBackAsJSON() throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let environment = ["STRATA_DATA_DIR": directory.path]
        #expect(try Self.strata(["topics", "create", "keyed", "--partitions", "4"], environment: environment).status == 0)
        let lines = (0..<20).map { "user-\($0):clicked \($0)" }
        let produced = try Self.strata(["produce", "--topic", "keyed", "--key-separator", ":", "--header", "source=test", "--compression", "lz4", "--acks", "1", "--print-offsets"],
                                       stdin: lines.joined(separator: "\n") + "\n", environment: environment)
        #expect(produced.status == 0, "\(produced.stderr)")
        let placed = produced.stdout.split(separator: "\n").map { $0.split(separator: " ").map { Int64($0)! } }
        #expect(placed.count == 20)
        var nextOffset: [Int64: Int64] = [:]
        for (index, place) in placed.enumerated() {
            #expect(place[0] == Int64(Murmur2.partition(forKey: Array("user-\(index)".utf8), partitionCount: 4)))
            // In input order: offsets grow one by one within each partition.
            #expect(place[1] == nextOffset[place[0], default: 0])
            nextOffset[place[0]] = place[1] + 1
        }
        let consumed = try Self.strata(["consume", "--topic", "keyed", "--from-beginning", "--format", "json"], environment: environment)
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let objects = try consumed.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == 20)
        for object in objects {
            let key = object["key"] as! String
            let index = Int(key.dropFirst("user-".count))!
            #expect(object["value"] as? String == "clicked \(index)")
            #expect(object["topic"] as? String == "keyed")
            #expect(object["partition"] as? Int == Int(placed[index][0]) && object["offset"] as? Int == Int(placed[index][1]))
            #expect((object["timestamp"] as? Int ?? 0) > 1_600_000_000_000)
            #expect((object["headers"] as? [[String: Any]])?.first?["key"] as? String == "source")
        }
        let hex = try Self.strata(["consume", "--topic", "keyed", "--partition", "\(placed[0][0])", "--offset", "\(placed[0][1])", "--max-records", "1", "--payload-encoding", "hex"], environment: environment)
        #expect(hex.stdout == Array("clicked 0".utf8).map { String(format: "%02x", $0) }.joined() + "\n")
    }

    @Test func aGroupThatCommitsResumesWhereItStopped() throws {
        let directory = TemporaryDirectory("cli")
        defer { directory.remove() }
        let dir = ["--data-dir", directory.path]
        #expect(try Self.strata(["topics", "create", "log"] + dir).status == 0)
        let lines = (1...10).map { "line \($0)" }
        #expect(try Self.strata(["produce", "--topic", "log", "--acks", "all"] + dir, stdin: lines.joined(separator: "\n") + "\n").status == 0)
        let first = try Self.strata(["consume", "--topic", "log", "--group", "g", "--from-beginning", "--max-records", "4", "--commit"] + dir)
        #expect(first.stdout == lines.prefix(4).map { $0 + "\n" }.joined())
        let second = try Self.strata(["consume", "--topic", "log", "--group", "g", "--commit"] + dir)
        #expect(second.stdout == lines.dropFirst(4).map { $0 + "\n" }.joined())
        // Without --commit nothing moves: the same records again.
        let peek = try Self.strata(["consume", "--topic", "log", "--group", "h", "--from-beginning", "--max-records", "2"] + dir)
        let peekAgain = try Self.strata(["consume", "--topic", "log", "--group", "h", "--from-beginning", "--max-records", "2"] + dir)
        #expect(peek.stdout == "line 1\nline 2\n" && peekAgain.stdout == peek.stdout)
        // By time: everything is newer than 0.
        #expect(try Self.strata(["consume", "--topic", "log", "--from-timestamp", "0"] + dir).stdout.split(separator: "\n").count == 10)
        // acks=0 prints offset -1.
        #expect(try Self.strata(["produce", "--topic", "log", "--acks", "0", "--print-offsets"] + dir, stdin: "x\n").stdout == "0 -1\n")
    }

    @Test func followStopsAtMaxRecordsOrOnSIGINTAndCommits() throws {
        let directory = TemporaryDirectory("cli-follow")
        defer { directory.remove() }
        let dir = ["--data-dir", directory.path]
        #expect(try Self.strata(["topics", "create", "live", "--config", "max.message.bytes=1000"] + dir).status == 0)
        #expect(try Self.strata(["produce", "--topic", "live"] + dir, stdin: "a\nb\nc\n").status == 0)
        let bounded = try Self.strata(["consume", "--topic", "live", "--from-beginning", "--follow", "--max-records", "2"] + dir)
        #expect(bounded.status == 0 && bounded.stdout == "a\nb\n")
        // Waits for more; SIGINT stops it, and what it printed is committed.
        let process = Process()
        process.executableURL = executable("strata")
        process.arguments = ["consume", "--topic", "live", "--group", "g", "--from-beginning", "--follow", "--commit"] + dir
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The signal handlers are in place before the first record is printed.
        var printed = ""
        while !printed.hasSuffix("c\n") {
            let data = PipeReading.available(output.fileHandleForReading)
            if data.isEmpty { break }
            printed += String(decoding: data, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGINT)
        printed += String(decoding: PipeReading.readToEnd(output.fileHandleForReading), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(printed == "a\nb\nc\n")
        #expect(try Self.strata(["consume", "--topic", "live", "--group", "g"] + dir).stdout == "")
        // An oversize line is refused with the topic's limit; nothing is written.
        let oversize = try Self.strata(["produce", "--topic", "live"] + dir, stdin: String(repeating: "x", count: 2_000) + "\n")
        #expect(oversize.status == 1)
        #expect(oversize.stderr.contains("max.message.bytes 1000"))
        #expect(try Self.strata(["topics", "describe", "live"] + dir).stdout.contains("EndOffset: 3"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func aProgressLineAppearsOnATerminalOnly() throws {
        let directory = TemporaryDirectory("cli-progress")
        defer { directory.remove() }
        #expect(try Self.strata(["topics", "create", "p", "--data-dir", directory.path]).status == 0)
        // In a pipe (as everywhere above): no progress line.
        #expect(try Self.strata(["produce", "--topic", "p", "--data-dir", directory.path], stdin: "a\n").stderr == "")
        // On a terminal (script(1) gives it one): drawn, then cleared.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "printf 'a\\nb\\n' | '\(executable("strata").path)' produce --topic p --data-dir '\(directory.path)'", "/dev/null"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let screen = String(decoding: PipeReading.readToEnd(output.fileHandleForReading), as: UTF8.self)
        process.waitUntilExit()
        #expect(screen.contains("produced 1 records"))
        #expect(screen.hasSuffix("\r\u{1B}[K"))
    }

    @Test func theDemoRunsOnAFreshDirectoryAndAgain() throws {
        let directory = TemporaryDirectory("cli-demo")
        defer { directory.remove() }
        let first = try Self.strata(["demo", "--data-dir", directory.path, "--records", "120"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("created topic page-views"))
        #expect(first.stdout.contains("none before the commit was delivered again"))
        let second = try Self.strata(["demo", "--data-dir", directory.path, "--records", "120"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("committed offsets from an earlier run"))
        #expect(second.stdout.contains("started from 120 views rebuilt"))
    }
}
