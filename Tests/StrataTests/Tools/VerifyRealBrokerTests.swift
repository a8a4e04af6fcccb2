import Foundation
import Testing
@testable import Strata
@testable import StrataTools

/// strata-verify's verdicts on files written by real brokers: the oddities found, and nothing
/// else (SOURCES.md of kafka-real describes each).
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct VerifyRealBrokerTests {
    static func real(_ path: String) -> String { SharedTestData.kafkaReal.appendingPathComponent(path).path }

    @Test func kiranasIndexHolesAreFoundWhereTheyAre() {
        let outcome = VerifyTestSupport.verify([Self.real("kirana-index-hole/kafka-data")], deep: true)
        #expect(outcome.kinds == [.indexZeroRun, .indexZeroRun])
        let index = outcome.about("00000000000000000000.index")
        #expect(index.count == 1)
        #expect(index.first?.position == 13 * 8)
        #expect(index.first?.declared == "slots 13...29")
        let time = outcome.about("00000000000000000000.timeindex")
        #expect(time.first?.position == 25 * 12)
        #expect(time.first?.declared == "slots 25...31")
        #expect(outcome.exitCode == .findings)
    }

    @Test func kasparsSegmentNamedHundredHoldingOffsetZeroIsCaught() {
        let outcome = VerifyTestSupport.verify([Self.real("kaspar-fixture")])
        let named100 = outcome.about("someTopic-0/00000000000000000100.log")
        #expect(named100.contains { $0.kind == .baseOffsetMismatch && $0.position == 0 && $0.offset == 0 && $0.declared == "base offset 100 (file name)" })
        #expect(outcome.about("00000000000000000000.log").isEmpty, "the segments named 0 are fine")
        #expect(outcome.exitCode == .findings)
    }

    @Test func invoicesThreeDifferentIndexesOfOneLogAreAllValid() {
        let outcome = VerifyTestSupport.verify([Self.real("invoice-3replicas")], deep: true)
        #expect(outcome.findings.isEmpty, "\(outcome.text)")
        #expect(outcome.stats.records == 3 * 100_294)
        #expect(outcome.exitCode == .ok)
    }

    @Test func backendlabsIndexWithoutLogIsFoundAndItsCompactionGapIsNot() {
        let outcome = VerifyTestSupport.verify([Self.real("backendlabs-snappy-raw")], deep: true)
        let missing = outcome.findings.filter { $0.kind == .indexWithoutLog }.map { ($0.file as NSString).lastPathComponent }
        #expect(missing.sorted() == ["00000000000000258527.index", "00000000000000258527.timeindex"])
        // The compacted segment named 0 starting at 186795 is no error.
        #expect(outcome.about("__consumer_offsets-19/00000000000000000000.log").isEmpty)
        #expect(outcome.about("__consumer_offsets-19/00000000000000000000.timeindex").isEmpty)
        // Everything else found follows from that missing log (offsets past 258527 named elsewhere).
        for finding in outcome.findings where finding.kind != .indexWithoutLog {
            #expect([.snapshotBeyondLog, .checkpointOutOfRange].contains(finding.kind), "\(finding.textLine)")
            #expect(finding.computed == "log end offset 258527", "\(finding.textLine)")
        }
    }

    @Test func redpandasOwnFormatIsNotAKafkaSegment() {
        let files = ["redpanda-native/test_segment.bin", "redpanda-native/3676-7429-77-1-v1.log.1"].map(Self.real)
        let outcome = VerifyTestSupport.verify(files)
        #expect(outcome.kinds == [.notKafkaFormat, .notKafkaFormat])
        #expect(outcome.findings.allSatisfy { $0.position == 0 })
        #expect(outcome.exitCode == .findings)
    }

    @Test(arguments: ["biggerbrain-gzip", "bullshit-v1", "citypulse-kraft", "kafkalite-v0", "patient-admissions-txn", "seanorth-snappy", "spooldir-lz4"])
    func everyOtherRealDirectoryVerifiesClean(_ directory: String) {
        let outcome = VerifyTestSupport.verify([Self.real(directory)], deep: true)
        #expect(outcome.findings.isEmpty, "\(outcome.text)")
        #expect(outcome.stats.batches > 0)
        #expect(outcome.exitCode == .ok)
    }

    @Test func everyRecordOfTheCollectionIsCountedWithDeep() {
        let outcome = VerifyTestSupport.verify([SharedTestData.kafkaReal.path], deep: true)
        // SOURCES.md: 50,805 batches and 366,618 records in the 72 record-batch files.
        #expect(outcome.stats.batches == 50_805)
        #expect(outcome.stats.records == 366_618)
    }
}
