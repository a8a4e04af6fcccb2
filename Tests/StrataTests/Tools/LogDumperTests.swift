import Foundation
import NIOCore
import Testing
@testable import Strata
@testable import StrataTools

/// strata-dump prints what kafka-dump-log prints, word for word (spec section 7.2).
@Suite struct LogDumperTests {
    @Test func theSpecsTwoBatchFileDumpsExactlyAsKafkaDoes() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/00000000000000000000.log"
        try Data(SpecVectorTests.example16 + SpecVectorTests.example17).write(to: URL(fileURLWithPath: path))
        var options = LogDumper.Options()
        options.printDataLog = true
        let out = StringOutput(), err = StringOutput()
        var dumper = LogDumper(options: options, out: out, err: err)
        let known = dumper.dump(path: path)
        #expect(known)
        dumper.finish()
        let expected = """
            Dumping \(path)
            Log starting offset: 0
            baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1700000000005 size: 85 magic: 2 compresscodec: none crc: 1091109999 isvalid: true
            | offset: 0 CreateTime: 1700000000000 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [] key: k1 payload: v1
            | offset: 1 CreateTime: 1700000000005 keySize: 2 valueSize: -1 sequence: -1 headerKeys: [h] key: k2
            baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 lastSequence: -1 producerId: 7 producerEpoch: 1 partitionLeaderEpoch: 0 isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty position: 85 CreateTime: 1700000000010 size: 78 magic: 2 compresscodec: none crc: 2908737791 isvalid: true
            | offset: 2 CreateTime: 1700000000010 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 5

            """
        #expect(out.text == expected)
        #expect(err.text.isEmpty)
        #expect(!dumper.hadProblems)
    }

    @Test func aCorruptTailIsReportedAndTheExitSaysSo() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/00000000000000000000.log"
        try Data(SpecVectorTests.example16 + [UInt8](repeating: 0, count: 40)).write(to: URL(fileURLWithPath: path))
        let out = StringOutput(), err = StringOutput()
        var dumper = LogDumper(options: .init(), out: out, err: err)
        _ = dumper.dump(path: path)
        dumper.finish()
        #expect(err.text.contains("record size 0 is smaller than the minimum record overhead (14)"))
        #expect(err.text.contains("at byte 85"))
        #expect(dumper.hadProblems)
    }

    @Test(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
    func multiBatchIndexEntriesAreReportedAsMismatchesAsKafkaDoes() throws {
        let path = SharedTestData.kafkaReal.appendingPathComponent("invoice-3replicas/kafka-logs/invoice-0/00000000000000060611.index").path
        var options = LogDumper.Options()
        options.verifyIndexOnly = true
        let out = StringOutput(), err = StringOutput()
        var dumper = LogDumper(options: options, out: out, err: err)
        _ = dumper.dump(path: path)
        dumper.finish()
        #expect(out.text == "Dumping \(path)\n")
        #expect(err.text.hasPrefix("Mismatches in :\(path)\n  Index offset: 90866, log offset: "))
    }
}

/// The `--json` contract: one object per line, fields as documented.
@Suite struct LogDumperJSONTests {
    @Test func batchesAndRecordsAsNDJSON() throws {
        let directory = try makeTemporaryDirectory()
        let path = directory + "/00000000000000000000.log"
        try Data(SpecVectorTests.example16 + SpecVectorTests.example17 + [0, 0, 0]).write(to: URL(fileURLWithPath: path))
        var options = LogDumper.Options()
        options.json = true
        options.printDataLog = true
        options.payloadEncoding = .hex
        let out = StringOutput(), err = StringOutput()
        var dumper = LogDumper(options: options, out: out, err: err)
        _ = dumper.dump(path: path)
        dumper.finish()
        let lines = out.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["type"] as? String == "batch" && first["size"] as? Int == 85 && first["crc"] as? Int == 1_091_109_999)
        #expect(first["crcValid"] as? Bool == true && first["compression"] as? String == "none" && first["deleteHorizonMs"] is NSNull)
        let records = first["records"] as! [[String: Any]]
        #expect(records.count == 2)
        #expect(records[0]["key"] as? String == "6b31" && records[0]["value"] as? String == "7631")
        #expect(records[1]["value"] is NSNull && (records[1]["headers"] as! [[String: Any]])[0]["value"] as? String == "78")
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(((second["records"] as! [[String: Any]])[0]["controlType"] as? String) == "COMMIT")
        #expect(err.text.isEmpty)
    }
}

/// strata-dump over every real broker file: one line per batch and per record, no problems
/// reported, and the Redpanda files refused.
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct LogDumperRealFileTests {
    @Test(arguments: RealBrokerFileTests.expectations())
    func everyRealFileDumpsItsBatchesAndRecords(file: String, expected: RealBrokerFileTests.Expected) throws {
        let path = SharedTestData.kafkaReal.appendingPathComponent(file).path
        var options = LogDumper.Options()
        options.deepIteration = true
        let out = StringOutput(), err = StringOutput()
        var dumper = LogDumper(options: options, out: out, err: err)
        let known = dumper.dump(path: path)
        dumper.finish()
        #expect(known)
        let lines = out.text.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("baseOffset: ") || $0.hasPrefix("offset: ") }.count == expected.batches)
        #expect(lines.filter { $0.hasPrefix("| offset: ") }.count == expected.records)
        #expect(!lines.contains { $0.hasSuffix("isvalid: false") })
        #expect(!dumper.hadProblems, "\(err.text.prefix(300))")
    }

    @Test func redpandaFilesAreReportedNotDumped() throws {
        let out = StringOutput(), err = StringOutput()
        var dumper = LogDumper(options: .init(), out: out, err: err)
        dumper.dumpLog(path: SharedTestData.kafkaReal.appendingPathComponent("redpanda-native/3676-7429-77-1-v1.log.1").path)
        dumper.finish()
        #expect(dumper.hadProblems)
        #expect(err.text.contains("smaller than the minimum record overhead"))
    }
}

/// Index files dump one line per entry, as text or as JSON.
@Suite struct IndexDumperTests {
    @Test func offsetAndTimeIndexEntriesAsTextAndJSON() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/dump-0", config: LogTestSupport.smallConfig(segmentBytes: 100_000, indexInterval: 200))
        for i in 0..<20 { try log.appendAsLeader(try LogTestSupport.batch(["v\(i)" + String(repeating: "x", count: 150)], timestamp: 1_000 + Int64(i))) }
        try log.close()
        let segment = log.allSegments[0]
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment.path(SegmentFileName.indexSuffix))))
        let entries = stride(from: 0, to: raw.count, by: 8).map { i in
            (offset: segment.baseOffset + Int64(raw[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }), position: raw[i + 4..<i + 8].reduce(0) { $0 << 8 | Int($1) })
        }
        #expect(entries.count > 3)
        for json in [false, true] {
            var options = LogDumper.Options()
            options.json = json
            let out = StringOutput(), err = StringOutput()
            var dumper = LogDumper(options: options, out: out, err: err)
            _ = dumper.dump(path: segment.path(SegmentFileName.indexSuffix))
            _ = dumper.dump(path: segment.path(SegmentFileName.timeIndexSuffix))
            dumper.finish()
            #expect(err.text.isEmpty && !dumper.hadProblems)
            let lines = out.text.split(separator: "\n").map(String.init)
            let expected = entries.map { entry in
                json ? "{\"type\":\"index\",\"file\":\"\(segment.path(SegmentFileName.indexSuffix))\",\"offset\":\(entry.offset),\"position\":\(entry.position)}"
                    : "offset: \(entry.offset) position: \(entry.position)"
            }
            #expect(Array(lines.drop { json ? false : $0.hasPrefix("Dumping") }.prefix(entries.count)) == expected)
            #expect(lines.contains { json ? $0.hasPrefix("{\"type\":\"timeindex\"") : $0.hasPrefix("timestamp: ") })
        }
    }
}
