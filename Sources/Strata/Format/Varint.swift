import NIOCore

/// Kafka's zig-zag variable-length integers (`ByteUtils` in the Java client): 7 bits per byte,
/// least significant group first, high bit set on every byte but the last.
public enum Varint {
    /// Number of bytes `value` takes as a zig-zag varint.
    @inlinable
    public static func size(_ value: Int32) -> Int {
        let raw = UInt32(bitPattern: (value << 1) ^ (value >> 31))
        return unsignedSize(UInt64(raw))
    }

    /// Number of bytes `value` takes as a zig-zag varlong.
    @inlinable
    public static func size(_ value: Int64) -> Int {
        let raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        return unsignedSize(raw)
    }

    @inlinable
    static func unsignedSize(_ raw: UInt64) -> Int {
        // 1 byte per started group of 7 bits; zero still takes one byte.
        let bits = 64 - (raw | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// Appends `value` as a zig-zag varint.
    @inlinable
    public static func write(_ value: Int32, to buffer: inout ByteBuffer) {
        writeUnsigned(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))), to: &buffer)
    }

    /// Appends `value` as a zig-zag varlong.
    @inlinable
    public static func write(_ value: Int64, to buffer: inout ByteBuffer) {
        writeUnsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &buffer)
    }

    @inlinable
    static func writeUnsigned(_ raw: UInt64, to buffer: inout ByteBuffer) {
        if raw < 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: raw))
            return
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 10) { out in store(raw, into: out, at: 0) }
    }

    /// Stores `value` as a zig-zag varint at `index` of `out`, returning the index after it.
    /// The caller guarantees room (``size(_:)-4m3bc`` bytes).
    @inlinable @inline(__always)
    public static func store(_ value: Int32, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        store(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))), into: out, at: index)
    }

    /// Stores `value` as a zig-zag varlong at `index` of `out`, returning the index after it.
    @inlinable @inline(__always)
    public static func store(_ value: Int64, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        store(UInt64(bitPattern: (value << 1) ^ (value >> 63)), into: out, at: index)
    }

    @inlinable @inline(__always)
    static func store(_ raw: UInt64, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        var value = raw
        var i = index
        while value >= 0x80 {
            out[i] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            i += 1
        }
        out[i] = UInt8(truncatingIfNeeded: value)
        return i + 1
    }

    /// Decodes a zig-zag varint at the start of `bytes`, returning the value and the bytes used.
    ///
    /// - Throws: `truncated` when the bytes end inside the varint, `invalidVarint` when it is
    ///   longer than 5 bytes.
    public static func readVarint(_ bytes: UnsafeRawBufferPointer) throws(StrataFormatError) -> (value: Int32, length: Int) {
        var cursor = ByteCursor(bytes)
        let value = try cursor.readVarint()
        return (value, cursor.index)
    }

    /// Decodes a zig-zag varlong at the start of `bytes`, returning the value and the bytes used.
    ///
    /// - Throws: `truncated` when the bytes end inside the varlong, `invalidVarint` when it is
    ///   longer than 10 bytes.
    public static func readVarlong(_ bytes: UnsafeRawBufferPointer) throws(StrataFormatError) -> (value: Int64, length: Int) {
        var cursor = ByteCursor(bytes)
        let value = try cursor.readVarlong()
        return (value, cursor.index)
    }
}
