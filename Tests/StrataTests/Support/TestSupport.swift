import Foundation
import NIOCore
@testable import Strata
import StrataSimulation

/// Bytes from a hex string (spaces ignored).
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// Where the real broker files live (`../shared/testdata/kafka-real` beside the checkout).
enum SharedTestData {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let kafkaReal = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata/kafka-real")
    static var isAvailable: Bool { FileManager.default.fileExists(atPath: kafkaReal.appendingPathComponent("EXPECTED.json").path) }
    static let skipReason = "real broker files not found at \(kafkaReal.path) (the ../shared checkout is absent)"
}

/// The golden fixtures written by tools/gen-fixtures (kafka-python).
enum GoldenFixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("golden")
}

/// The seeded generator of property tests (shared with the tools, in StrataSimulation).
typealias SeededGenerator = StrataSimulation.SeededGenerator

/// The seed for property tests: `STRATA_SEED` when set (to replay a failure), else random.
func propertySeed() -> UInt64 {
    if let text = ProcessInfo.processInfo.environment["STRATA_SEED"], let seed = UInt64(text) { return seed }
    return UInt64.random(in: 0...UInt64.max)
}
