import Foundation
import NIOCore

/// One JSON object written as a single line (NDJSON), with keys in the order they are added.
///
/// Built as UTF-8 bytes: a dump writes millions of these, so values are escaped straight into
/// one buffer rather than through intermediate strings.
public struct JSONLine {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    /// Starts an empty object.
    public init() {}

    private mutating func key(_ key: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func null() { bytes.append(contentsOf: "null".utf8) }

    /// Adds a string field (nil writes `null`).
    public mutating func add(_ key: String, _ value: String?) {
        self.key(key)
        if let value { Self.appendQuoted(value, to: &bytes) } else { null() }
    }

    /// Adds an integer field (nil writes `null`).
    public mutating func add<T: BinaryInteger>(_ key: String, _ value: T?) {
        self.key(key)
        if let value { bytes.append(contentsOf: String(value).utf8) } else { null() }
    }

    /// Adds a boolean field (nil writes `null`).
    public mutating func add(_ key: String, _ value: Bool?) {
        self.key(key)
        if let value { bytes.append(contentsOf: (value ? "true" : "false").utf8) } else { null() }
    }

    /// Adds a field whose value is already JSON (an array or object).
    public mutating func addRaw(_ key: String, _ json: String) {
        self.key(key)
        bytes.append(contentsOf: json.utf8)
    }

    /// Adds bytes as a string in `encoding` (nil writes `null`).
    public mutating func add(_ key: String, _ value: ByteBuffer?, encoding: PayloadEncoding) {
        guard let value else { return add(key, UnsafeRawBufferPointer?.none, encoding: encoding) }
        value.withUnsafeReadableBytes { add(key, $0, encoding: encoding) }
    }

    /// Adds bytes as a string in `encoding` (nil writes `null`); ASCII payloads in UTF-8 are
    /// escaped straight from the bytes.
    public mutating func add(_ key: String, _ value: UnsafeRawBufferPointer?, encoding: PayloadEncoding) {
        self.key(key)
        guard let value else { return null() }
        let mark = bytes.count
        if encoding == .utf8, Self.appendQuoted(value.bindMemory(to: UInt8.self), to: &bytes, asciiOnly: true) { return }
        bytes.removeSubrange(mark...)
        Self.appendQuoted(encoding.encode(value), to: &bytes)
    }

    /// Adds an array of objects, copied in as they are.
    public mutating func add(_ key: String, objects: [JSONLine]) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, object) in objects.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: object.bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes the object and a newline to `out` as bytes (no intermediate string).
    public mutating func writeLine(to out: ToolOutput) {
        bytes.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: "\n")])
        bytes.withUnsafeBytes { out.write(bytes: $0) }
        bytes.removeLast(2)
    }

    /// The object's text.
    public var text: String {
        String(unsafeUninitializedCapacity: bytes.count + 1) { out in
            _ = out.initialize(fromContentsOf: bytes)
            out[bytes.count] = UInt8(ascii: "}")
            return bytes.count + 1
        }
    }

    /// A JSON string literal for `text`, escaping quotes, backslashes and control characters
    /// (`\n`, `\r`, `\t`, else `\u00xx`); other bytes of the UTF-8 pass through.
    public static func quote(_ text: String) -> String {
        var out: [UInt8] = []
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted($0, to: &out) }
    }

    /// Appends `bytes` (valid UTF-8) as a JSON string literal. With `asciiOnly`, stops and
    /// returns false at the first byte above 0x7F (the caller then validates the UTF-8).
    @discardableResult
    static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], asciiOnly: Bool = false) -> Bool {
        out.reserveCapacity(out.count + bytes.count + 8)
        out.append(UInt8(ascii: "\""))
        var start = 0
        var index = 0
        let count = bytes.count
        let raw = UnsafeRawBufferPointer(bytes)
        while index < count {
            // Eight bytes at a time while none needs a look: no control character, quote,
            // backslash (or, with asciiOnly, high bit).
            if index + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if !needsLook(word, asciiOnly: asciiOnly) {
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            if asciiOnly && byte >= 0x80 { return false }
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            index += 1
            start = index
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
        return true
    }

    /// Whether any of the eight bytes of `word` is below 0x20, a quote or a backslash (or, with
    /// `asciiOnly`, above 0x7F): the classic "has a zero byte" bit trick on each condition.
    @inline(__always)
    private static func needsLook(_ word: UInt64, asciiOnly: Bool) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highs != 0
        let quote = hasZeroByte(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
        let backslash = hasZeroByte(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        let high = word & highs != 0
        return below0x20 || quote || backslash || (asciiOnly && high)
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
