/// A partition of a topic: the unit that owns one directory in a log dir.
///
/// Its directory is named `<topic>-<partition>`, e.g. `my-topic-0` or `__consumer_offsets-19`.
/// Topic names may themselves contain `-`, so a directory name is split at its **last** `-`.
/// Ordering is by topic, then partition number.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number.
    public var partition: Int32

    /// Creates a topic partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// The partition directory's name, `<topic>-<partition>`.
    public var directoryName: String { "\(topic)-\(partition)" }

    /// Parses an ordinary partition directory name, `<topic>-<partition>`.
    ///
    /// The name is split at its last `-`: the part before must be non-empty and the part
    /// after a non-negative decimal that fits an `Int32`, written without sign or leading
    /// zeros (so ``directoryName`` gives the same name back). The special directories Kafka
    /// leaves in a log dir — `<topic>-<p>.<id>-delete`, `-future` and `-stray` — are not
    /// ordinary partition directories and give nil here; ``PartitionDirectoryName`` tells
    /// them apart.
    public init?(directoryName: String) {
        guard case .partition(let parsed) = PartitionDirectoryName(directoryName) else { return nil }
        self = parsed
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic != rhs.topic ? lhs.topic < rhs.topic : lhs.partition < rhs.partition
    }

    public var description: String { directoryName }

    /// Parses `<topic>-<partition>` with the rules of ``init(directoryName:)``, without
    /// looking at special suffixes.
    static func parsePlain(_ name: Substring) -> TopicPartition? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let topic = name[..<dash]
        let digits = name[name.index(after: dash)...]
        guard !topic.isEmpty, let partition = parseCanonicalInt32(digits) else { return nil }
        return TopicPartition(topic: String(topic), partition: partition)
    }

    /// A non-negative decimal in canonical form (ASCII digits, no leading zero unless it is "0").
    private static func parseCanonicalInt32(_ digits: Substring) -> Int32? {
        guard let first = digits.utf8.first, first != UInt8(ascii: "0") || digits.utf8.count == 1,
              let value = SegmentFileName.parseDecimal(digits.utf8), let narrow = Int32(exactly: value)
        else { return nil }
        return narrow
    }
}

/// What a directory in a log dir is, judged by its name the way Kafka judges it.
///
/// Besides ordinary partition directories Kafka leaves three kinds of suffixed directories,
/// all shaped `<topic>-<partition>.<unique id>-<suffix>` (the id is a UUID's 32 hex digits):
/// `-delete` for a partition whose topic is being deleted (its topic part may be truncated
/// so that the whole name fits 255 bytes), `-future` for the copy being built by a replica
/// move between log dirs, and `-stray` for a replica the controller no longer assigns here.
public enum PartitionDirectoryName: Hashable, Sendable {
    /// An ordinary partition directory, `<topic>-<partition>`.
    case partition(TopicPartition)
    /// `<topic>-<partition>.<id>-delete`: awaiting asynchronous deletion.
    case pendingDeletion(TopicPartition, uniqueID: String)
    /// `<topic>-<partition>.<id>-future`: the target of a replica move between log dirs.
    case future(TopicPartition, uniqueID: String)
    /// `<topic>-<partition>.<id>-stray`: a replica no longer assigned to this broker.
    case stray(TopicPartition, uniqueID: String)

    /// The suffix of a directory awaiting deletion.
    public static let deleteSuffix = "-delete"
    /// The suffix of a replica-move target.
    public static let futureSuffix = "-future"
    /// The suffix of a stray replica.
    public static let straySuffix = "-stray"

    /// Classifies a directory name; nil when it is none of the four shapes.
    ///
    /// A name ending in `-delete`, `-future` or `-stray` is split after removing the suffix at
    /// its last `.`: the part before is parsed as `<topic>-<partition>`, the part after (the
    /// unique id) must be non-empty and hold no whitespace. Any other name must be an ordinary
    /// `<topic>-<partition>` (see ``TopicPartition/init(directoryName:)``).
    public init?(_ directoryName: String) {
        let name = Substring(directoryName)
        for (suffix, make) in [
            (Self.deleteSuffix, Self.pendingDeletion),
            (Self.futureSuffix, Self.future),
            (Self.straySuffix, Self.stray),
        ] where name.hasSuffix(suffix) {
            let body = name.dropLast(suffix.count)
            guard let dot = body.lastIndex(of: "."),
                  let topicPartition = TopicPartition.parsePlain(body[..<dot])
            else { return nil }
            let uniqueID = body[body.index(after: dot)...]
            guard !uniqueID.isEmpty, !uniqueID.contains(where: \.isWhitespace) else { return nil }
            self = make(topicPartition, String(uniqueID))
            return
        }
        guard let topicPartition = TopicPartition.parsePlain(name) else { return nil }
        self = .partition(topicPartition)
    }

    /// The partition the directory belongs to (for `-delete`, the topic may be truncated).
    public var topicPartition: TopicPartition {
        switch self {
        case .partition(let tp), .pendingDeletion(let tp, _), .future(let tp, _), .stray(let tp, _): tp
        }
    }

    /// The unique id of a suffixed directory; nil for an ordinary one.
    public var uniqueID: String? {
        switch self {
        case .partition: nil
        case .pendingDeletion(_, let id), .future(_, let id), .stray(_, let id): id
        }
    }

    /// The directory name this value describes.
    public var directoryName: String {
        switch self {
        case .partition(let tp): tp.directoryName
        case .pendingDeletion(let tp, let id): "\(tp.directoryName).\(id)\(Self.deleteSuffix)"
        case .future(let tp, let id): "\(tp.directoryName).\(id)\(Self.futureSuffix)"
        case .stray(let tp, let id): "\(tp.directoryName).\(id)\(Self.straySuffix)"
        }
    }
}
