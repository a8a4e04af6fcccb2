import Testing
@testable import Strata

@Suite struct SegmentFileNameTests {
    @Test func prefixesAreTwentyDigits() {
        #expect(SegmentFileName.prefix(for: 0) == "00000000000000000000")
        #expect(SegmentFileName.prefix(for: 368769) == "00000000000000368769")
        #expect(SegmentFileName.prefix(for: Int64.max) == "09223372036854775807")
        #expect(SegmentFileName.prefix(for: -1) == "-00000000000000000001")
        #expect(SegmentFileName.name(for: 42, suffix: SegmentFileName.logSuffix) == "00000000000000000042.log")
    }

    @Test func baseOffsetIsThePartBeforeTheFirstDot() {
        #expect(SegmentFileName.baseOffset(of: "00000000000000000042.log") == 42)
        #expect(SegmentFileName.baseOffset(of: "00000000000000000042.log.deleted") == 42)
        #expect(SegmentFileName.baseOffset(of: "00000000000000368769.timeindex.swap") == 368769)
        #expect(SegmentFileName.baseOffset(of: "7.index") == 7)
        #expect(SegmentFileName.baseOffset(of: "09223372036854775807.log") == Int64.max)
        #expect(SegmentFileName.baseOffset(of: "09223372036854775808.log") == nil)
        #expect(SegmentFileName.baseOffset(of: ".log") == nil)
        #expect(SegmentFileName.baseOffset(of: "abc.log") == nil)
        #expect(SegmentFileName.baseOffset(of: "-1.log") == nil)
        #expect(SegmentFileName.baseOffset(of: "leader-epoch-checkpoint") == nil)
    }

    @Test func suffixes() {
        #expect([SegmentFileName.logSuffix, SegmentFileName.indexSuffix, SegmentFileName.timeIndexSuffix,
                 SegmentFileName.transactionIndexSuffix, SegmentFileName.snapshotSuffix, SegmentFileName.deletedSuffix,
                 SegmentFileName.cleanedSuffix, SegmentFileName.swapSuffix]
                == [".log", ".index", ".timeindex", ".txnindex", ".snapshot", ".deleted", ".cleaned", ".swap"])
    }
}
