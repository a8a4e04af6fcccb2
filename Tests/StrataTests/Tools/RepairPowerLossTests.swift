import Foundation
import NIOCore
import Testing
@testable import Strata
@testable import StrataSimulation
@testable import StrataTools

/// `strata-verify --repair` cut by a power failure before each of its file-system calls, each
/// cut three ways (unsynced writes dropped, a prefix kept, the last write torn): the partition
/// still opens, no undamaged record is lost (it is in the log or in a file set aside beside it),
/// and the repair can be run again to the end.
@Suite struct RepairPowerLossTests {
    /// The plan for a partition with a damaged batch in the middle of a segment (excised and
    /// saved aside) and a damaged index (rebuilt), computed on the real copy.
    private static func damagedPartition() throws -> (directory: String, plan: RepairPlan, undamaged: Set<String>) {
        let directory = try VerifyTestSupport.writePartition(batches: 12, perBatch: 4, segmentBytes: 100_000, indexInterval: 0)
        let log = directory + "/00000000000000000000.log"
        let entries = try VerifyTestSupport.entries(of: log)
        let damaged = entries[5]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: log))
        bytes[damaged.position + damaged.size - 3] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: log))
        let index = directory + "/00000000000000000000.index"
        var indexBytes = try Data(contentsOf: URL(fileURLWithPath: index))
        indexBytes[9] ^= 0xFF
        try indexBytes.write(to: URL(fileURLWithPath: index))
        let all = try VerifyTestSupport.records(in: directory)
        let undamaged = Set(all.filter { !damaged.offsets.contains($0.key) }.compactMap(\.value))

        let verifier = Verifier(options: VerifyOptions(), out: StringOutput())
        verifier.verify(path: directory)
        let plan = try RepairPlan(verdicts: verifier.segmentVerdicts, findings: verifier.findings, fileSystem: PosixFileSystem())
        return (directory, plan, undamaged)
    }

    /// A simulated disk holding the directory's files, all durable.
    private static func load(_ directory: String) throws -> SimulatedFileSystem {
        let disk = SimulatedFileSystem()
        var path = ""
        for component in directory.split(separator: "/") {
            path += "/" + component
            try disk.createDirectory(path)
            try disk.syncDirectory(String(path.dropLast(component.count + 1)).isEmpty ? "/" : String(path.dropLast(component.count + 1)))
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let file = try disk.open(directory + "/" + name, mode: .createNew)
            try file.write(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))), at: 0)
            try file.sync()
            file.close()
        }
        try disk.syncDirectory(directory)
        return disk
    }

    /// Every record value in every file of the directory that frames as a log (the log itself,
    /// bytes saved aside, a leftover rewrite), read without trusting anything.
    private static func valuesAnywhere(_ directory: String, on disk: SimulatedFileSystem) throws -> Set<String> {
        var values: Set<String> = []
        for name in try disk.contentsOfDirectory(directory) where name.contains(".log") {
            guard let file = try? disk.open(directory + "/" + name, mode: .readOnly), let size = try? file.size() else { continue }
            var reader = LogEntryReader(try file.read(at: 0, count: size))
            file.close()
            for _ in 0..<10_000 {
                do {
                    guard let entry = try reader.next() else { break }
                    for record in (try? entry.records()) ?? [] { if let value = record.value { values.insert(String(buffer: value)) } }
                } catch {
                    if !reader.skipEntry() { break }
                }
            }
        }
        return values
    }

    @Test func aPowerCutAtAnyStepOfARepairLosesNoUndamagedRecord() throws {
        let (directory, plan, undamaged) = try Self.damagedPartition()
        #expect(plan.actions.contains { if case .excise = $0 { true } else { false } })
        #expect(plan.actions.contains { if case .rebuildIndexes = $0 { true } else { false } })
        let forking = ForkingFileSystem(try Self.load(directory))
        forking.shouldFork = { _ in true }
        let execution = RepairExecution(fileSystem: forking, limits: .default, config: { var c = LogConfig(); c.indexIntervalBytes = 0; return c }())
        for action in plan.actions { try execution.run(action) }
        let forks = forking.takeForks() + [(forking.mutatingCalls, forking.disk.cloned())]
        #expect(forks.count > 5)
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        var cuts = 0
        for (calls, fork) in forks {
            for cut in PowerCut.all(for: fork, using: &rng) {
                let disk = fork.cloned()
                disk.crash(cut.mode)
                cuts += 1
                let context = "power cut after \(calls) calls (\(cut)), seed \(seed)"
                // Nothing undamaged is lost, before the engine touches anything.
                let before = try Self.valuesAnywhere(directory, on: disk)
                #expect(undamaged.isSubset(of: before), "\(context): lost \(undamaged.subtracting(before).sorted().prefix(5))")
                // The partition opens (recovering), and what it cuts is saved too.
                var options = PartitionOpenOptions()
                options.fileSystem = disk
                options.logger.logLevel = .critical
                let log = try PartitionLog.open(directory: directory, config: LogTestSupport.smallConfig(segmentBytes: 100_000, indexInterval: 0), options: options)
                try log.close()
                let after = try Self.valuesAnywhere(directory, on: disk)
                #expect(undamaged.isSubset(of: after), "\(context), after open: lost \(undamaged.subtracting(after).sorted().prefix(5))")
            }
            // While the log is still the damaged one, the same plan (what a new verification
            // would find) runs to the end from where the cut left it: leftovers of the cut run
            // do not block it.
            let rerun = fork.cloned()
            rerun.crash(.dropUnsynced)
            let logPath = directory + "/00000000000000000000.log"
            let current = try rerun.open(logPath, mode: .readOnly)
            let unchanged = try current.read(at: 0, count: try current.size()) == ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: logPath)))
            current.close()
            guard unchanged else { continue }
            let again = RepairExecution(fileSystem: rerun, limits: .default, config: LogConfig())
            do {
                for action in plan.actions { try again.run(action) }
            } catch {
                Issue.record("repair cannot run again after a power cut after \(calls) calls: \(error)")
            }
        }
        #expect(cuts > 10)
    }
}
