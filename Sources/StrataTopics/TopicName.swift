import Strata

/// Kafka's topic naming rules (`org.apache.kafka.common.internals.Topic.validate`).
///
/// A legal name is 1 to 249 characters from `[a-zA-Z0-9._-]` and is neither `.` nor `..`.
/// These rules are what keep a topic inside the data directory: no `/`, no NUL, no parent
/// reference, and short enough that `<topic>-<partition>.<32 hex>-delete` fits a 255-byte file
/// name.
public enum TopicName {
    /// The longest legal name (255 minus room for a partition number and a deletion suffix).
    public static let maxLength = TopicNameRules.maxLength

    /// Names starting with this prefix are internal (the committed offsets topic).
    public static let internalPrefix = "__"

    /// Checks a name.
    ///
    /// - Throws: ``TopicsError`` `invalidTopicName` saying which rule the name breaks.
    public static func validate(_ name: String) throws(TopicsError) {
        if let why = TopicNameRules.problem(with: name) {
            throw TopicsError(.invalidTopicName, "illegal topic name \"\(printable(name))\": \(why)")
        }
    }

    /// Whether a topic is internal (its name starts with `__`).
    public static func isInternal(_ name: String) -> Bool { name.hasPrefix(internalPrefix) }

    /// The name with control characters escaped, for messages.
    static func printable(_ name: String) -> String { TopicNameRules.printable(name) }
}
