import StrataTopics
import Testing

/// The spec's section 9 vectors (Kafka's own UtilsTest.testMurmur2).
@Suite struct Murmur2Tests {
    @Test(arguments: [
        ("21", Int32(-973_932_308)), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        ("abc", 479_470_107),
        // Two more from kafka-python's murmur2 (an independent implementation): empty, and a tail of 1.
        ("", 275_646_681), (String(repeating: "x", count: 37), -278_642_013),
    ] as [(String, Int32)])
    func matchesKafka(key: String, expected: Int32) {
        #expect(Murmur2.hash(Array(key.utf8)) == expected)
    }

    @Test func partitionsMaskRatherThanAbs() {
        // -973932308 & 0x7FFFFFFF = 1173551340; abs would give 973932308.
        #expect(Murmur2.partition(forKey: Array("21".utf8), partitionCount: Int(Int32.max)) == 1_173_551_340)
        #expect(Murmur2.partition(forKey: Array("foobar".utf8), partitionCount: 12) == Int(UInt32(bitPattern: -790_332_482) & 0x7FFF_FFFF) % 12)
        #expect(Murmur2.hash([UInt8]()) == Murmur2.hash(Array("".utf8)))
    }
}
