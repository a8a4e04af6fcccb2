/// A topic's 16-byte UUID, written as 22 characters of URL-safe base64 without padding.
///
/// Kafka names topics by id as well as by name; `partition.metadata` stores the id so a
/// partition directory left over from a deleted topic of the same name can be recognised.
/// The text form is Kafka's: the 16 bytes (most significant half first) in the base64url
/// alphabet (`A–Z a–z 0–9 - _`), no `=` padding, e.g. `LJ-0nObETNu9zQf653GiTA`.
public struct TopicID: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var mostSignificantBits: UInt64
    /// The last 8 bytes, big-endian.
    public var leastSignificantBits: UInt64

    /// Creates an id from its two halves.
    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// Creates an id from exactly 16 bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(mostSignificantBits: high, leastSignificantBits: low)
    }

    /// The 16 bytes, most significant first.
    public var bytes: [UInt8] {
        (0..<16).map { index in
            let half = index < 8 ? mostSignificantBits : leastSignificantBits
            return UInt8(truncatingIfNeeded: half >> (56 - 8 * (index % 8)))
        }
    }

    /// The all-zero id, which Kafka uses for "no id" and never accepts in `partition.metadata`.
    public static let zero = TopicID(mostSignificantBits: 0, leastSignificantBits: 0)

    /// The fixed id of KRaft's `__cluster_metadata` topic (`AAAAAAAAAAAAAAAAAAAAAQ`).
    public static let metadataTopic = TopicID(mostSignificantBits: 0, leastSignificantBits: 1)

    /// A new random id, drawn the way Kafka draws one.
    ///
    /// The bits are a version-4 UUID (random, with the version and variant bits set). Like
    /// Kafka, it draws again while the result is a reserved id (``zero``, ``metadataTopic``)
    /// or its text starts with `-` (which command-line tools would take for an option).
    public static func random<Generator: RandomNumberGenerator>(using generator: inout Generator) -> TopicID {
        while true {
            let high = (generator.next() as UInt64) & ~0xF000 | 0x4000
            let low = (generator.next() as UInt64) & ~(0xC000_0000_0000_0000 as UInt64) | 0x8000_0000_0000_0000
            let id = TopicID(mostSignificantBits: high, leastSignificantBits: low)
            if id != .zero, id != .metadataTopic, !id.base64URL.hasPrefix("-") { return id }
        }
    }

    /// A new random id from the system's generator (see ``random(using:)``).
    public static func random() -> TopicID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The 22-character URL-safe base64 text, without padding.
    public var base64URL: String {
        let input = bytes
        var output: [UInt8] = []
        output.reserveCapacity(22)
        var index = 0
        while index < 16 {
            let chunk = input[index..<min(index + 3, 16)]
            var group: UInt32 = 0
            for (shift, byte) in zip([16, 8, 0], chunk) { group |= UInt32(byte) << UInt32(shift) }
            for position in 0...chunk.count { // n bytes give n + 1 characters
                output.append(Self.alphabet[Int(group >> UInt32(18 - 6 * position) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses URL-safe base64 text of 16 bytes: 22 characters, or 24 ending in `==`.
    ///
    /// As Java's decoder, the unused low bits of the last character are not checked. Returns nil
    /// for another length, a character outside the URL-safe alphabet, or misplaced padding.
    public init?(base64URL text: some StringProtocol) {
        var characters = Array(text.utf8)
        if characters.count == 24 {
            guard characters[22] == UInt8(ascii: "="), characters[23] == UInt8(ascii: "=") else { return nil }
            characters.removeLast(2)
        }
        guard characters.count == 22 else { return nil }
        var bits: UInt32 = 0, bitCount = 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for character in characters {
            guard let value = Self.value(of: character) else { return nil }
            bits = bits << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(bitCount)))
                bits &= (1 << UInt32(bitCount)) - 1
            }
        }
        self.init(bytes: bytes)
    }

    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }

    /// The base64url text, as Kafka prints topic ids.
    public var description: String { base64URL }
}
