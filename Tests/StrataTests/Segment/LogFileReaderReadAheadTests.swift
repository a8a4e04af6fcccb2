import Foundation
import NIOCore
import Testing
@testable import Strata

/// Reading ahead on another thread gives exactly the entries, stops and positions of reading
/// window by window, whatever the window size and however entries straddle windows.
@Suite struct LogFileReaderReadAheadTests {
    /// Every entry (position, size, last offset) and how the walk stopped.
    private static func walk(_ path: String, windowSize: Int, readAhead: Bool) throws -> [String] {
        var reader = try LogFileReader(path: path, windowSize: windowSize, readAhead: readAhead)
        var seen: [String] = []
        while true {
            do {
                guard let entry = try reader.next() else { break }
                seen.append("\(entry.position) \(entry.sizeInBytes) \(entry.lastOffset) \(entry.isValid)")
            } catch {
                seen.append("error at \(reader.position): \(error)")
                if !(try reader.skipEntry()) { break }
            }
        }
        seen.append("stop \(String(describing: reader.stop)) at \(reader.position)")
        return seen
    }

    @Test func readAheadSeesWhatWindowByWindowReadingSees() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        for round in 0..<20 {
            var bytes = ByteBuffer()
            var offset: Int64 = 0
            for _ in 0..<Int.random(in: 1...60, using: &rng) {
                var builder = RecordBatchBuilder(.init(baseOffset: offset))
                for _ in 0..<Int.random(in: 1...20, using: &rng) {
                    try builder.append(timestamp: 1_700_000_000_000, key: nil, value: ByteBuffer(repeating: 0x61, count: Int.random(in: 0...900, using: &rng)))
                }
                var batch = try builder.build()
                offset += Int64(builder.recordCount)
                if Int.random(in: 0..<15, using: &rng) == 0 { batch.setInteger(UInt8(0xEE), at: batch.writerIndex - 1) }  // a bad CRC
                bytes.writeBuffer(&batch)
            }
            if Bool.random(using: &rng) { bytes.moveWriterIndex(to: bytes.writerIndex - Int.random(in: 1...30, using: &rng)) }  // a torn tail
            let path = try makeTemporaryDirectory() + "/00000000000000000000.log"
            try Data(bytes.readableBytesView).write(to: URL(fileURLWithPath: path))
            let windowSize = [512, 4_096, 20_000, 1 << 20].randomElement(using: &rng)!
            let plain = try Self.walk(path, windowSize: windowSize, readAhead: false)
            let ahead = try Self.walk(path, windowSize: windowSize, readAhead: true)
            #expect(ahead == plain, "seed \(seed) round \(round) window \(windowSize)")
            #expect(plain.count > 1)
        }
    }
}
