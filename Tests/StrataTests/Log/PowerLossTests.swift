import Foundation
import NIOCore
import StrataSimulation
import Testing
@testable import Strata

/// Power cuts at thousands of points of a random workload (appends fsynced and not, rolls,
/// flushes, retention, truncation, checkpoints, clean shutdowns and restarts), on a simulated
/// disk that loses what was not synced: after each cut the data directory opens, every record
/// acknowledged as durable is there once at its offset, nothing unwritten appears, the indexes
/// agree with the log, and the log takes new appends.
@Suite struct PowerLossTests {
    static let topicPartition = TopicPartition(topic: "t", partition: 0)
    static let dataDirectory = "/data"
    static let partitionDirectory = "/data/t-0"
    static let clock: @Sendable () -> Int64 = { 1_700_000_000_000 }

    /// The topic configuration: small segments and a dense index so every step rolls or indexes often.
    static func overrides(using rng: inout SeededGenerator) -> [String: String] {
        let segmentBytes = Int.random(in: 900...2_400, using: &rng)
        return [
            "segment.bytes": "\(segmentBytes)",
            "index.interval.bytes": "\(Int.random(in: 0...300, using: &rng))",
            "segment.index.bytes": "4096",
            "file.delete.delay.ms": "0",
            "retention.ms": "-1",
            "retention.bytes": "\(segmentBytes * Int.random(in: 2...4, using: &rng))",
        ]
    }

    static func options(_ fileSystem: any FileSystem) -> PartitionOpenOptions {
        var options = PartitionOpenOptions()
        options.fileSystem = fileSystem
        options.clock = clock
        options.logger.logLevel = .critical
        return options
    }

    /// How a crashed disk is opened again.
    enum Reopen: CaseIterable, CustomStringConvertible {
        /// Through the LogManager: the clean-shutdown marker and both checkpoints as found.
        case manager
        /// The partition alone, unclean, with the checkpointed recovery point.
        case uncleanCheckpointed
        /// The partition alone, unclean, recovery point nil (everything is checked).
        case uncleanFromZero

        var description: String {
            switch self {
            case .manager: "LogManager.open"
            case .uncleanCheckpointed: "PartitionLog.open unclean, checkpointed recovery point"
            case .uncleanFromZero: "PartitionLog.open unclean, no recovery point"
            }
        }
    }

    /// Opens the partition on a crashed disk; nil when it was never created durably.
    static func reopen(_ disk: SimulatedFileSystem, how: Reopen, config: LogConfig) throws -> PartitionLog? {
        switch how {
        case .manager:
            return try LogManager.open(directory: dataDirectory, options: options(disk)).partition(topicPartition)
        case .uncleanCheckpointed, .uncleanFromZero:
            guard disk.isDirectory(partitionDirectory) else { return nil }
            var options = options(disk)
            options.cleanShutdown = false
            if how == .uncleanCheckpointed {
                options.recoveryPoint = (try? OffsetCheckpointFile(logDirectory: dataDirectory, kind: .recoveryPoint, fileSystem: disk).read())?[topicPartition]
                options.logStartOffset = (try? OffsetCheckpointFile(logDirectory: dataDirectory, kind: .logStartOffset, fileSystem: disk).read())?[topicPartition]
            }
            return try PartitionLog.open(directory: partitionDirectory, config: config, options: options)
        }
    }

    /// One random workload; the disk is copied before sampled calls and each copy crashed
    /// three ways and checked. Returns the number of crash points survived.
    static func run(seed: UInt64, steps: Int, forkEvery: Int, failures: inout [String]) throws -> Int {
        var rng = SeededGenerator(seed: seed)
        var checkRng = SeededGenerator(seed: seed ^ 0x5EED)
        let disk = SimulatedFileSystem()
        try disk.createDirectory(dataDirectory)
        let fs = ForkingFileSystem(disk)
        let forkPhase = Int.random(in: 0..<forkEvery, using: &rng)
        fs.shouldFork = { calls in calls % forkEvery == forkPhase }
        var model = DurabilityModel()
        var crashPoints = 0
        var reopenTurn = 0
        var probeCounter = 0

        let topicOverrides = overrides(using: &rng)
        let config = try LogConfig(properties: topicOverrides)
        var manager = try LogManager.open(directory: dataDirectory, options: options(fs))
        try manager.setConfigOverrides(topicOverrides, forTopic: topicPartition.topic)
        var log = try manager.createPartition(topicPartition)
        var counter = 0
        var history: [String] = []

        func check(_ forks: [(calls: Int, disk: SimulatedFileSystem)]) {
            for (calls, forked) in forks {
                for cut in PowerCut.all(for: forked, using: &checkRng) {
                    let how = Reopen.allCases[reopenTurn % Reopen.allCases.count]
                    reopenTurn += 1
                    let crashed = forked.cloned()
                    crashed.crash(cut.mode)
                    var problems: [String] = []
                    if reopenTurn % 3 == 0 && crashed.isDirectory(partitionDirectory) {
                        // A read-only open changes nothing and already sees every acknowledged record.
                        let watched = ForkingFileSystem(crashed)
                        do {
                            var readOnly = options(watched)
                            readOnly.readOnly = true
                            let viewed = try PartitionLog.open(directory: partitionDirectory, config: config, options: readOnly)
                            let found = try PowerLossChecks.recordProblems(viewed, model: model, calls: calls)
                            if !found.isEmpty {
                                let files = (try? crashed.contentsOfDirectory(partitionDirectory).sorted().map { "\($0):\(crashed.contents(of: partitionDirectory + "/" + $0)?.count ?? -1)" }) ?? []
                                problems += found.map { "read-only: \($0)" } + ["read-only segments \(viewed.segmentBaseOffsets), load actions \(viewed.loadReport.actions), files \(files)"]
                            }
                        } catch let error as StrataFormatError where error.code == .notKafkaFormat && model.required(at: calls).isEmpty {
                            // No segment yet (or none left mid-truncation), and none needed: read-only refuses such a directory.
                        } catch {
                            problems.append("read-only open failed: \(error)")
                        }
                        if watched.mutatingCalls > 0 { problems.append("read-only open made \(watched.mutatingCalls) mutating calls") }
                    }
                    do {
                        if let reopened = try reopen(crashed, how: how, config: config) {
                            problems += try PowerLossChecks.recordProblems(reopened, model: model, calls: calls)
                            problems += try PowerLossChecks.indexProblems(reopened, using: &checkRng)
                            probeCounter += 1
                            problems += PowerLossChecks.writeProblems(reopened, value: "probe-\(probeCounter)")
                        } else if let first = model.required(at: calls).first {
                            problems.append("the partition is gone, but \(first.value) at \(first.offset) was acknowledged")
                        }
                    } catch {
                        problems.append("reopening failed: \(error)")
                    }
                    if problems.isEmpty { crashPoints += 1 }
                    if !problems.isEmpty {
                        failures.append("seed \(seed): power cut before call \(calls + 1) (\(cut), \(how)), after steps [\(history.suffix(4).joined(separator: ", "))]: \(problems.suffix(2).joined(separator: "; "))")
                    }
                }
            }
        }

        for step in 0..<steps {
            if failures.count >= 8 { break }
            let operation = Int.random(in: 0..<100, using: &rng)
            switch operation {
            case 50..<55:
                // A transaction its coordinator aborted, replicated as a follower appends it.
                let durable = operation < 53
                counter += 1
                let value = "aborted-\(counter)"
                let first = log.logEndOffset
                model.started(values: [value], firstOffset: first, at: fs.mutatingCalls)
                model.transactions[value] = 1_000 + Int64(counter)
                try log.appendAsFollower(try Self.abortedTransaction(at: first, producerId: 1_000 + Int64(counter), value: value), durability: durable ? .fsynced : .written)
                model.appended(values: [value], firstOffset: first, durable: durable, at: fs.mutatingCalls)
                history.append("\(step): aborted transaction at \(first)\(durable ? " fsynced" : "")")
            case 0..<50:
                let durable = operation < 30
                let values = (0..<Int.random(in: 1...4, using: &rng)).map { _ -> String in
                    counter += 1
                    return "v\(counter)-" + String(repeating: "x", count: Int.random(in: 0...90, using: &rng))
                }
                model.started(values: values, firstOffset: log.logEndOffset, at: fs.mutatingCalls)
                let result = try log.appendAsLeader(try LogTestSupport.batch(values), durability: durable ? .fsynced : .written)
                model.appended(values: values, firstOffset: result.firstOffset, durable: durable, at: fs.mutatingCalls)
                history.append("\(step): append \(values.count) at \(result.firstOffset)\(durable ? " fsynced" : "")")
            case 55..<63:
                let live = Set(model.live.map(\.value))
                try log.flush()
                model.flushed(at: fs.mutatingCalls, liveAtStart: live)
                history.append("\(step): flush")
            case 63..<70:
                try log.roll()
                history.append("\(step): roll")
            case 70..<77:
                // Records below the first segment that survives are removed; until it returns
                // any of the segments may go, so all are optional from its start.
                let start = fs.mutatingCalls
                let before = log.logStartOffset
                let result = try log.applyRetention()
                let after = log.logStartOffset
                model.removed(where: { $0.offset < after }, at: start)
                history.append("\(step): retention \(before)->\(after) deleted \(result.deletedSegments)")
            case 77..<83:
                let live = model.live
                guard !live.isEmpty else { continue }
                let target = live[Int.random(in: 0..<live.count, using: &rng)].offset
                let expected = model.truncationEnd(target: target)
                model.removed(where: { $0.offset >= expected }, at: fs.mutatingCalls)
                let end = try log.truncate(to: target)
                if end != expected { failures.append("seed \(seed) step \(step): truncate(to: \(target)) returned \(end), the batch boundary is \(expected)") }
                history.append("\(step): truncate to \(target) -> \(end)")
            case 83..<89:
                try manager.writeCheckpoints()
                history.append("\(step): checkpoints")
            case 89..<94:
                let live = Set(model.live.map(\.value))
                try manager.close()
                model.flushed(at: fs.mutatingCalls, liveAtStart: live)
                manager = try LogManager.open(directory: dataDirectory, options: options(fs))
                log = try #require(manager.partition(topicPartition))
                history.append("\(step): clean restart")
            case 94..<97:
                // A power cut in the middle of the workload: the next crash then meets a log
                // that was itself recovered (and any crash point during that recovery is checked).
                let cut = PowerCut.all(for: disk, using: &rng).randomElement(using: &rng)!
                let crashedAt = fs.mutatingCalls
                disk.crash(cut.mode)
                manager = try LogManager.open(directory: dataDirectory, options: options(fs))
                log = try #require(manager.partition(topicPartition))
                for problem in try PowerLossChecks.recordProblems(log, model: model, calls: crashedAt) {
                    failures.append("seed \(seed) step \(step): power cut (\(cut)) in the workload: \(problem)")
                }
                let present = Set(try PowerLossChecks.dataRecords(log).compactMap(\.value))
                model.removed(where: { !present.contains($0.value) }, at: crashedAt)
                history.append("\(step): power cut (\(cut)) and reboot")
            default:
                // A restart without closing: the process died, the disk did not.
                // The process died: its lock goes with it, its page cache stays.
                manager.lock?.unlock()
                manager = try LogManager.open(directory: dataDirectory, options: options(fs))
                log = try #require(manager.partition(topicPartition))
                history.append("\(step): process restart")
            }
            check(fs.takeForks())
        }
        let endCalls = fs.mutatingCalls
        check([(endCalls, disk.cloned())])
        return crashPoints
    }

    @Test func acknowledgedRecordsSurviveEveryPowerCut() throws {
        let seed = propertySeed()
        let started = Date()
        var failures: [String] = []
        var crashPoints = 0
        var round = 0
        // Several workloads, each with its own configuration, for about 6 s (each takes 1–4 s);
        // STRATA_POWERLOSS_SECONDS sets a longer soak.
        let budget = ProcessInfo.processInfo.environment["STRATA_POWERLOSS_SECONDS"].flatMap(Double.init) ?? 6
        repeat {
            crashPoints += try Self.run(seed: seed &+ UInt64(round), steps: 100, forkEvery: 1, failures: &failures)
            round += 1
        } while failures.isEmpty && Date().timeIntervalSince(started) < budget
        for failure in failures.prefix(8) { Issue.record(Comment(rawValue: failure)) }
        print("power-loss: \(crashPoints) crash points survived, seed \(seed) (\(round) workloads, \(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
    }

    // MARK: - Reproducers of defects the random workload found

    /// Every power cut during `operation` (before each of its calls, then after it; each cut
    /// dropping the unsynced operations, keeping every possible prefix of them, and tearing the
    /// last), reopened through the LogManager: problems found, empty when none.
    static func problemsAtEveryCut(overrides extra: [String: String] = [:], required: [(offset: Int64, value: String)],
                                   prepare: (LogManager, PartitionLog) throws -> Void,
                                   operation: (LogManager, PartitionLog) throws -> Void,
                                   check: (PartitionLog) throws -> [String] = { _ in [] }) throws -> (problems: [String], cuts: Int) {
        let disk = SimulatedFileSystem()
        try disk.createDirectory(dataDirectory)
        let fs = ForkingFileSystem(disk)
        var topic = ["segment.bytes": "1000", "index.interval.bytes": "0", "segment.index.bytes": "4096", "file.delete.delay.ms": "0", "retention.ms": "-1"]
        topic.merge(extra) { $1 }
        let manager = try LogManager.open(directory: dataDirectory, options: options(fs))
        try manager.setConfigOverrides(topic, forTopic: topicPartition.topic)
        let log = try manager.createPartition(topicPartition)
        try prepare(manager, log)
        fs.shouldFork = { _ in true }
        try operation(manager, log)
        var forks = fs.takeForks()
        forks.append((fs.mutatingCalls, disk.cloned()))
        var problems: [String] = []
        var cuts = 0
        var rng = SeededGenerator(seed: 1)
        for (calls, forked) in forks {
            for cut in PowerCut.every(for: forked) {
                let crashed = forked.cloned()
                crashed.crash(cut.mode)
                cuts += 1
                do {
                    let reopened = try #require(try reopen(crashed, how: .manager, config: try LogConfig(properties: topic)))
                    var found = try PowerLossChecks.indexProblems(reopened, using: &rng)
                    let present = Dictionary(try PowerLossChecks.dataRecords(reopened).map { ($0.offset, $0.value) }, uniquingKeysWith: { a, _ in a })
                    for record in required where present[record.offset] != .some(record.value) { found.append("acknowledged \(record.value) at \(record.offset) lost") }
                    found += try check(reopened)
                    found += PowerLossChecks.writeProblems(reopened, value: "probe")
                    problems += found.map { "cut before call \(calls + 1) (\(cut)): \($0)" }
                } catch {
                    problems.append("cut before call \(calls + 1) (\(cut)): reopening failed: \(error)")
                }
            }
        }
        return (problems, cuts)
    }

    static func values(_ prefix: String, _ count: Int) -> [String] { (0..<count).map { "\(prefix)\($0)-" + String(repeating: "y", count: 40) } }

    /// A clean shutdown trims the active segment's indexes; the trim must be durable before the
    /// clean-shutdown marker, or the next start trusts a zero-filled index (found: `close()`
    /// synced before trimming).
    @Test func cleanShutdownMakesTheTrimmedIndexesDurable() throws {
        let written = Self.values("c", 12)
        let (problems, cuts) = try Self.problemsAtEveryCut(overrides: ["segment.bytes": "100000"], required: written.enumerated().map { (Int64($0.offset), $0.element) },
            prepare: { _, log in for value in written { try log.appendAsLeader(try LogTestSupport.batch([value]), durability: .fsynced) } },
            operation: { manager, _ in try manager.close() })
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(cuts > 10)
    }

    /// A roll after every record was fsynced must still make the old segment's trimmed indexes
    /// durable, before the new segment appears (found: the roll's flush skipped a segment the
    /// recovery point covered, and flushed only after creating the next segment).
    @Test func rollMakesTheOldSegmentDurableBeforeTheNextAppears() throws {
        let first = Self.values("r", 10)
        let (problems, _) = try Self.problemsAtEveryCut(overrides: ["segment.bytes": "100000"], required: first.prefix(4).enumerated().map { (Int64($0.offset), $0.element) },
            prepare: { manager, log in
                for value in first { try log.appendAsLeader(try LogTestSupport.batch([value]), durability: .fsynced) }
                try manager.writeCheckpoints()  // recovery point 10, stale after the truncation below
                let end = try log.truncate(to: 4)
                #expect(end == 4)
                try log.appendAsLeader(try LogTestSupport.batch(["after-truncation"]))
            },
            operation: { _, log in try log.roll() })
        #expect(problems.isEmpty, "\(problems.prefix(3))")
    }

    /// Truncating to the first segment's base replaces every segment; no power cut may leave the
    /// new empty segment in front of old ones (found: it was created before the others were
    /// deleted, and a stale checkpointed recovery point made the loader trust its empty index).
    @Test func truncatingEverythingNeverLeavesANewSegmentInFrontOfOldOnes() throws {
        let (problems, _) = try Self.problemsAtEveryCut(required: [],
            prepare: { manager, log in
                for value in Self.values("t", 30) { try log.appendAsLeader(try LogTestSupport.batch([value]), durability: .fsynced) }
                let segmentCount = log.segmentBaseOffsets.count
                #expect(segmentCount >= 3)
                try manager.writeCheckpoints()
            },
            operation: { _, log in
                let end = try log.truncate(to: 0)
                #expect(end == 0)
            })
        #expect(problems.isEmpty, "\(problems.prefix(3))")
    }

    /// A read-only open cannot rebuild the indexes of segments past the recovery point, so it
    /// must not use them: after a truncation and new appends, a power cut between the `.log`
    /// fsync and the `.index` fsync leaves a durable old index whose entries point into the
    /// new batches (found: the read-only view read the log end offset as the base offset and
    /// showed none of the acknowledged records).
    @Test func readOnlyOpenDoesNotTrustIndexesRecoveryWouldRebuild() throws {
        let disk = SimulatedFileSystem()
        try disk.createDirectory(Self.dataDirectory)
        let fs = ForkingFileSystem(disk)
        var config = LogConfig()
        config.indexIntervalBytes = 0
        config.segmentIndexBytes = 4_096
        var clean = Self.options(fs)
        clean.cleanShutdown = true
        var log = try PartitionLog.open(directory: Self.partitionDirectory, config: config, options: clean)
        for value in Self.values("s", 8) { try log.appendAsLeader(try LogTestSupport.batch([value]), durability: .fsynced) }
        try log.close()
        log = try PartitionLog.open(directory: Self.partitionDirectory, config: config, options: clean)
        let end = try log.truncate(to: 3)
        #expect(end == 3)
        let required = Self.values("s", 3).enumerated().map { (offset: Int64($0.offset), value: $0.element) }
        // New batches, larger than the old ones, cover the stale index positions; only the last
        // append syncs, and a cut inside it can keep the `.log` sync without the `.index` one.
        for index in 0..<3 { try log.appendAsLeader(try LogTestSupport.batch(["longer-\(index)-" + String(repeating: "w", count: 300)])) }
        fs.shouldFork = { _ in true }
        try log.appendAsLeader(try LogTestSupport.batch(["last"]), durability: .fsynced)
        for (calls, forked) in fs.takeForks() {
            forked.crash(.dropUnsynced)
            var readOnly = Self.options(forked)
            readOnly.readOnly = true
            let viewed = try PartitionLog.open(directory: Self.partitionDirectory, config: config, options: readOnly)
            let present = Dictionary(try LogTestSupport.allRecords(viewed).map { ($0.offset, $0.value) }, uniquingKeysWith: { a, _ in a })
            for record in required where present[record.offset] != .some(record.value) {
                Issue.record("cut before call \(calls + 1): \(record.value) at \(record.offset) missing from the read-only view (log \(viewed.logStartOffset)..<\(viewed.logEndOffset))")
            }
        }
    }

    /// After an unclean start the recovery point must not claim the recovered segments durable:
    /// a checkpoint written before a truncation names a recovery point above records written
    /// since, and the page cache a dead process leaves behind is not the disk (found: a flush
    /// after the restart synced nothing, and a power cut brought the truncated records back
    /// over the flushed ones).
    @Test func flushAfterAnUncleanStartSyncsWhatRecoveryRead() throws {
        let disk = SimulatedFileSystem()
        try disk.createDirectory(Self.dataDirectory)
        var manager = try LogManager.open(directory: Self.dataDirectory, options: Self.options(disk))
        var log = try manager.createPartition(Self.topicPartition)
        for value in Self.values("old", 10) { try log.appendAsLeader(try LogTestSupport.batch([value]), durability: .fsynced) }
        try manager.writeCheckpoints()  // recovery point 10
        let end = try log.truncate(to: 2)
        #expect(end == 2)
        for value in ["new-2", "new-3"] { try log.appendAsLeader(try LogTestSupport.batch([value])) }
        // The process dies and restarts: the disk keeps its page cache.
        manager.lock?.unlock()
        manager = try LogManager.open(directory: Self.dataDirectory, options: Self.options(disk))
        log = try #require(manager.partition(Self.topicPartition))
        #expect(log.recoveryPoint <= 2)
        try log.flush()
        disk.crash(.dropUnsynced)
        let reopened = try #require(try LogManager.open(directory: Self.dataDirectory, options: Self.options(disk)).partition(Self.topicPartition))
        let records = try LogTestSupport.allRecords(reopened)
        #expect(records.map(\.offset) == [0, 1, 2, 3])
        #expect(records.suffix(2).map(\.value) == ["new-2", "new-3"])
    }

    /// A transactional batch and its abort marker, as a follower appends them (offsets assigned).
    static func abortedTransaction(at offset: Int64, producerId: Int64, value: String? = nil) throws -> ByteBuffer {
        var data = RecordBatchBuilder.Configuration(baseOffset: offset)
        data.producerId = producerId
        data.producerEpoch = 0
        data.baseSequence = 0
        data.isTransactional = true
        var builder = RecordBatchBuilder(data)
        try builder.append(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "k"), value: ByteBuffer(string: value ?? "aborted-\(offset)"))
        var marker = data
        marker.baseOffset = offset + 1
        marker.baseSequence = -1
        marker.isControl = true
        var control = RecordBatchBuilder(marker)
        try control.append(timestamp: 1_700_000_000_000, key: ControlRecordType.abort.key, value: EndTransactionMarker(coordinatorEpoch: 0).value)
        var bytes = try builder.build()
        var markerBytes = try control.build()
        bytes.writeBuffer(&markerBytes)
        return bytes
    }

    /// Aborted transactions survive every power cut, with or without a roll before a clean
    /// shutdown (found: recovery emptied each recovered segment's `.txnindex` and never rebuilt
    /// it, so read_committed fetches returned aborted records as committed).
    @Test(arguments: [true, false]) func abortedTransactionsSurviveEveryPowerCut(rolling: Bool) throws {
        let (problems, cuts) = try Self.problemsAtEveryCut(overrides: ["segment.bytes": "100000"], required: [],
            prepare: { _, log in
                try log.appendAsLeader(try LogTestSupport.batch(["committed"]), durability: .fsynced)
                try log.appendAsFollower(try Self.abortedTransaction(at: 1, producerId: 5), durability: .fsynced)
                try log.appendAsLeader(try LogTestSupport.batch(["after"]), durability: .fsynced)
            },
            operation: { manager, log in
                try manager.writeCheckpoints()
                if rolling {
                    try log.roll()
                    try log.appendAsLeader(try LogTestSupport.batch(["next"]), durability: .fsynced)
                    try manager.writeCheckpoints()
                }
                try manager.close()
            },
            check: { log in
                let fetch = try log.read(from: 0, maxBytes: 1 << 20, isolation: .committed)
                return fetch.abortedTransactions.contains { $0.producerId == 5 && $0.firstOffset == 1 } ? [] : ["the aborted transaction of producer 5 is gone: \(fetch.abortedTransactions)"]
            })
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(cuts > 10)
    }

    /// A read-only open of a directory that needs recovery rebuilds aborted transactions in
    /// memory: the `.txnindex` it would rewrite may be missing or stale (found: read_committed
    /// fetches of the read-only view returned the aborted records as committed).
    @Test func readOnlyOpenReplaysAbortedTransactions() throws {
        let disk = SimulatedFileSystem()
        try disk.createDirectory(Self.dataDirectory)
        let manager = try LogManager.open(directory: Self.dataDirectory, options: Self.options(disk))
        let log = try manager.createPartition(Self.topicPartition)
        try log.appendAsLeader(try LogTestSupport.batch(["before"]), durability: .fsynced)
        try log.appendAsFollower(try Self.abortedTransaction(at: 1, producerId: 9), durability: .fsynced)
        disk.crash(.dropUnsynced)  // the new .txnindex's directory entry was never synced
        var readOnly = Self.options(disk)
        readOnly.readOnly = true
        let viewed = try PartitionLog.open(directory: Self.partitionDirectory, options: readOnly)
        let fetch = try viewed.read(from: 0, maxBytes: 1 << 20, isolation: .committed)
        #expect(fetch.abortedTransactions.map(\.producerId) == [9])
    }
}
