import NIOCore

/// A record header: a non-null UTF-8 key and an optional value.
public struct RecordHeader: Sendable, Hashable {
    /// The header key.
    public var key: String
    /// The header value; nil is a null value, distinct from an empty one.
    public var value: ByteBuffer?

    /// Creates a header.
    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}
