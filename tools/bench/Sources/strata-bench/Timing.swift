#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long and how often each figure is measured.
struct TimingSettings {
    /// Repetitions per figure; the best one is reported.
    var repetitions = 8
    /// Target length of one repetition, in seconds.
    var repetitionSeconds = 0.125
    /// Iterations run once, untimed, to count allocations (fewer when an iteration is slow).
    var allocationSampleIterations = 16
}

/// The result of measuring one operation.
struct Measurement {
    /// Seconds per iteration in the fastest repetition.
    var secondsPerIteration: Double
    /// Heap allocations per iteration (process-wide malloc-family calls), after warm-up.
    var allocationsPerIteration: Double

    /// Throughput in bytes per second when each iteration processes `bytes` bytes.
    func bytesPerSecond(_ bytes: Int) -> Double { Double(bytes) / secondsPerIteration }
}

/// Best-of-N wall-clock timing on the calling thread.
enum Timing {
    /// Monotonic time in seconds.
    @inline(__always)
    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// Runs `body` `iterations` times and returns the elapsed seconds.
    @inline(__always)
    private static func time(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
        let start = now()
        for _ in 0..<iterations { try body() }
        return now() - start
    }

    /// Measures `body`: one warm-up call, a calibration that sizes a repetition to about
    /// `settings.repetitionSeconds`, an untimed allocation count, then
    /// `settings.repetitions` timed repetitions of which the fastest is kept.
    static func measure(_ settings: TimingSettings, _ body: () throws -> Void) rethrows -> Measurement {
        try body()  // warm-up: caches, lazily created codec state, page faults
        // Calibrate: grow the iteration count until a run is long enough to time reliably.
        var iterations = 1
        var elapsed = try time(iterations, body)
        while elapsed < settings.repetitionSeconds / 8 {
            iterations *= 4
            elapsed = try time(iterations, body)
        }
        iterations = max(1, Int((Double(iterations) * settings.repetitionSeconds / elapsed).rounded()))

        let sample = max(1, min(settings.allocationSampleIterations, iterations))
        let allocations = try AllocationCounter.count(iterations: sample, body)

        var best = Double.infinity
        for _ in 0..<settings.repetitions {
            best = min(best, try time(iterations, body) / Double(iterations))
        }
        return Measurement(secondsPerIteration: best, allocationsPerIteration: allocations)
    }
}

/// Keeps a computed value alive so the optimizer cannot drop the work that produced it.
///
/// It writes through a pointer rather than to a global variable, which would add a dynamic
/// exclusivity check (swift_beginAccess) to every measured iteration.
@inline(never)
func blackHole(_ value: Int) {
    blackHoleSink.pointee &+= value
}

nonisolated(unsafe) private let blackHoleSink: UnsafeMutablePointer<Int> = {
    let pointer = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return pointer
}()
