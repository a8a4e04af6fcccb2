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
