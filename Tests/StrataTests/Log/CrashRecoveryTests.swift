import Foundation
import NIOCore
import StrataSimulation
import Testing
@testable import Strata

/// Nothing acknowledged as durable is lost, nothing is duplicated, nothing unwritten appears:
/// with a real process killed by SIGKILL, and with simulated power cuts at many points.
@Suite struct CrashRecoveryTests {
    static func executable(_ name: String) -> URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return SharedTestData.packageRoot.appendingPathComponent(".build/debug/\(name)")
    }

    /// (id → offset) of every record in the partition; fails on duplicates or foreign values.
    static func readIds(_ directory: String) throws -> [(offset: Int64, id: Int)] {
        let log = try PartitionLog.open(directory: directory, config: LogConfig(), options: { var o = PartitionOpenOptions(); o.readOnly = true; return o }())
        return try LogTestSupport.allRecords(log).map { record in
            let id = Int(record.value!.split(separator: "-")[1])!
            return (record.offset, id)
        }
    }

    @Test func sigkillNeverLosesAnAcknowledgedRecord() throws {
        let writer = Self.executable("strata-crash-writer")
        try #require(FileManager.default.isExecutableFile(atPath: writer.path), "build strata-crash-writer first (swift build)")
        let directory = try makeTemporaryDirectory() + "/crash-0"
        var rng = SeededGenerator(seed: propertySeed())
        var acknowledged: [Int: Int64] = [:]
        var nextId = 0
        for round in 0..<24 {
            let process = Process()
            process.executableURL = writer
            process.arguments = [directory, String(nextId)]
            process.environment = ["SWIFT_BACKTRACE": "enable=no"]
            // Acknowledgements go to a file: each line is written before the next append starts.
            let outputPath = directory + ".acks-\(round)"
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
            process.standardOutput = output
            try process.run()
            usleep(UInt32.random(in: 20_000...250_000, using: &rng))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try output.close()
            let text = try String(contentsOfFile: outputPath, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let offset = Int64(parts[0]), let id = Int(parts[1]) else { continue }
                acknowledged[id] = offset
            }
            // Every acknowledged record is there, once, at its offset; nothing else appeared.
            let present = try Self.readIds(directory)
            let ids = present.map(\.id)
            #expect(Set(ids).count == ids.count, "round \(round): duplicated records")
            for (id, offset) in acknowledged {
                #expect(present.contains { $0.id == id && $0.offset == offset }, "round \(round): acknowledged id \(id) at \(offset) lost")
            }
            #expect(ids.allSatisfy { $0 < nextId + 1_000_000 }, "round \(round): a record that was never written")
            #expect(ids == ids.sorted(), "round \(round): records out of order")
            nextId = (ids.max() ?? nextId) + 1
        }
        #expect(acknowledged.count > 20)
    }
}
