#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Strata

/// Compaction throughput: `LogCleaner.clean` on an uncompressed partition (1 GiB of ~1 KiB
/// records, `--quick` 128 MiB) in which 10% of the keys are live (each key written ten times
/// on average), next to a plain copy of the same `.log` bytes (read, write to new files,
/// fsync) in the same run; and the phase's peak resident memory against the offset map's
/// configured buffer. Target: compaction ≥ 0.5 × copy; peak ≤ buffer + a small constant.
enum CompactionBenchmark {
    static let mapBytes = 32 << 20

    /// 1 GiB, 128 MiB with `--quick`, or what `--log-mib` says.
    static func logBytes(for storage: StorageSettings) -> Int {
        storage.logSizeIsExplicit ? storage.logBytes : storage.logBytes < 1000 << 20 ? 128 << 20 : 1 << 30
    }

    static func run(logBytes: Int, baseDirectory: String?, scoreboard: inout Scoreboard) throws {
        let root = StorageFiles.baseDirectory(baseDirectory) + "/strata-bench-compaction-\(getpid())"
        guard mkdir(root, 0o755) == 0 else { throw StorageBenchError("cannot create \(root): errno \(errno)") }
        defer { StorageFiles.removeTree(root) }
        var config = LogConfig()
        config.cleanupPolicy = .compact
        config.segmentBytes = 128 << 20
        config.fileDeleteDelayMs = 0
        var options = PartitionOpenOptions()
        options.logger.logLevel = .error
        let log = try PartitionLog.open(directory: root + "/bench-0", config: config, options: options)
        // ~1 KiB values, keys drawn from a tenth as many keys as records.
        let recordSize = 1_024
        let records = logBytes / (recordSize + 20)
        let keys = max(1, records / 10)
        var generator = SystemRandomNumberGenerator()
        let value = ByteBuffer(repeating: UInt8(ascii: "v"), count: recordSize - 16)
        var written = 0
        while written < records {
            var builder = RecordBatchBuilder(RecordBatchBuilder.Configuration())
            for _ in 0..<min(100, records - written) {
                var key = ByteBuffer()
                key.writeString("customer-\(Int.random(in: 0..<keys, using: &generator))")
                try builder.append(timestamp: 1_700_000_000_000, key: key, value: value)
                written += 1
            }
            try log.appendAsLeader(try builder.build())
        }
        try log.roll()
        try log.flush()
        let logFiles = StorageFiles.files(in: root + "/bench-0", suffix: ".log")
        let inputBytes = logFiles.reduce(0) { $0 + StorageFiles.size($1) }

        // The plain copy: read every .log in 1 MiB chunks, write it to a new file, fsync.
        let copyStart = Timing.now()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        for (index, path) in logFiles.enumerated() {
            let input = open(path, O_RDONLY)
            let output = open(root + "/copy-\(index)", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var position = 0
            while true {
                let count = read(input, buffer.baseAddress, buffer.count)
                if count <= 0 { break }
                _ = writeFully(output, UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: position)
                position += count
            }
            fsync(output)
            close(input)
            close(output)
        }
        let copySeconds = Timing.now() - copyStart
        for index in logFiles.indices { unlink(root + "/copy-\(index)") }

        // Compaction, with the memory peak of the phase.
        let perPhase = Memory.resetPeak()
        let before = Memory.currentBytes()
        var cleaner = CleanerOptions()
        cleaner.dedupeBufferBytes = mapBytes
        let start = Timing.now()
        let result = try LogCleaner.clean(log, checkpoint: nil, options: cleaner)
        let seconds = Timing.now() - start
        let peak = (perPhase ? Memory.addressSpacePeakBytes() : nil) ?? Memory.currentBytes()
        try log.close()

        let copyRate = Double(inputBytes) / copySeconds
        let compactRate = Double(inputBytes) / seconds
        let ratio = compactRate / copyRate
        print()
        print("## compaction (uncompressed, \(Format.mebibytes(inputBytes)) MiB, \(records) records, \(keys) keys = 10% live)")
        print("plain copy of the .log bytes (read, write, fsync): \(Format.megabytes(copyRate)) MB/s")
        print("LogCleaner.clean: \(Format.megabytes(compactRate)) MB/s = \(Format.fixed(ratio)) × copy; "
              + "\(result.stats.recordsRead) → \(result.stats.recordsWritten) records, \(Format.mebibytes(result.stats.bytesWritten)) MiB written, \(result.stats.passes) pass(es)")
        let met = scoreboard.record(ratio >= 0.5, "compaction \(Format.fixed(ratio)) × copy (target ≥ 0.5)")
        print("target ≥ 0.5 × copy: \(met)")
        let growth = peak - before
        let allowance = 16 << 20
        let memoryMet = scoreboard.record(growth <= mapBytes + allowance, "compaction memory growth \(Format.mebibytes(growth)) MiB > buffer + 16 MiB")
        print("memory: offset map buffer \(Format.mebibytes(mapBytes)) MiB; \(perPhase ? "phase peak" : "current RSS") grew \(Format.mebibytes(growth)) MiB "
              + "(from \(Format.mebibytes(before)) MiB); within buffer + 16 MiB: \(memoryMet)")
    }
}
