import StrataSimulation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Strata

/// The storage engine on a real file system, each figure next to a limit measured on the same
/// files in the same run: appending (next to pwrite of the same batches), reading by offset
/// (next to pread of as many bytes), opening clean and recovering (next to reading the log
/// sequentially), and the resident set of each phase.
///
/// Every measurement works in a `strata-bench-<pid>` folder under ``StorageSettings/baseDirectory``,
/// removed at the end. At most about two logs of ``StorageSettings/logBytes`` exist at once.
final class StorageBenchmark {
    private let settings: StorageSettings
    private let root: String
    private var scoreboard: Scoreboard
    /// Whether ``Memory/resetPeak()`` works, so that peaks are per phase.
    private let peakIsPerPhase: Bool
    private var memoryRows: [MemorySample] = []
    private var nextPartition = 0

    /// The uncompressed log built by the last append measurement, which the read, open and
    /// recovery measurements use.
    private var readLog: (directory: String, endOffset: Int64, storedBytes: Int, payload: Int)?

    private init(settings: StorageSettings, root: String, scoreboard: Scoreboard) {
        self.settings = settings
        self.root = root
        self.scoreboard = scoreboard
        peakIsPerPhase = Memory.peakCanBeReset()
    }

    /// Runs the storage section and returns the scoreboard with its targets added.
    static func run(_ settings: StorageSettings, scoreboard: Scoreboard) throws -> Scoreboard {
        let base = StorageFiles.baseDirectory(settings.baseDirectory)
        let root = base + "/strata-bench-\(getpid())"
        // Folders left by an earlier run that was killed (its process is gone).
        for name in StorageFiles.names(in: base) where name.hasPrefix("strata-bench-") {
            guard let pid = Int32(name.dropFirst("strata-bench-".count)), kill(pid, 0) != 0 && errno == ESRCH else { continue }
            print("# removing \(base)/\(name), left by an earlier run that did not finish")
            StorageFiles.removeTree(base + "/" + name)
        }
        // The uncompressed log and one raw file exist at once, plus the indexes; lz4 logs are smaller.
        let needed = settings.logBytes * 23 / 10 + (64 << 20)
        let available = StorageFiles.availableBytes(base)
        guard available >= needed else {
            throw StorageBenchError("\(base) has \(Format.mebibytes(available)) MiB free; the storage section needs about \(Format.mebibytes(needed)) MiB (use --dir or --log-mib)")
        }
        guard mkdir(root, 0o755) == 0 else { throw StorageBenchError("cannot create \(root): errno \(errno)") }
        defer { StorageFiles.removeTree(root) }
        let bench = StorageBenchmark(settings: settings, root: root, scoreboard: scoreboard)
        try bench.runAll(fileSystem: StorageFiles.fileSystemDescription(root), available: available)
        return bench.scoreboard
    }

    private func runAll(fileSystem: String, available: Int) throws {
        print()
        print("# storage: PartitionLog with the default LogConfig (1 GiB segments, no flush.messages or flush.ms), in")
        print("#   \(root): \(fileSystem), \(Format.mebibytes(available)) MiB free")
        print("# batches of \(StorageBatches.recordsPerBatch) records of ~1 KiB (the order events; \(StorageBatches.distinctBatches) distinct batches cycled), encoded by the client;")
        print("# MB/s = 10^6 bytes/s of record payload (the records concatenated, uncompressed)")
        Memory.resetPeak()
        let pools = try StorageBatches.make(codecs: [.none, .lz4])
        memoryRow("start (batch pools built)", log: "-")
        try runAppends(pools)
        guard let readLog else { return }
        let logFiles = StorageFiles.files(in: readLog.directory, suffix: ".log")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        let warmRead = bestSequentialRead(logFiles, buffer: buffer, repetitions: 3)
        try runReads(readLog, logFiles: logFiles)
        try runOpenAndRecovery(readLog, logFiles: logFiles, warmRead: warmRead, buffer: buffer)
        printMemory()
    }

    // MARK: - Append

    /// What one append measurement (engine or raw) took.
    private struct AppendFigures {
        /// Writing every batch and the final flush or fsync.
        var seconds: Double
        /// Writing every batch, before the flush.
        var writeSeconds: Double
        /// The slowest single append (or pwrite).
        var slowestCall: Double
        /// Memory after a quarter of the payload, and at the end (engine only).
        var atCheckpoint: MemorySample? = nil, atEnd: MemorySample? = nil
    }

    private func runAppends(_ pools: [StorageBatches]) throws {
        print()
        print("# append = appendAsLeader of every batch, then one flush() (fsync), both timed; client = the batch's bytes as a")
        print("#   client sends them (the leader decompresses each to check its records, as Kafka's LogValidator does);")
        print("#   in-process = the ProducedBatch an embedded producer builds (checked from the builder's facts, not decompressed);")
        print("# raw write = pwrite of the same encoded batches, one after another, to a new file in the same folder, then one fsync;")
        print("# alternately first and second; best of \(settings.appendRepetitions); before flush = the same without the final flush/fsync (page cache only)")
        let table = Table([
            .text("append", 10), .text("codec", 5), .number("payload", 8), .number("on disk", 8), .number("MB/s", 6),
            .number("raw write MB/s", 14), .number("ratio", 6), .text("target", 13), .text("met", 3),
            .number("before flush MB/s", 17), .number("raw", 6), .number("ratio", 6), .number("slowest append ms", 17),
        ])
        table.printHeader()
        let paths: [(pool: StorageBatches, inProcess: Bool)] = pools.flatMap { [($0, false), ($0, true)] }
        for (pool, inProcess) in paths {
            // Decompressing every client batch costs more than writing its compressed bytes on a
            // fast disk; that row is for information, the in-process one carries the target.
            let target = pool.codec != .none && !inProcess ? Target.information : Target.ratio(0.8, of: "raw")
            let pathName = inProcess ? "in-process" : "client"
            let plan = pool.plan(payload: settings.logBytes)
            let checkpoint = pool.plan(payload: settings.memoryCheckpointBytes).batches
            var best: AppendFigures? = nil, bestRaw: AppendFigures? = nil
            var lastEngine: AppendFigures? = nil
            for repetition in 0..<settings.appendRepetitions {
                let isLast = repetition == settings.appendRepetitions - 1
                let directory = newPartitionDirectory()
                let rawPath = root + "/raw-\(repetition).bin"
                var engine: AppendFigures? = nil, raw: AppendFigures? = nil
                // Even repetitions write raw first, odd ones the engine first.
                for isEngine in repetition % 2 == 0 ? [false, true] : [true, false] {
                    if isEngine {
                        engine = try engineAppend(pool, inProcess: inProcess, batches: plan.batches, checkpoint: checkpoint, directory: directory)
                    } else {
                        raw = try rawWrite(pool, batches: plan.batches, path: rawPath)
                        unlink(rawPath)
                    }
                }
                let stored = StorageFiles.files(in: directory, suffix: ".log").reduce(0) { $0 + StorageFiles.size($1) }
                precondition(stored == plan.stored, "the log holds \(stored) bytes, \(plan.stored) were appended")
                if pool.codec == .none && !inProcess && isLast {
                    readLog = (directory, Int64(plan.batches * StorageBatches.recordsPerBatch), stored, plan.payload)
                } else {
                    StorageFiles.removeTree(directory)
                }
                lastEngine = engine
                if best == nil || engine!.seconds < best!.seconds { best = engine }
                if bestRaw == nil || raw!.seconds < bestRaw!.seconds { bestRaw = raw }
            }
            let rate = Double(plan.payload) / best!.seconds, rawRate = Double(plan.payload) / bestRaw!.seconds
            let writeRate = Double(plan.payload) / best!.writeSeconds, rawWriteRate = Double(plan.payload) / bestRaw!.writeSeconds
            let met = scoreboard.record(target.isMet(rate: rate, ratio: rate / rawRate), "append \(pathName) \(pool.codec.name) \(Format.mebibytes(plan.payload)) MiB: \(Format.ratio(rate / rawRate)) x raw write")
            table.printRow([
                pathName, pool.codec.name, Format.mebibytes(plan.payload) + " MiB", Format.mebibytes(plan.stored) + " MiB",
                Format.megabytes(rate), Format.megabytes(rawRate), Format.ratio(rate / rawRate), target.description, met,
                Format.megabytes(writeRate), Format.megabytes(rawWriteRate), Format.ratio(writeRate / rawWriteRate),
                Format.milliseconds(best!.slowestCall),
            ])
            if pool.codec == .none && !inProcess, let figures = lastEngine, var first = figures.atCheckpoint, var all = figures.atEnd {
                first.phase = "append \(pool.codec.name), first \(Format.mebibytes(settings.memoryCheckpointBytes)) MiB"
                first.log = Format.mebibytes(settings.memoryCheckpointBytes) + " MiB"
                all.phase = "append \(pool.codec.name), all \(Format.mebibytes(plan.payload)) MiB"
                all.log = Format.mebibytes(plan.stored) + " MiB"
                memoryRows += [first, all]
                // The phase peak where it can be reset; otherwise the current size, since the
                // process's peak may come from an earlier section.
                let growth = peakIsPerPhase ? (all.phasePeak ?? 0) - (first.phasePeak ?? 0) : all.current - first.current
                appendGrowth = (growth, settings.memoryCheckpointBytes, plan.payload)
            }
        }
    }

    /// Peak RSS growth of the uncompressed append between its checkpoint and its end.
    private var appendGrowth: (bytes: Int, from: Int, to: Int)?

    /// A fresh partition directory name under the bench folder.
    private func newPartitionDirectory() -> String {
        nextPartition += 1
        return root + "/bench-\(nextPartition)"
    }

    /// Appends `batches` batches of the pool to a new partition with `appendAsLeader`, then
    /// flushes; reads the peak RSS after `checkpoint` batches and at the end.
    private func engineAppend(_ pool: StorageBatches, inProcess: Bool, batches: Int, checkpoint: Int, directory: String) throws -> AppendFigures {
        let log = try PartitionLog.open(directory: directory)
        Memory.resetPeak()
        var atCheckpoint: MemorySample? = nil
        var slowest = 0.0
        let start = Timing.now()
        var previous = start
        for ordinal in 0..<batches {
            if inProcess {
                try log.appendAsLeader(pool.produced[pool.index(ordinal)], leaderEpoch: 0)
            } else {
                try log.appendAsLeader(pool.batches[pool.index(ordinal)], leaderEpoch: 0)
            }
            let now = Timing.now()
            slowest = max(slowest, now - previous)
            if ordinal + 1 == checkpoint {
                atCheckpoint = MemorySample.now()
                previous = Timing.now()
            } else {
                previous = now
            }
        }
        let written = Timing.now()
        try log.flush()
        let end = Timing.now()
        let atEnd = MemorySample.now()
        precondition(log.logEndOffset == Int64(batches * StorageBatches.recordsPerBatch), "log end offset \(log.logEndOffset) after \(batches) batches")
        try log.close()
        return AppendFigures(seconds: end - start, writeSeconds: written - start, slowestCall: slowest,
                             atCheckpoint: atCheckpoint, atEnd: atEnd)
    }

    /// Writes the same batches with pwrite to a new file, then fsyncs it.
    private func rawWrite(_ pool: StorageBatches, batches: Int, path: String) throws -> AppendFigures {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageBenchError("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var position = 0
        var slowest = 0.0
        let start = Timing.now()
        var previous = start
        for ordinal in 0..<batches {
            let written = pool.batches[pool.index(ordinal)].withUnsafeReadableBytes { bytes in
                writeFully(fd, UnsafeRawBufferPointer(bytes), at: position)
            }
            guard written else { throw StorageBenchError("pwrite to \(path) failed: errno \(errno)") }
            position += pool.batches[pool.index(ordinal)].readableBytes
            let now = Timing.now()
            slowest = max(slowest, now - previous)
            previous = now
        }
        let written = Timing.now()
        guard fsync(fd) == 0 else { throw StorageBenchError("fsync of \(path) failed: errno \(errno)") }
        let end = Timing.now()
        return AppendFigures(seconds: end - start, writeSeconds: written - start, slowestCall: slowest)
    }

    // MARK: - Read

    private func runReads(_ readLog: (directory: String, endOffset: Int64, storedBytes: Int, payload: Int), logFiles: [String]) throws {
        let maxBytes = 64 << 10
        let resident = StorageFiles.residentFraction(logFiles)
        print()
        print("# read = PartitionLog.read(from: random offset, maxBytes: 64 KiB) on the \(Format.mebibytes(readLog.storedBytes)) MiB uncompressed log, opened clean;")
        print("# raw pread = one pread of as many bytes as that read returned, at a random position in the same .log files;")
        print("# page cache warm (\(Format.fixed(resident * 100, 0))% of the log resident); \(settings.readSamples) of each, interleaved; ratio = raw / read;")
        print("# pread bytes/read and preads/read = what the engine's reads asked of the kernel (/proc/self/io rchar and syscr)")
        var options = PartitionOpenOptions()
        options.cleanShutdown = true
        options.recoveryPoint = readLog.endOffset
        let log = try PartitionLog.open(directory: readLog.directory, options: options)
        let files = logFiles.map { path -> (fd: Int32, size: Int) in (open(path, O_RDONLY | O_CLOEXEC), StorageFiles.size(path)) }
        defer { for file in files { close(file.fd) } }
        precondition(files.allSatisfy { $0.fd >= 0 }, "cannot open the log files")
        let totalSize = files.reduce(0) { $0 + $1.size }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var random = SeededGenerator(seed: 0xF00D)

        /// A raw pread of `count` bytes at a random position of the files (weighted by size).
        func rawRead(_ count: Int) {
            var position = Int(random.next() % UInt64(totalSize))
            var file = files[0]
            for candidate in files {
                file = candidate
                if position < candidate.size { break }
                position -= candidate.size
            }
            position = min(position, max(0, file.size - count))
            let done = pread(file.fd, buffer.baseAddress, min(count, file.size), off_t(position))
            precondition(done == min(count, file.size), "pread returned \(done)")
        }

        Memory.resetPeak()
        var readSeconds: [Double] = [], rawSeconds: [Double] = []
        readSeconds.reserveCapacity(settings.readSamples)
        rawSeconds.reserveCapacity(settings.readSamples)
        var allocations: UInt64 = 0, returnedBytes = 0, returnedBatches = 0
        var io = IOCounters()
        let warmUp = min(200, settings.readSamples / 5)
        for sample in -warmUp..<settings.readSamples {
            if sample == 0 { io = IOCounters.now() }
            let offset = readLog.endOffset == 0 ? 0 : Int64(random.next() % UInt64(readLog.endOffset))
            let allocationsBefore = AllocationCounter.total
            let start = Timing.now()
            let result = try log.read(from: offset, maxBytes: maxBytes)
            let read = Timing.now() - start
            let allocated = AllocationCounter.total &- allocationsBefore
            let bytes = result.entries.reduce(0) { $0 + $1.sizeInBytes }
            guard let first = result.entries.first, try first.firstOffset() <= offset, first.lastOffset >= offset else {
                throw StorageBenchError("read(from: \(offset)) did not return the batch holding that offset")
            }
            precondition(bytes <= buffer.count, "a read returned \(bytes) bytes")
            let rawStart = Timing.now()
            rawRead(bytes)
            let raw = Timing.now() - rawStart
            guard sample >= 0 else { continue }
            readSeconds.append(read)
            rawSeconds.append(raw)
            allocations += allocated
            returnedBytes += bytes
            returnedBatches += result.entries.count
        }
        io = IOCounters.now() - io
        try log.close()
        memoryRow("\(settings.readSamples) random reads", log: Format.mebibytes(readLog.storedBytes) + " MiB")

        let table = Table([
            .text("read by offset", 14), .text("percentile", 10), .number("read µs", 8), .number("raw pread µs", 12),
            .number("ratio", 6), .text("target", 6), .text("met", 3), .number("bytes/read", 10), .number("batches/read", 12),
            .number("pread bytes/read", 16), .number("preads/read", 11), .number("allocs/read", 11),
        ])
        table.printHeader()
        readSeconds.sort()
        rawSeconds.sort()
        let samples = Double(readSeconds.count)
        // What the engine's reads cost in system calls: the counters less the raw preads (one
        // call of the returned size each).
        let preadBytes = Double(io.bytesRead - returnedBytes) / samples
        let preads = Double(io.readCalls - readSeconds.count) / samples
        for (name, fraction) in [("p50", 0.50), ("p99", 0.99)] {
            let read = percentile(readSeconds, fraction), raw = percentile(rawSeconds, fraction)
            table.printRow([
                "read 64 KiB", name, Format.microseconds(read), Format.microseconds(raw), Format.ratio(raw / read),
                Target.information.description, "", Format.count((Double(returnedBytes) / samples).rounded()),
                Format.fixed(Double(returnedBatches) / samples, 2), Format.count(preadBytes.rounded()), Format.fixed(preads, 1),
                Format.count((Double(allocations) / samples * 10).rounded() / 10),
            ])
        }
    }

    /// The value below which `fraction` of the sorted samples lie (nearest rank).
    private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    // MARK: - Open and recovery

    private func runOpenAndRecovery(_ readLog: (directory: String, endOffset: Int64, storedBytes: Int, payload: Int), logFiles: [String],
                                    warmRead: Double, buffer: UnsafeMutableRawBufferPointer) throws {
        let gibibytes = Double(readLog.storedBytes) / Double(1 << 30)
        let segments = logFiles.count
        let partitionFiles = { StorageFiles.names(in: readLog.directory).map { readLog.directory + "/" + $0 } }
        print()
        print("# open clean = PartitionLog.open(cleanShutdown: true, recoveryPoint: log end), best of \(settings.openRepetitions); target: < 100 ms")
        print("#   and no full scan (the open reads less than 1% of the log);")
        print("# recovery = PartitionLog.open(cleanShutdown: false, recoveryPoint: 0): every segment checked and its indexes rebuilt,")
        print("#   best of \(settings.recoveryRepetitions), in seconds per GiB of .log;")
        print("# limit = reading the same .log files from start to end with read(2) into a 1 MiB buffer (cat), best of 3;")
        print("# cold = the partition's files evicted from the page cache first (fsync + fadvise DONTNEED), once, the engine first and")
        print("#   then the cat limit (evicted again); ratio = limit / figure;")
        print("# read x log = bytes the open asked the kernel for (/proc/self/io rchar) / bytes of .log")
        let table = Table([
            .text("open", 22), .text("log", 16), .number("figure", 8), .number("limit (read)", 12), .number("ratio", 6),
            .number("read x log", 10), .text("target", 16), .text("met", 3),
        ])
        table.printHeader()
        let logDescription = "\(Format.mebibytes(readLog.storedBytes)) MiB, \(segments) seg"
        func timesLog(_ io: IOCounters) -> String { Format.fixed(Double(io.bytesRead) / Double(readLog.storedBytes), 3) }

        /// Opens the partition with `options`, checks what it found, closes it; returns the
        /// seconds the open took and the I/O it did.
        func open(_ options: PartitionOpenOptions) throws -> (seconds: Double, io: IOCounters) {
            let before = IOCounters.now()
            let start = Timing.now()
            let log = try PartitionLog.open(directory: readLog.directory, options: options)
            let seconds = Timing.now() - start
            let io = IOCounters.now() - before
            precondition(log.logEndOffset == readLog.endOffset, "log end offset \(log.logEndOffset) after opening, expected \(readLog.endOffset)")
            if !options.cleanShutdown {
                precondition(log.loadReport.truncatedBytes == 0 && log.loadReport.rebuiltSegments.count == segments,
                             "recovery truncated \(log.loadReport.truncatedBytes) bytes and rebuilt \(log.loadReport.rebuiltSegments.count) segments")
            }
            try log.close()
            return (seconds, io)
        }
        func best(_ repetitions: Int, _ options: PartitionOpenOptions) throws -> (seconds: Double, io: IOCounters) {
            var best = try open(options)
            for _ in 1..<max(1, repetitions) {
                let next = try open(options)
                if next.seconds < best.seconds { best = next }
            }
            return best
        }
        func coldRead() -> Double {
            StorageFiles.evictFromPageCache(partitionFiles())
            let start = Timing.now()
            let bytes = StorageFiles.readSequentially(logFiles, buffer: buffer)
            precondition(bytes == readLog.storedBytes, "read \(bytes) bytes of \(readLog.storedBytes)")
            return Timing.now() - start
        }

        var clean = PartitionOpenOptions()
        clean.cleanShutdown = true
        clean.recoveryPoint = readLog.endOffset
        var unclean = PartitionOpenOptions()
        unclean.cleanShutdown = false
        unclean.recoveryPoint = 0

        // Clean open, warm.
        Memory.resetPeak()
        let openClean = try best(settings.openRepetitions, clean)
        memoryRow("open clean", log: Format.mebibytes(readLog.storedBytes) + " MiB")
        let openTarget = Target.maximumSeconds(0.1)
        let noScan = openClean.io.bytesRead * 100 < readLog.storedBytes
        let openOutcome = openTarget.isMet(atMost: openClean.seconds).map { $0 && noScan }
        let openMet = scoreboard.record(openOutcome, "open clean \(Format.mebibytes(readLog.storedBytes)) MiB: \(Format.milliseconds(openClean.seconds)) ms, reads \(timesLog(openClean.io)) x the log")
        table.printRow([
            "open clean (ms)", logDescription, Format.milliseconds(openClean.seconds), Format.milliseconds(warmRead),
            Format.ratio(warmRead / openClean.seconds), timesLog(openClean.io), openTarget.description + ", no scan", openMet,
        ])

        // Recovery, warm.
        Memory.resetPeak()
        let recovery = try best(settings.recoveryRepetitions, unclean)
        memoryRow("recovery", log: Format.mebibytes(readLog.storedBytes) + " MiB")
        table.printRow([
            "recovery (s/GiB)", logDescription, Format.fixed(recovery.seconds / gibibytes, 3), Format.fixed(warmRead / gibibytes, 3),
            Format.ratio(warmRead / recovery.seconds), timesLog(recovery.io), Target.information.description, "",
        ])

        // Cold: each open once after evicting the files, then the cat limit, evicted again.
        // The engine goes first: on a virtual machine the host may keep what was just read in
        // its own cache, where the second reader of the same bytes finds it.
        StorageFiles.evictFromPageCache(partitionFiles())
        let residentBefore = StorageFiles.residentFraction(logFiles)
        let coldOpen = try open(clean)
        let coldOpenRead = coldRead()
        table.printRow([
            "open clean cold (ms)", logDescription, Format.milliseconds(coldOpen.seconds), Format.milliseconds(coldOpenRead),
            Format.ratio(coldOpenRead / coldOpen.seconds), timesLog(coldOpen.io), Target.information.description, "",
        ])
        StorageFiles.evictFromPageCache(partitionFiles())
        let coldRecovery = try open(unclean)
        let coldRecoveryRead = coldRead()
        table.printRow([
            "recovery cold (s/GiB)", logDescription, Format.fixed(coldRecovery.seconds / gibibytes, 3), Format.fixed(coldRecoveryRead / gibibytes, 3),
            Format.ratio(coldRecoveryRead / coldRecovery.seconds), timesLog(coldRecovery.io), Target.information.description, "",
        ])
        print("  (cold runs start with \(Format.fixed(residentBefore * 100, 0))% of the log resident; sequential read: cold \(Format.megabytes(Double(readLog.storedBytes) / coldOpenRead)) then \(Format.megabytes(Double(readLog.storedBytes) / coldRecoveryRead)) MB/s, warm \(Format.megabytes(Double(readLog.storedBytes) / warmRead)) MB/s)")
    }

    /// The fastest of `repetitions` sequential reads of the files (the first also warms the cache).
    private func bestSequentialRead(_ paths: [String], buffer: UnsafeMutableRawBufferPointer, repetitions: Int) -> Double {
        var best = Double.infinity
        let expected = paths.reduce(0) { $0 + StorageFiles.size($1) }
        for _ in 0..<repetitions {
            let start = Timing.now()
            let bytes = StorageFiles.readSequentially(paths, buffer: buffer)
            best = min(best, Timing.now() - start)
            precondition(bytes == expected, "read \(bytes) bytes of \(expected)")
        }
        return best
    }

    // MARK: - Memory

    /// Records the memory at the end of a phase.
    private func memoryRow(_ phase: String, log: String) {
        var sample = MemorySample.now()
        sample.phase = phase
        sample.log = log
        memoryRows.append(sample)
    }

    private func printMemory() {
        print()
        print("# resident memory after each phase: max RSS = getrusage ru_maxrss (the process's high-water mark, which an earlier")
        print(peakIsPerPhase
            ? "#   section may have set); phase peak = VmHWM, reset through /proc/self/clear_refs before the phase; current = /proc/self/statm"
            : "#   section may have set); phase peak: VmHWM could not be reset here, so the check compares current RSS; current = /proc/self/statm")
        let table = Table([
            .text("memory (phase)", 36), .text("log", 10), .number("max RSS MiB", 11), .number("phase peak MiB", 14), .number("current MiB", 11),
        ])
        table.printHeader()
        for row in memoryRows {
            table.printRow([
                row.phase, row.log, Format.mebibytes(row.maximum), peakIsPerPhase ? row.phasePeak.map(Format.mebibytes) ?? "-" : "-",
                Format.mebibytes(row.current),
            ])
        }
        guard let growth = appendGrowth else { return }
        let target = Target.maximumBytes(8 << 20)
        let what = "\(peakIsPerPhase ? "phase peak" : "current RSS") growth, append \(Format.mebibytes(growth.from)) MiB -> \(Format.mebibytes(growth.to)) MiB"
        let met = scoreboard.record(target.isMet(atMost: Double(growth.bytes)), "\(what): \(Format.mebibytes(growth.bytes)) MiB")
        let check = Table([.text("memory bounded", 52), .number("growth MiB", 10), .text("target", 10), .text("met", 3)])
        check.printHeader()
        check.printRow([what, Format.mebibytes(growth.bytes), target.description, met])
    }
}

/// Resident memory at one point: getrusage's maximum, VmHWM, and the current size.
struct MemorySample {
    var phase = "", log = ""
    /// `ru_maxrss`: the process's high-water mark.
    var maximum: Int
    /// VmHWM: the peak since the last reset.
    var phasePeak: Int?
    /// The resident set now.
    var current: Int

    static func now() -> MemorySample {
        MemorySample(maximum: Memory.peakBytes(), phasePeak: Memory.addressSpacePeakBytes(), current: Memory.currentBytes())
    }
}

/// Writes all of `bytes` at `offset` with pwrite, retrying short writes and EINTR.
func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
    var done = 0
    while done < bytes.count {
        let result = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
        if result < 0 {
            if errno == EINTR { continue }
            return false
        }
        done += result
    }
    return true
}

/// A storage section failure (no space, a file that cannot be created).
struct StorageBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
