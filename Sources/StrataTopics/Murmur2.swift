/// Kafka's 32-bit murmur2 hash (`Utils.murmur2`), bit for bit: seed 0x9747B28C, 4-byte
/// chunks read little-endian, logical shifts, and the tail folded in before the final mix.
public enum Murmur2 {
    /// The hash of `bytes`, as Kafka's signed int32.
    public static func hash(_ bytes: some Collection<UInt8>) -> Int32 {
        let m: UInt32 = 0x5BD1_E995
        let r: UInt32 = 24
        let data = Array(bytes)
        var h: UInt32 = 0x9747_B28C ^ UInt32(truncatingIfNeeded: data.count)
        let whole = data.count / 4
        for chunk in 0..<whole {
            let i = chunk * 4
            var k = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
        }
        let tail = whole * 4
        switch data.count % 4 {
        case 3:
            h ^= UInt32(data[tail + 2]) << 16
            fallthrough
        case 2:
            h ^= UInt32(data[tail + 1]) << 8
            fallthrough
        case 1:
            h ^= UInt32(data[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// The partition Kafka's default partitioner picks for a keyed record: the hash masked to
    /// a positive number (`& 0x7FFFFFFF`, not `abs`), modulo the count of all partitions.
    public static func partition(forKey key: some Collection<UInt8>, partitionCount: Int) -> Int {
        partition(forHash: hash(key), partitionCount: partitionCount)
    }

    /// The partition for a key whose ``hash(_:)`` is already known.
    public static func partition(forHash hash: Int32, partitionCount: Int) -> Int {
        precondition(partitionCount > 0, "a topic has at least one partition")
        return Int(UInt32(bitPattern: hash) & 0x7FFF_FFFF) % partitionCount
    }
}
