import NIOCore

/// Walks the entries of a `.log` file (or any file in Kafka's record framing, such as a KRaft
/// snapshot), reading it in windows so memory stays bounded by the largest entry.
///
/// The rules are Kafka's (see ``EntryFraming``). After ``next()`` returns nil, ``stop`` says
/// why; after it throws a `StrataFormatError`, ``position`` is where the bad entry starts.
public struct LogFileReader {
    /// The file being read.
    public let file: any StorageFile
    /// The position where reading stops (the file size, or less with `maxBytes`).
    public let end: Int
    private let limits: DecodingLimits
    private let windowSize: Int
    private var window = ByteBuffer()
    private var windowStart = 0
    /// Position of the next entry.
    public private(set) var position: Int
    /// Why reading stopped, once it has.
    public private(set) var stop: LogStop?

    /// Opens `path` for reading entries from `position`, at most `maxBytes` of it.
    ///
    /// - Throws: `StrataIOError` when the file cannot be opened.
    public init(path: String, from position: Int = 0, maxBytes: Int? = nil, limits: DecodingLimits = .default, windowSize: Int = 1 << 20, fileSystem: any FileSystem = PosixFileSystem()) throws(StrataIOError) {
        let file = try fileSystem.open(path, mode: .readOnly)
        try self.init(file: file, from: position, end: try file.size(), maxBytes: maxBytes, limits: limits, windowSize: windowSize)
    }

    /// Reads entries of an open file from `position` up to `end` (at most `maxBytes`).
    public init(file: any StorageFile, from position: Int = 0, end: Int, maxBytes: Int? = nil, limits: DecodingLimits = .default, windowSize: Int = 1 << 20) throws(StrataIOError) {
        self.file = file
        self.end = maxBytes.map { min(end, position + $0) } ?? end
        self.limits = limits
        self.windowSize = windowSize
        self.position = position
    }

    /// The name of the file, for messages.
    public var path: String { file.path }

    /// The next entry, or nil at the end or at a partial tail.
    ///
    /// - Throws: `StrataFormatError` (with the file named) for a corrupt entry,
    ///   `StrataIOError` when reading fails.
    public mutating func next() throws -> LogEntry? {
        if stop != nil { return nil }
        let remaining = end - position
        if remaining <= EntryFraming.headerSize {
            stop = EntryFraming.Outcome.end(trailing: remaining).stop(at: position)
            return nil
        }
        try ensureWindow(covering: EntryFraming.headerSize)
        let relative = position - windowStart
        let outcome: EntryFraming.Outcome
        do {
            outcome = try window.withUnsafeReadableBytes { raw throws(StrataFormatError) in
                try EntryFraming.inspect(UnsafeRawBufferPointer(rebasing: raw[relative...]), remaining: remaining, position: position, limits: limits)
            }
        } catch {
            throw error.adding(file: path)
        }
        switch outcome {
        case .end, .partial:
            stop = outcome.stop(at: position)
            return nil
        case .entry(let size, let magic):
            try ensureWindow(covering: size)
            let bytes = window.getSlice(at: window.readerIndex + position - windowStart, length: size)!
            do {
                let entry = try EntryFraming.makeEntry(bytes, magic: magic, position: position)
                position += size
                return entry
            } catch {
                throw error.adding(file: path)
            }
        }
    }

    /// Moves past the entry at ``position`` after `next()` threw, when its size field frames it
    /// inside the file. Returns false when framing is lost.
    public mutating func skipEntry() throws -> Bool {
        guard end - position > EntryFraming.headerSize else { return false }
        try ensureWindow(covering: EntryFraming.headerSize)
        guard let size = window.getInteger(at: window.readerIndex + position - windowStart + 8, as: Int32.self),
              size >= EntryFraming.minimumSize, Int(size) + 12 <= end - position
        else { return false }
        position += Int(size) + 12
        return true
    }

    private mutating func ensureWindow(covering count: Int) throws(StrataIOError) {
        let available = windowStart + window.readableBytes - position
        if position >= windowStart && available >= count { return }
        let wanted = min(max(windowSize, count), end - position)
        // Entries handed out are slices of the window; when none is kept, the same memory is
        // read into again (a fresh megabyte per window costs as much as the copy itself).
        try file.read(at: position, count: wanted, into: &window)
        windowStart = position
    }
}
