/// A 128-bit digest of a record key (MurmurHash3 x64-128, seed 0): the offset map keeps
/// digests, not keys, as Kafka's `SkimpyOffsetMap` keeps MD5 digests.
///
/// Two keys with the same digest are treated as the same key; with 128 bits the chance of
/// that among a billion keys is about 10⁻²¹. The digest never leaves memory, so it need not be
/// Kafka's MD5.
struct KeyDigest: Hashable {
    var high: UInt64
    var low: UInt64

    /// The digest of `key`, never all zero (the map's mark for an empty slot).
    init(_ key: UnsafeRawBufferPointer) {
        let (h1, h2) = Self.murmur3x64(key)
        high = h1
        low = h2 == 0 && h1 == 0 ? 1 : h2
    }

    @inline(__always)
    private static func fmix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k &*= 0xff51afd7ed558ccd
        k ^= k >> 33
        k &*= 0xc4ceb9fe1a85ec53
        k ^= k >> 33
        return k
    }

    private static func murmur3x64(_ data: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let c1: UInt64 = 0x87c37b91114253d5
        let c2: UInt64 = 0x4cf5ad432745937f
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        let blocks = data.count / 16
        for block in 0..<blocks {
            var k1 = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: block * 16, as: UInt64.self))
            var k2 = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: block * 16 + 8, as: UInt64.self))
            k1 &*= c1; k1 = (k1 << 31) | (k1 >> 33); k1 &*= c2; h1 ^= k1
            h1 = (h1 << 27) | (h1 >> 37); h1 &+= h2; h1 = h1 &* 5 &+ 0x52dce729
            k2 &*= c2; k2 = (k2 << 33) | (k2 >> 31); k2 &*= c1; h2 ^= k2
            h2 = (h2 << 31) | (h2 >> 33); h2 &+= h1; h2 = h2 &* 5 &+ 0x38495ab5
        }
        let tail = blocks * 16
        var k1: UInt64 = 0
        var k2: UInt64 = 0
        let rest = data.count & 15
        if rest > 8 {
            for i in stride(from: rest - 1, through: 8, by: -1) { k2 ^= UInt64(data[tail + i]) << UInt64((i - 8) * 8) }
            k2 &*= c2; k2 = (k2 << 33) | (k2 >> 31); k2 &*= c1; h2 ^= k2
        }
        if rest > 0 {
            for i in stride(from: min(rest, 8) - 1, through: 0, by: -1) { k1 ^= UInt64(data[tail + i]) << UInt64(i * 8) }
            k1 &*= c1; k1 = (k1 << 31) | (k1 >> 33); k1 &*= c2; h1 ^= k1
        }
        h1 ^= UInt64(data.count); h2 ^= UInt64(data.count)
        h1 &+= h2; h2 &+= h1
        h1 = fmix(h1); h2 = fmix(h2)
        h1 &+= h2; h2 &+= h1
        return (h1, h2)
    }
}
