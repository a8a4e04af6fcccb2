import Foundation

/// One JSON object written as a single line (NDJSON), with keys in the order they are added.
public struct JSONLine {
    private var fields: [String] = []

    /// Starts an empty object.
    public init() {}

    /// Adds a string field (nil writes `null`).
    public mutating func add(_ key: String, _ value: String?) {
        fields.append(Self.quote(key) + ":" + (value.map(Self.quote) ?? "null"))
    }

    /// Adds an integer field (nil writes `null`).
    public mutating func add<T: BinaryInteger>(_ key: String, _ value: T?) {
        fields.append(Self.quote(key) + ":" + (value.map { String($0) } ?? "null"))
    }

    /// Adds a boolean field (nil writes `null`).
    public mutating func add(_ key: String, _ value: Bool?) {
        fields.append(Self.quote(key) + ":" + (value.map { $0 ? "true" : "false" } ?? "null"))
    }

    /// Adds a field whose value is already JSON (an array or object).
    public mutating func addRaw(_ key: String, _ json: String) {
        fields.append(Self.quote(key) + ":" + json)
    }

    /// The object's text.
    public var text: String { "{" + fields.joined(separator: ",") + "}" }

    /// A JSON string literal for `text`, escaping quotes, backslashes and control characters
    /// (`\n`, `\r`, `\t`, else `\u00xx`); other bytes of the UTF-8 pass through.
    public static func quote(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 8)
            out.append(UInt8(ascii: "\""))
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
                default:
                    out.append(UInt8(ascii: "u")); out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "0"))
                    out.append(PayloadEncoding.hexDigits[Int(byte >> 4)]); out.append(PayloadEncoding.hexDigits[Int(byte & 0x0F)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
            out.append(UInt8(ascii: "\""))
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// How `--print-data-log` payloads appear in JSON output.
public enum PayloadEncoding: String, Sendable, CaseIterable {
    /// As UTF-8 text (invalid sequences become U+FFFD).
    case utf8
    /// Base64 of the bytes.
    case base64
    /// Lower-case hexadecimal of the bytes.
    case hex

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// The bytes as this encoding's text.
    public func encode(_ bytes: some Collection<UInt8>) -> String {
        switch self {
        case .utf8: String(decoding: bytes, as: UTF8.self)
        case .base64: Data(bytes).base64EncodedString()
        case .hex:
            String(decoding: bytes.flatMap { byte in [Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]] }, as: UTF8.self)
        }
    }
}
