import Foundation
import Testing
@testable import Strata
@testable import StrataTools

/// `strata-verify --repair`: damaged batches cut aside into files beside the segment, bad
/// indexes rebuilt, the result verified clean, and every undamaged record kept.
@Suite struct RepairTests {
    @Test func aDamagedBatchInTheMiddleIsCutAsideAndEveryOtherRecordKept() throws {
        let directory = try VerifyTestSupport.writePartition(compression: .gzip)
        let original = try VerifyTestSupport.records(in: directory)
        let log = try VerifyTestSupport.segmentLogs(directory)[0]
        let victim = try VerifyTestSupport.entries(of: log)[1]
        try VerifyTestSupport.flipBit(log, at: victim.position + victim.size - 3, bit: 5)
        let damaged = try Data(contentsOf: URL(fileURLWithPath: log))[victim.position..<(victim.position + victim.size)]
        let repair = VerifyTestSupport.repair([directory])
        #expect(repair.exitCode == .ok, "\(repair.text)\(repair.errors)")
        #expect(repair.text.contains("rewrite \(log) without 1 damaged range"))
        let saved = try Data(contentsOf: URL(fileURLWithPath: log + ".cut-\(victim.position)"))
        #expect(saved == damaged)
        var expected = original
        for offset in victim.offsets { expected[offset] = nil }
        #expect(try VerifyTestSupport.records(in: directory) == expected)
        #expect(VerifyTestSupport.verify([directory], deep: true).findings.isEmpty)
    }

    @Test func aTornTailIsTruncatedAndItsBytesSavedBesideTheSegment() throws {
        let directory = try VerifyTestSupport.writePartition()
        let original = try VerifyTestSupport.records(in: directory)
        let log = try VerifyTestSupport.segmentLogs(directory).last!
        let last = try VerifyTestSupport.entries(of: log).last!
        try VerifyTestSupport.truncate(log, to: last.position + 25)
        let repair = VerifyTestSupport.repair([directory])
        #expect(repair.exitCode == .ok, "\(repair.text)\(repair.errors)")
        #expect(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int == last.position)
        #expect(try Data(contentsOf: URL(fileURLWithPath: log + ".cut-\(last.position)")).count == 25)
        var expected = original
        for offset in last.offsets { expected[offset] = nil }
        #expect(try VerifyTestSupport.records(in: directory) == expected)
    }

    @Test func anIndexWithAHoleIsRebuiltAndTheLogIsUntouched() throws {
        let directory = try VerifyTestSupport.writePartition()
        let index = directory + "/00000000000000000000.index"
        let rebuiltByStrata = try Data(contentsOf: URL(fileURLWithPath: index))
        let logBefore = try Data(contentsOf: URL(fileURLWithPath: directory + "/00000000000000000000.log"))
        try VerifyTestSupport.patch(index, at: 8, with: [UInt8](repeating: 0, count: 16))
        #expect(VerifyTestSupport.verify([directory]).kinds.contains(.indexZeroRun))
        let repair = VerifyTestSupport.repair([directory])
        #expect(repair.exitCode == .ok, "\(repair.text)\(repair.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == rebuiltByStrata)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/00000000000000000000.log")) == logBefore)
    }

    @Test func aDryRunPrintsThePlanAndChangesNothing() throws {
        let directory = try VerifyTestSupport.writePartition()
        let log = try VerifyTestSupport.segmentLogs(directory)[0]
        try VerifyTestSupport.flipBit(log, at: 50, bit: 0)
        let before = try VerifyTestSupport.snapshot(directory)
        let repair = VerifyTestSupport.repair([directory], dryRun: true)
        #expect(repair.exitCode == .findings)
        #expect(repair.text.contains("Repair plan (dry run, nothing changed):"))
        #expect(repair.text.contains("save bytes 0..<"))
        let after = try VerifyTestSupport.snapshot(directory)
        #expect(Set(after.keys) == Set(before.keys))
        #expect(after.allSatisfy { before[$0.key]?.content == $0.value.content })
    }

    @Test func offsetProblemsAndSymbolicLinksAreLeftToTheOperator() throws {
        let directory = try VerifyTestSupport.writePartition()
        let logs = try VerifyTestSupport.segmentLogs(directory)
        // A segment renamed above its own offsets, and an index that is a link elsewhere.
        let renamed = directory + "/00000000000000099999.log"
        try FileManager.default.moveItem(atPath: logs[1], toPath: renamed)
        let elsewhere = try makeTemporaryDirectory() + "/other.index"
        try Data(repeating: 0, count: 64).write(to: URL(fileURLWithPath: elsewhere))
        let index = directory + "/00000000000000000000.index"
        try FileManager.default.removeItem(atPath: index)
        try FileManager.default.createSymbolicLink(atPath: index, withDestinationPath: elsewhere)
        let before = try VerifyTestSupport.snapshot(directory)
        let repair = VerifyTestSupport.repair([directory])
        #expect(repair.exitCode == .findings)
        #expect(repair.text.components(separatedBy: "leave \(renamed) alone: baseOffsetMismatch").count == 2, "once per file and kind")
        #expect(repair.text.contains("leave \(index) alone: a symbolic link"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: elsewhere)) == Data(repeating: 0, count: 64))
        #expect(try VerifyTestSupport.snapshot(directory).mapValues(\.content) == before.mapValues(\.content))
    }
}

/// Repair on a copy of a real broker's damaged directory.
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct RealBrokerRepairTests {
    @Test func kiranasHoledIndexesAreRebuiltAndTheLogIsUntouched() throws {
        let source = SharedTestData.kafkaReal.appendingPathComponent("kirana-index-hole/kafka-data").path
        let data = try makeTemporaryDirectory() + "/kafka-data"
        try FileManager.default.copyItem(atPath: source, toPath: data)
        let partition = data + "/__consumer_offsets-21"
        for name in try FileManager.default.contentsOfDirectory(atPath: partition) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: partition + "/" + name)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: partition)
        let log = try Data(contentsOf: URL(fileURLWithPath: partition + "/00000000000000000000.log"))
        let repair = VerifyTestSupport.repair([data], indexInterval: 4096)
        #expect(repair.exitCode == .ok, "\(repair.text)\(repair.errors)")
        #expect(repair.text.contains("rebuild the indexes of \(partition)/00000000000000000000 from its log"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: partition + "/00000000000000000000.log")) == log)
        // Kafka's sparse rule over an 83 KB log: about one entry per 4 KiB, none zero.
        let rebuilt = try Data(contentsOf: URL(fileURLWithPath: partition + "/00000000000000000000.index"))
        #expect((15...21).contains(rebuilt.count / 8))
        #expect(VerifyTestSupport.verify([data], deep: true).findings.isEmpty)
    }
}
