/// Ceilings applied while decoding, so that hostile input is an error and not an allocation.
public struct DecodingLimits: Sendable, Hashable {
    /// The most bytes a batch's payload may decompress to. The default, 64 MiB, holds a
    /// default-sized batch (`max.message.bytes` = 1 MiB) compressed 64 to 1; a decompression
    /// bomb stops there with `decompressedSizeLimitExceeded`.
    public var maxDecompressedBytes: Int
    /// The largest entry (batch or legacy message, with its 12-byte prefix) a reader accepts.
    /// Kafka's own file reader has no such limit; the default is the 2 GiB segment ceiling.
    public var maxEntryBytes: Int

    /// Creates limits.
    public init(maxDecompressedBytes: Int = 64 << 20, maxEntryBytes: Int = Int(Int32.max)) {
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxEntryBytes = maxEntryBytes
    }

    /// The defaults.
    public static let `default` = DecodingLimits()
}
