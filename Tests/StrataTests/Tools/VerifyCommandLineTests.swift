import Foundation
import StrataSimulation
import Testing
@testable import Strata
@testable import StrataTools

/// The built `strata-verify` binary: exit codes, stdout and stderr as a script sees them.
@Suite struct VerifyCommandLineTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], tool: String = "strata-verify", executable: URL? = nil) throws -> Run {
        let executable = executable ?? CrashRecoveryTests.executable(tool)
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "build \(tool) first (swift build)")
        let outcome = try ChildProcess.run(executable, arguments, environment: ["SWIFT_BACKTRACE": "enable=no"])
        return Run(status: outcome.status, stdout: outcome.stdout, stderr: outcome.stderr)
    }

    @Test func exitCodesSayCleanFindingsUnreadableAndUsage() throws {
        let directory = try VerifyTestSupport.writePartition()
        let clean = try Self.run([directory])
        #expect(clean.status == 0)
        #expect(clean.stdout.hasPrefix("Verified ") && clean.stdout.hasSuffix(": clean\n"))
        #expect(clean.stderr.isEmpty, "no progress bar when stderr is not a terminal")
        try VerifyTestSupport.flipBit(try VerifyTestSupport.segmentLogs(directory)[0], at: 40, bit: 2)
        let damaged = try Self.run([directory])
        #expect(damaged.status == 1)
        #expect(damaged.stdout.contains("00000000000000000000.log:0: crcMismatch: "))
        #expect(try Self.run([directory + "/missing"]).status == 2)
        #expect(try Self.run([]).status == 64)
        #expect(try Self.run(["--future-ms", "-1", directory]).status == 64)
    }

    @Test func jobsMustBePositiveAndOneThreadFindsWhatTheDefaultFinds() throws {
        let directory = try VerifyTestSupport.writePartition()
        try VerifyTestSupport.flipBit(try VerifyTestSupport.segmentLogs(directory)[1], at: 50, bit: 5)
        for bad in ["0", "-1", "many"] {
            let run = try Self.run(["--jobs", bad, directory])
            #expect(run.status == 64, "--jobs \(bad)")
            #expect(run.stderr.contains("--jobs"), "--jobs \(bad): \(run.stderr)")
        }
        // The summary's last words are the time taken; everything before it must agree.
        func findings(_ run: Run) -> [Substring] { run.stdout.split(separator: "\n").dropLast() }
        let one = try Self.run(["--jobs", "1", directory])
        let three = try Self.run(["--jobs", "3", directory])
        let byDefault = try Self.run([directory])
        #expect(one.status == 1 && three.status == 1 && byDefault.status == 1)
        #expect(!findings(one).isEmpty && findings(one) == findings(byDefault) && findings(three) == findings(byDefault))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func aProgressBarIsDrawnOnlyOnATerminal() throws {
        let directory = try VerifyTestSupport.writePartition()
        let verify = CrashRecoveryTests.executable("strata-verify").path
        // script(1) gives the tool a terminal; the bar is drawn on it and erased before the summary.
        let onTerminal = try Self.run(["-qec", "\(verify) \(directory)", "/dev/null"], executable: URL(fileURLWithPath: "/usr/bin/script"))
        #expect(onTerminal.status == 0)
        #expect(onTerminal.stdout.contains("\r\u{1B}[K[") && onTerminal.stdout.contains("%"))
        let quiet = try Self.run(["-qec", "\(verify) --no-progress \(directory)", "/dev/null"], executable: URL(fileURLWithPath: "/usr/bin/script"))
        #expect(!quiet.stdout.contains("\u{1B}[K"))
        #expect(quiet.stdout.contains("Verified "))
    }

    @Test func jsonOutputIsNDJSONEndingWithASummary() throws {
        let directory = try VerifyTestSupport.writePartition()
        FileManager.default.createFile(atPath: directory + "/00000000000000000000.index.swap", contents: Data())
        let run = try Self.run(["--json", "--deep", directory])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n")
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.first?["kind"] as? String == "leftoverFile")
        #expect(objects.last?["type"] as? String == "summary")
        #expect(objects.last?["records"] as? Int == 120)
    }

    @Test func repairRefusesADataDirectoryARunningProcessHolds() throws {
        let data = try makeTemporaryDirectory()
        let manager = try LogManager.open(directory: data)
        let partition = try manager.createPartition(TopicPartition(topic: "orders", partition: 0))
        _ = try partition.appendAsLeader(try LogTestSupport.batch(["a", "b", "c"]))
        try partition.flush()
        let log = data + "/orders-0/00000000000000000000.log"
        try VerifyTestSupport.truncate(log, to: 50)
        let run = try Self.run(["--repair", data + "/orders-0"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("is locked by another process"))
        #expect(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int == 50)
        #expect(!FileManager.default.fileExists(atPath: log + ".cut-0"))
        try manager.close()
    }

    @Test func repairThroughTheBinaryFixesATornTailAndVerifiesAgain() throws {
        let directory = try VerifyTestSupport.writePartition()
        let log = try VerifyTestSupport.segmentLogs(directory).last!
        let last = try VerifyTestSupport.entries(of: log).last!
        try VerifyTestSupport.truncate(log, to: last.position + 20)
        let run = try Self.run(["--repair", directory])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Repair plan:\n"))
        #expect(run.stdout.contains("truncate \(log) to \(last.position) bytes"))
        #expect(run.stdout.contains("Verifying again after the repair:"))
        #expect(run.stdout.hasSuffix(": clean\n"))
    }
}
