import Foundation
import NIOCore

/// One JSON object written as a single line (NDJSON), with keys in the order they are added.
///
/// Built as UTF-8 bytes: a dump writes millions of these, so values are escaped straight into
/// one buffer rather than through intermediate strings.
public struct JSONLine {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    /// Whether a field was added (the next one needs a comma).
    private var hasFields = false

    /// Starts an empty object.
    public init() {}

    /// An object with no buffer yet (one is swapped in: an element of an array written in place).
    private init(empty: Void) {
        bytes = []
    }

    private mutating func key(_ key: String) {
        if hasFields { bytes.append(UInt8(ascii: ",")) }
        hasFields = true
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
        guard let value else { return null() }
        if let small = Int64(exactly: value) { appendDecimal(small) } else { bytes.append(contentsOf: String(value).utf8) }
    }

    /// The decimal digits of `value`, written straight into the line (no string per number:
    /// a dump writes four numbers per record).
    private mutating func appendDecimal(_ value: Int64) {
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
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

    /// Adds an array of objects, each written in place by `element` for each of `count`
    /// calls of `body`'s writer — a batch's records go straight into the batch's line, not
    /// through one buffer per record.
    public mutating func addObjects(_ key: String, _ body: (inout ObjectsWriter) throws -> Void) rethrows {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        var writer = ObjectsWriter(bytes: [])
        swap(&writer.bytes, &bytes)
        defer {
            swap(&writer.bytes, &bytes)
            bytes.append(UInt8(ascii: "]"))
        }
        try body(&writer)
    }

    /// Writes the objects of an array in place (see ``JSONLine/addObjects(_:_:)``).
    public struct ObjectsWriter {
        fileprivate var bytes: [UInt8]
        private var count = 0

        fileprivate init(bytes: [UInt8]) { self.bytes = bytes }

        /// Appends one object, whose fields `build` adds.
        public mutating func object(_ build: (inout JSONLine) throws -> Void) rethrows {
            if count > 0 { bytes.append(UInt8(ascii: ",")) }
            count += 1
            bytes.append(UInt8(ascii: "{"))
            // The buffer is handed over and back by swapping, never shared: a second reference
            // would make the next append copy the whole line.
            var line = JSONLine(empty: ())
            swap(&line.bytes, &bytes)
            defer {
                swap(&line.bytes, &bytes)
                bytes.append(UInt8(ascii: "}"))
            }
            try build(&line)
        }
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
        let count = bytes.count
        let raw = UnsafeRawBufferPointer(bytes)
        // Escapes are staged in a small buffer and appended in bulk with the runs between them:
        // JSON payloads hold a quote every few bytes, and an append per escaped byte dominated.
        let staged = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4_096) { stage -> Bool in
            var used = 0
            var start = 0
            var index = 0
            func flushRun(upTo end: Int) {
                let run = end - start
                if run == 0 { return }
                if used + run <= stage.count {
                    UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: stage[used..<(used + run)])).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    used += run
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: stage[..<used]))
                    used = 0
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                }
            }
            while index < count {
                // Eight bytes at a time while none needs a look: no control character, quote,
                // backslash (or, with asciiOnly, high bit).
                if index + 8 <= count, !needsLook(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self), asciiOnly: asciiOnly) {
                    index += 8
                    continue
                }
                let byte = bytes[index]
                if asciiOnly && byte >= 0x80 { return false }
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                flushRun(upTo: index)
                index += 1
                start = index
                if used + 6 > stage.count {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: stage[..<used]))
                    used = 0
                }
                stage[used] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): stage[used + 1] = byte; used += 2
                case UInt8(ascii: "\n"): stage[used + 1] = UInt8(ascii: "n"); used += 2
                case UInt8(ascii: "\r"): stage[used + 1] = UInt8(ascii: "r"); used += 2
                case UInt8(ascii: "\t"): stage[used + 1] = UInt8(ascii: "t"); used += 2
                default:
                    stage[used + 1] = UInt8(ascii: "u"); stage[used + 2] = UInt8(ascii: "0"); stage[used + 3] = UInt8(ascii: "0")
                    stage[used + 4] = PayloadEncoding.hexDigits[Int(byte >> 4)]; stage[used + 5] = PayloadEncoding.hexDigits[Int(byte & 0x0F)]
                    used += 6
                }
            }
            flushRun(upTo: count)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: stage[..<used]))
            return true
        }
        guard staged else { return false }
        out.append(UInt8(ascii: "\""))
        return true
    }

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
