import Foundation
import NIOCore
import Testing
@testable import Strata

/// Every real broker partition directory opens read-only, changes nothing, and reads back
/// every record it holds; rebuilt indexes follow Kafka's per-batch sparse rule.
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct RealPartitionDirectoryTests {
    struct Expected: Decodable { var kind: String; var records: Int? }

    /// Partition directories holding `.log` files, with the records EXPECTED.json counts in them.
    static func partitionDirectories() -> [(String, Int)] {
        guard SharedTestData.isAvailable,
              let data = try? Data(contentsOf: SharedTestData.kafkaReal.appendingPathComponent("EXPECTED.json")),
              let expected = try? JSONDecoder().decode([String: Expected].self, from: data) else { return [] }
        var counts: [String: Int] = [:]
        for (file, value) in expected where value.kind == "records" && file.hasSuffix(".log") && !file.contains("redpanda") {
            let directory = (file as NSString).deletingLastPathComponent
            guard TopicPartition(directoryName: (directory as NSString).lastPathComponent) != nil else { continue }
            counts[directory, default: 0] += value.records ?? 0
        }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }

    @Test(arguments: partitionDirectories())
    func opensReadOnlyAndReadsEveryRecord(directory: String, expectedRecords: Int) throws {
        let path = SharedTestData.kafkaReal.appendingPathComponent(directory).path
        let before = try Self.snapshot(path)
        var options = PartitionOpenOptions()
        options.readOnly = true
        let log = try PartitionLog.open(directory: path, config: LogConfig(), options: options)
        let records = try LogTestSupport.allRecords(log)
        if directory.hasSuffix("someTopic-0") {
            // kaspar's 00000000000000000100.log holds offset 0: it does not belong there, is
            // reported and not read.
            #expect(records.count == 1)
            #expect(log.loadReport.actions.contains { $0.contains("segment 100") && $0.contains("does not belong") })
        } else {
            #expect(records.count == expectedRecords, "\(directory)")
        }
        let offsets = records.map(\.offset)
        #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count, "\(directory)")
        #expect(try Self.snapshot(path) == before, "a read-only open changed \(directory)")
    }

    @Test func indexHoleIsReportedAndNotTrusted() throws {
        let path = SharedTestData.kafkaReal.appendingPathComponent("kirana-index-hole/kafka-data/__consumer_offsets-21").path
        var options = PartitionOpenOptions()
        options.readOnly = true
        options.cleanShutdown = true
        let log = try PartitionLog.open(directory: path, config: LogConfig(), options: options)
        #expect(log.loadReport.actions.contains { $0.contains("index of segment 0 is inconsistent") })
        #expect(try LogTestSupport.allRecords(log).count == 327)
        // Reading at every offset finds the right batch despite the hole.
        for offset in stride(from: Int64(0), to: 327, by: 7) {
            let fetch = try log.read(from: offset, maxBytes: 1)
            #expect(fetch.entries.first.map { $0.lastOffset >= offset } == true)
        }
    }

    /// Copies a real partition, rebuilds its indexes by recovery, and checks they are exactly
    /// the per-batch sparse rule: an entry for the batch at P iff P − Pprev > 4096.
    @Test(arguments: ["kafka-logs", "kafka-logs-1", "kafka-logs-2"])
    func rebuiltIndexesFollowThePerBatchRule(broker: String) throws {
        let source = SharedTestData.kafkaReal.appendingPathComponent("invoice-3replicas/\(broker)/invoice-0").path
        let copy = try makeTemporaryDirectory() + "/invoice-0"
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        for name in try FileManager.default.contentsOfDirectory(atPath: copy) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy + "/" + name)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
        let log = try PartitionLog.open(directory: copy, config: LogConfig())  // unclean: every segment recovered
        #expect(log.loadReport.rebuiltSegments.count == 4)
        try log.close()
        var matchingBrokerIndexes = 0
        for segment in log.allSegments {
            var reader = try LogFileReader(path: segment.path(SegmentFileName.logSuffix))
            var expected: [(Int64, Int)] = []
            var previous = 0
            while let entry = try reader.next() {
                if entry.position - previous > 4096 {
                    expected.append((entry.lastOffset - segment.baseOffset, entry.position))
                    previous = entry.position
                }
            }
            let rebuilt = try Data(contentsOf: URL(fileURLWithPath: segment.path(SegmentFileName.indexSuffix)))
            let entries = stride(from: 0, to: rebuilt.count, by: 8).map { i in
                (Int64(rebuilt[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }), rebuilt[i + 4..<i + 8].reduce(0) { $0 << 8 | Int($1) })
            }
            #expect(entries.map(\.0) == expected.map(\.0) && entries.map(\.1) == expected.map(\.1), "\(broker) segment \(segment.baseOffset)")
            let original = source + "/" + SegmentFileName.prefix(for: segment.baseOffset) + SegmentFileName.indexSuffix
            if let brokerIndex = FileManager.default.contents(atPath: original), brokerIndex == rebuilt { matchingBrokerIndexes += 1 }
        }
        print("invoice \(broker): \(matchingBrokerIndexes) of the broker's indexes equal the per-batch rebuild")
    }
}
