import Foundation
import Testing
@testable import Strata

/// Index files written by real brokers, read-only: their entries are what EXPECTED.json
/// records, and offset lookups land on the same batch as a linear scan of the `.log`.
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct RealBrokerIndexTests {
    struct Expected: Decodable, Sendable {
        var kind: String
        var size: Int
        var entries_excluding_trailing_zero: Int?
        var first: [Int64]?
        var last: [Int64]?
    }

    static let fs = PosixFileSystem()
    static let datasets = ["invoice-3replicas/", "backendlabs-snappy-raw/"]
    static let invoiceBrokers = ["kafka-logs", "kafka-logs-1", "kafka-logs-2"]
    static let invoiceSegments: [Int64] = [0, 30626, 60611]

    static func path(_ file: String) -> String { SharedTestData.kafkaReal.appendingPathComponent(file).path }

    static func baseOffset(of file: String) -> Int64 {
        let name = file.split(separator: "/").last!
        return Int64(name.prefix { $0 != "." })!
    }

    static func expectations() -> [(String, Expected)] {
        guard SharedTestData.isAvailable,
              let data = try? Data(contentsOf: SharedTestData.kafkaReal.appendingPathComponent("EXPECTED.json")),
              let all = try? JSONDecoder().decode([String: Expected].self, from: data)
        else { return [] }
        return all
            .filter { file, expected in
                (expected.kind == "offset_index" || expected.kind == "time_index") && datasets.contains { file.hasPrefix($0) }
            }
            .sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }

    @Test func everyIndexOfBothDatasetsIsCovered() {
        let files = Self.expectations().map(\.0)
        // invoice: 3 brokers × 3 segments × 2 kinds; backendlabs: 6 segments × 2 kinds.
        #expect(files.filter { $0.hasPrefix("invoice-3replicas/") }.count == 18)
        #expect(files.filter { $0.hasPrefix("backendlabs-snappy-raw/") }.count == 12)
    }

    @Test(arguments: expectations())
    func indexEntriesMatchExpected(file: String, expected: Expected) throws {
        let base = Self.baseOffset(of: file)
        let handle = try Self.fs.open(Self.path(file), mode: .readOnly)
        defer { handle.close() }
        if expected.kind == "offset_index" {
            let index = try OffsetIndex(file: handle, baseOffset: base, isNew: false)
            #expect(index.entryCount == expected.size / 8)
            #expect(index.entryCount == expected.entries_excluding_trailing_zero)
            try index.sanityCheck()
            guard index.entryCount > 0 else {
                #expect(expected.first == nil)
                #expect(try index.lookup(base + 1_000_000) == (base, 0))
                return
            }
            let first = try index.entry(at: 0)
            #expect([first.offset - base, Int64(first.position)] == expected.first)
            #expect([index.lastOffset - base, Int64(index.lastEntry.position)] == expected.last)
            #expect(try index.entry(at: index.entryCount - 1) == index.lastEntry)
            // Every entry is found by its own offset; the offset before it finds the entry before.
            var previous: (offset: Int64, position: Int) = (base, 0)
            for slot in 0..<index.entryCount {
                let entry = try index.entry(at: slot)
                #expect(entry.offset > previous.offset || slot == 0)
                #expect(try index.lookup(entry.offset) == entry)
                #expect(try index.lookup(entry.offset - 1) == previous)
                previous = entry
            }
        } else {
            let index = try TimeIndex(file: handle, baseOffset: base, isNew: false)
            #expect(index.entryCount == expected.size / 12)
            #expect(index.entryCount == expected.entries_excluding_trailing_zero)
            try index.sanityCheck()
            guard index.entryCount > 0 else { return }
            let first = try index.entry(at: 0)
            #expect([first.timestamp, first.offset - base] == expected.first)
            #expect([index.lastEntry.timestamp, index.lastEntry.offset - base] == expected.last)
            var previous: (timestamp: Int64, offset: Int64) = (-1, base)
            for slot in 0..<index.entryCount {
                let entry = try index.entry(at: slot)
                #expect(try index.lookup(timestamp: entry.timestamp) == entry)
                #expect(try index.lookup(timestamp: entry.timestamp - 1) == previous)
                previous = entry
            }
        }
    }

    struct Batch: Equatable {
        var position: Int
        var lastOffset: Int64
    }

    /// Every batch of a `.log`, by a linear scan from position 0.
    static func batches(of logPath: String) throws -> [Batch] {
        var reader = try LogFileReader(path: logPath)
        var batches: [Batch] = []
        while let entry = try reader.next() { batches.append(Batch(position: entry.position, lastOffset: entry.lastOffset)) }
        #expect(reader.stop == .endOfData)
        return batches
    }

    /// The batch holding `target`: the first from `position` on whose last offset is ≥ it.
    static func scan(_ logFile: any StorageFile, end: Int, from position: Int, for target: Int64) throws -> (batch: Batch?, batchesRead: Int) {
        var reader = try LogFileReader(file: logFile, from: position, end: end, windowSize: 64 << 10)
        var read = 0
        while let entry = try reader.next() {
            read += 1
            if entry.lastOffset >= target { return (Batch(position: entry.position, lastOffset: entry.lastOffset), read) }
        }
        return (nil, read)
    }

    @Test(arguments: invoiceSegments)
    func offsetLookupsAgreeWithALinearScanOnAllThreeBrokers(segment: Int64) throws {
        let seed = propertySeed()
        var random = SeededGenerator(seed: seed)
        // The .log files are byte-identical on the three brokers; scan the first one.
        let logPath = Self.path("invoice-3replicas/kafka-logs/invoice-0/\(segmentPrefix(segment)).log")
        let batches = try Self.batches(of: logPath)
        let lastOffset = try #require(batches.last?.lastOffset)
        var targets: [Int64] = [segment - 1, segment, lastOffset, lastOffset + 1]
        for batch in batches { targets += [batch.lastOffset - 1, batch.lastOffset, batch.lastOffset + 1] }
        for _ in 0..<300 { targets.append(Int64.random(in: segment...lastOffset, using: &random)) }

        for broker in Self.invoiceBrokers {
            let brokerLog = Self.path("invoice-3replicas/\(broker)/invoice-0/\(segmentPrefix(segment)).log")
            let logFile = try Self.fs.open(brokerLog, mode: .readOnly)
            defer { logFile.close() }
            let end = try logFile.size()
            let indexFile = try Self.fs.open(Self.path("invoice-3replicas/\(broker)/invoice-0/\(segmentPrefix(segment)).index"), mode: .readOnly)
            defer { indexFile.close() }
            let index = try OffsetIndex(file: indexFile, baseOffset: segment, isNew: false)
            var totalRead = 0
            for target in targets {
                let linear = batches.first { $0.lastOffset >= target }
                let start = try index.lookup(target)
                #expect(start.offset <= max(target, segment), "\(broker) seed \(seed): lookup(\(target)) = \(start)")
                let (found, read) = try Self.scan(logFile, end: end, from: start.position, for: target)
                totalRead += read
                #expect(found == linear, "\(broker) segment \(segment) seed \(seed): target \(target) from \(start)")
            }
            // The index shortens the scan (broker 0's 0-byte index of segment 30626 does not).
            let linearRead = targets.reduce(0) { sum, target in sum + (batches.firstIndex { $0.lastOffset >= target }.map { $0 + 1 } ?? batches.count) }
            if index.entryCount > 1 { #expect(totalRead < linearRead, "\(broker) segment \(segment)") }
            if index.entryCount == 0 { #expect(totalRead == linearRead, "\(broker) segment \(segment)") }
        }
    }

    @Test func theKiranaIndexHoleIsVisibleAsZeroEntries() throws {
        let directory = "kirana-index-hole/kafka-data/__consumer_offsets-21/"
        let offsetFile = try Self.fs.open(Self.path(directory + "00000000000000000000.index"), mode: .readOnly)
        defer { offsetFile.close() }
        let offsets = try OffsetIndex(file: offsetFile, baseOffset: 0, isNew: false)
        #expect(offsets.entryCount == 33)
        let offsetEntries = try (0..<33).map { try offsets.entry(at: $0) }
        // Slots 0–12 valid, 13–29 zero (relative offset 0, position 0) after larger ones, 30–32 valid.
        #expect(offsetEntries[0] == (53, 18395))
        #expect(offsetEntries[12].offset == 292)
        #expect(offsetEntries[13..<30].allSatisfy { $0 == (0, 0) })
        #expect(offsetEntries[13].offset < offsetEntries[12].offset)
        #expect(offsetEntries[30...].map(\.offset) == [305, 315, 326])
        #expect(offsetEntries[30...].map(\.position) == [74551, 78726, 83021])
        // Kafka's sanity check looks only at the last entry and the length: the hole passes it.
        try offsets.sanityCheck()

        let timeFile = try Self.fs.open(Self.path(directory + "00000000000000000000.timeindex"), mode: .readOnly)
        defer { timeFile.close() }
        let times = try TimeIndex(file: timeFile, baseOffset: 0, isNew: false)
        #expect(times.entryCount == 35)
        let timeEntries = try (0..<35).map { try times.entry(at: $0) }
        #expect(timeEntries[0] == (1_739_644_522_482, 1))
        #expect(timeEntries[0..<25].allSatisfy { $0.timestamp > 0 })
        #expect(timeEntries[25..<32].allSatisfy { $0 == (0, 0) })
        #expect(timeEntries[32...].allSatisfy { $0.timestamp > timeEntries[24].timestamp })
        #expect(timeEntries[34] == (1_739_973_415_634, 326))
        try times.sanityCheck()

        // Lookups over the damaged entries return some entry and do not fail; finding the hole
        // is the verifier's job.
        for target in [0, 100, 200, 300, 326, 1000] as [Int64] { _ = try offsets.lookup(target) }
        for entry in timeEntries { _ = try times.lookup(timestamp: entry.timestamp) }
    }
}
