import Foundation
import NIOCore
import Testing
@testable import Strata
@testable import StrataTools

/// `--offsets-decoder` and `--transaction-log-decoder`: keys and values of the coordinators'
/// internal topics printed as Kafka 4's kafka-dump-log prints them.
@Suite struct CoordinatorRecordDecoderTests {
    static func dump(_ path: String, decoder: CoordinatorRecordDecoder) -> String {
        var options = LogDumper.Options()
        options.printDataLog = true
        options.coordinatorDecoder = decoder
        let out = StringOutput()
        var dumper = LogDumper(options: options, out: out, err: StringOutput())
        _ = dumper.dump(path: path)
        return out.text
    }

    @Test(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
    func aRealCommittedTransactionReadsEmptyOngoingPrepareCommitCompleteCommit() {
        let path = SharedTestData.kafkaReal.appendingPathComponent("patient-admissions-txn/kafka-data/__transaction_state-44/00000000000000000000.log").path
        let records = Self.dump(path, decoder: .transactionLog).split(separator: "\n").filter { $0.hasPrefix("| ") }
        #expect(records.count == 4)
        #expect(records.allSatisfy { $0.contains(#" key: {"type":"0","data":{"transactionalId":"default_"}} payload: {"version":"0","data":{"producerId":0,"producerEpoch":0,"transactionTimeoutMs":60000,"transactionStatus":"#) })
        #expect(records[1].hasSuffix(#""transactionStatus":1,"transactionPartitions":[{"topic":"_confluent-ksql-default__command_topic","partitionIds":[0]}],"transactionLastUpdateTimestampMs":1728561475379,"transactionStartTimestampMs":1728561475379}}"#))
        #expect(records[3].hasSuffix(#""transactionStatus":4,"transactionPartitions":[],"transactionLastUpdateTimestampMs":1728561475551,"transactionStartTimestampMs":1728561475379}}"#))
    }

    @Test(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
    func aV1GroupWithTheConsumerProtocolShowsItsSubscriptionAndAssignment() {
        let path = SharedTestData.kafkaReal.appendingPathComponent("bullshit-v1/tmp-kafka-logs/__consumer_offsets-40/00000000000000000000.log").path
        let first = Self.dump(path, decoder: .offsets).split(separator: "\n").first { $0.hasPrefix("| ") }!
        #expect(first.hasSuffix(#" key: {"type":"2","data":{"group":"GroupA"}} payload: {"version":"1","data":{"protocolType":"consumer","generation":1,"protocol":"range","leader":"consumer-1-341274c8-2f14-4475-96be-d44f261d5fc9","members":[{"memberId":"consumer-1-341274c8-2f14-4475-96be-d44f261d5fc9","clientId":"consumer-1","clientHost":"/192.168.2.20","rebalanceTimeout":300000,"sessionTimeout":30000,"subscription":{"topics":["foo"],"userData":""},"assignment":{"assignedPartitions":[{"topic":"foo","partitions":[0]}],"userData":""}}]}}"#))
    }

    @Test(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
    func everyRealConsumerOffsetsRecordDecodes() throws {
        let root = SharedTestData.kafkaReal.path
        let logs = FileManager.default.enumerator(atPath: root)!.compactMap { $0 as? String }
            .filter { $0.contains("__consumer_offsets-") && $0.hasSuffix(".log") }
        #expect(logs.count >= 10)
        var commits = 0
        for log in logs {
            let summary = try LogFileSummary.scan(path: root + "/" + log)
            let records = Self.dump(root + "/" + log, decoder: .offsets).split(separator: "\n").filter { $0.hasPrefix("| ") }
            #expect(records.count == summary.records, "\(log)")
            #expect(records.allSatisfy { $0.contains(#" key: {"type":""#) && $0.contains(" payload: {\"version\":\"") || $0.hasSuffix("payload: <DELETE>") }, "\(log)")
            commits += records.filter { $0.contains(#"{"type":"1","data":{"group":"#) }.count
        }
        #expect(commits > 100)
    }

    /// Bytes of a value built field by field (big-endian), as Kafka's schema lays them out.
    static func bytes(_ build: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = ByteBuffer()
        build(&buffer)
        return buffer
    }

    @Test func flexibleVersionsTombstonesAndBadRecords() {
        // Key type 1 (group, topic, partition); value version 4 (flexible: compact string, tags).
        let key = Self.bytes { b in
            b.writeInteger(Int16(1)); b.writeInteger(Int16(1)); b.writeString("g"); b.writeInteger(Int16(1)); b.writeString("t"); b.writeInteger(Int32(3))
        }
        let value = Self.bytes { b in
            b.writeInteger(Int16(4)); b.writeInteger(Int64(42)); b.writeInteger(Int32(7)); b.writeInteger(UInt8(3)); b.writeString("md")
            b.writeInteger(Int64(1_700_000_000_000)); b.writeInteger(UInt8(0))
        }
        let decoded = CoordinatorRecordDecoder.offsets.decode(key: key, value: value, offset: 9)
        #expect(decoded.key == #"{"type":"1","data":{"group":"g","topic":"t","partition":3}}"#)
        #expect(decoded.payload == #"{"version":"4","data":{"offset":42,"leaderEpoch":7,"metadata":"md","commitTimestamp":1700000000000}}"#)
        #expect(CoordinatorRecordDecoder.offsets.decode(key: key, value: nil, offset: 9).payload == "<DELETE>")
        let truncated = CoordinatorRecordDecoder.offsets.decode(key: key, value: value.getSlice(at: 0, length: 12), offset: 9)
        #expect(truncated.key?.hasPrefix("Error at offset 9, skipping. ") == true && truncated.payload == nil)
        let unknown = Self.bytes { $0.writeInteger(Int16(99)) }
        #expect(CoordinatorRecordDecoder.offsets.decode(key: unknown, value: value, offset: 5).key == "Unknown record type 99 at offset 5, skipping.")
        #expect(CoordinatorRecordDecoder.transactionLog.decode(key: nil, value: value, offset: 2).key?.contains("message had a missing key") == true)

        // TransactionLogValue version 1 (no real file has one; encoded here per the schema):
        // compact array and strings, tagged previousProducerId (0) and clientTransactionVersion (2).
        let txnKey = Self.bytes { b in b.writeInteger(Int16(0)); b.writeInteger(Int16(2)); b.writeString("tx") }
        let txnValue = Self.bytes { b in
            b.writeInteger(Int16(1)); b.writeInteger(Int64(5)); b.writeInteger(Int16(2)); b.writeInteger(Int32(60_000)); b.writeInteger(Int8(1))
            b.writeInteger(UInt8(2)); b.writeInteger(UInt8(2)); b.writeString("a"); b.writeInteger(UInt8(3)); b.writeInteger(Int32(0)); b.writeInteger(Int32(1)); b.writeInteger(UInt8(0))
            b.writeInteger(Int64(10)); b.writeInteger(Int64(9))
            b.writeInteger(UInt8(2)); b.writeInteger(UInt8(0)); b.writeInteger(UInt8(8)); b.writeInteger(Int64(4)); b.writeInteger(UInt8(2)); b.writeInteger(UInt8(2)); b.writeInteger(Int16(2))
        }
        let txn = CoordinatorRecordDecoder.transactionLog.decode(key: txnKey, value: txnValue, offset: 0)
        #expect(txn.key == #"{"type":"0","data":{"transactionalId":"tx"}}"#)
        #expect(txn.payload == #"{"version":"1","data":{"producerId":5,"previousProducerId":4,"producerEpoch":2,"transactionTimeoutMs":60000,"transactionStatus":1,"transactionPartitions":[{"topic":"a","partitionIds":[0,1]}],"transactionLastUpdateTimestampMs":10,"transactionStartTimestampMs":9,"clientTransactionVersion":2}}"#)
    }
}
