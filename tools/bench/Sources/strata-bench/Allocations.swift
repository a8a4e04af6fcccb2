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

/// The state of glibc's allocator that the figures depend on.
enum AllocatorWarmUp {
    /// Raises glibc's dynamic mmap threshold as a long-running process that has handled
    /// megabyte batches already has.
    ///
    /// glibc serves allocations of 128 KiB and more with mmap (fresh zeroed pages, a page
    /// fault per 4 KiB, munmap on free) until a freed mmapped block raises the threshold to
    /// its size. Without this, a figure would depend on which sections ran before it (a
    /// `--codecs lz4` run would time mmap and page faults that a full run does not).
    static func run() {
        let block = UnsafeMutableRawPointer.allocate(byteCount: 8 << 20, alignment: 16)
        block.storeBytes(of: 1, as: UInt8.self)
        blackHole(Int(block.load(as: UInt8.self)))
        block.deallocate()
    }
}
