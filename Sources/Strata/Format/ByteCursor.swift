/// A read position over borrowed bytes that moves only when a read succeeds.
///
/// Every read checks the bytes left first, so a cursor can be pointed at hostile input.
/// Positions in errors are relative to the start of `bytes` plus `basePosition`.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var index: Int
    /// Added to `index` when an error reports a position.
    let basePosition: Int

    init(_ bytes: UnsafeRawBufferPointer, index: Int = 0, basePosition: Int = 0) {
        self.bytes = bytes
        self.index = index
        self.basePosition = basePosition
    }

    var remaining: Int { bytes.count &- index }
    var isAtEnd: Bool { index >= bytes.count }
    var position: Int { basePosition &+ index }

    private func truncated(_ wanted: Int, _ what: String) -> StrataFormatError {
        StrataFormatError(.truncated, "premature end of data reading \(what): wanted \(wanted) bytes, \(remaining) left", position: position)
    }

    @inline(__always)
    mutating func readUInt8(_ what: @autoclosure () -> String = "byte") throws(StrataFormatError) -> UInt8 {
        guard index < bytes.count else { throw truncated(1, what()) }
        let value = bytes[index]
        index &+= 1
        return value
    }

    @inline(__always)
    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String = "integer") throws(StrataFormatError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated(size, what()) }
        let value = T(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: T.self))
        index &+= size
        return value
    }

    @inline(__always)
    mutating func readLittleEndian<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String = "integer") throws(StrataFormatError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw truncated(size, what()) }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: T.self))
        index &+= size
        return value
    }

    /// Reads a zig-zag varint (at most 5 bytes, as Kafka's `ByteUtils.readVarint`).
    @inline(__always)
    mutating func readVarint(_ what: @autoclosure () -> String = "varint") throws(StrataFormatError) -> Int32 {
        var raw: UInt32 = 0
        var shift: UInt32 = 0
        var i = index
        while true {
            guard i < bytes.count else { throw truncated(i - index + 1, what()) }
            let byte = bytes[i]
            i &+= 1
            raw |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift &+= 7
            if shift > 28 {
                throw StrataFormatError(.invalidVarint, "varint longer than 5 bytes reading \(what())", position: position)
            }
        }
        index = i
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a zig-zag varlong (at most 10 bytes).
    @inline(__always)
    mutating func readVarlong(_ what: @autoclosure () -> String = "varlong") throws(StrataFormatError) -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        var i = index
        while true {
            guard i < bytes.count else { throw truncated(i - index + 1, what()) }
            let byte = bytes[i]
            i &+= 1
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift &+= 7
            if shift > 63 {
                throw StrataFormatError(.invalidVarint, "varlong longer than 10 bytes reading \(what())", position: position)
            }
        }
        index = i
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Skips `count` bytes and returns the index where they start.
    @inline(__always)
    mutating func skip(_ count: Int, _ what: @autoclosure () -> String = "bytes") throws(StrataFormatError) -> Int {
        guard count >= 0, count <= remaining else { throw truncated(count, what()) }
        let start = index
        index &+= count
        return start
    }
}
