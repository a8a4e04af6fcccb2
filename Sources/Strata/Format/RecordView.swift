import NIOCore

/// A record of a v2 batch seen in place: its fields, and its key, value and headers as ranges
/// of the batch's (decompressed) bytes. Valid only inside the
/// ``RecordBatch/forEachRecordView(limits:context:_:)`` callback that hands it out.
public struct RecordView {
    /// The record's offset.
    public let offset: Int64
    /// The timestamp Kafka reports (the batch's max timestamp for LogAppendTime).
    public let timestamp: Int64
    /// The timestamp stored in the record.
    public let storedTimestamp: Int64
    /// The attributes byte.
    public let attributes: Int8
    let payload: UnsafeRawBufferPointer
    /// Where the key lies in the records' bytes (the payload
    /// ``RecordBatch/forEachRecordInPayload(limits:context:_:)`` hands out, from its reader
    /// index); nil for a null key.
    public let keyRange: Range<Int>?
    /// Where the value lies in the records' bytes, as ``keyRange``; nil for a null value.
    public let valueRange: Range<Int>?
    /// Number of headers.
    public let headerCount: Int
    let headersRange: Range<Int>

    /// The key's bytes, nil for a null key.
    public var key: UnsafeRawBufferPointer? { keyRange.map { UnsafeRawBufferPointer(rebasing: payload[$0]) } }
    /// The value's bytes, nil for a null value.
    public var value: UnsafeRawBufferPointer? { valueRange.map { UnsafeRawBufferPointer(rebasing: payload[$0]) } }
    /// The key's length, -1 when null.
    public var keySize: Int { keyRange?.count ?? -1 }
    /// The value's length, -1 when null.
    public var valueSize: Int { valueRange?.count ?? -1 }

    /// One header seen in place.
    public struct Header {
        /// The key's UTF-8 bytes.
        public let key: UnsafeRawBufferPointer
        /// Where the value lies in the records' bytes, as ``RecordView/keyRange``.
        public let valueRange: Range<Int>?
        let payload: UnsafeRawBufferPointer
        /// The value's bytes, nil for a null value.
        public var value: UnsafeRawBufferPointer? { valueRange.map { UnsafeRawBufferPointer(rebasing: payload[$0]) } }
    }

    /// The headers, in order (their structure was checked when the record was parsed).
    public var headers: [Header] {
        var cursor = ByteCursor(payload, index: headersRange.lowerBound)
        var result: [Header] = []
        result.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            // The structure was validated by the parser: keys are never null, fields never short.
            guard let keyRange = (try? RecordBatch.bytesField(&cursor, what: "header key")) ?? nil else { break }
            let valueRange = (try? RecordBatch.bytesField(&cursor, what: "header value")) ?? nil
            result.append(Header(key: UnsafeRawBufferPointer(rebasing: payload[keyRange]), valueRange: valueRange, payload: payload))
        }
        return result
    }

    /// The headers as values, their values sliced from `payload` (the buffer handed out with
    /// this view by ``RecordBatch/forEachRecordInPayload(limits:context:_:)``).
    public func recordHeaders(in payload: ByteBuffer) -> [RecordHeader] {
        headers.map { header in
            RecordHeader(key: String(decoding: header.key, as: UTF8.self),
                         value: header.valueRange.map { payload.getSlice(at: payload.readerIndex + $0.lowerBound, length: $0.count)! })
        }
    }
}
