import NIOCore
import Strata

/// An index file read whole into memory once, then read from there.
///
/// The index checks walk every entry of an `.index` and `.timeindex` in turn, and reading an
/// entry through the file itself costs a system call each (a 256 MiB segment's two indexes
/// took longer to walk than a tenth of its log took to checksum). Read-only: writing fails
/// as on a descriptor opened for reading.
final class VerifyIndexFile: StorageFile, @unchecked Sendable {
    let path: String
    private let bytes: ByteBuffer

    /// Files above this size are walked through the file as they are (Kafka's own limit,
    /// `segment.index.bytes`, is 10 MiB by default).
    static let largestInMemory = 64 << 20

    /// Reads all of `file`.
    ///
    /// - Throws: `StrataIOError` when reading fails.
    init(reading file: any StorageFile) throws(StrataIOError) {
        path = file.path
        bytes = try file.read(at: 0, count: try file.size())
    }

    func size() throws(StrataIOError) -> Int { bytes.readableBytes }

    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer {
        let start = min(max(offset, 0), bytes.readableBytes)
        return bytes.getSlice(at: bytes.readerIndex + start, length: max(0, min(count, bytes.readableBytes - start)))!
    }

    func read(at offset: Int, count: Int, into buffer: inout ByteBuffer) throws(StrataIOError) {
        buffer = try read(at: offset, count: count)
    }

    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) { throw StrataIOError(call: "pwrite", path: path, errno: 9) }
    func sync() throws(StrataIOError) {}
    func truncate(to size: Int) throws(StrataIOError) { throw StrataIOError(call: "ftruncate", path: path, errno: 9) }
    func close() {}
}
