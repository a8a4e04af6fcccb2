import Foundation
import NIOCore
import Testing
@testable import Strata

@Suite struct OffsetIndexTests {
    let fs = PosixFileSystem()

    func newIndex(_ dir: String, base: Int64 = 0, maxIndexSize: Int = OffsetIndex.defaultMaxIndexSize) throws -> OffsetIndex {
        let file = try fs.open(dir + "/\(segmentPrefix(base)).index", mode: .createNew)
        return try OffsetIndex(file: file, baseOffset: base, maxIndexSize: maxIndexSize, isNew: true)
    }

    func reopen(_ index: OffsetIndex, readOnly: Bool = false) throws -> OffsetIndex {
        let path = index.path
        index.close()
        let file = try fs.open(path, mode: readOnly ? .readOnly : .readWrite)
        return try OffsetIndex(file: file, baseOffset: index.baseOffset, maxIndexSize: index.maxIndexSize, isNew: false)
    }

    /// The floor entry by a linear scan of a model, (base, 0) when none.
    static func linearFloor(_ entries: [(offset: Int64, position: Int)], _ target: Int64, base: Int64) -> (offset: Int64, position: Int) {
        entries.last { $0.offset <= target } ?? (base, 0)
    }

    @Test func aNewIndexIsPreallocatedToSegmentIndexBytes() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 42)
        #expect(try fs.open(index.path, mode: .readOnly).size() == 10_485_760)
        #expect(index.fileLength == 10_485_760)
        #expect(index.entryCount == 0)
        #expect(index.maxEntries == 1_310_720)
        #expect(!index.isFull)
        #expect(index.lastOffset == 42)
        #expect(index.sizeInBytes == 0)
        #expect(try index.lookup(1000) == (42, 0))
        #expect(try index.lookup(0) == (42, 0))
        try index.sanityCheck()

        // Rounded down to whole entries.
        let odd = try newIndex(dir, base: 7, maxIndexSize: 1001)
        #expect(odd.fileLength == 1000)
        #expect(odd.maxEntries == 125)
    }

    @Test func aNewIndexDiscardsOldContentAndNeedsRoomForOneEntry() throws {
        let dir = try makeTemporaryDirectory()
        try writeFile(dir + "/old.index", [UInt8](repeating: 0xAB, count: 40))
        let index = try OffsetIndex(file: try fs.open(dir + "/old.index", mode: .readWrite), baseOffset: 0, maxIndexSize: 64, isNew: true)
        #expect(try fileBytes(dir + "/old.index") == [UInt8](repeating: 0, count: 64))
        #expect(index.entryCount == 0)

        let file = try fs.open(dir + "/tiny.index", mode: .createNew)
        let error = try #require(throws: StrataFormatError.self) { try OffsetIndex(file: file, baseOffset: 0, maxIndexSize: 7, isNew: true) }
        #expect(error.code == .invalidIndexArgument)
    }

    @Test func entriesAreEightBigEndianBytesWrittenWithOneWrite() throws {
        let dir = try makeTemporaryDirectory()
        let file = RecordingFile(try fs.open(dir + "/00000000000000001000.index", mode: .createNew))
        let index = try OffsetIndex(file: file, baseOffset: 1000, maxIndexSize: 64, isNew: true)
        file.forgetCalls()
        try index.append(offset: 1000, position: 0)  // relative offset 0 is allowed in an empty index
        try index.append(offset: 1053, position: 4262)
        try index.append(offset: 1000 + Int64(Int32.max), position: Int(Int32.max))
        #expect(file.writes.map { $0.offset } == [0, 8, 16])
        #expect(file.writes.map { $0.count } == [8, 8, 8])
        let bytes = try fileBytes(index.path)
        #expect(Array(bytes[0..<24]) == hexBytes("00000000 00000000  00000035 000010a6  7fffffff 7fffffff"))
        #expect(bytes.count == 64)
        #expect(index.lastOffset == 1000 + Int64(Int32.max))
        #expect(index.lastEntry == (1000 + Int64(Int32.max), Int(Int32.max)))
    }

    @Test func lookupsMatchALinearScan() throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        let dir = try makeTemporaryDirectory()
        for round in 0..<12 {
            let base = Int64.random(in: 0...1 << 40, using: &random)
            // Up to a few blocks (512 entries each) so both search levels are exercised.
            let count = round == 0 ? 0 : Int.random(in: 1...(round < 6 ? 40 : 2_500), using: &random)
            let file = RecordingFile(try fs.open(dir + "/\(round).index", mode: .createNew))
            let index = try OffsetIndex(file: file, baseOffset: base, maxIndexSize: (count + Int.random(in: 1...50, using: &random)) * 8, isNew: true)
            var model: [(offset: Int64, position: Int)] = []
            var offset = base + Int64.random(in: 0...3, using: &random)
            var position = Int.random(in: 0...100, using: &random)
            for _ in 0..<count {
                try index.append(offset: offset, position: position)
                model.append((offset, position))
                offset += Int64.random(in: 1...200, using: &random)
                position += Int.random(in: 0...20_000, using: &random)
            }
            #expect(index.entryCount == count, "seed \(seed)")

            var targets: [Int64] = [base - 1, base, Int64.min, Int64.max, offset + 1]
            for entry in model { targets += [entry.offset - 1, entry.offset, entry.offset + 1] }
            for _ in 0..<300 { targets.append(Int64.random(in: (base - 10)...(offset + 10), using: &random)) }

            func check(_ probe: OffsetIndex) throws {
                let recording = probe.file as? RecordingFile
                for target in targets {
                    recording?.forgetCalls()
                    let found = try probe.lookup(target)
                    let expected = Self.linearFloor(model, target, base: base)
                    #expect(found == expected, "seed \(seed): lookup(\(target)) in \(count) entries")
                    if let recording {
                        // Bounded reads: never the whole file, at most one block per read.
                        #expect(recording.reads.allSatisfy { $0.count <= 4096 }, "seed \(seed)")
                        #expect(recording.reads.count <= 8, "seed \(seed): \(recording.reads.count) reads")
                    }
                }
                for (slot, entry) in model.enumerated() where slot % 7 == 0 || slot == model.count - 1 {
                    #expect(try probe.entry(at: slot) == entry, "seed \(seed)")
                }
                for target in targets.prefix(200) where target >= 0 && target < Int64(Int.max) {
                    let byPosition = model.first { $0.position >= Int(target % 50_000_000) }
                    let found = try probe.firstEntry(atOrAfterPosition: Int(target % 50_000_000))
                    #expect(found?.offset == byPosition?.offset && found?.position == byPosition?.position, "seed \(seed)")
                }
            }
            try check(index)
            try index.trimToValidSize()  // else the reopened index counts the zero slack as entries
            try check(try reopen(index))
        }
    }

    @Test func aLargeIndexIsSearchedWithFewSmallReads() throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        let dir = try makeTemporaryDirectory()
        let file = RecordingFile(try fs.open(dir + "/00000000000000000000.index", mode: .createNew))
        let index = try OffsetIndex(file: file, baseOffset: 0, isNew: true)
        let count = 100_000  // 196 blocks of 512 entries
        for i in 0..<count { try index.append(offset: Int64(i) * 3 + 1, position: i * 10) }
        for _ in 0..<300 {
            let target = Int64.random(in: 0...Int64(count) * 3 + 3, using: &random)
            file.forgetCalls()
            let found = try index.lookup(target)
            let slot = target < 1 ? -1 : min(count - 1, Int((target - 1) / 3))
            #expect(found == (slot < 0 ? (0, 0) : (Int64(slot) * 3 + 1, slot * 10)), "seed \(seed): lookup(\(target))")
            // ⌈log₂ 196⌉ = 8 probes of one entry, then one block of at most 4 KiB.
            #expect(file.reads.count <= 9, "seed \(seed): \(file.reads.count) reads")
            #expect(file.reads.allSatisfy { $0.count <= 4096 }, "seed \(seed)")
        }
    }

    @Test func trimmingCutsTheFileToItsEntriesAndResizeNeverCutsEntries() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 100)
        for i in 0..<10 { try index.append(offset: 100 + Int64(i) * 10, position: i * 4096) }
        try index.trimToValidSize()
        #expect(try fileBytes(index.path).count == 80)
        #expect(index.fileLength == 80)
        #expect(index.maxEntries == 10)
        #expect(index.isFull)
        let full = try #require(throws: StrataFormatError.self) { try index.append(offset: 1000, position: 50_000) }
        #expect(full.code == .indexFull)

        try index.resize(to: 1001)
        #expect(index.fileLength == 1000)
        #expect(!index.isFull)
        try index.resize(to: 20)
        #expect(index.fileLength == 80)
        #expect(try fileBytes(index.path).count == 80)
        #expect(throws: StrataFormatError.self) { try index.resize(to: -1) }

        // A reopened trimmed index holds exactly its entries.
        let reopened = try reopen(index)
        #expect(reopened.entryCount == 10)
        #expect(reopened.lastOffset == 190)
        #expect(try reopened.lookup(155) == (150, 5 * 4096))
        try reopened.sanityCheck()
    }

    @Test func truncationRemovesEntriesAtOrAboveTheTarget() throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        let dir = try makeTemporaryDirectory()
        for round in 0..<30 {
            let index = try newIndex(dir, base: Int64(round) * 1_000_000, maxIndexSize: 8 * 1200)
            let base = index.baseOffset
            var model: [(offset: Int64, position: Int)] = []
            var offset = base
            for i in 0..<Int.random(in: 0...1100, using: &random) {
                offset += Int64.random(in: 1...50, using: &random)
                try index.append(offset: offset, position: i * 100)
                model.append((offset, i * 100))
            }
            let lengthBefore = index.fileLength
            let target = Int64.random(in: (base - 5)...(offset + 5), using: &random)
            try index.truncate(toOffset: target)
            model.removeAll { $0.offset >= target }
            #expect(index.entryCount == model.count, "seed \(seed): truncate(\(target))")
            #expect(index.lastOffset == (model.last?.offset ?? base), "seed \(seed)")
            #expect(index.fileLength == lengthBefore, "seed \(seed): truncation keeps the file length")
            // Appending continues after the cut, and lookups see the new entry.
            let next = max(target, (model.last?.offset ?? base) + 1)
            if next > base - 1, index.canConvertToRelativeOffset(next) {
                try index.append(offset: next, position: (model.last?.position ?? 0) + 1)
                model.append((next, (model.last?.position ?? 0) + 1))
            }
            for probe in [next - 1, next, next + 1, base, target] {
                #expect(try index.lookup(probe) == Self.linearFloor(model, probe, base: base), "seed \(seed)")
            }
        }
    }

    @Test func truncationToAnEntryOffsetRemovesThatEntry() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 0, maxIndexSize: 800)
        for i in 1...5 { try index.append(offset: Int64(i * 10), position: i * 1000) }
        try index.truncate(toOffset: 30)
        #expect(index.entryCount == 2)
        #expect(index.lastEntry == (20, 2000))
        try index.truncate(toOffset: 21)
        #expect(index.entryCount == 2)
        try index.truncate(toOffset: -5)
        #expect(index.entryCount == 0)
        #expect(index.lastOffset == 0)
        try index.append(offset: 5, position: 10)
        #expect(try index.entry(at: 0) == (5, 10))
    }

    @Test func resetEmptiesAndReextendsToTheMaximumSize() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 0, maxIndexSize: 804)
        for i in 1...5 { try index.append(offset: Int64(i), position: i) }
        try index.trimToValidSize()
        try index.reset()
        #expect(index.entryCount == 0)
        #expect(index.fileLength == 800)
        #expect(index.lastOffset == 0)
        #expect(try index.lookup(3) == (0, 0))
    }

    @Test func aReopenedIndexCountsEveryWholeEntryOfTheFile() throws {
        let dir = try makeTemporaryDirectory()
        // Preallocated and never trimmed (a crash): every zero slot counts as an entry.
        let index = try newIndex(dir, base: 500)
        try index.append(offset: 510, position: 4200)
        try index.sync()
        let reopened = try reopen(index)
        #expect(reopened.entryCount == 1_310_720)
        #expect(reopened.isFull)
        #expect(try reopened.entry(at: 0) == (510, 4200))
        #expect(try reopened.entry(at: 1) == (500, 0))
        #expect(reopened.lastOffset == 500)
        try reopened.sanityCheck()  // zero slots pass Kafka's check
        reopened.close()

        // A partial trailing entry does not count.
        try writeFile(dir + "/partial.index", bigEndian([Int32(3), Int32(100), Int32(9), Int32(900)]) + [1, 2, 3])
        let partial = try OffsetIndex(file: try fs.open(dir + "/partial.index", mode: .readOnly), baseOffset: 0, isNew: false)
        #expect(partial.entryCount == 2)
        #expect(partial.lastEntry == (9, 900))

        // An empty file is a legal, empty (and full) index.
        try writeFile(dir + "/empty.index", [])
        let empty = try OffsetIndex(file: try fs.open(dir + "/empty.index", mode: .readOnly), baseOffset: 77, isNew: false)
        #expect(empty.entryCount == 0)
        #expect(empty.isFull)
        #expect(try empty.lookup(100) == (77, 0))
        try empty.sanityCheck()
    }

    @Test func appendsMustIncreaseAndFit() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 1000, maxIndexSize: 800)

        let belowBase = try #require(throws: StrataFormatError.self) { try index.append(offset: 999, position: 0) }
        #expect(belowBase.code == .indexOffsetOverflow)
        let overflow = try #require(throws: StrataFormatError.self) { try index.append(offset: 1000 + Int64(Int32.max) + 1, position: 0) }
        #expect(overflow.code == .indexOffsetOverflow)
        #expect(!index.canConvertToRelativeOffset(1000 + Int64(Int32.max) + 1))
        #expect(index.canConvertToRelativeOffset(1000 + Int64(Int32.max)))
        #expect(throws: StrataFormatError.self) { try index.append(offset: 1001, position: -1) }
        #expect(throws: StrataFormatError.self) { try index.append(offset: 1001, position: Int(Int32.max) + 1) }

        try index.append(offset: 1010, position: 500)
        for (offset, position) in [(1010, 600), (1009, 600), (1011, 499)] as [(Int64, Int)] {
            let error = try #require(throws: StrataFormatError.self) { try index.append(offset: offset, position: position) }
            #expect(error.code == .invalidIndexAppend)
            #expect(error.file == index.path)
            #expect(error.position == 8)
            #expect(error.description.contains("at byte 8"))
        }
        try index.append(offset: 1011, position: 500)  // equal positions are allowed
        #expect(index.entryCount == 2)
    }

    @Test func aFullIndexRefusesAppends() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 0, maxIndexSize: 80)
        for i in 0..<10 {
            #expect(!index.isFull)
            try index.append(offset: Int64(i), position: i)
        }
        #expect(index.isFull)
        let error = try #require(throws: StrataFormatError.self) { try index.append(offset: 10, position: 10) }
        #expect(error.code == .indexFull)
        #expect(error.position == 80)
        #expect(try fileBytes(index.path).count == 80)
    }

    @Test func sanityCheckFindsANegativeLastRelativeOffset() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000100.index"
        try writeFile(path, bigEndian([Int32(5), Int32(0), Int32(-3), Int32(70)]))
        let index = try OffsetIndex(file: try fs.open(path, mode: .readOnly), baseOffset: 100, isNew: false)
        #expect(index.lastOffset == 97)
        let error = try #require(throws: StrataFormatError.self) { try index.sanityCheck() }
        #expect(error.code == .corruptIndex)
        #expect(error.position == 8)
        #expect(error.description == "corrupt offset index: the last entry's offset 97 is below the base offset 100 in \(path) at byte 8 (base offset 100)")
    }

    @Test func sanityCheckFindsALengthThatIsNotAMultipleOfEight() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000000.index"
        try writeFile(path, bigEndian([Int32(5), Int32(0), Int32(9), Int32(70)]) + [0, 0, 0, 0, 0])
        let index = try OffsetIndex(file: try fs.open(path, mode: .readOnly), baseOffset: 0, isNew: false)
        #expect(index.entryCount == 2)
        let error = try #require(throws: StrataFormatError.self) { try index.sanityCheck() }
        #expect(error.code == .corruptIndex)
        #expect(error.position == 16)
        #expect(error.description.contains("file length 21 is not a multiple of 8"))
    }

    @Test func entriesOutsideTheIndexAreRefused() throws {
        let dir = try makeTemporaryDirectory()
        let index = try newIndex(dir, base: 0, maxIndexSize: 80)
        try index.append(offset: 3, position: 3)
        #expect(try index.entry(at: 0) == (3, 3))
        for slot in [-1, 1, 9] {
            let error = try #require(throws: StrataFormatError.self) { try index.entry(at: slot) }
            #expect(error.code == .invalidIndexArgument)
        }
    }
}
