import Dispatch
import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Strata

/// One writer and several readers on the same partition at once: readers always see whole,
/// correct batches up to the high watermark, while segments roll under them.
@Suite struct ConcurrentReadersTests {
    @Test func readersSeeConsistentDataWhileTheWriterAppendsAndRolls() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/concurrent-0", config: LogTestSupport.smallConfig(segmentBytes: 8_000, indexInterval: 256))
        let total = 1_500
        let done = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])
        let readsDone = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                for i in 0..<total {
                    do {
                        try log.appendAsLeader(try LogTestSupport.batch(["value-\(i)"]))
                    } catch {
                        problems.withLock { $0.append("append \(i): \(error)") }
                    }
                }
                done.store(true, ordering: .releasing)
                return
            }
            var rng = SeededGenerator(seed: UInt64(worker))
            while !done.load(ordering: .acquiring) || readsDone.load(ordering: .relaxed) < 300 {
                let end = log.highWatermark
                guard end > 0 else { continue }
                let offset = Int64.random(in: 0..<end, using: &rng)
                do {
                    let fetch = try log.read(from: offset, maxBytes: 2_000)
                    var expected = offset
                    for entry in fetch.entries {
                        for record in try entry.records() where record.offset >= offset {
                            if record.offset != expected || String(buffer: record.value!) != "value-\(record.offset)" {
                                problems.withLock { $0.append("read from \(offset): got \(record.offset) \(String(buffer: record.value!)), expected \(expected)") }
                            }
                            expected = record.offset + 1
                        }
                    }
                    if fetch.entries.isEmpty { problems.withLock { $0.append("read from \(offset) below the high watermark \(end) returned nothing") } }
                } catch {
                    problems.withLock { $0.append("read from \(offset): \(error)") }
                }
                readsDone.add(1, ordering: .relaxed)
            }
        }
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(5) })")
        #expect(log.logEndOffset == Int64(total) && log.segmentBaseOffsets.count > 3)
        try log.close()
    }
}
