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

    /// A JSON string literal for `text`, escaping quotes, backslashes and control characters.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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

    /// The bytes as this encoding's text.
    public func encode(_ bytes: some Sequence<UInt8>) -> String {
        switch self {
        case .utf8: String(decoding: Array(bytes), as: UTF8.self)
        case .base64: Data(bytes).base64EncodedString()
        case .hex: bytes.map { String(format: "%02x", $0) }.joined()
        }
    }
}
