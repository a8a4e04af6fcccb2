/// Kafka's topic naming rules (`org.apache.kafka.common.internals.Topic.validate`).
///
/// A legal name is 1 to 249 characters from `[a-zA-Z0-9._-]` and is neither `.` nor `..`.
/// These rules are what keep a topic inside the data directory: no `/`, no NUL, no parent
/// reference, and short enough that `<topic>-<partition>.<32 hex>-delete` fits a 255-byte file
/// name.
public enum TopicName {
    /// The longest legal name (255 minus room for a partition number and a deletion suffix).
    public static let maxLength = 249

    /// Names starting with this prefix are internal (the committed offsets topic).
    public static let internalPrefix = "__"

    /// Checks a name.
    ///
    /// - Throws: ``TopicsError`` `invalidTopicName` saying which rule the name breaks.
    public static func validate(_ name: String) throws(TopicsError) {
        func fail(_ why: String) -> TopicsError { TopicsError(.invalidTopicName, "illegal topic name \"\(printable(name))\": \(why)") }
        if name.isEmpty { throw fail("it is empty") }
        if name == "." || name == ".." { throw fail("\".\" and \"..\" are not allowed") }
        if name.utf8.count > maxLength { throw fail("it is \(name.utf8.count) characters long; the limit is \(maxLength)") }
        for byte in name.utf8 where !isLegal(byte) {
            throw fail("it contains \(describe(byte)); only ASCII letters, digits, '.', '_' and '-' are allowed")
        }
    }

    /// Whether a topic is internal (its name starts with `__`).
    public static func isInternal(_ name: String) -> Bool { name.hasPrefix(internalPrefix) }

    static func isLegal(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "the byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    /// The name with control characters escaped, for messages.
    static func printable(_ name: String) -> String {
        String(name.unicodeScalars.prefix(300).map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())
    }
}
