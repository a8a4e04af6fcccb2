import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import Strata

/// Readers running while the cleaner replaces segments (and their files are unlinked at once)
/// finish their reads through the old handles: no read fails.
@Suite struct ConcurrentCleaningReadsTests {
    @Test func readsDuringCleaningNeverFail() throws {
        let clock = TestClock()
        let log = try CleanerTestSupport.open(CleanerTestSupport.temporaryDirectory() + "/c-0", config: CleanerTestSupport.compactedConfig(), clock: clock)
        for index in 0..<200 {
            try log.appendAsLeader(try CleanerTestSupport.batch([("k\(index % 13)", "value-\(index)-" + String(repeating: "x", count: 40))], timestamp: clock.now))
        }
        let stop = NIOLockedValueBox(false)
        let failures = NIOLockedValueBox<[String]>([])
        let reads = NIOLockedValueBox(0)
        let readers = DispatchGroup()
        for reader in 0..<2 {
            DispatchQueue.global().async(group: readers) {
                var rng = SystemRandomNumberGenerator()
                while !stop.withLockedValue({ $0 }) {
                    let start = log.logStartOffset, end = log.logEndOffset
                    guard end > start else { continue }
                    let offset = Int64.random(in: start..<end, using: &rng)
                    do {
                        let fetch = try log.read(from: offset, maxBytes: 2_048)
                        for entry in fetch.entries { _ = try entry.records() }
                        reads.withLockedValue { $0 += 1 }
                    } catch is OffsetOutOfRangeError {
                        // The log start moved past the offset: a legitimate answer.
                    } catch {
                        failures.withLockedValue { $0.append("reader \(reader) at \(offset): \(error)") }
                    }
                }
            }
        }
        var cleanings = 0
        for round in 0..<25 {
            for index in 0..<20 {
                try log.appendAsLeader(try CleanerTestSupport.batch([("k\((round * 20 + index) % 13)", "round-\(round)-\(index)")], timestamp: clock.now))
            }
            try log.roll()
            // Let the readers run between cleanings even on a busy machine.
            let before = reads.withLockedValue { $0 }
            for _ in 0..<200 where reads.withLockedValue({ $0 }) < before + 5 { usleep(5_000) }
            if try LogCleaner.clean(log, checkpoint: nil).cleaned { cleanings += 1 }
        }
        stop.withLockedValue { $0 = true }
        readers.wait()
        #expect(cleanings > 5)
        #expect(reads.withLockedValue { $0 } > 100)
        let failed = failures.withLockedValue { $0 }
        #expect(failed.count == 0, "\(failed.count) failed reads, e.g. \(failed.prefix(3))")
        try log.close()
    }
}
