/// State shared by the sections of one run: timing settings, the memcpy limit, the
/// workloads (generated once per batch size), and the tally of targets.
final class BenchmarkRun {
    /// The batch (and buffer) sizes every section measures.
    static let batchSizes = [16 << 10, 256 << 10, 1 << 20]

    let timing: TimingSettings
    var scoreboard = Scoreboard()
    let memcpy = MemcpyBaseline(capacity: batchSizes.max()!)
    private var memcpyRates: [Int: Double] = [:]
    private var workloads: [Int: Workload] = [:]

    init(timing: TimingSettings) { self.timing = timing }

    /// The memcpy limit for `bytes` bytes, in bytes per second (measured once per size).
    func memcpyRate(bytes: Int) -> Double {
        if let rate = memcpyRates[bytes] { return rate }
        let rate = memcpy.measure(bytes: bytes, timing).bytesPerSecond(bytes)
        memcpyRates[bytes] = rate
        return rate
    }

    /// The records of a batch of at most `batchBytes` bytes (generated once per size).
    func workload(batchBytes: Int) throws -> Workload {
        if let workload = workloads[batchBytes] { return workload }
        let workload = try Workload(batchBytes: batchBytes)
        workloads[batchBytes] = workload
        return workload
    }
}
