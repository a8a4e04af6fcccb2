import Foundation
import NIOCore
import Testing
@testable import Strata

/// Damaged segments: recovery keeps what is valid, sets aside what it cuts, and says what it did.
@Suite struct RecoveryBadInputTests {
    /// A closed log of several segments holding records "r0"…"r{n-1}".
    static func makeLog(records: Int = 200) throws -> (directory: String, config: LogConfig) {
        let directory = try makeTemporaryDirectory() + "/damaged-0"
        let config = LogTestSupport.smallConfig(segmentBytes: 4_000, indexInterval: 200)
        let log = try PartitionLog.open(directory: directory, config: config)
        for i in 0..<records { try log.appendAsLeader(try LogTestSupport.batch(["r\(i)-" + String(repeating: "x", count: i % 50)])) }
        try log.close()
        return (directory, config)
    }

    static func reopen(_ directory: String, _ config: LogConfig) throws -> PartitionLog {
        try PartitionLog.open(directory: directory, config: config)  // unclean, recovery point 0
    }

    static func logFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
    }

    @Test func tornTailIsCutAndAppendsContinue() throws {
        let (directory, config) = try Self.makeLog()
        let last = directory + "/" + (try Self.logFiles(directory).last!)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: last))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 7)
        try handle.close()
        let log = try Self.reopen(directory, config)
        #expect(log.loadReport.truncatedBytes > 0)
        #expect(log.loadReport.actions.contains { $0.contains("partial entry") })
        #expect(log.logEndOffset == 199)
        try log.appendAsLeader(try LogTestSupport.batch(["after"]))
        #expect(try LogTestSupport.allRecords(log).last?.value == "after")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: directory).contains { $0.contains(".cut-") })
        try log.close()
    }

    @Test func zeroFilledTailIsCut() throws {
        let (directory, config) = try Self.makeLog()
        let last = directory + "/" + (try Self.logFiles(directory).last!)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 4096))
        try handle.close()
        let log = try Self.reopen(directory, config)
        #expect(log.loadReport.truncatedBytes == 4096)
        #expect(log.loadReport.actions.contains { $0.contains("zero-filled") })
        #expect(log.logEndOffset == 200)
        try log.close()
    }

    @Test func bitFlipEndsTheLogThereAndKeepsTheRestAside() throws {
        let (directory, config) = try Self.makeLog()
        let files = try Self.logFiles(directory)
        #expect(files.count >= 3)
        let middle = directory + "/" + files[1]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: middle))
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: middle))
        let log = try Self.reopen(directory, config)
        #expect(log.loadReport.actions.contains { $0.contains("CRC mismatch") && $0.contains("saved to") })
        #expect(log.loadReport.actions.contains { $0.contains(".orphaned") })
        let records = try LogTestSupport.allRecords(log)
        #expect(records.count > 0 && records.count < 200)
        #expect(records.map(\.offset) == Array(0..<Int64(records.count)))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.contains { $0.contains(".log.cut-") })
        #expect(names.contains { $0.hasSuffix(".log.orphaned") })
        try log.close()
    }

    @Test func missingIndexIsRebuiltEvenAfterACleanShutdown() throws {
        let (directory, config) = try Self.makeLog()
        let files = try Self.logFiles(directory)
        let index = directory + "/" + files[0].replacingOccurrences(of: ".log", with: ".index")
        let original = try Data(contentsOf: URL(fileURLWithPath: index))
        try FileManager.default.removeItem(atPath: index)
        var options = PartitionOpenOptions()
        options.cleanShutdown = true
        let log = try PartitionLog.open(directory: directory, config: config, options: options)
        #expect(log.loadReport.rebuiltSegments == [0])
        try log.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == original)
    }

    @Test func corruptIndexIsRebuiltNotFatal() throws {
        let (directory, config) = try Self.makeLog()
        let files = try Self.logFiles(directory)
        let index = directory + "/" + files[0].replacingOccurrences(of: ".log", with: ".index")
        let original = try Data(contentsOf: URL(fileURLWithPath: index))
        try Data(repeating: 0xAB, count: original.count).write(to: URL(fileURLWithPath: index))
        let log = try Self.reopen(directory, config)
        try log.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == original)
        #expect(try LogTestSupport.allRecords(try Self.reopen(directory, config)).count == 200)
    }

    @Test func interruptedSwapIsCompletedAndCleanedOutputDiscarded() throws {
        let (directory, config) = try Self.makeLog()
        let files = try Self.logFiles(directory)
        // A finished replacement for the first segment, waiting as .swap; and an unfinished .cleaned.
        let first = directory + "/" + files[0]
        try FileManager.default.copyItem(atPath: first, toPath: first + ".swap")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/" + files[2] + ".cleaned"))
        try Data([9]).write(to: URL(fileURLWithPath: directory + "/" + files[1] + ".deleted"))
        let log = try Self.reopen(directory, config)
        #expect(log.loadReport.actions.contains { $0.contains("installed") })
        #expect(log.loadReport.actions.contains { $0.contains("removed unfinished cleaner output") })
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!names.contains { $0.hasSuffix(".swap") || $0.hasSuffix(".cleaned") || $0.hasSuffix(".deleted") })
        #expect(try LogTestSupport.allRecords(log).count == 200)
        try log.close()
    }
}
