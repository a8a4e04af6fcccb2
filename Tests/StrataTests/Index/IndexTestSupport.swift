import Foundation
import NIOCore
@testable import Strata

/// A file that passes every call to a real one and records the reads and writes made, so
/// tests can check how an index touches its file (one write per append, bounded reads).
final class RecordingFile: StorageFile, @unchecked Sendable {
    let base: any StorageFile
    private(set) var reads: [(offset: Int, count: Int)] = []
    private(set) var writes: [(offset: Int, count: Int)] = []

    init(_ base: any StorageFile) { self.base = base }

    var path: String { base.path }
    func size() throws(StrataIOError) -> Int { try base.size() }
    func read(at offset: Int, count: Int) throws(StrataIOError) -> ByteBuffer {
        reads.append((offset, count))
        return try base.read(at: offset, count: count)
    }
    func write(_ bytes: ByteBuffer, at offset: Int) throws(StrataIOError) {
        writes.append((offset, bytes.readableBytes))
        try base.write(bytes, at: offset)
    }
    func sync() throws(StrataIOError) { try base.sync() }
    func truncate(to size: Int) throws(StrataIOError) { try base.truncate(to: size) }
    func close() { base.close() }

    func forgetCalls() {
        reads.removeAll()
        writes.removeAll()
    }
}

/// Writes `bytes` as the whole content of a new file at `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let file = try PosixFileSystem().open(path, mode: .createNew)
    defer { file.close() }
    try file.write(ByteBuffer(bytes: bytes), at: 0)
}

/// The bytes of a file.
func fileBytes(_ path: String) throws -> [UInt8] {
    Array(buffer: try PosixFileSystem().readWholeFile(path))
}

/// Big-endian bytes of integers.
func bigEndian(_ values: [any FixedWidthInteger]) -> [UInt8] {
    var buffer = ByteBuffer()
    for value in values {
        switch value {
        case let v as Int8: buffer.writeInteger(v)
        case let v as Int16: buffer.writeInteger(v)
        case let v as Int32: buffer.writeInteger(v)
        case let v as Int64: buffer.writeInteger(v)
        case let v as UInt8: buffer.writeInteger(v)
        default: fatalError("unsupported integer type \(type(of: value))")
        }
    }
    return Array(buffer: buffer)
}

/// The 20-digit file name prefix of a segment.
func segmentPrefix(_ baseOffset: Int64) -> String {
    let digits = String(baseOffset)
    return String(repeating: "0", count: 20 - digits.count) + digits
}
