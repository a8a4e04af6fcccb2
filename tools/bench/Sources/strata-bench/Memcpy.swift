import StrataSimulation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memcpy limit: copying the same number of bytes from one warm buffer to another.
///
/// Every throughput in the report is set against either this or a raw codec library.
final class MemcpyBaseline {
    private let source: UnsafeMutableRawPointer
    private let destination: UnsafeMutableRawPointer
    private let capacity: Int

    /// Buffers of `capacity` bytes, page-aligned, the source filled with pseudo-random bytes.
    init(capacity: Int) {
        self.capacity = capacity
        source = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
        destination = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
        var random = SeededGenerator(seed: 0x5EED)
        for index in 0..<capacity { source.storeBytes(of: UInt8(truncatingIfNeeded: random.next()), toByteOffset: index, as: UInt8.self) }
        memset(destination, 0, capacity)
    }

    deinit {
        source.deallocate()
        destination.deallocate()
    }

    /// Measures copying `bytes` bytes (at most the capacity).
    func measure(bytes: Int, _ settings: TimingSettings) -> Measurement {
        precondition(bytes <= capacity)
        return Timing.measure(settings) {
            memcpy(destination, source, bytes)
            blackHole(Int(destination.load(fromByteOffset: bytes - 1, as: UInt8.self)))
        }
    }

    /// Read-only pseudo-random bytes (the CRC benchmark's input).
    func randomBytes(_ bytes: Int) -> UnsafeRawBufferPointer {
        precondition(bytes <= capacity)
        return UnsafeRawBufferPointer(start: source, count: bytes)
    }
}
