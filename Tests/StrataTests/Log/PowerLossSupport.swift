import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Strata
@testable import StrataSimulation

// Support for the power-loss and fault-injection tests: a copy of a simulated disk taken at any
// call, a model of what was written and acknowledged, and the checks every recovered log must
// pass.

extension SimulatedFileSystem {
    /// An independent copy of this disk as it is now (durable state, pending operations,
    /// current view); faults are not copied. Copy-on-write keeps it cheap.
    func cloned() -> SimulatedFileSystem {
        let copy = SimulatedFileSystem()
        var snapshot = state.withLock { $0 }
        snapshot.fault = nil
        copy.state.withLock { $0 = snapshot }
        return copy
    }

    /// The size in bytes of pending operation `index` when it is a write (to tear it inside).
    func pendingWriteSize(at index: Int) -> Int? {
        state.withLock { state in
            guard index >= 0, index < state.pending.count, case .write(_, _, let bytes) = state.pending[index] else { return nil }
            return bytes.count
        }
    }
}

/// A simulated disk that can be copied just before any of its mutating calls: a power cut at
/// exactly that point of the engine's call sequence, without replaying the workload.
///
/// `mutatingCalls` counts open, write, sync, truncate, rename, remove, mkdir and directory
/// syncs; before call number `mutatingCalls + 1` runs, `shouldFork` is asked and a copy taken.
final class ForkingFileSystem: FileSystem, @unchecked Sendable {
    let disk: SimulatedFileSystem
    private let lock = NSLock()
    private var calls = 0
    private var forks: [(calls: Int, disk: SimulatedFileSystem)] = []
    /// Decides, from the number of mutating calls done so far, whether to copy the disk now.
    var shouldFork: (Int) -> Bool = { _ in false }

    init(_ disk: SimulatedFileSystem) { self.disk = disk }

    /// Mutating calls made so far.
    var mutatingCalls: Int { lock.withLock { calls } }

    /// The copies taken since the last call, with the number of calls done when each was taken.
    func takeForks() -> [(calls: Int, disk: SimulatedFileSystem)] {
        lock.withLock {
            defer { forks = [] }
            return forks
        }
    }

    /// Called before every mutating call.
    func willMutate() {
        let done = lock.withLock { calls }
        if shouldFork(done) {
            let copy = disk.cloned()
            lock.withLock { forks.append((done, copy)) }
        }
        lock.withLock { calls += 1 }
    }

    func open(_ path: String, mode: FileOpenMode) throws(StrataIOError) -> any StorageFile {
        if mode != .readOnly { willMutate() }
        return ForkingFile(try disk.open(path, mode: mode), owner: self)
    }
    func exists(_ path: String) -> Bool { disk.exists(path) }
    func isDirectory(_ path: String) -> Bool { disk.isDirectory(path) }
    func contentsOfDirectory(_ path: String) throws(StrataIOError) -> [String] { try disk.contentsOfDirectory(path) }
    func createDirectory(_ path: String) throws(StrataIOError) {
        willMutate()
        try disk.createDirectory(path)
    }
    func rename(_ from: String, to: String) throws(StrataIOError) {
        willMutate()
        try disk.rename(from, to: to)
    }
    func removeFile(_ path: String) throws(StrataIOError) {
        willMutate()
        try disk.removeFile(path)
    }
    func removeDirectory(_ path: String) throws(StrataIOError) {
        willMutate()
        try disk.removeDirectory(path)
    }
    func syncDirectory(_ path: String) throws(StrataIOError) {
        willMutate()
        try disk.syncDirectory(path)
    }
    func modificationTime(_ path: String) throws(StrataIOError) -> Int64 { try disk.modificationTime(path) }
    func setModificationTime(_ path: String, milliseconds: Int64) throws(StrataIOError) { try disk.setModificationTime(path, milliseconds: milliseconds) }
    func lockExclusively(_ path: String) throws(StrataIOError) -> any FileLock { try disk.lockExclusively(path) }
}

final class ForkingFile: StorageFile, @unchecked Sendable {
    let inner: any StorageFile
    let owner: ForkingFileSystem
    init(_ inner: any StorageFile, owner: ForkingFileSystem) {
        self.inner = inner
        self.owner = owner
    }
    var path: String { inner.path }
    func size() throws(StrataIOError) -> Int { try inner.size() }
    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer { try inner.read(at: offset, count: count) }
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) {
        owner.willMutate()
        try inner.write(bytes, at: offset)
    }
    func sync() throws(StrataIOError) {
        owner.willMutate()
        try inner.sync()
    }
    func truncate(to size: Int) throws(StrataIOError) {
        owner.willMutate()
        try inner.truncate(to: size)
    }
    func close() { inner.close() }
}

/// Every record the workload tried to write, and when (in calls) it became durable or stopped
/// being required.
struct DurabilityModel {
    struct Written {
        var offset: Int64
        var value: String
        /// Offsets of the batch it was written in.
        var batch: ClosedRange<Int64>
        /// Calls done when the append started.
        var startedAt: Int
        /// Calls done when it was acknowledged as durable (fsynced append or completed flush).
        var acknowledgedAt: Int?
        /// Calls done when an operation that removes it (truncation, retention) started.
        var removedAt: Int?
        /// Whether the append returned (so the record is in the log until removed).
        var appended: Bool
    }

    var written: [Written] = []
    var indexByValue: [String: Int] = [:]
    /// Values written as the one record of an aborted transaction, with its producer id (its
    /// abort marker follows at the next offset).
    var transactions: [String: Int64] = [:]

    mutating func started(values: [String], firstOffset: Int64, at calls: Int) {
        let batch = firstOffset...(firstOffset + Int64(values.count) - 1)
        for (index, value) in values.enumerated() {
            indexByValue[value] = written.count
            written.append(Written(offset: firstOffset + Int64(index), value: value, batch: batch, startedAt: calls, appended: false))
        }
    }

    /// The append of `values` returned at `firstOffset`; `durable` when fsynced.
    mutating func appended(values: [String], firstOffset: Int64, durable: Bool, at calls: Int) {
        for (index, value) in values.enumerated() {
            let i = indexByValue[value]!
            written[i].appended = true
            written[i].offset = firstOffset + Int64(index)
            written[i].batch = firstOffset...(firstOffset + Int64(values.count) - 1)
            if durable { written[i].acknowledgedAt = calls }
        }
    }

    /// Records in the log now (appended, not removed).
    var live: [Written] { written.filter { $0.appended && $0.removedAt == nil } }

    /// A flush (or clean close) that started with the log as it is now completed at `calls`.
    mutating func flushed(at calls: Int, liveAtStart: Set<String>) {
        for i in written.indices where liveAtStart.contains(written[i].value) && written[i].removedAt == nil && written[i].acknowledgedAt == nil {
            written[i].acknowledgedAt = calls
        }
    }

    /// Records that an operation starting at `calls` removes: those with offsets ≥ `end`, or
    /// below `start`.
    mutating func removed(where predicate: (Written) -> Bool, at calls: Int) {
        for i in written.indices where written[i].appended && written[i].removedAt == nil && predicate(written[i]) {
            written[i].removedAt = calls
        }
    }

    /// Makes records an operation started at `calls` turned out not to remove required again.
    mutating func restore(where predicate: (Written) -> Bool, removedAt calls: Int) {
        for i in written.indices where written[i].removedAt == calls && predicate(written[i]) { written[i].removedAt = nil }
    }

    /// The offset a truncation to `target` actually ends at: batches are never split.
    func truncationEnd(target: Int64) -> Int64 {
        if let hit = live.first(where: { $0.batch.contains(target) }) { return hit.batch.lowerBound }
        return target
    }

    /// What must be present after a power cut when `calls` calls were done.
    func required(at calls: Int) -> [Written] {
        written.filter { record in
            guard let acknowledged = record.acknowledgedAt, acknowledged <= calls else { return false }
            if let removed = record.removedAt, removed <= calls { return false }
            return true
        }
    }
}

/// One way the simulated disk loses power.
enum PowerCut: CustomStringConvertible {
    case dropUnsynced
    case keepPrefix(Int)
    case tearLast(Int, tornAt: Int)

    var mode: SimulatedFileSystem.CrashMode {
        switch self {
        case .dropUnsynced: .dropUnsynced
        case .keepPrefix(let count): .keepPrefix(count)
        case .tearLast(let count, let tornAt): .keepPrefixTearingLast(count, tornAt: tornAt)
        }
    }

    var description: String {
        switch self {
        case .dropUnsynced: "drop unsynced"
        case .keepPrefix(let count): "keep \(count) unsynced operations"
        case .tearLast(let count, let tornAt): "keep \(count) unsynced operations, the last torn at byte \(tornAt)"
        }
    }

    /// Every cut of a disk with pending operations: none kept, each prefix kept, and each
    /// prefix with its last write torn in half.
    static func every(for disk: SimulatedFileSystem) -> [PowerCut] {
        let pending = disk.unsyncedOperationCount
        var cuts: [PowerCut] = [.dropUnsynced] + (0...pending).map { PowerCut.keepPrefix($0) }
        if pending > 0 { cuts += (1...pending).map { PowerCut.tearLast($0, tornAt: (disk.pendingWriteSize(at: $0 - 1) ?? 0) / 2) } }
        return cuts
    }

    /// The three kinds of cut, with random amounts, for a disk with pending operations.
    static func all(for disk: SimulatedFileSystem, using rng: inout SeededGenerator) -> [PowerCut] {
        let pending = disk.unsyncedOperationCount
        var cuts: [PowerCut] = [.dropUnsynced, .keepPrefix(Int.random(in: 0...pending, using: &rng))]
        if pending > 0 {
            let keep = Int.random(in: 1...pending, using: &rng)
            let size = disk.pendingWriteSize(at: keep - 1) ?? 1
            cuts.append(.tearLast(keep, tornAt: Int.random(in: 0..<max(1, size), using: &rng)))
        }
        return cuts
    }
}

enum PowerLossChecks {
    /// Problems with the records of a reopened log, against the model at `calls` (empty: none).
    ///
    /// Every required record is present once at its offset with its value; every present record
    /// was written at that offset; offsets strictly increase.
    static func recordProblems(_ log: PartitionLog, model: DurabilityModel, calls: Int) throws -> [String] {
        var problems: [String] = []
        let present = try dataRecords(log)
        var previous: Int64? = nil
        var seen: Set<String> = []
        for record in present {
            if let previous, record.offset <= previous { problems.append("offset \(record.offset) follows \(previous)") }
            previous = record.offset
            guard let value = record.value, let index = model.indexByValue[value] else {
                problems.append("record \(record.value ?? "null") at \(record.offset) was never written")
                continue
            }
            let written = model.written[index]
            if written.startedAt > calls { problems.append("record \(value) at \(record.offset) was written only later (call \(written.startedAt))") }
            if written.offset != record.offset { problems.append("record \(value) at \(record.offset) was written at \(written.offset)") }
            if !seen.insert(value).inserted { problems.append("record \(value) appears twice") }
        }
        let byOffset = Dictionary(present.map { ($0.offset, $0.value) }, uniquingKeysWith: { first, _ in first })
        for record in model.required(at: calls) where byOffset[record.offset] != .some(record.value) {
            let found = byOffset[record.offset].map { $0 ?? "null" } ?? "nothing"
            problems.append("acknowledged record \(record.value) at \(record.offset) lost (found \(found); log \(log.logStartOffset)..<\(log.logEndOffset))")
        }
        // An acknowledged abort is still known to read_committed fetches (below the last
        // stable offset: a transaction left open by an earlier cut holds that back).
        // So is any abort whose marker is in the log, acknowledged or not.
        let stable = log.lastStableOffset
        let markers = try controlOffsets(log)
        let presentWritten = present.compactMap { record in record.value.flatMap { model.indexByValue[$0] }.map { model.written[$0] } }
        let withMarkers = presentWritten.filter { markers.contains($0.offset + 1) && $0.offset == $0.batch.lowerBound }
        let required = model.required(at: calls)
        var checked: Set<String> = []
        for record in required + withMarkers where record.offset < stable && checked.insert(record.value).inserted {
            guard let producerId = model.transactions[record.value] else { continue }
            let aborted = try log.read(from: record.offset, maxBytes: 1 << 16, isolation: .committed).abortedTransactions
            if !aborted.contains(where: { $0.producerId == producerId && $0.firstOffset == record.offset }) {
                problems.append("the abort of \(record.value) at \(record.offset) is missing from read_committed fetches (\(aborted))")
            }
        }
        return problems
    }

    /// The offsets of the control batches (transaction markers) in the log.
    static func controlOffsets(_ log: PartitionLog) throws -> Set<Int64> {
        var result: Set<Int64> = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let fetch = try log.read(from: offset, maxBytes: 64 * 1024, isolation: .logEnd)
            guard !fetch.entries.isEmpty else { break }
            for entry in fetch.entries {
                if case .batch(let batch) = entry, batch.header.isControl { result.insert(batch.header.baseOffset) }
                offset = entry.lastOffset + 1
            }
        }
        return result
    }

    /// The data records of the log (control batches skipped), in order.
    static func dataRecords(_ log: PartitionLog) throws -> [(offset: Int64, value: String?)] {
        var result: [(Int64, String?)] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let fetch = try log.read(from: offset, maxBytes: 64 * 1024, isolation: .logEnd)
            guard !fetch.entries.isEmpty else { break }
            for entry in fetch.entries {
                if case .batch(let batch) = entry, batch.header.isControl {
                    offset = entry.lastOffset + 1
                    continue
                }
                for record in try entry.records() where record.offset >= offset {
                    result.append((record.offset, record.value.map { String(buffer: $0) }))
                }
                offset = entry.lastOffset + 1
            }
        }
        return result
    }

    /// Problems with the segments' indexes: consistency, every offset index entry pointing at
    /// the batch whose last offset it names, and index lookups agreeing with a linear scan.
    static func indexProblems(_ log: PartitionLog, using rng: inout SeededGenerator) throws -> [String] {
        var problems: [String] = []
        for segment in log.allSegments {
            let name = "segment \(segment.baseOffset)"
            if !(try segment.indexesAreConsistent()) { problems.append("\(name): indexes inconsistent (\(segment.offsetIndex.entryCount) offset entries, \(segment.timeIndex.entryCount) time entries)") }
            var entries: [LogEntry] = []
            var reader = try segment.entries()
            while let entry = try reader.next() { entries.append(entry) }
            for i in 0..<segment.offsetIndex.entryCount {
                let indexed = try segment.offsetIndex.entry(at: i)
                guard let batch = entries.first(where: { $0.position == indexed.position }) else {
                    problems.append("\(name): offset index entry \(indexed) points inside a batch")
                    continue
                }
                if batch.lastOffset != indexed.offset { problems.append("\(name): offset index entry \(indexed) names the batch ending at \(batch.lastOffset)") }
            }
            guard let last = entries.last else { continue }
            for _ in 0..<3 {
                let target = Int64.random(in: segment.baseOffset...last.lastOffset, using: &rng)
                let floor = try segment.offsetIndex.lookup(target)
                if floor.offset > target && segment.offsetIndex.entryCount > 0 && floor.offset != segment.baseOffset {
                    problems.append("\(name): index floor of \(target) is \(floor.offset)")
                }
                let scanned = entries.first { $0.lastOffset >= target }
                let translated = try segment.translateOffset(target)
                if translated?.position != scanned?.position {
                    problems.append("\(name): offset \(target) found at \(String(describing: translated?.position)) by the index, \(String(describing: scanned?.position)) by a scan")
                }
            }
        }
        return problems
    }

    /// Problems appending to the reopened log and reading the record back.
    static func writeProblems(_ log: PartitionLog, value: String) -> [String] {
        do {
            let result = try log.appendAsLeader(try LogTestSupport.batch([value]), durability: .fsynced)
            let fetch = try log.read(from: result.firstOffset, maxBytes: 1 << 16, isolation: .logEnd)
            let record = try fetch.entries.flatMap { try $0.records() }.first { $0.offset == result.firstOffset }
            if record?.value.map({ String(buffer: $0) }) != value { return ["appended \(value) at \(result.firstOffset) but read back \(String(describing: record))"] }
            return []
        } catch {
            return ["append after recovery failed: \(error)"]
        }
    }
}

/// A counter the fault closures (which must be `@Sendable`) share with the test.
final class CallCounter: Sendable {
    private let value = Mutex(0)
    /// Adds one and returns the new count.
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
    var count: Int { value.withLock { $0 } }
    func reset() { value.withLock { $0 = 0 } }
}
