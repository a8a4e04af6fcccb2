import NIOCore

/// One entry of a `.txnindex` file: an aborted transaction (Kafka's `AbortedTxn`).
///
/// 34 bytes, big-endian: int16 version (0) | int64 producer id | int64 first offset |
/// int64 last offset | int64 last stable offset. The entry lives in the segment that holds the
/// transaction's ABORT marker.
public struct AbortedTransaction: Sendable, Hashable, CustomStringConvertible {
    /// Bytes per entry.
    public static let size = 34
    /// The only version Kafka writes and reads.
    public static let currentVersion: Int16 = 0

    /// The entry version. Kafka reads it from the first byte alone (see
    /// ``init(parsing:position:)``).
    public var version: Int16
    /// The producer whose transaction was aborted.
    public var producerId: Int64
    /// The first offset of the transaction (possibly in an earlier segment).
    public var firstOffset: Int64
    /// The offset of the ABORT marker.
    public var lastOffset: Int64
    /// The last stable offset when the marker was appended.
    public var lastStableOffset: Int64

    /// Creates an entry.
    public init(version: Int16 = AbortedTransaction.currentVersion, producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.version = version
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }

    /// Parses the first 34 readable bytes of `buffer`, consuming them only on success.
    ///
    /// The version is the **first byte** read as a signed byte, as Kafka reads it (a single
    /// byte read at the start of the int16); the second byte of the version field is ignored.
    /// The version is not checked here: ``TransactionIndex`` rejects versions above 0.
    ///
    /// - Parameter position: the byte position of the entry in its file, for errors.
    /// - Throws: `truncated` when fewer than 34 bytes are readable.
    public init(parsing buffer: inout ByteBuffer, position: Int = 0) throws(StrataFormatError) {
        guard buffer.readableBytes >= Self.size else {
            throw StrataFormatError(.truncated, "premature end of data reading an aborted transaction: wanted \(Self.size) bytes, \(buffer.readableBytes) left", position: position)
        }
        let start = buffer.readerIndex
        version = Int16(buffer.getInteger(at: start, as: Int8.self)!)
        producerId = buffer.getInteger(at: start + 2, as: Int64.self)!
        firstOffset = buffer.getInteger(at: start + 10, as: Int64.self)!
        lastOffset = buffer.getInteger(at: start + 18, as: Int64.self)!
        lastStableOffset = buffer.getInteger(at: start + 26, as: Int64.self)!
        buffer.moveReaderIndex(forwardBy: Self.size)
    }

    /// Appends the 34 bytes of the entry.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(version)
        buffer.writeInteger(producerId)
        buffer.writeInteger(firstOffset)
        buffer.writeInteger(lastOffset)
        buffer.writeInteger(lastStableOffset)
    }

    /// The 34 bytes of the entry.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.size)
        write(to: &buffer)
        return buffer
    }

    public var description: String {
        "AbortedTransaction(version=\(version), producerId=\(producerId), firstOffset=\(firstOffset), lastOffset=\(lastOffset), lastStableOffset=\(lastStableOffset))"
    }
}
