import Foundation
import Testing
@testable import Strata

@Suite struct LeaderEpochCacheTests {
    func e(_ epoch: Int32, _ startOffset: Int64) -> EpochEntry { EpochEntry(epoch: epoch, startOffset: startOffset) }

    /// A cache over a fresh directory holding `entries`, with the file system that records calls.
    func makeCache(_ entries: [EpochEntry] = [], name: String = #function) throws -> (LeaderEpochCache, RecordingFileSystem) {
        let dir = try makeTemporaryDirectory(name)
        let recording = RecordingFileSystem()
        let file = LeaderEpochCheckpointFile(partitionDirectory: dir, fileSystem: recording)
        if !entries.isEmpty { try file.write(entries) }
        recording.clearEvents()
        return (try LeaderEpochCache(checkpoint: file), recording)
    }

    /// The cache's entries, checked against what a fresh load of its file gives.
    func entries(_ cache: LeaderEpochCache, sourceLocation: SourceLocation = #_sourceLocation) throws -> [EpochEntry] {
        let inMemory = cache.epochEntries
        #expect(try cache.checkpoint.read() == inMemory, "file and memory differ", sourceLocation: sourceLocation)
        return inMemory
    }

    @Test func assignAppendsNewerEpochsAndWritesEachChange() throws {
        let (cache, recording) = try makeCache()
        #expect(cache.latestEpoch == nil)
        #expect(cache.latestEntry == nil)
        #expect(try cache.assign(epoch: 0, startOffset: 0))
        #expect(recording.events == atomicWriteEvents("leader-epoch-checkpoint"))
        #expect(try cache.assign(epoch: 2, startOffset: 10))
        #expect(try cache.assign(epoch: 5, startOffset: 10)) // same start offset: the older epoch wrote nothing
        #expect(try entries(cache) == [e(0, 0), e(5, 10)])
        #expect(cache.latestEpoch == 5)
        #expect(cache.latestEntry == e(5, 10))
        #expect(try fileText(cache.checkpoint.path) == "0\n2\n0 0\n5 10\n")
    }

    @Test func assignIgnoresEpochsThatAreNotNewerOrNegative() throws {
        let (cache, recording) = try makeCache([e(1, 0), e(3, 10)])
        #expect(try !cache.assign(epoch: 3, startOffset: 20))
        #expect(try !cache.assign(epoch: 3, startOffset: 5))
        #expect(try !cache.assign(epoch: 2, startOffset: 30))
        #expect(try !cache.assign(epoch: -1, startOffset: 40))
        #expect(try !cache.assign(epoch: 4, startOffset: -1))
        #expect(try entries(cache) == [e(1, 0), e(3, 10)])
        #expect(recording.events.isEmpty, "nothing changed, nothing written")
    }

    @Test func assignRemovesEntriesAtOrPastTheNewStartOffset() throws {
        let (cache, _) = try makeCache([e(0, 0), e(1, 10), e(2, 20), e(3, 30)])
        #expect(try cache.assign(epoch: 5, startOffset: 15))
        #expect(try entries(cache) == [e(0, 0), e(1, 10), e(5, 15)])
        #expect(try cache.assign(epoch: 6, startOffset: 0))
        #expect(try entries(cache) == [e(6, 0)])
    }

    @Test func endOffsetForFollowsKafka() throws {
        let (cache, _) = try makeCache([e(0, 0), e(2, 10), e(4, 20)])
        let leo: Int64 = 30
        #expect(cache.endOffset(for: -1, logEndOffset: leo) == (-1, -1))  // undefined epoch
        #expect(cache.endOffset(for: 4, logEndOffset: leo) == (4, 30))    // latest epoch: the log end offset
        #expect(cache.endOffset(for: 2, logEndOffset: leo) == (2, 20))    // next epoch's start
        #expect(cache.endOffset(for: 3, logEndOffset: leo) == (2, 20))    // unknown epoch: the floor epoch
        #expect(cache.endOffset(for: 0, logEndOffset: leo) == (0, 10))
        #expect(cache.endOffset(for: 1, logEndOffset: leo) == (0, 10))
        #expect(cache.endOffset(for: 5, logEndOffset: leo) == (-1, -1))   // above every known epoch
        #expect(cache.endOffset(for: Int32.max, logEndOffset: leo) == (-1, -1))

        let (later, _) = try makeCache([e(2, 10), e(4, 20)], name: "later")
        #expect(later.endOffset(for: 1, logEndOffset: leo) == (1, 10))    // below every known epoch: asked epoch, first start
        #expect(later.endOffset(for: 0, logEndOffset: leo) == (0, 10))

        let (empty, _) = try makeCache(name: "empty")
        #expect(empty.endOffset(for: 0, logEndOffset: leo) == (-1, -1))
        #expect(empty.endOffset(for: -1, logEndOffset: leo) == (-1, -1))
    }

    @Test func truncateFromEndRemovesEntriesStartingAtOrPastTheEnd() throws {
        let (cache, recording) = try makeCache([e(0, 0), e(1, 10), e(2, 20)])
        try cache.truncateFromEnd(endOffset: 21)
        try cache.truncateFromEnd(endOffset: -1)
        #expect(recording.events.isEmpty, "no entry starts at or past 21; a negative end is ignored")
        try cache.truncateFromEnd(endOffset: 20)
        #expect(try entries(cache) == [e(0, 0), e(1, 10)])
        #expect(recording.events == atomicWriteEvents("leader-epoch-checkpoint"))
        try cache.truncateFromEnd(endOffset: 5)
        #expect(try entries(cache) == [e(0, 0)])
        try cache.truncateFromEnd(endOffset: 0)
        #expect(try entries(cache) == [])
        #expect(try fileText(cache.checkpoint.path) == "0\n0\n")
    }

    @Test func truncateFromStartMovesTheLastRemovedEpochToTheNewStart() throws {
        let (cache, recording) = try makeCache([e(0, 0), e(1, 10), e(2, 20)])
        try cache.truncateFromStart(startOffset: -5)
        #expect(recording.events.isEmpty, "no entry starts at or before -5")
        try cache.truncateFromStart(startOffset: 15)
        #expect(try entries(cache) == [e(1, 15), e(2, 20)])
        try cache.truncateFromStart(startOffset: 20)
        #expect(try entries(cache) == [e(2, 20)])
        try cache.truncateFromStart(startOffset: 25)
        #expect(try entries(cache) == [e(2, 25)])
        #expect(try fileText(cache.checkpoint.path) == "0\n1\n2 25\n")
        recording.clearEvents()
        try cache.truncateFromStart(startOffset: 10)
        #expect(recording.events.isEmpty)
        #expect(try entries(cache) == [e(2, 25)])
    }

    @Test func truncateFromStartAtAnExactStartKeepsThatEpoch() throws {
        let (cache, _) = try makeCache([e(0, 0), e(1, 10), e(2, 20)])
        try cache.truncateFromStart(startOffset: 10)
        #expect(try entries(cache) == [e(1, 10), e(2, 20)])
    }

    @Test func clearEmptiesTheCacheAndTheFile() throws {
        let (cache, recording) = try makeCache([e(0, 0), e(1, 10)])
        try cache.clear()
        #expect(try entries(cache) == [])
        #expect(cache.latestEpoch == nil)
        #expect(try fileText(cache.checkpoint.path) == "0\n0\n")
        #expect(recording.events == atomicWriteEvents("leader-epoch-checkpoint"))
    }

    @Test func aFailedWriteLeavesCacheAndFileUnchanged() throws {
        let (cache, recording) = try makeCache([e(0, 0), e(1, 10)])
        recording.failRenames(with: ENOSPC)
        #expect(throws: StrataIOError.self) { try cache.assign(epoch: 2, startOffset: 20) }
        #expect(throws: StrataIOError.self) { try cache.truncateFromEnd(endOffset: 5) }
        #expect(throws: StrataIOError.self) { try cache.truncateFromStart(startOffset: 5) }
        #expect(throws: StrataIOError.self) { try cache.clear() }
        recording.failRenames(with: nil)
        #expect(try entries(cache) == [e(0, 0), e(1, 10)])
        #expect(try cache.assign(epoch: 2, startOffset: 20))
        #expect(try entries(cache) == [e(0, 0), e(1, 10), e(2, 20)])
    }

    @Test func loadingRepairsANonMonotonicFileTheWayKafkaDoes() throws {
        let dir = try makeTemporaryDirectory()
        let file = LeaderEpochCheckpointFile(partitionDirectory: dir)
        try file.write([e(0, 0), e(2, 10), e(1, 5), e(1, 7), e(1, 3), e(4, 3)])
        // (1,5) removes (2,10); (1,7) has the latest epoch and no smaller start: skipped;
        // (1,3) same epoch, smaller start: replaces (1,5); (4,3) removes (1,3) (same start offset).
        #expect(try LeaderEpochCache(checkpoint: file).epochEntries == [e(0, 0), e(4, 3)])
    }

    @Test func loadingRejectsNegativeEntriesNamingTheLine() throws {
        let dir = try makeTemporaryDirectory()
        let file = LeaderEpochCheckpointFile(partitionDirectory: dir)
        try file.write([e(0, 0), e(-1, 5)])
        let error = try #require(throws: StrataFormatError.self) { try LeaderEpochCache(checkpoint: file) }
        #expect(error.code == .invalidValue)
        #expect(error.line == 4)
        #expect(error.description == "negative leader epoch or start offset (-1 5) in \(file.path) at line 4")
    }

    @Test func loadingAMalformedFileFails() throws {
        let dir = try makeTemporaryDirectory()
        try PosixFileSystem().writeAtomically(buffer("0\n2\n0 0\n"), to: dir + "/leader-epoch-checkpoint")
        let error = try #require(throws: StrataFormatError.self) { try LeaderEpochCache(partitionDirectory: dir) }
        #expect(error.code == .entryCountMismatch)
    }

    @Test func concurrentChangesStayOrderedInMemoryAndOnDisk() async throws {
        let (cache, _) = try makeCache()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for step in 0..<25 {
                        let epoch = Int32(step * 4 + worker)
                        _ = try? cache.assign(epoch: epoch, startOffset: Int64(epoch) * 10)
                        if step % 10 == 9 { try? cache.truncateFromStart(startOffset: Int64(epoch) * 5) }
                        _ = cache.endOffset(for: epoch, logEndOffset: 10_000)
                    }
                }
            }
        }
        let final = try entries(cache)
        #expect(!final.isEmpty)
        for (a, b) in zip(final, final.dropFirst()) {
            #expect(a.epoch < b.epoch && a.startOffset < b.startOffset, "\(final)")
        }
        #expect(try LeaderEpochCache(checkpoint: cache.checkpoint).epochEntries == final)
    }
}
