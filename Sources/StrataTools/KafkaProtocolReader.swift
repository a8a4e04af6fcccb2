import Foundation
import NIOCore

/// Reads Kafka protocol-message fields (the format of `__consumer_offsets` and
/// `__transaction_state` keys and values): big-endian integers, int16-length strings and
/// int32-length bytes and arrays — or, in flexible versions, unsigned-varint lengths plus one
/// and tagged fields. Every length is checked against the bytes left before it is used.
struct KafkaProtocolReader {
    /// A field that is not there or not well-formed.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private var buffer: ByteBuffer
    /// Whether lengths are compact (flexible versions).
    var flexible = false

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    var remaining: Int { buffer.readableBytes }

    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(Malformed) -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw Malformed(description: "\(what): \(T.bitWidth / 8) bytes needed, \(buffer.readableBytes) left") }
        return value
    }

    mutating func unsignedVarint(_ what: String) throws(Malformed) -> UInt32 {
        var value: UInt32 = 0
        for shift in stride(from: 0, through: 28, by: 7) {
            let byte = try integer(UInt8.self, what)
            value |= UInt32(byte & 0x7F) << UInt32(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw Malformed(description: "\(what): varint longer than 5 bytes")
    }

    /// A length: int16 or int32 (by `wide`), or a compact length; nil for null (-1).
    private mutating func length(_ what: String, wide: Bool) throws(Malformed) -> Int? {
        let length: Int
        if flexible {
            length = Int(try unsignedVarint(what)) - 1
        } else {
            length = wide ? Int(try integer(Int32.self, what)) : Int(try integer(Int16.self, what))
        }
        if length < 0 { return nil }
        return length
    }

    mutating func nullableString(_ what: String) throws(Malformed) -> String? {
        guard let length = try length(what, wide: false) else { return nil }
        guard length <= buffer.readableBytes, let text = buffer.readString(length: length) else {
            throw Malformed(description: "\(what): \(length) bytes declared, \(buffer.readableBytes) left")
        }
        return text
    }

    mutating func string(_ what: String) throws(Malformed) -> String {
        guard let text = try nullableString(what) else { throw Malformed(description: "\(what): null where a string is required") }
        return text
    }

    mutating func nullableBytes(_ what: String) throws(Malformed) -> [UInt8]? {
        guard let length = try length(what, wide: true) else { return nil }
        guard length <= buffer.readableBytes, let bytes = buffer.readBytes(length: length) else {
            throw Malformed(description: "\(what): \(length) bytes declared, \(buffer.readableBytes) left")
        }
        return bytes
    }

    mutating func bytes(_ what: String) throws(Malformed) -> [UInt8] {
        guard let bytes = try nullableBytes(what) else { throw Malformed(description: "\(what): null where bytes are required") }
        return bytes
    }

    /// An array's element count (nil for a null array), bounded by the bytes left.
    mutating func arrayCount(_ what: String) throws(Malformed) -> Int? {
        guard let count = try length(what, wide: true) else { return nil }
        guard count <= buffer.readableBytes else { throw Malformed(description: "\(what): \(count) elements declared, \(buffer.readableBytes) bytes left") }
        return count
    }

    /// The tagged fields ending a struct in a flexible version: tag → bytes.
    mutating func taggedFields() throws(Malformed) -> [UInt32: ByteBuffer] {
        guard flexible else { return [:] }
        var fields: [UInt32: ByteBuffer] = [:]
        let count = try unsignedVarint("tagged field count")
        for _ in 0..<count {
            let tag = try unsignedVarint("tag")
            let size = Int(try unsignedVarint("tagged field size"))
            guard size <= buffer.readableBytes, let bytes = buffer.readSlice(length: size) else {
                throw Malformed(description: "tagged field \(tag): \(size) bytes declared, \(buffer.readableBytes) left")
            }
            fields[tag] = bytes
        }
        return fields
    }
}

/// JSON fragments as Kafka's generated JSON converters write them (Jackson's compact form).
enum KafkaJSON {
    static func string(_ text: String?) -> String { text.map(JSONLine.quote) ?? "null" }
    static func bytes(_ bytes: [UInt8]?) -> String { bytes.map { JSONLine.quote(Data($0).base64EncodedString()) } ?? "null" }
    static func array(_ items: [String]?) -> String { items.map { "[" + $0.joined(separator: ",") + "]" } ?? "null" }
    /// `{"k":v,…}` from fields already in JSON.
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { JSONLine.quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
