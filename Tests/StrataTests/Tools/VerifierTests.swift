import Foundation
import NIOCore
import Testing
@testable import Strata
@testable import StrataTools

/// strata-verify on partitions written by Strata and then damaged one way at a time: each
/// damage is reported at its file, byte and offset, and verifying never changes a file.
@Suite struct VerifierTests {
    @Test func aCleanPartitionVerifiesCleanAndNothingOnDiskChanges() throws {
        let directory = try VerifyTestSupport.writePartition(compression: .lz4)
        let before = try VerifyTestSupport.snapshot(directory)
        let outcome = VerifyTestSupport.verify([directory], deep: true)
        #expect(outcome.findings.isEmpty, "\(outcome.text)")
        #expect(outcome.stats.records == 24 * 5)
        #expect(outcome.text.contains(": clean"))
        let after = try VerifyTestSupport.snapshot(directory)
        #expect(Set(after.keys) == Set(before.keys))
        for (name, file) in before {
            #expect(after[name]?.content == file.content && after[name]?.modified == file.modified, "\(name) changed")
        }
    }

    @Test func aFlippedBitIsACRCMismatchOfThatBatchOnly() throws {
        let directory = try VerifyTestSupport.writePartition()
        let log = try VerifyTestSupport.segmentLogs(directory)[0]
        let entries = try VerifyTestSupport.entries(of: log)
        let victim = entries[2]
        try VerifyTestSupport.flipBit(log, at: victim.position + 40, bit: 3)
        let outcome = VerifyTestSupport.verify([directory])
        let logFindings = outcome.findings.filter { $0.file == log }
        #expect(logFindings.map(\.kind) == [.crcMismatch])
        #expect(logFindings.first?.position == victim.position)
        #expect(logFindings.first?.offset == victim.offsets.first)
        #expect(logFindings.first?.declared != logFindings.first?.computed)
        #expect(outcome.exitCode == .findings)
    }

    @Test func aTornTailIsAPartialEntry() throws {
        let directory = try VerifyTestSupport.writePartition()
        let log = try VerifyTestSupport.segmentLogs(directory).last!
        let entries = try VerifyTestSupport.entries(of: log)
        try VerifyTestSupport.truncate(log, to: entries.last!.position + 30)
        let outcome = VerifyTestSupport.verify([log])
        #expect(outcome.findings.contains { $0.kind == .partialTail && $0.position == entries.last!.position && $0.computed == "30 bytes" })
    }

    @Test func indexEntriesMustPointAtBatchStartsAndTheirLastOffsets() throws {
        let directory = try VerifyTestSupport.writePartition()
        let index = directory + "/00000000000000000000.index"
        let data = try Data(contentsOf: URL(fileURLWithPath: index))
        #expect(data.count >= 16)
        // Entry 1: position moved into the middle of a batch; entry 0: offset off by one.
        let position = Int(UInt32(bigEndian: data[12..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        try VerifyTestSupport.patch(index, at: 12, with: withUnsafeBytes(of: UInt32(position + 5).bigEndian, Array.init))
        let relative = Int(UInt32(bigEndian: data[0..<4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        try VerifyTestSupport.patch(index, at: 0, with: withUnsafeBytes(of: UInt32(relative - 1).bigEndian, Array.init))
        let outcome = VerifyTestSupport.verify([directory])
        let found = outcome.about("00000000000000000000.index")
        #expect(found.contains { $0.kind == .indexPosition && $0.position == 8 && $0.declared == "position \(position + 5)" })
        #expect(found.contains { $0.kind == .indexOffsetMismatch && $0.position == 0 })
    }

    @Test func anInactiveSegmentWithoutItsFinalTimeIndexEntryIsFound() throws {
        let directory = try VerifyTestSupport.writePartition()
        let timeIndex = directory + "/00000000000000000000.timeindex"
        let size = try FileManager.default.attributesOfItem(atPath: timeIndex)[.size] as! Int
        try VerifyTestSupport.truncate(timeIndex, to: size - 12)
        let found = VerifyTestSupport.verify([directory]).about("00000000000000000000.timeindex")
        #expect(found.map(\.kind) == [.timeIndexMismatch])
        #expect(found.first?.message.contains("final entry") == true)
    }

    @Test func leftoversCorruptSnapshotsAndFutureTimestampsAreFound() throws {
        let directory = try VerifyTestSupport.writePartition()
        FileManager.default.createFile(atPath: directory + "/00000000000000000000.log.deleted", contents: Data([1, 2, 3]))
        let snapshot = try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".snapshot") }!
        try VerifyTestSupport.flipBit(directory + "/" + snapshot, at: 7, bit: 0)
        let outcome = VerifyTestSupport.verify([directory]) { $0.now = 1_700_000_000_000 - 2 * 86_400_000 }
        #expect(outcome.about(".log.deleted").map(\.kind) == [.leftoverFile])
        #expect(outcome.about(snapshot).map(\.kind) == [.snapshotCorrupt])
        #expect(outcome.findings.filter { $0.kind == .futureTimestamp }.count == 24)
    }

    @Test func aTransactionIndexEntryWithoutItsAbortMarkerIsFound() throws {
        let directory = try makeTemporaryDirectory() + "/txn-0"
        let log = try PartitionLog.open(directory: directory, config: LogTestSupport.smallConfig())
        _ = try log.appendAsLeader(try LogTestSupport.batch(["a", "b"], producerId: 7, epoch: 0, sequence: 0, transactional: true))
        _ = try log.appendTransactionMarker(.abort, producerId: 7, producerEpoch: 0, coordinatorEpoch: 1)
        try log.close()
        #expect(VerifyTestSupport.verify([directory], deep: true).findings.isEmpty)
        // The marker (timestamped now) rolls a new segment after the 2023 batch.
        let txn = directory + "/" + (try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".txnindex") }!)
        try VerifyTestSupport.patch(txn, at: 2 + 7, with: [8])  // producer id 7 → 8
        let outcome = VerifyTestSupport.verify([directory])
        #expect(outcome.about(".txnindex").contains { $0.kind == .transactionIndex && $0.computed == "abort of producer 7" })
    }

    @Test func findingsAsJSONAreOneObjectPerLineWithASummary() throws {
        let directory = try VerifyTestSupport.writePartition()
        let log = try VerifyTestSupport.segmentLogs(directory)[0]
        try VerifyTestSupport.flipBit(log, at: 30, bit: 1)
        let outcome = VerifyTestSupport.verify([directory], json: true)
        let objects = try outcome.text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let finding = try #require(objects.first { $0["type"] as? String == "finding" })
        #expect(finding["kind"] as? String == "crcMismatch")
        #expect(finding["file"] as? String == log)
        #expect(finding["position"] as? Int == 0)
        #expect(finding["offset"] as? Int == 0)
        #expect(finding["declared"] is String && finding["computed"] is String && finding["message"] is String)
        let summary = try #require(objects.last)
        #expect(summary["type"] as? String == "summary")
        #expect(summary["exitCode"] as? Int == 1)
        #expect((summary["byKind"] as? [String: Int])?["crcMismatch"] == 1)
    }
}
