import Foundation
import NIOCore
import Testing
@testable import Strata

@Suite struct TimeIndexTests {
    let fs = PosixFileSystem()

    func newIndex(_ dir: String, base: Int64 = 0, maxIndexSize: Int = TimeIndex.defaultMaxIndexSize) throws -> TimeIndex {
        let file = try fs.open(dir + "/\(segmentPrefix(base)).timeindex", mode: .createNew)
        return try TimeIndex(file: file, baseOffset: base, maxIndexSize: maxIndexSize, isNew: true)
    }

    func reopen(_ index: TimeIndex) throws -> TimeIndex {
        let path = index.path
        index.close()
        return try TimeIndex(file: try fs.open(path, mode: .readWrite), baseOffset: index.baseOffset, maxIndexSize: index.maxIndexSize, isNew: false)
    }

    static func linearFloor(_ entries: [(timestamp: Int64, offset: Int64)], _ target: Int64, base: Int64) -> (timestamp: Int64, offset: Int64) {
        entries.last { $0.timestamp <= target } ?? (-1, base)
    }

    @Test func aNewIndexIsPreallocatedToWholeEntries() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 9)
        #expect(try fs.open(index.path, mode: .readOnly).size() == 10_485_756)
        #expect(index.fileLength == 10_485_756)
        #expect(index.maxEntries == 873_813)
        #expect(index.entryCount == 0)
        #expect(!index.isFull)
        #expect(index.lastEntry == (-1, 9))
        #expect(try index.lookup(timestamp: 1_700_000_000_000) == (-1, 9))
        try index.sanityCheck()
        let small = try newIndex(dir, base: 10, maxIndexSize: 100)
        #expect(small.fileLength == 96)
        let file = try fs.open(dir + "/tiny.timeindex", mode: .createNew)
        let error = try #require(throws: StrataFormatError.self) { try TimeIndex(file: file, baseOffset: 0, maxIndexSize: 11, isNew: true) }
        #expect(error.code == .invalidIndexArgument)
    }

    @Test func entriesAreTwelveBigEndianBytesWrittenWithOneWrite() throws {
        let dir = try makeTemporaryDirectory()
        let file = RecordingFile(try fs.open(dir + "/00000000000000000100.timeindex", mode: .createNew))
        let index = try TimeIndex(file: file, baseOffset: 100, maxIndexSize: 60, isNew: true)
        file.forgetCalls()
        #expect(try index.maybeAppend(timestamp: 1_718_446_825_868, offset: 5252))
        #expect(try index.maybeAppend(timestamp: 1_718_446_827_208, offset: 30_725))
        #expect(file.writes.map { $0.offset } == [0, 12])
        #expect(file.writes.map { $0.count } == [12, 12])
        let bytes = try fileBytes(index.path)
        #expect(Array(bytes[0..<24]) == hexBytes("000001901b69a18c 00001420  000001901b69a6c8 000077a1"))
        #expect(index.lastEntry == (1_718_446_827_208, 30_725))
    }

    @Test func lookupsAndTruncationMatchALinearModel() throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        let dir = try makeTemporaryDirectory()
        for round in 0..<12 {
            let base = Int64.random(in: 0...1 << 40, using: &random)
            let count = round == 0 ? 0 : Int.random(in: 1...(round < 6 ? 30 : 1_500), using: &random)
            let file = RecordingFile(try fs.open(dir + "/\(round).timeindex", mode: .createNew))
            let index = try TimeIndex(file: file, baseOffset: base, maxIndexSize: (count + 2) * 12, isNew: true)
            var model: [(timestamp: Int64, offset: Int64)] = []
            var timestamp = Int64.random(in: 0...1_800_000_000_000, using: &random)
            var offset = base + Int64.random(in: 0...3, using: &random)
            for _ in 0..<count {
                #expect(try index.maybeAppend(timestamp: timestamp, offset: offset), "seed \(seed)")
                model.append((timestamp, offset))
                // An equal timestamp is ignored, whatever the offset.
                #expect(try !index.maybeAppend(timestamp: timestamp, offset: offset + 1), "seed \(seed)")
                timestamp += Int64.random(in: 1...5_000, using: &random)
                offset += Int64.random(in: 0...100, using: &random)  // offsets may repeat
            }
            #expect(index.entryCount == count, "seed \(seed)")

            var targets: [Int64] = [-1, 0, Int64.min, Int64.max, timestamp]
            for entry in model { targets += [entry.timestamp - 1, entry.timestamp, entry.timestamp + 1] }
            for _ in 0..<200 { targets.append(Int64.random(in: 0...timestamp + 10, using: &random)) }

            func check(_ probe: TimeIndex) throws {
                let recording = probe.file as? RecordingFile
                for target in targets {
                    recording?.forgetCalls()
                    #expect(try probe.lookup(timestamp: target) == Self.linearFloor(model, target, base: base), "seed \(seed): lookup(\(target))")
                    #expect(recording?.reads.allSatisfy { $0.count <= 4096 } ?? true, "seed \(seed)")
                }
                for (slot, entry) in model.enumerated() where slot % 5 == 0 {
                    #expect(try probe.entry(at: slot) == entry, "seed \(seed)")
                }
            }
            try check(index)
            try index.trimToValidSize()
            #expect(try fileBytes(index.path).count == count * 12)
            let reopened = try reopen(index)
            try check(reopened)
            try reopened.sanityCheck()

            // Truncation removes every entry whose offset is ≥ the target.
            let target = model.isEmpty ? base : (Bool.random(using: &random) ? model.randomElement(using: &random)!.offset : Int64.random(in: base...offset, using: &random))
            try reopened.truncate(toOffset: target)
            model.removeAll { $0.offset >= target }
            #expect(reopened.entryCount == model.count, "seed \(seed): truncate(\(target))")
            #expect(reopened.lastEntry == (model.last ?? (-1, base)), "seed \(seed)")
            for probe in targets.prefix(50) {
                #expect(try reopened.lookup(timestamp: probe) == Self.linearFloor(model, probe, base: base), "seed \(seed)")
            }
        }
    }

    @Test func equalTimestampsAreIgnoredAndSmallerOnesRefused() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 50, maxIndexSize: 120)
        // v0 data: no timestamp (-1) never enters an empty index.
        #expect(try !index.maybeAppend(timestamp: -1, offset: 50))
        #expect(index.entryCount == 0)
        #expect(try index.maybeAppend(timestamp: 0, offset: 50))
        #expect(try index.maybeAppend(timestamp: 1000, offset: 60))
        #expect(try !index.maybeAppend(timestamp: 1000, offset: 60))
        #expect(try !index.maybeAppend(timestamp: 1000, offset: 70))
        #expect(index.entryCount == 2)
        #expect(index.lastEntry == (1000, 60))

        let earlier = try #require(throws: StrataFormatError.self) { try index.maybeAppend(timestamp: 999, offset: 80) }
        #expect(earlier.code == .invalidIndexAppend)
        #expect(earlier.position == 24)
        let lowerOffset = try #require(throws: StrataFormatError.self) { try index.maybeAppend(timestamp: 2000, offset: 59) }
        #expect(lowerOffset.code == .invalidIndexAppend)
        #expect(lowerOffset.file == index.path)
        // The same offset with a larger timestamp is allowed (offsets only must not decrease).
        #expect(try index.maybeAppend(timestamp: 2000, offset: 60))

        let overflow = try #require(throws: StrataFormatError.self) { try index.maybeAppend(timestamp: 3000, offset: 50 + Int64(Int32.max) + 1) }
        #expect(overflow.code == .indexOffsetOverflow)
        #expect(index.entryCount == 3)
    }

    @Test func theIndexIsFullOneSlotEarly() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 0, maxIndexSize: 36)
        #expect(index.maxEntries == 3)
        try index.maybeAppend(timestamp: 10, offset: 1)
        #expect(!index.isFull)
        try index.maybeAppend(timestamp: 20, offset: 2)
        #expect(index.isFull)
        let full = try #require(throws: StrataFormatError.self) { try index.maybeAppend(timestamp: 30, offset: 3) }
        #expect(full.code == .indexFull)
        // The roll entry may take the reserved slot …
        #expect(try index.maybeAppend(timestamp: 30, offset: 3, skipFullCheck: true))
        // … but there is no slot beyond the file.
        let none = try #require(throws: StrataFormatError.self) { try index.maybeAppend(timestamp: 40, offset: 4, skipFullCheck: true) }
        #expect(none.code == .indexFull)
        #expect(try fileBytes(index.path).count == 36)
        #expect(index.entryCount == 3)
    }

    @Test func trimResizeResetAndReopen() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 1000)
        for i in 1...4 { try index.maybeAppend(timestamp: Int64(i) * 100, offset: 1000 + Int64(i) * 10) }
        try index.sync()
        // Untrimmed: a reopened index counts every slot of the preallocated file.
        let untrimmed = try TimeIndex(file: try fs.open(index.path, mode: .readOnly), baseOffset: 1000, isNew: false)
        #expect(untrimmed.entryCount == 873_813)
        #expect(untrimmed.lastEntry == (0, 1000))
        untrimmed.close()

        try index.trimToValidSize()
        #expect(index.fileLength == 48)
        #expect(index.isFull)
        try index.resize(to: 10)
        #expect(index.fileLength == 48)
        try index.resize(to: 125)
        #expect(index.fileLength == 120)
        #expect(!index.isFull)
        try index.trimToValidSize()
        let reopened = try reopen(index)
        #expect(reopened.entryCount == 4)
        #expect(reopened.lastEntry == (400, 1040))
        #expect(try reopened.lookup(timestamp: 250) == (200, 1020))

        try reopened.reset()
        #expect(reopened.entryCount == 0)
        #expect(reopened.fileLength == 10_485_756)
        #expect(reopened.lastEntry == (-1, 1000))
    }

    @Test func sanityCheckFindsALastTimestampBelowTheFirst() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000000.timeindex"
        try writeFile(path, bigEndian([Int64(5000), Int32(1), Int64(4000), Int32(2)]))
        let index = try TimeIndex(file: try fs.open(path, mode: .readOnly), baseOffset: 0, isNew: false)
        let error = try #require(throws: StrataFormatError.self) { try index.sanityCheck() }
        #expect(error.code == .corruptIndex)
        #expect(error.position == 12)
        #expect(error.description.contains("last timestamp 4000 is below the first timestamp 5000"))
    }

    @Test func sanityCheckFindsANegativeLastRelativeOffset() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000200.timeindex"
        try writeFile(path, bigEndian([Int64(5000), Int32(1), Int64(6000), Int32(-1)]))
        let index = try TimeIndex(file: try fs.open(path, mode: .readOnly), baseOffset: 200, isNew: false)
        #expect(index.lastEntry == (6000, 199))
        let error = try #require(throws: StrataFormatError.self) { try index.sanityCheck() }
        #expect(error.code == .corruptIndex)
        #expect(error.position == 20)
        #expect(error.description == "corrupt time index: the last entry's offset 199 is below the base offset 200 in \(path) at byte 20 (base offset 200)")
    }

    @Test func sanityCheckFindsALengthThatIsNotAMultipleOfTwelve() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000000.timeindex"
        try writeFile(path, bigEndian([Int64(5000), Int32(1)]) + [UInt8](repeating: 0, count: 8))
        let index = try TimeIndex(file: try fs.open(path, mode: .readOnly), baseOffset: 0, isNew: false)
        #expect(index.entryCount == 1)
        let error = try #require(throws: StrataFormatError.self) { try index.sanityCheck() }
        #expect(error.code == .corruptIndex)
        #expect(error.position == 12)
        #expect(error.description.contains("file length 20 is not a multiple of 12"))
    }
}
