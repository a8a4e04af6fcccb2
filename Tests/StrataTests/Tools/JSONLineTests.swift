import Foundation
import NIOCore
import Testing
@testable import StrataTools

/// The JSON strings of the NDJSON outputs parse back to exactly what was quoted.
@Suite struct JSONLineTests {
    @Test func quotedStringsAndPayloadsRoundTripThroughAJSONParser() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let alphabet: [String] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "€", "😀", "/", "{"]
        for round in 0..<500 {
            let text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            var line = JSONLine()
            line.add("text", text)
            line.add("bytes", ByteBuffer(string: text), encoding: .utf8)
            line.add("base64", ByteBuffer(string: text), encoding: .base64)
            line.add("hex", ByteBuffer(string: text), encoding: .hex)
            line.add("null", ByteBuffer?.none, encoding: .utf8)
            let object = try JSONSerialization.jsonObject(with: Data(line.text.utf8)) as! [String: Any]
            #expect(object["text"] as? String == text, "seed \(seed) round \(round)")
            #expect(object["bytes"] as? String == text, "seed \(seed) round \(round)")
            #expect((object["base64"] as? String).flatMap { Data(base64Encoded: $0) } == Data(text.utf8))
            #expect(object["hex"] as? String == Data(text.utf8).map { String(format: "%02x", $0) }.joined())
            #expect(object["null"] is NSNull)
        }
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        var line = JSONLine()
        line.add("v", ByteBuffer(bytes: [0x61, 0xFF, 0x62, 0x22]), encoding: .utf8)
        #expect(line.text == "{\"v\":\"a\u{FFFD}b\\\"\"}")
    }
}

/// Numbers are written digit by digit into the line, for every width and sign.
@Suite struct JSONLineNumberTests {
    @Test(arguments: [Int64.min, -1_234_567_890_123, -10, -9, -1, 0, 1, 9, 10, 99, 100, 1_700_000_000_000, Int64.max])
    func integersAreWrittenAsSwiftPrintsThem(value: Int64) {
        var line = JSONLine()
        line.add("n", value)
        #expect(line.text == "{\"n\":\(value)}")
    }

    @Test func widerIntegersAndNullsToo() {
        var line = JSONLine()
        line.add("crc", UInt32.max)
        line.add("big", UInt64.max)
        line.add("none", Int?.none)
        #expect(line.text == "{\"crc\":4294967295,\"big\":18446744073709551615,\"none\":null}")
    }
}

/// Escaping checked by a JSON parser we did not write (Foundation's), on random text of every
/// length, including texts long and dense enough in escapes to fill the staging buffer often.
@Suite struct JSONLineEscapingTests {
    @Test func randomTextRoundTripsThroughFoundationsParser() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let alphabet: [String] = ["a", "b", "\"", "\\", "\n", "\t", "\r", "\u{01}", "\u{1F}", " ", "é", "日本", "😀", "{", "}", ":"]
        for round in 0..<300 {
            let length = [0, 1, 7, 8, 9, 100, 5_000, 20_000].randomElement(using: &rng)!
            let text = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            var line = JSONLine()
            line.add("t", text)
            var bytes = ByteBuffer(string: text)
            line.add("b", bytes, encoding: .utf8)
            bytes.clear()
            let parsed = try JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: String]
            #expect(parsed?["t"] == text, "seed \(seed) round \(round) length \(length)")
            #expect(parsed?["b"] == text, "seed \(seed) round \(round) length \(length)")
        }
    }
}
