import CBenchMallocCounter

/// Reads the process-wide allocation counter of `CBenchMallocCounter`, whose malloc family
/// interposes glibc's for the whole process.
enum AllocationCounter {
    /// Malloc-family calls made by the process so far.
    static var total: UInt64 { bench_malloc_count() }

    /// Average allocations per call of `body` over `iterations` calls.
    static func count(iterations: Int, _ body: () throws -> Void) rethrows -> Double {
        let before = total
        for _ in 0..<iterations { try body() }
        return Double(total &- before) / Double(iterations)
    }

    /// True when the counter sees a Swift heap allocation, i.e. the interposition works.
    static func isWorking() -> Bool {
        let before = total
        var array = [Int](repeating: 0, count: 4096)
        array[Int(before % 4096)] = 1
        blackHole(array.reduce(0, +))
        return total > before
    }
}
