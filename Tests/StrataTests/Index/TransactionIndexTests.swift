import Foundation
import NIOCore
import Testing
@testable import Strata

@Suite struct TransactionIndexTests {
    let fs = PosixFileSystem()

    static func transaction(_ producerId: Int64, _ first: Int64, _ last: Int64, _ lso: Int64) -> AbortedTransaction {
        AbortedTransaction(producerId: producerId, firstOffset: first, lastOffset: last, lastStableOffset: lso)
    }

    /// Spec 3.5, read literally: matching entries in order, complete at the first entry whose
    /// last stable offset reaches the upper bound.
    static func modelCollect(_ entries: [AbortedTransaction], fetchOffset: Int64, upperBound: Int64) -> ([AbortedTransaction], Bool) {
        var found: [AbortedTransaction] = []
        for entry in entries {
            if entry.lastOffset >= fetchOffset && entry.firstOffset < upperBound { found.append(entry) }
            if entry.lastStableOffset >= upperBound { return (found, true) }
        }
        return (found, false)
    }

    @Test func anEntryIsThirtyFourBigEndianBytes() throws {
        let entry = Self.transaction(0x0102_0304_0506_0708, 100, 250, 240)
        let bytes = Array(buffer: entry.encoded)
        #expect(bytes == hexBytes("0000 0102030405060708 0000000000000064 00000000000000fa 00000000000000f0"))
        var buffer = ByteBuffer(bytes: bytes + [0xEE])
        let decoded = try AbortedTransaction(parsing: &buffer)
        #expect(decoded == entry)
        #expect(buffer.readableBytes == 1)
        #expect(entry.description == "AbortedTransaction(version=0, producerId=72623859790382856, firstOffset=100, lastOffset=250, lastStableOffset=240)")
    }

    @Test func entriesRoundTrip() throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let entry = AbortedTransaction(
                producerId: Int64.random(in: .min ... .max, using: &random), firstOffset: Int64.random(in: .min ... .max, using: &random),
                lastOffset: Int64.random(in: .min ... .max, using: &random), lastStableOffset: Int64.random(in: .min ... .max, using: &random))
            var buffer = entry.encoded
            #expect(buffer.readableBytes == 34)
            #expect(try AbortedTransaction(parsing: &buffer) == entry, "seed \(seed)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func aShortEntryIsTruncatedAndConsumesNothing() throws {
        var buffer = ByteBuffer(bytes: [UInt8](repeating: 0, count: 33))
        let error = try #require(throws: StrataFormatError.self) { try AbortedTransaction(parsing: &buffer, position: 68) }
        #expect(error.code == .truncated)
        #expect(error.position == 68)
        #expect(buffer.readableBytes == 33)
    }

    @Test func theFileIsCreatedOnTheFirstAppend() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000100.txnindex"
        let index = try TransactionIndex(fileSystem: fs, path: path, baseOffset: 100)
        #expect(!index.fileExists)
        #expect(try index.allAbortedTransactions() == [])
        let empty = try index.collectAbortedTransactions(fetchOffset: 0, upperBoundOffset: 1000)
        #expect(empty.transactions == [] && !empty.isComplete)
        try index.sanityCheck()
        try index.truncate(toOffset: 0)
        try index.sync()
        #expect(!fs.exists(path))

        let first = Self.transaction(7, 90, 120, 100)
        try index.append(first)
        #expect(fs.exists(path))
        #expect(index.fileExists)
        #expect(try fileBytes(path) == Array(buffer: first.encoded))
        try index.append(Self.transaction(8, 121, 130, 125))
        #expect(try fileBytes(path).count == 68)
        #expect(index.entryCount == 2)
        index.close()

        let reopened = try TransactionIndex(fileSystem: fs, path: path, baseOffset: 100)
        #expect(try reopened.allAbortedTransactions() == [first, Self.transaction(8, 121, 130, 125)])
        // The last offset is known after reopening, so order is still enforced.
        let error = try #require(throws: StrataFormatError.self) { try reopened.append(Self.transaction(9, 125, 130, 126)) }
        #expect(error.code == .invalidIndexAppend)
        #expect(error.position == 68)
        #expect(error.file == path)
    }

    @Test func lastOffsetsMustStrictlyIncrease() throws {
        let dir = try makeTemporaryDirectory()
        let index = try TransactionIndex(fileSystem: fs, path: dir + "/0.txnindex", baseOffset: 0)
        try index.append(Self.transaction(1, 0, 10, 5))
        for last in [10, 9] as [Int64] {
            let error = try #require(throws: StrataFormatError.self) { try index.append(Self.transaction(2, 0, last, 5)) }
            #expect(error.code == .invalidIndexAppend)
        }
        try index.append(Self.transaction(2, 0, 11, 5))
        #expect(index.entryCount == 2)
    }

    @Test func collectingFollowsTheSpec() throws {
        let dir = try makeTemporaryDirectory()
        let index = try TransactionIndex(fileSystem: fs, path: dir + "/0.txnindex", baseOffset: 0)
        let entries = [
            Self.transaction(1, 0, 10, 11),
            Self.transaction(2, 5, 20, 15),
            Self.transaction(3, 18, 30, 40),
            Self.transaction(4, 35, 50, 45),
        ]
        for entry in entries { try index.append(entry) }
        // Entries ending before the fetch are skipped; the third completes the search (LSO 40 ≥ 25).
        let result = try index.collectAbortedTransactions(fetchOffset: 12, upperBoundOffset: 25)
        #expect(result.transactions == [entries[1], entries[2]])
        #expect(result.isComplete)
        // No entry's LSO reaches 100: incomplete, the caller goes on to the next segment.
        let open = try index.collectAbortedTransactions(fetchOffset: 0, upperBoundOffset: 100)
        #expect(open.transactions == entries)
        #expect(!open.isComplete)
        // An entry starting at the upper bound is not included.
        let bounded = try index.collectAbortedTransactions(fetchOffset: 0, upperBoundOffset: 35)
        #expect(bounded.transactions == Array(entries[0...2]))
        #expect(bounded.isComplete)
    }

    @Test func collectingMatchesTheModel() throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        let dir = try makeTemporaryDirectory()
        for round in 0..<10 {
            let index = try TransactionIndex(fileSystem: fs, path: dir + "/\(round).txnindex", baseOffset: 0)
            var entries: [AbortedTransaction] = []
            var last: Int64 = 0
            // More than one read's worth (1024 entries) in later rounds.
            for _ in 0..<Int.random(in: 0...(round < 8 ? 60 : 2_500), using: &random) {
                last += Int64.random(in: 1...20, using: &random)
                let entry = Self.transaction(Int64.random(in: 0...9, using: &random), last - Int64.random(in: 0...60, using: &random), last,
                                             last - Int64.random(in: -10...40, using: &random))
                try index.append(entry)
                entries.append(entry)
            }
            #expect(try index.allAbortedTransactions() == entries, "seed \(seed)")
            for _ in 0..<100 {
                let fetch = Int64.random(in: -5...last + 5, using: &random)
                let upper = fetch + Int64.random(in: 0...100, using: &random)
                let result = try index.collectAbortedTransactions(fetchOffset: fetch, upperBoundOffset: upper)
                let model = Self.modelCollect(entries, fetchOffset: fetch, upperBound: upper)
                #expect(result.transactions == model.0 && result.isComplete == model.1, "seed \(seed): fetch \(fetch) upper \(upper)")
            }
        }
    }

    @Test func truncationCutsAtTheFirstEntryEndingAtOrAfterTheTarget() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/0.txnindex"
        let index = try TransactionIndex(fileSystem: fs, path: path, baseOffset: 0)
        let entries = [Self.transaction(1, 0, 10, 5), Self.transaction(2, 3, 20, 15), Self.transaction(3, 12, 30, 25)]
        for entry in entries { try index.append(entry) }
        try index.truncate(toOffset: 31)
        #expect(index.entryCount == 3)
        try index.truncate(toOffset: 20)
        #expect(try index.allAbortedTransactions() == [entries[0]])
        #expect(try fileBytes(path).count == 34)
        // The next append is checked against the entry now last.
        try index.append(Self.transaction(4, 11, 15, 12))
        #expect(index.entryCount == 2)
        try index.truncate(toOffset: 0)
        #expect(index.entryCount == 0)
        #expect(try fileBytes(path).isEmpty)
        try index.append(Self.transaction(5, 0, 1, 0))

        try index.reset()
        #expect(fs.exists(path))
        #expect(try fileBytes(path).isEmpty)
        #expect(try index.allAbortedTransactions() == [])
        try index.append(Self.transaction(6, 0, 1, 0))  // after reset any last offset is accepted
    }

    @Test func sanityCheckFindsAnEntryEndingBeforeTheSegment() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000050.txnindex"
        try writeFile(path, Array(buffer: Self.transaction(1, 40, 60, 55).encoded) + Array(buffer: Self.transaction(2, 30, 49, 45).encoded))

        let index = try TransactionIndex(fileSystem: fs, path: path, baseOffset: 50, readOnly: true)
        let error = try #require(throws: StrataFormatError.self) { try index.sanityCheck() }
        #expect(error.code == .corruptIndex)
        #expect(error.position == 34 + 18)
        #expect(error.description.contains("lastOffset=49"))
        #expect(error.description.contains("in \(path) at byte 52 (base offset 50)"))
        #expect(throws: StrataIOError.self) { try index.append(Self.transaction(3, 60, 80, 70)) }
    }

    @Test func theVersionIsTheFirstByteOnly() throws {
        let dir = try makeTemporaryDirectory()
        let good = Array(buffer: Self.transaction(1, 0, 10, 5).encoded)
        var secondByteSet = Array(buffer: Self.transaction(2, 0, 20, 15).encoded)
        secondByteSet[1] = 0x07  // Kafka never reads this byte
        var negative = Array(buffer: Self.transaction(3, 0, 30, 25).encoded)
        negative[0] = 0xFF  // a signed byte of -1 is not above 0
        try writeFile(dir + "/quirks.txnindex", good + secondByteSet + negative)
        let quirks = try TransactionIndex(fileSystem: fs, path: dir + "/quirks.txnindex", baseOffset: 0, readOnly: true)
        let read = try quirks.allAbortedTransactions()
        #expect(read.map(\.version) == [0, 0, -1])
        #expect(read.map(\.lastOffset) == [10, 20, 30])

        var future = Array(buffer: Self.transaction(4, 0, 40, 35).encoded)
        future[0] = 0x01
        let path = dir + "/future.txnindex"
        try writeFile(path, good + future)
        let index = try TransactionIndex(fileSystem: fs, path: path, baseOffset: 0, readOnly: true)
        for call in [{ _ = try index.allAbortedTransactions() }, { try index.sanityCheck() }, { _ = try index.collectAbortedTransactions(fetchOffset: 0, upperBoundOffset: 100) }] {
            let error = try #require(throws: StrataFormatError.self) { try call() }
            #expect(error.code == .unsupportedIndexVersion)
            #expect(error.file == path)
            #expect(error.position == 34)
            #expect(error.description.contains("version 1"))
        }
    }

    @Test func aTornTailIsIgnoredAndOverwritten() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/0.txnindex"
        let entries = [Self.transaction(1, 0, 10, 5), Self.transaction(2, 3, 20, 15)]
        try writeFile(path, entries.flatMap { Array(buffer: $0.encoded) } + [0, 0, 0, 0, 0, 0, 0, 9, 9, 9])
        let index = try TransactionIndex(fileSystem: fs, path: path, baseOffset: 0)
        #expect(index.entryCount == 2)
        #expect(try index.allAbortedTransactions() == entries)
        let next = Self.transaction(3, 15, 25, 20)
        try index.append(next)
        #expect(try fileBytes(path).count == 3 * 34)
        #expect(try index.allAbortedTransactions() == entries + [next])
    }
}
