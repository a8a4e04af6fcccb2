import Foundation
import NIOCore
import Testing
@testable import Strata
@testable import StrataTools

/// strata-verify with several threads per `.log` against one thread: the same findings in the
/// same order, the same counts, the same segment verdicts and repair plan, whatever the damage
/// and wherever the shares are cut (files of any size are split here).
@Suite struct VerifyParallelTests {
    /// What one verification gives to its user.
    struct Verdict: Equatable {
        var findings: [VerifyFinding]
        var stats: VerifyStats
        var segments: [SegmentVerdict]
        var plan: [String]
    }

    /// The wall clock of every verification (their future-timestamp findings name it).
    static let now: Int64 = 1_800_000_000_000
    static let jobCounts = [2, 3, 7]

    /// With `splitting`, every file is split among the threads; without, files keep the
    /// default 8 MiB threshold, so a partition's small segments are scanned a file per thread.
    static func options(jobs: Int, deep: Bool, splitting: Bool = true) -> VerifyOptions {
        var options = VerifyOptions()
        options.jobs = jobs
        options.deep = deep
        options.now = now
        if splitting {
            options.minimumSplitBytes = 0
            options.minimumShareBytes = 1024
        }
        return options
    }

    static func verify(_ path: String, jobs: Int, deep: Bool, splitting: Bool = true) throws -> Verdict {
        let verifier = Verifier(options: options(jobs: jobs, deep: deep, splitting: splitting), out: StringOutput())
        verifier.verify(path: path)
        let plan = try RepairPlan(verdicts: verifier.segmentVerdicts, findings: verifier.findings, fileSystem: PosixFileSystem())
        return Verdict(findings: verifier.findings, stats: verifier.stats, segments: verifier.segmentVerdicts, plan: plan.actions.map(\.description))
    }

    /// One `.log` scanned by itself: the scan with its batch table, the findings and counts.
    static func scan(_ log: String, jobs: Int, deep: Bool) -> (scan: LogScan?, findings: [VerifyFinding], stats: VerifyStats) {
        let verifier = Verifier(options: options(jobs: jobs, deep: deep), out: StringOutput())
        let scan = verifier.scanLog(log, baseOffset: SegmentFileName.baseOffset(of: (log as NSString).lastPathComponent))
        return (scan, verifier.findings, verifier.stats)
    }

    /// Verifies `path` (and scans each `.log` under it) with one thread and with each of
    /// ``jobCounts``, with and without `--deep`, and expects the same results every time.
    static func expectSameForEveryJobCount(_ path: String, _ context: String) throws {
        let logs = logFiles(under: path)
        for deep in [false, true] {
            let one = try verify(path, jobs: 1, deep: deep)
            let scans = logs.map { scan($0, jobs: 1, deep: deep) }
            for jobs in jobCounts {
                let where_ = "\(context), deep \(deep), jobs \(jobs)"
                for splitting in [true, false] {
                    let many = try verify(path, jobs: jobs, deep: deep, splitting: splitting)
                    expectSameFindings(many.findings, one.findings, "\(where_), splitting \(splitting)")
                    #expect(many.stats == one.stats, "\(where_), splitting \(splitting)")
                    #expect(many.segments == one.segments, "\(where_), splitting \(splitting)")
                    #expect(many.plan == one.plan, "\(where_), splitting \(splitting)")
                }
                for (log, expected) in zip(logs, scans) {
                    let actual = scan(log, jobs: jobs, deep: deep)
                    expectSameFindings(actual.findings, expected.findings, "\(where_), \(log)")
                    #expect(actual.scan == expected.scan, "\(where_), \(log)")
                    #expect(actual.stats == expected.stats, "\(where_), \(log)")
                }
            }
        }
    }

    /// Compares findings one by one, naming the first that differs.
    static func expectSameFindings(_ actual: [VerifyFinding], _ expected: [VerifyFinding], _ context: String) {
        if let index = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(context): finding \(index) is \(actual[index].textLine), expected \(expected[index].textLine)")
        }
        #expect(actual.count == expected.count, "\(context): \(actual.count) findings, expected \(expected.count)")
    }

    /// The `.log` files under `path` (itself when it is one), sorted.
    static func logFiles(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return path.hasSuffix(".log") ? [path] : []
        }
        let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted().map { path + "/" + $0 }
    }

    // MARK: - Logs to damage

    /// A partition of one segment written through `PartitionLog`: batches of 1–20 records of
    /// random text, some transactional and aborted, some timestamped in the future.
    static func writePartition(_ name: String, compression: Compression, batches: Int = 250, using rng: inout SeededGenerator) throws -> String {
        let directory = try makeTemporaryDirectory(name) + "/topic-0"
        var config = LogTestSupport.smallConfig(segmentBytes: 64 << 20, indexInterval: 4096)
        config.segmentMs = 100 * 365 * 86_400_000
        let log = try PartitionLog.open(directory: directory, config: config)
        var sequence: Int32 = 0
        for number in 0..<batches {
            let values = (0..<Int.random(in: 1...20, using: &rng)).map { _ in
                String((0..<Int.random(in: 0...300, using: &rng)).map { _ in Character(Unicode.Scalar(UInt8.random(in: 97...122, using: &rng))) })
            }
            let timestamp = number % 37 == 5 ? now + 3 * 86_400_000 : 1_700_000_000_000 + Int64(number)
            if number % 29 == 3 {
                _ = try log.appendAsLeader(try LogTestSupport.batch(values, compression: compression, timestamp: timestamp,
                                                                    producerId: 7, epoch: 0, sequence: sequence, transactional: true))
                sequence += Int32(values.count)
                _ = try log.appendTransactionMarker(.abort, producerId: 7, producerEpoch: 0, coordinatorEpoch: 1)
            } else {
                _ = try log.appendAsLeader(try LogTestSupport.batch(values, compression: compression, timestamp: timestamp))
            }
        }
        try log.close()
        return directory
    }

    /// A `.log` of `batches` written by hand (offsets consecutive from `baseOffset`).
    static func writeLog(_ path: String, batches: [[ByteBuffer]], compression: Compression = .none, baseOffset: Int64 = 0) throws {
        var bytes = ByteBuffer()
        var next = baseOffset
        for values in batches {
            var configuration = RecordBatchBuilder.Configuration(baseOffset: next, compression: compression)
            configuration.maxBatchBytes = 64 << 20
            var builder = RecordBatchBuilder(configuration)
            for value in values { _ = try builder.append(timestamp: 1_700_000_000_000, key: nil, value: value) }
            var batch = try builder.build()
            bytes.writeBuffer(&batch)
            next += Int64(values.count)
        }
        try Data(bytes.readableBytesView).write(to: URL(fileURLWithPath: path))
    }

    static func fileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    }

    static func randomBytes(_ count: Int, using rng: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Each way of damaging a `.log` the differential test tries, by name.
    static let damages: [(name: String, apply: @Sendable (String, inout SeededGenerator) throws -> Void)] = [
        ("nothing", { _, _ in }),
        ("bit flips", { log, rng in
            var data = try Data(contentsOf: URL(fileURLWithPath: log))
            for _ in 0..<Int.random(in: 1...6, using: &rng) { data[Int.random(in: 0..<data.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng)) }
            try data.write(to: URL(fileURLWithPath: log))
        }),
        ("a bit flip in a size field near the middle", { log, rng in
            let entries = try VerifyTestSupport.entries(of: log)
            let victim = entries[entries.count / 2 + Int.random(in: -2...2, using: &rng)]
            try VerifyTestSupport.flipBit(log, at: victim.position + 8 + Int.random(in: 0...3, using: &rng), bit: Int.random(in: 0..<8, using: &rng))
        }),
        ("truncated", { log, rng in
            let size = try fileSize(log)
            try VerifyTestSupport.truncate(log, to: Int.random(in: 0..<size, using: &rng))
        }),
        ("a zero run", { log, rng in
            let size = try fileSize(log)
            let start = Int.random(in: 0..<size, using: &rng)
            try VerifyTestSupport.patch(log, at: start, with: [UInt8](repeating: 0, count: min(size - start, Int.random(in: 1...65_536, using: &rng))))
        }),
        ("zeros after the end", { log, rng in
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(count: Int.random(in: 1...8192, using: &rng)))
            try handle.close()
        }),
        ("garbage inserted", { log, rng in
            var data = try Data(contentsOf: URL(fileURLWithPath: log))
            data.insert(contentsOf: randomBytes(Int.random(in: 1...100, using: &rng), using: &rng), at: Int.random(in: 0..<data.count, using: &rng))
            try data.write(to: URL(fileURLWithPath: log))
        }),
        ("stray bytes after the end", { log, rng in
            var data = try Data(contentsOf: URL(fileURLWithPath: log))
            data.append(contentsOf: randomBytes(Int.random(in: 1...17, using: &rng), using: &rng))
            try data.write(to: URL(fileURLWithPath: log))
        }),
        ("a valid batch planted inside others near each split", { log, rng in
            let entries = try VerifyTestSupport.entries(of: log)
            let data = try Data(contentsOf: URL(fileURLWithPath: log))
            let planted = [UInt8](data[entries[1].position..<(entries[1].position + entries[1].size)])
            for share in [2, 3, 7] {
                for cut in 1..<share {
                    let at = max(0, data.count * cut / share - Int.random(in: 0...planted.count, using: &rng))
                    try VerifyTestSupport.patch(log, at: at, with: Array(planted.prefix(data.count - at)))
                }
            }
        }),
        ("its second half repeated, named above its first offset", { log, rng in
            var data = try Data(contentsOf: URL(fileURLWithPath: log))
            let entries = try VerifyTestSupport.entries(of: log)
            data.append(data[entries[entries.count / 2].position...])
            try data.write(to: URL(fileURLWithPath: log))
            let directory = (log as NSString).deletingLastPathComponent
            try FileManager.default.moveItem(atPath: log, toPath: directory + "/" + SegmentFileName.name(for: 3, suffix: SegmentFileName.logSuffix))
        }),
    ]

    // MARK: - Tests

    @Test(arguments: [Compression.none, .gzip, .snappy, .lz4, .zstd])
    func everyDamageGivesTheSameVerdictWithAnyNumberOfThreads(_ compression: Compression) throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let pristine = try Self.writePartition("parallel-\(compression.codec.name)", compression: compression, using: &rng)
        for (number, damage) in Self.damages.enumerated() {
            let copy = try makeTemporaryDirectory("parallel-\(compression.codec.name)-\(number)") + "/topic-0"
            try FileManager.default.copyItem(atPath: pristine, toPath: copy)
            try damage.apply(try VerifyTestSupport.segmentLogs(copy)[0], &rng)
            try Self.expectSameForEveryJobCount(copy, "seed \(seed), \(compression.codec.name), \(damage.name)")
        }
    }

    @Test func aPartitionOfSmallSegmentsGivesTheSameVerdictWithAnyNumberOfThreads() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let pristine = try VerifyTestSupport.writePartition("parallel-small-segments", compression: .lz4, batches: 60)
        for (number, damage) in Self.damages.enumerated() {
            let copy = try makeTemporaryDirectory("parallel-small-segments-\(number)") + "/topic-0"
            try FileManager.default.copyItem(atPath: pristine, toPath: copy)
            let logs = try VerifyTestSupport.segmentLogs(copy)
            try damage.apply(logs[Int.random(in: 0..<logs.count, using: &rng)], &rng)
            try Self.expectSameForEveryJobCount(copy, "seed \(seed), small segments, \(damage.name)")
        }
    }

    @Test func jobsBelowOneCountAsOne() throws {
        let directory = try VerifyTestSupport.writePartition("parallel-no-jobs")
        try VerifyTestSupport.flipBit(try VerifyTestSupport.segmentLogs(directory).last!, at: 30, bit: 1)
        let one = try Self.verify(directory, jobs: 1, deep: false)
        #expect(!one.findings.isEmpty)
        for jobs in [0, -4] {
            for splitting in [true, false] {
                #expect(try Self.verify(directory, jobs: jobs, deep: false, splitting: splitting) == one, "jobs \(jobs)")
            }
        }
    }

    @Test func theSharesOfAnUndamagedLogStartAtItsBatches() throws {
        var rng = SeededGenerator(seed: propertySeed())
        let log = try VerifyTestSupport.segmentLogs(try Self.writePartition("parallel-shares", compression: .none, using: &rng))[0]
        let positions = Set(try VerifyTestSupport.entries(of: log).map(\.position))
        let file = try PosixFileSystem().open(log, mode: .readOnly)
        let size = try file.size()
        for jobs in [2, 3, 7, 40] {
            let starts = try LogScanSplit.starts(of: file, size: size, jobs: jobs, minimumShareBytes: 1024, searchBytes: 4 << 20, limits: .default)
            #expect(starts.count == jobs, "jobs \(jobs): \(starts)")
            #expect(starts.allSatisfy(positions.contains), "jobs \(jobs): \(starts)")
        }
        // No share below 64 KiB, however many threads are asked for.
        let starts = try LogScanSplit.starts(of: file, size: size, jobs: 1_000_000, searchBytes: 4 << 20, limits: .default)
        #expect(starts.count == max(1, size / LogScanSplit.minimumShareBytes) && starts.allSatisfy(positions.contains), "\(starts)")
    }

    @Test func batchesHoldingWholeLogsInTheirValuesMisleadTheSplitButNotTheVerdict() throws {
        let directory = try makeTemporaryDirectory() + "/nested-0"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Each value is itself a small log of valid batches: most split points land on one.
        let inner = directory + "/inner"
        try Self.writeLog(inner, batches: (0..<6).map { n in (0..<3).map { ByteBuffer(string: "inner-\(n)-\($0)") } })
        let nested = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: inner)))
        try FileManager.default.removeItem(atPath: inner)
        let log = directory + "/" + SegmentFileName.name(for: 0, suffix: SegmentFileName.logSuffix)
        try Self.writeLog(log, batches: (0..<200).map { _ in [nested] })
        let positions = Set(try VerifyTestSupport.entries(of: log).map(\.position))
        let file = try PosixFileSystem().open(log, mode: .readOnly)
        let starts = try LogScanSplit.starts(of: file, size: try file.size(), jobs: 7, minimumShareBytes: 1024, searchBytes: 4 << 20, limits: .default)
        #expect(starts.contains { !positions.contains($0) }, "a start inside a value, so the join has a wrong guess to undo")
        try Self.expectSameForEveryJobCount(directory, "nested logs")
        var rng = SeededGenerator(seed: propertySeed())
        try Self.damages[1].apply(log, &rng)
        try Self.expectSameForEveryJobCount(directory, "nested logs, bit flips")
    }

    @Test func aLogOfTinyBatchesAndOneOfASingleHugeBatch() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let tiny = try makeTemporaryDirectory() + "/tiny-0"
        try FileManager.default.createDirectory(atPath: tiny, withIntermediateDirectories: true)
        let tinyLog = tiny + "/" + SegmentFileName.name(for: 0, suffix: SegmentFileName.logSuffix)
        try Self.writeLog(tinyLog, batches: (0..<5000).map { [ByteBuffer(string: "\($0)")] })
        try Self.expectSameForEveryJobCount(tiny, "tiny batches")
        try Self.damages[1].apply(tinyLog, &rng)
        try Self.expectSameForEveryJobCount(tiny, "seed \(seed), tiny batches, bit flips")

        let huge = try makeTemporaryDirectory() + "/huge-0"
        try FileManager.default.createDirectory(atPath: huge, withIntermediateDirectories: true)
        let hugeLog = huge + "/" + SegmentFileName.name(for: 0, suffix: SegmentFileName.logSuffix)
        try Self.writeLog(hugeLog, batches: [[ByteBuffer(bytes: Self.randomBytes(3 << 20, using: &rng))]])
        try Self.expectSameForEveryJobCount(huge, "one huge batch")
        try Self.writeLog(hugeLog, batches: [[ByteBuffer(string: "small")], [ByteBuffer(bytes: Self.randomBytes(3 << 20, using: &rng))], [ByteBuffer(string: "small")]])
        try Self.expectSameForEveryJobCount(huge, "one huge batch between small ones")
        try VerifyTestSupport.truncate(hugeLog, to: 2 << 20)
        try Self.expectSameForEveryJobCount(huge, "one huge batch, torn")
    }

    @Test(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
    func everyRealBrokerFileGivesTheSameVerdictWithAnyNumberOfThreads() throws {
        try Self.expectSameForEveryJobCount(SharedTestData.kafkaReal.path, "kafka-real")
    }
}
