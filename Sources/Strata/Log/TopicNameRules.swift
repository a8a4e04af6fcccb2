/// Kafka's topic naming rules (`org.apache.kafka.common.internals.Topic.validate`): 1 to 249
/// characters from `[a-zA-Z0-9._-]`, neither `.` nor `..`. They are what keep a partition
/// directory inside its data directory: no `/`, no NUL, no parent reference, and short enough
/// that `<topic>-<partition>.<32 hex>-delete` fits a 255-byte file name.
public enum TopicNameRules {
    /// The longest legal name.
    public static let maxLength = 249

    /// Why `name` is not a legal topic name, or nil when it is.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "." || name == ".." { return "\".\" and \"..\" are not allowed" }
        if name.utf8.count > maxLength { return "it is \(name.utf8.count) characters long; the limit is \(maxLength)" }
        if let byte = name.utf8.first(where: { !isLegal($0) }) {
            return "it contains \(describe(byte)); only ASCII letters, digits, '.', '_' and '-' are allowed"
        }
        return nil
    }

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

    /// The name with control characters escaped and cut to 300 characters, for messages.
    public static func printable(_ name: String) -> String {
        String(name.unicodeScalars.prefix(300).map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())
    }
}

/// A partition refused because its topic name breaks Kafka's rules (or its number is negative).
public struct InvalidTopicPartitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The partition asked for.
    public var topicPartition: TopicPartition
    /// Which rule it breaks.
    public var reason: String
    public var description: String { "illegal partition \"\(TopicNameRules.printable(topicPartition.topic))\"-\(topicPartition.partition): \(reason)" }
}
