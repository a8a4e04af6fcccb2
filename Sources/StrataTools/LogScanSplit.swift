import NIOCore
import Strata

/// Where the threads of a parallel `.log` scan start.
///
/// The file is cut into `jobs` shares of equal size (none below `minimumShareBytes`); each
/// share after the first starts at the first position of its share where a v2 batch plausibly
/// begins: magic 2, a length that fits the file, and a stored CRC-32C that matches the batch's
/// bytes. A guess can still be wrong (a batch written inside a record's value looks the same);
/// the join finds that out, since the thread before it must stop exactly there, so a wrong
/// guess costs time, never a finding.
enum LogScanSplit {
    /// The start of each share that found one, strictly increasing, the first being 0.
    ///
    /// - Throws: `StrataIOError` when reading fails.
    static func starts(of file: any StorageFile, size: Int, jobs: Int, minimumShareBytes: Int = minimumShareBytes, searchBytes: Int,
                       limits: DecodingLimits) throws(StrataIOError) -> [Int] {
        let shares = max(1, min(jobs, size / max(minimumShareBytes, 1)))
        var starts = [0]
        // No search looks again where an earlier one looked, however many shares there are.
        var searched = 1
        for share in 1..<shares {
            let from = max(size / shares * share, searched)
            if let start = try batchStart(in: file, size: size, from: from, searchBytes: searchBytes, limits: limits) {
                starts.append(start)
                searched = start + 1
            } else {
                searched = from + searchBytes
            }
        }
        return starts
    }

    /// The first position in `from ..< from + searchBytes` where a v2 batch with a matching CRC
    /// begins (the whole batch lying within twice `searchBytes` of `from`), or nil.
    ///
    /// - Throws: `StrataIOError` when reading fails.
    static func batchStart(in file: any StorageFile, size: Int, from: Int, searchBytes: Int, limits: DecodingLimits) throws(StrataIOError) -> Int? {
        let searchEnd = min(from + searchBytes, size - RecordBatchHeader.size + 1)
        guard from < searchEnd else { return nil }
        let reach = min(size - from, 2 * searchBytes + RecordBatchHeader.size)
        var window = try file.read(at: from, count: min(reach, max(64 << 10, RecordBatchHeader.size)))
        /// Reads on until the window holds `count` bytes from `from`, at least doubling it;
        /// false when the file ends first (it shrank since its size was taken).
        func extend(to count: Int) throws(StrataIOError) -> Bool {
            let loaded = window.readableBytes
            let more = try file.read(at: from + loaded, count: min(reach, max(count, 2 * loaded)) - loaded)
            window.writeImmutableBuffer(more)
            return window.readableBytes >= count
        }
        var position = from
        while position < searchEnd {
            if position - from + RecordBatchHeader.size > window.readableBytes, !(try extend(to: position - from + RecordBatchHeader.size)) { return nil }
            let scanEnd = min(searchEnd, from + window.readableBytes - RecordBatchHeader.size + 1)
            let (candidate, batchSize) = window.withUnsafeReadableBytes { raw in
                var candidate = position
                while candidate < scanEnd {
                    if let batchSize = plausibleBatchSize(in: raw, at: candidate - from, fileBytesLeft: size - candidate, limits: limits) {
                        return (candidate, Optional(batchSize))
                    }
                    candidate += 1
                }
                return (candidate, nil)
            }
            position = candidate
            guard let batchSize else { continue }
            if position - from + batchSize <= reach {
                if position - from + batchSize > window.readableBytes, !(try extend(to: position - from + batchSize)) { return nil }
                if window.withUnsafeReadableBytes({ crcMatches(in: $0, at: position - from, size: batchSize) }) { return position }
            }
            position += 1
        }
        return nil
    }

    /// The size (with its 12-byte prefix) of the v2 batch whose header would start at `at`,
    /// when the header's magic and length make one possible there.
    private static func plausibleBatchSize(in bytes: UnsafeRawBufferPointer, at: Int, fileBytesLeft: Int, limits: DecodingLimits) -> Int? {
        guard bytes[at + magicOffset] == 2 else { return nil }
        let length = Int(Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: at + lengthOffset, as: Int32.self)))
        let size = length + RecordBatchHeader.logOverhead
        guard size >= RecordBatchHeader.size, size <= fileBytesLeft, size <= limits.maxEntryBytes else { return nil }
        return size
    }

    /// Whether the stored CRC-32C of the batch at `at` matches its bytes.
    private static func crcMatches(in bytes: UnsafeRawBufferPointer, at: Int, size: Int) -> Bool {
        let stored = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: at + crcOffset, as: UInt32.self))
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(at + crcOffset + 4)..<(at + size)])) == stored
    }

    /// The smallest share worth a thread of its own (a thread reads a window of at least this).
    static let minimumShareBytes = 64 << 10

    /// Byte offsets in a v2 batch header: the length, the magic, the CRC (which covers
    /// everything after itself).
    private static let lengthOffset = 8, magicOffset = 16, crcOffset = 17
}
