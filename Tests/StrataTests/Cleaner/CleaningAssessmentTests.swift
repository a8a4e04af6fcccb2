import Foundation
import NIOCore
import Testing
@testable import Strata

/// Spec 6.1: what is dirty, how far cleaning may go, and when it must happen.
@Suite struct CleaningAssessmentTests {
    /// Four segments of 1000 bytes (segment i: records from now − 11 000 + 2 000·i to
    /// now − 10 000 + 2 000·i) and an active one at offset 40.
    static func segments(_ now: Int64) -> [CleaningAssessment.Segment] {
        var result: [CleaningAssessment.Segment] = []
        for index in 0..<5 {
            let step: Int64 = Int64(index) * 2_000
            let largest: Int64 = now - 10_000 + step
            let first: Int64 = now - 11_000 + step
            result.append(CleaningAssessment.Segment(baseOffset: Int64(index * 10), size: index == 4 ? 100 : 1000,
                                                     largestTimestamp: { largest }, firstBatchTimestamp: { first }))
        }
        return result
    }

    static func assess(checkpoint: Int64?, lastStable: Int64 = 45, configure: (inout LogConfig) -> Void = { _ in }) throws -> CleaningAssessment {
        var config = LogConfig()
        config.cleanupPolicy = .compact
        configure(&config)
        return try CleaningAssessment.assess(segments: segments(100_000), logStartOffset: 0, logEndOffset: 45, lastStableOffset: lastStable,
                                             highWatermark: 45, checkpoint: checkpoint, config: config, now: 100_000)
    }

    @Test func dirtyRatioCountsWholeSegmentsAndNeverTheActiveOne() throws {
        let fresh = try Self.assess(checkpoint: nil)
        #expect(fresh.firstDirtyOffset == 0 && fresh.firstUncleanableOffset == 40)
        #expect(fresh.cleanBytes == 0 && fresh.cleanableBytes == 4000 && fresh.dirtyRatio == 1)
        let half = try Self.assess(checkpoint: 20)
        #expect(half.cleanBytes == 2000 && half.cleanableBytes == 2000 && half.dirtyRatio == 0.5)
        // Strictly greater than min.cleanable.dirty.ratio.
        #expect(!half.isEligible(minCleanableRatio: 0.5))
        #expect(half.isEligible(minCleanableRatio: 0.49))
        // A checkpoint beyond the log end is reset to the log start.
        #expect(try Self.assess(checkpoint: 99).firstDirtyOffset == 0)
    }

    @Test func anOpenTransactionStopsCleaningAtItsSegment() throws {
        let open = try Self.assess(checkpoint: nil, lastStable: 25)
        #expect(open.firstUncleanableOffset == 20)
        #expect(open.blockers.contains { $0.contains("open transaction") })
    }

    @Test func minCompactionLagKeepsRecentSegmentsDirty() throws {
        // Segment 2's largest timestamp is 100_000 - 6_000: a 7 s lag stops cleaning there.
        let lagged = try Self.assess(checkpoint: nil) { $0.minCompactionLagMs = 7_000 }
        #expect(lagged.firstUncleanableOffset == 20)
        #expect(lagged.blockers.contains { $0.contains("min.compaction.lag.ms") })
    }

    @Test func maxCompactionLagForcesCleaningWhateverTheRatio() throws {
        let relaxed = try Self.assess(checkpoint: 30)
        #expect(!relaxed.mustCleanNow)
        #expect(!relaxed.isEligible(minCleanableRatio: 0.5))
        // The dirty segment's first batch is 100_000 - 5_000 old: past a 4 s max lag.
        let forced = try Self.assess(checkpoint: 30) { $0.maxCompactionLagMs = 4_000 }
        #expect(forced.mustCleanNow && forced.isEligible(minCleanableRatio: 0.99))
    }
}
