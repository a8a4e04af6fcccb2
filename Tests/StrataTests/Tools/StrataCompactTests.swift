import Foundation
import NIOCore
import Testing
@testable import Strata
import StrataSimulation

/// The built `strata-compact` binary: what it prints, its exit codes, what it refuses, and a
/// SIGKILL at random points of a compaction leaving a directory that opens with every key as
/// before.
@Suite struct StrataCompactTests {
    static let binary = CrashRecoveryTests.executable("strata-compact")

    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let outcome = try ChildProcess.run(binary, arguments, environment: ["SWIFT_BACKTRACE": "enable=no"])
        return Run(status: outcome.status, out: outcome.stdout, err: outcome.stderr)
    }

    /// A Strata data directory with a compacted topic `c` (3 partitions' worth of updates in
    /// partition 0, several segments) and a plain topic `p`.
    static func dataDirectory(records: Int = 400, keys: Int = 20) throws -> String {
        let directory = CleanerTestSupport.temporaryDirectory() + "/data"
        var options = PartitionOpenOptions()
        options.logger.logLevel = .critical
        let manager = try LogManager.open(directory: directory, options: options)
        try manager.setConfigOverrides(["cleanup.policy": "compact", "segment.bytes": "4000", "file.delete.delay.ms": "0"], forTopic: "c")
        let compacted = try manager.createPartition(TopicPartition(topic: "c", partition: 0))
        for index in 0..<records {
            try compacted.appendAsLeader(try CleanerTestSupport.batch([("k\(index % keys)", "value-\(index)")], timestamp: 1_700_000_000_000 + Int64(index)))
        }
        let plain = try manager.createPartition(TopicPartition(topic: "p", partition: 0))
        try plain.appendAsLeader(try CleanerTestSupport.batch([("x", "y")], timestamp: 1_700_000_000_000))
        try manager.close()
        return directory
    }

    /// Key → (offset, value) of a partition, read by a fresh open.
    static func contents(_ partition: String) throws -> [String: SeenRecord] {
        let log = try CleanerTestSupport.open(partition, config: LogConfig(), clock: TestClock(), cleanShutdown: false, recoveryPoint: 0)
        defer { try? log.close() }
        return Dictionary(try CleanerTestSupport.committedRecords(log).map { ($0.key!, $0) }, uniquingKeysWith: { _, b in b })
    }

    static func bytes(of directory: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: directory) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[name] = FileManager.default.contents(atPath: directory + "/" + name)
            }
        }
        return result
    }

    @Test func compactsWhatThePolicySaysAndExplains() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build strata-compact first (swift build)")
        let directory = try Self.dataDirectory()
        defer { try? FileManager.default.removeItem(atPath: parentDirectory(of: directory)) }
        let before = try Self.contents(directory + "/c-0")
        // --dry-run changes nothing.
        let untouched = try Self.bytes(of: directory)
        let dry = try Self.run(["--dry-run", "--explain", directory])
        #expect(dry.status == 0, "\(dry.err)")
        #expect(dry.out.contains("c-0: would clean"))
        #expect(dry.out.contains("p-0: skipped: cleanup.policy does not include compact") || dry.out.contains("p-0: skipped"))
        #expect(try Self.bytes(of: directory) == untouched)
        // The real run: the compacted topic only.
        let real = try Self.run(["--explain", directory])
        #expect(real.status == 0, "\(real.err)")
        #expect(real.out.contains("c-0: cleaned"))
        #expect(real.out.contains("superseded by a later record of their key"))
        #expect(real.out.contains("the active segment"))
        #expect(try Self.contents(directory + "/c-0") == before)
        #expect(FileManager.default.fileExists(atPath: directory + "/cleaner-offset-checkpoint"))
        // Again: nothing left to do.
        let again = try Self.run([directory])
        #expect(again.status == 1)
        #expect(again.out.contains("nothing to do"))
        // --json: one object per partition.
        let json = try Self.run(["--json", "--all", directory])
        let lines = json.out.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["type"] as? String == "partition")
            #expect(object?["action"] != nil)
        }
    }

    @Test func exitCodesAndRefusals() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build strata-compact first (swift build)")
        #expect(try Self.run([]).status == 64)
        #expect(try Self.run(["--max-memory", "lots", "/tmp"]).status == 64)
        let missing = try Self.run(["/nonexistent/strata-data"])
        #expect(missing.status == 2 && missing.err.contains("not a directory"))
        let directory = try Self.dataDirectory(records: 120)
        defer { try? FileManager.default.removeItem(atPath: parentDirectory(of: directory)) }
        // A directory another process holds is refused, untouched.
        let untouched = try Self.bytes(of: directory)
        // An flock held by this (test) process is, for the tool, another process's lock.
        let fd = open(directory + "/.lock", O_RDWR | O_CREAT, 0o644)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let locked = try Self.run([directory])
        #expect(locked.status == 1)
        #expect(locked.err.contains("held by another process"))
        #expect(try Self.bytes(of: directory) == untouched)
        close(fd)
        // A symbolic link inside the partition is never written through.
        try FileManager.default.createSymbolicLink(atPath: directory + "/c-0/00000000000000009999.log.cleaned", withDestinationPath: "/tmp/elsewhere")
        let linked = try Self.run([directory + "/c-0"])
        #expect(linked.status == 1 && linked.err.contains("symbolic links"))
    }

    @Test func sigkillAtRandomPointsLeavesEveryKeyAsBefore() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build strata-compact first (swift build)")
        let original = try Self.dataDirectory(records: 2_000, keys: 200)
        defer { try? FileManager.default.removeItem(atPath: parentDirectory(of: original)) }
        let before = try Self.contents(original + "/c-0")
        var rng = SeededGenerator(seed: propertySeed())
        var killed = 0
        for round in 0..<4 {
            let copy = CleanerTestSupport.temporaryDirectory() + "/data"
            try FileManager.default.copyItem(atPath: original, toPath: copy)
            defer { try? FileManager.default.removeItem(atPath: parentDirectory(of: copy)) }
            let process = Process()
            process.executableURL = Self.binary
            // Throttled so that the kill lands inside the compaction.
            process.arguments = ["--throttle", "400K", "--max-memory", "4K", copy]
            process.environment = ["SWIFT_BACKTRACE": "enable=no"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...600_000, using: &rng))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            #expect(try Self.contents(copy + "/c-0") == before, "round \(round)")
            // And the tool finishes the job on the damaged copy.
            let rerun = try Self.run([copy])
            #expect(rerun.status == 0 || rerun.status == 1, "round \(round): \(rerun.err)")
            #expect(try Self.contents(copy + "/c-0") == before, "round \(round) after the rerun")
        }
        #expect(killed >= 2)
    }
}
