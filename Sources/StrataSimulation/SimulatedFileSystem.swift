import NIOCore
import Strata
import Synchronization

/// A disk simulated in memory for power-loss and fault tests, behind the same ``FileSystem``
/// protocol the engine uses for real files.
///
/// Writes, truncations and directory changes are volatile until synced: `sync()` makes a
/// file's data durable, `syncDirectory` makes a directory's entries durable. ``crash(_:)``
/// then throws away what was not durable — all of it, a random prefix of it in the order it
/// happened, or a prefix whose last write is torn at a random byte — as a power cut would.
/// ``faults`` injects errors (ENOSPC, EIO, short writes) into chosen calls; a failed `sync`
/// loses the file's unsynced writes, as Linux does.
public final class SimulatedFileSystem: FileSystem, Sendable {
    /// What a crash keeps of the operations not yet synced.
    public enum CrashMode: Sendable {
        /// Keeps none of them.
        case dropUnsynced
        /// Keeps the first `count` of them (in the order they happened).
        case keepPrefix(Int)
        /// Keeps the first `count`, the last of which (if a write) only up to `tornAt` bytes.
        case keepPrefixTearingLast(Int, tornAt: Int)
    }

    /// A system call the engine makes, for fault injection.
    public enum Call: String, Sendable { case open, read, write, sync, truncate, rename, remove, mkdir, syncDirectory, list }

    /// What an injected fault does.
    public enum Fault: Sendable {
        /// The call fails with this errno (e.g. ENOSPC 28, EIO 5).
        case error(Int32)
        /// A write stores only its first `bytes` bytes, then fails with ENOSPC.
        case shortWrite(bytes: Int)
    }

    typealias Inode = Int

    enum Operation {
        case write(Inode, offset: Int, bytes: [UInt8])
        case truncate(Inode, size: Int)
        case link(directory: String, name: String, inode: Inode)
        case unlink(directory: String, name: String)
        case move(from: String, fromName: String, to: String, toName: String, inode: Inode)
    }

    struct State {
        var nextInode = 1
        var durableData: [Inode: [UInt8]] = [:]
        var currentData: [Inode: [UInt8]] = [:]
        var durableEntries: [String: [String: Inode]] = ["/": [:]]
        var currentEntries: [String: [String: Inode]] = ["/": [:]]
        var pending: [Operation] = []
        var locks: Set<String> = []
        var mtimes: [Inode: Int64] = [:]
        var clock: Int64 = 1_700_000_000_000
        var fault: (@Sendable (Call, String) -> Fault?)? = nil
        var callCount = 0
    }

    let state = Mutex(State())

    /// Creates an empty disk with only the root directory.
    public init() {}

    /// Decides, for each call and path, whether it fails; nil for none.
    public func setFaults(_ decide: (@Sendable (Call, String) -> Fault?)?) {
        state.withLock { $0.fault = decide }
    }

    /// Number of calls made so far (to place a fault at the n-th call).
    public var callCount: Int { state.withLock { $0.callCount } }

    /// Number of operations a crash now could lose.
    public var unsyncedOperationCount: Int { state.withLock { $0.pending.count } }

    /// Simulates a power cut; afterwards the disk holds what was durable (plus what `mode` keeps).
    public func crash(_ mode: CrashMode = .dropUnsynced) {
        state.withLock { state in
            let keep: Int
            var tornAt: Int? = nil
            switch mode {
            case .dropUnsynced: keep = 0
            case .keepPrefix(let count): keep = min(count, state.pending.count)
            case .keepPrefixTearingLast(let count, let at):
                keep = min(count, state.pending.count)
                tornAt = at
            }
            for (index, operation) in state.pending.prefix(keep).enumerated() {
                var operation = operation
                if index == keep - 1, let tornAt, case .write(let inode, let offset, let bytes) = operation {
                    operation = .write(inode, offset: offset, bytes: Array(bytes.prefix(max(0, min(tornAt, bytes.count)))))
                }
                Self.apply(operation, data: &state.durableData, entries: &state.durableEntries)
            }
            state.pending = []
            state.currentData = state.durableData
            state.currentEntries = state.durableEntries
            state.locks = []
        }
    }

    static func apply(_ operation: Operation, data: inout [Inode: [UInt8]], entries: inout [String: [String: Inode]]) {
        switch operation {
        case .write(let inode, let offset, let bytes):
            var content = data[inode] ?? []
            if content.count < offset + bytes.count { content += [UInt8](repeating: 0, count: offset + bytes.count - content.count) }
            content.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            data[inode] = content
        case .truncate(let inode, let size):
            var content = data[inode] ?? []
            if size < content.count { content.removeSubrange(size...) } else { content += [UInt8](repeating: 0, count: size - content.count) }
            data[inode] = content
        case .link(let directory, let name, let inode):
            entries[directory, default: [:]][name] = inode
            if data[inode] == nil { data[inode] = [] }
        case .unlink(let directory, let name):
            entries[directory]?[name] = nil
        case .move(let from, let fromName, let to, let toName, let inode):
            // Atomic, as rename(2) is: the old name goes and the new one appears together.
            entries[from]?[fromName] = nil
            entries[to, default: [:]][toName] = inode
        }
    }

    // MARK: - Paths

    static func split(_ path: String) -> (directory: String, name: String) {
        let normalized = path.hasPrefix("/") ? path : "/" + path
        let directory = parentDirectory(of: normalized)
        let name = String(normalized[normalized.index(after: normalized.lastIndex(of: "/")!)...])
        return (directory, name)
    }

    static func normalize(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }

    func check(_ call: Call, _ path: String, in state: inout State) throws(StrataIOError) -> Fault? {
        state.callCount += 1
        guard let fault = state.fault?(call, path) else { return nil }
        if case .error(let errno) = fault { throw StrataIOError(call: call.rawValue, path: path, errno: errno) }
        return fault
    }

    func record(_ operation: Operation, in state: inout State) {
        state.pending.append(operation)
        Self.apply(operation, data: &state.currentData, entries: &state.currentEntries)
    }

    func inode(_ path: String, in state: State) -> Inode? {
        let (directory, name) = Self.split(path)
        return state.currentEntries[directory]?[name]
    }

    // MARK: - FileSystem

    public func open(_ path: String, mode: FileOpenMode) throws(StrataIOError) -> any StorageFile {
        let result: Result<Inode, StrataIOError> = state.withLock { state in
            do throws(StrataIOError) {
                _ = try check(.open, path, in: &state)
                let (directory, name) = Self.split(path)
                guard state.currentEntries[directory] != nil else { return .failure(StrataIOError(call: "open", path: path, errno: 2)) }
                if let existing = state.currentEntries[directory]?[name] {
                    if mode == .createNew { return .failure(StrataIOError(call: "open", path: path, errno: 17)) }
                    if state.currentEntries[Self.normalize(path)] != nil { return .failure(StrataIOError(call: "open", path: path, errno: 21)) }
                    return .success(existing)
                }
                guard mode == .createIfMissing || mode == .createNew else { return .failure(StrataIOError(call: "open", path: path, errno: 2)) }
                let inode = state.nextInode
                state.nextInode += 1
                state.mtimes[inode] = state.clock
                state.currentData[inode] = []
                state.durableData[inode] = state.durableData[inode] ?? []
                record(.link(directory: directory, name: name, inode: inode), in: &state)
                return .success(inode)
            } catch {
                return .failure(error)
            }
        }
        return SimulatedFile(fileSystem: self, path: Self.normalize(path), inode: try result.get(), readOnly: mode == .readOnly)
    }

    public func exists(_ path: String) -> Bool {
        state.withLock { state in inode(path, in: state) != nil || state.currentEntries[Self.normalize(path)] != nil }
    }

    public func isDirectory(_ path: String) -> Bool {
        state.withLock { $0.currentEntries[Self.normalize(path)] != nil }
    }

    public func contentsOfDirectory(_ path: String) throws(StrataIOError) -> [String] {
        try state.withLock { state throws(StrataIOError) in
            _ = try check(.list, path, in: &state)
            let directory = Self.normalize(path)
            guard let entries = state.currentEntries[directory] else { throw StrataIOError(call: "opendir", path: path, errno: 2) }
            let subdirectories = state.currentEntries.keys.filter { $0 != directory && parentDirectory(of: $0) == directory }
                .map { String($0.split(separator: "/").last ?? "") }
            return Array(entries.keys) + subdirectories
        }
    }

    public func createDirectory(_ path: String) throws(StrataIOError) {
        try state.withLock { state throws(StrataIOError) in
            _ = try check(.mkdir, path, in: &state)
            let directory = Self.normalize(path)
            guard state.currentEntries[parentDirectory(of: directory)] != nil else { throw StrataIOError(call: "mkdir", path: path, errno: 2) }
            if state.currentEntries[directory] == nil { state.currentEntries[directory] = [:] }
            // Directory creation is made durable at once (the simulation tracks file data and
            // entries, not directory inodes).
            if state.durableEntries[directory] == nil { state.durableEntries[directory] = [:] }
        }
    }

    public func rename(_ from: String, to: String) throws(StrataIOError) {
        try state.withLock { state throws(StrataIOError) in
            _ = try check(.rename, from, in: &state)
            guard let inode = inode(from, in: state) else { throw StrataIOError(call: "rename", path: "\(from) -> \(to)", errno: 2) }
            let source = Self.split(from), target = Self.split(to)
            record(.move(from: source.directory, fromName: source.name, to: target.directory, toName: target.name, inode: inode), in: &state)
        }
    }

    public func removeFile(_ path: String) throws(StrataIOError) {
        try state.withLock { state throws(StrataIOError) in
            _ = try check(.remove, path, in: &state)
            guard inode(path, in: state) != nil else { return }
            let (directory, name) = Self.split(path)
            record(.unlink(directory: directory, name: name), in: &state)
        }
    }

    public func removeDirectory(_ path: String) throws(StrataIOError) {
        try state.withLock { state throws(StrataIOError) in
            _ = try check(.remove, path, in: &state)
            let directory = Self.normalize(path)
            guard let entries = state.currentEntries[directory], entries.isEmpty else { throw StrataIOError(call: "rmdir", path: path, errno: 39) }
            state.currentEntries[directory] = nil
            state.durableEntries[directory] = nil
        }
    }

    public func syncDirectory(_ path: String) throws(StrataIOError) {
        try state.withLock { state throws(StrataIOError) in
            _ = try check(.syncDirectory, path, in: &state)
            let directory = Self.normalize(path)
            var remaining: [Operation] = []
            for operation in state.pending {
                switch operation {
                case .link(let dir, _, _) where dir == directory, .unlink(let dir, _) where dir == directory,
                     .move(let dir, _, _, _, _) where dir == directory, .move(_, _, let dir, _, _) where dir == directory:
                    Self.apply(operation, data: &state.durableData, entries: &state.durableEntries)
                default:
                    remaining.append(operation)
                }
            }
            state.pending = remaining
        }
    }

    public func modificationTime(_ path: String) throws(StrataIOError) -> Int64 {
        try state.withLock { state throws(StrataIOError) in
            guard let inode = inode(path, in: state) else { throw StrataIOError(call: "lstat", path: path, errno: 2) }
            return state.mtimes[inode] ?? state.clock
        }
    }

    public func setModificationTime(_ path: String, milliseconds: Int64) throws(StrataIOError) {
        try state.withLock { state throws(StrataIOError) in
            guard let inode = inode(path, in: state) else { throw StrataIOError(call: "utimensat", path: path, errno: 2) }
            state.mtimes[inode] = milliseconds
        }
    }

    public func lockExclusively(_ path: String) throws(StrataIOError) -> any FileLock {
        try state.withLock { state throws(StrataIOError) in
            let key = Self.normalize(path)
            guard !state.locks.contains(key) else { throw StrataIOError(call: "flock", path: path, errno: 11) }
            state.locks.insert(key)
        }
        return SimulatedLock(fileSystem: self, path: Self.normalize(path))
    }

    /// The content a file has now (for test assertions).
    public func contents(of path: String) -> [UInt8]? {
        state.withLock { state in inode(path, in: state).flatMap { state.currentData[$0] } }
    }
}

final class SimulatedFile: StorageFile, Sendable {
    let fileSystem: SimulatedFileSystem
    let path: String
    let inode: SimulatedFileSystem.Inode
    let readOnly: Bool
    let closed = Mutex(false)

    init(fileSystem: SimulatedFileSystem, path: String, inode: SimulatedFileSystem.Inode, readOnly: Bool) {
        self.fileSystem = fileSystem
        self.path = path
        self.inode = inode
        self.readOnly = readOnly
    }

    private func ensureOpen(_ call: String) throws(StrataIOError) {
        if closed.withLock({ $0 }) { throw StrataIOError(call: call, path: path, errno: 9) }
    }

    func size() throws(StrataIOError) -> Int {
        try ensureOpen("fstat")
        return fileSystem.state.withLock { $0.currentData[inode]?.count ?? 0 }
    }

    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer {
        try ensureOpen("pread")
        return try fileSystem.state.withLock { state throws(StrataIOError) in
            _ = try fileSystem.check(.read, path, in: &state)
            let content = state.currentData[inode] ?? []
            guard offset < content.count else { return ByteBuffer() }
            return ByteBuffer(bytes: content[offset..<min(content.count, offset + count)])
        }
    }

    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) {
        try ensureOpen("pwrite")
        guard !readOnly else { throw StrataIOError(call: "pwrite", path: path, errno: 9) }
        try fileSystem.state.withLock { state throws(StrataIOError) in
            var data = Array(bytes.readableBytesView)
            if case .shortWrite(let count) = try fileSystem.check(.write, path, in: &state) {
                data = Array(data.prefix(count))
                fileSystem.record(.write(inode, offset: offset, bytes: data), in: &state)
                throw StrataIOError(call: "pwrite", path: path, errno: 28)
            }
            fileSystem.record(.write(inode, offset: offset, bytes: data), in: &state)
            state.clock += 1
            state.mtimes[inode] = state.clock
        }
    }

    func sync() throws(StrataIOError) {
        try ensureOpen("fdatasync")
        try fileSystem.state.withLock { state throws(StrataIOError) in
            // A failed fsync loses the file's unsynced writes as Linux does: the page cache
            // still shows them, but they are marked clean and never reach the disk, so a later
            // fsync that succeeds does not save them (the "fsyncgate" behaviour).
            var failure: StrataIOError? = nil
            do throws(StrataIOError) { _ = try fileSystem.check(.sync, path, in: &state) } catch { failure = error }
            var remaining: [SimulatedFileSystem.Operation] = []
            for operation in state.pending {
                switch operation {
                case .write(let target, _, _) where target == inode, .truncate(let target, _) where target == inode:
                    if failure == nil { SimulatedFileSystem.apply(operation, data: &state.durableData, entries: &state.durableEntries) }
                default:
                    remaining.append(operation)
                }
            }
            state.pending = remaining
            if let failure { throw failure }
        }
    }

    func truncate(to size: Int) throws(StrataIOError) {
        try ensureOpen("ftruncate")
        guard !readOnly else { throw StrataIOError(call: "ftruncate", path: path, errno: 9) }
        try fileSystem.state.withLock { state throws(StrataIOError) in
            _ = try fileSystem.check(.truncate, path, in: &state)
            fileSystem.record(.truncate(inode, size: size), in: &state)
        }
    }

    func close() { closed.withLock { $0 = true } }
}

final class SimulatedLock: FileLock, Sendable {
    let fileSystem: SimulatedFileSystem
    let path: String
    let released = Mutex(false)
    init(fileSystem: SimulatedFileSystem, path: String) {
        self.fileSystem = fileSystem
        self.path = path
    }
    deinit { unlock() }
    func unlock() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        if first { _ = fileSystem.state.withLock { $0.locks.remove(path) } }
    }
}
