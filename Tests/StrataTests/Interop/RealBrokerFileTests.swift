import Foundation
import Testing
@testable import Strata

/// Every record-batch file written by a real broker decodes to the numbers in EXPECTED.json.
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct RealBrokerFileTests {
    struct Expected: Decodable {
        var kind: String
        var size: Int
        var batches: Int?
        var records: Int?
        var magic: [String: Int]?
        var codecs: [String: Int]?
        var crc_invalid: Int?
        var transactional_batches: Int?
        var control_batches: Int?
        var control_records: [String: Int]?
        var distinct_producer_ids: Int?
        var first_offset: Int64?
        var last_offset: Int64?
        var min_timestamp: Int64?
        var max_timestamp: Int64?
        var valid_bytes: Int?
    }

    static func expectations() -> [(String, Expected)] {
        guard SharedTestData.isAvailable,
              let data = try? Data(contentsOf: SharedTestData.kafkaReal.appendingPathComponent("EXPECTED.json")),
              let all = try? JSONDecoder().decode([String: Expected].self, from: data)
        else { return [] }
        return all.filter { $0.value.kind == "records" }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func controlName(_ expectedKey: String) -> String {
        switch expectedKey {
        case "commit": "COMMIT"
        case "abort": "ABORT"
        default: ControlRecordType(id: Int16(expectedKey.dropFirst(4))!).name
        }
    }

    @Test(arguments: expectations())
    func recordFileMatchesExpected(file: String, expected: Expected) throws {
        let path = SharedTestData.kafkaReal.appendingPathComponent(file).path
        let summary = try LogFileSummary.scan(path: path)
        #expect(summary.batches == expected.batches)
        #expect(summary.records == expected.records)
        #expect(Dictionary(uniqueKeysWithValues: summary.magics.map { (String($0.key), $0.value) }) == expected.magic)
        #expect(summary.codecs == expected.codecs)
        #expect(summary.invalidCRCs == expected.crc_invalid)
        #expect(summary.transactionalBatches == expected.transactional_batches)
        #expect(summary.controlBatches == expected.control_batches)
        let expectedControl = Dictionary(uniqueKeysWithValues: (expected.control_records ?? [:]).map { (Self.controlName($0.key), $0.value) })
        #expect(summary.controlRecords == expectedControl)
        #expect(summary.producerIds.count == expected.distinct_producer_ids)
        #expect(summary.firstOffset == expected.first_offset)
        #expect(summary.lastOffset == expected.last_offset)
        #expect(summary.minTimestamp == expected.min_timestamp)
        #expect(summary.maxTimestamp == expected.max_timestamp)
        #expect(summary.validBytes == expected.valid_bytes)
        #expect(summary.stop == .endOfData)
    }

    @Test(arguments: ["redpanda-native/test_segment.bin", "redpanda-native/3676-7429-77-1-v1.log.1"])
    func redpandaSegmentIsNotKafka(file: String) throws {
        let path = SharedTestData.kafkaReal.appendingPathComponent(file).path
        let error = try #require(throws: StrataFormatError.self) { try LogFileSummary.scan(path: path) }
        #expect(error.code == .notKafkaFormat)
        #expect(error.description.contains("not a Kafka segment"))
        #expect(error.description.contains(file.split(separator: "/").last!))
    }

    /// The golden files are Haskell `show` output: quotes, backslashes and control characters escaped.
    static func haskellEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    @Test func kafkaliteHamletDecodesToItsGoldenLines() throws {
        let root = SharedTestData.kafkaReal.appendingPathComponent("kafkalite-v0")
        for topic in ["hamlet-none-0", "hamlet-gzip-0", "hamlet-snappy-0", "numbers-0"] {
            var reader = try LogFileReader(path: root.appendingPathComponent("fs-data/\(topic)/00000000000000000000.log").path)
            var lines: [String] = []
            while let entry = try reader.next() {
                for record in try entry.records() {
                    let value = record.value.map { String(buffer: $0) } ?? ""
                    lines.append("\(record.offset): \"\(Self.haskellEscaped(value))\"")
                }
            }
            let golden = try String(contentsOf: root.appendingPathComponent("golden/\(topic)"), encoding: .utf8)
            let goldenLines = golden.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            #expect(lines.count == goldenLines.count, "\(topic)")
            let firstDifference = zip(lines, goldenLines).first { $0 != $1 }
            #expect(firstDifference == nil, "\(topic): first difference \(String(describing: firstDifference))")
        }
    }
}
