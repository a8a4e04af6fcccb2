import Foundation
import NIOCore
import Testing
@testable import Strata

/// The in-process append path (``ProducedBatch``): the same verdicts and the same bytes on
/// disk as the path that decompresses, without decompressing.
@Suite struct ProducedBatchAppendTests {
    private static let now: Int64 = 1_700_000_000_000

    private static func options() -> PartitionOpenOptions {
        var options = PartitionOpenOptions()
        options.clock = { now }
        return options
    }

    private static func builder(compression: Compression = .none, control: Bool = false, producerId: Int64 = -1, sequence: Int32 = -1) -> RecordBatchBuilder {
        var configuration = RecordBatchBuilder.Configuration(compression: compression)
        configuration.isControl = control
        configuration.producerId = producerId
        configuration.producerEpoch = producerId >= 0 ? 0 : -1
        configuration.baseSequence = sequence
        return RecordBatchBuilder(configuration)
    }

    @Test func anLZ4BatchIsWrittenAsBuiltAndReadsBack() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/produced-0", config: LogTestSupport.smallConfig(segmentBytes: 1 << 20), options: Self.options())
        var builder = Self.builder(compression: Compression(.lz4))
        for index in 0..<50 {
            try builder.append(timestamp: Self.now + Int64(index), key: buffer("k\(index)"), value: buffer(String(repeating: "value \(index) ", count: 20)))
        }
        let produced = try builder.buildProduced()
        _ = try log.appendAsLeader(produced)
        let result = try log.appendAsLeader(produced)
        #expect(result.firstOffset == 50 && result.lastOffset == 99)
        let fetch = try log.read(from: 50, maxBytes: 1 << 20)
        guard case .batch(let stored) = try #require(fetch.entries.first) else { Issue.record("expected a v2 batch"); return }
        // Only the base offset and leader epoch differ (both outside the CRC): the compressed
        // records were not re-encoded.
        #expect(try stored.header.crc == RecordBatch(bytes: produced.bytes).header.crc && stored.isValid)
        #expect(stored.bytes.getSlice(at: stored.bytes.readerIndex + 16, length: stored.bytes.readableBytes - 16)
                == produced.bytes.getSlice(at: produced.bytes.readerIndex + 16, length: produced.bytes.readableBytes - 16))
        let records = try stored.records()
        #expect(records.map(\.offset) == Array(50...99) && records.last?.key == buffer("k49"))
        try log.close()
    }

    @Test func theRulesOfAClientBatchStillApply() throws {
        var config = LogTestSupport.smallConfig()
        config.cleanupPolicy = .compact
        config.maxMessageBytes = 2_000
        config.messageTimestampBeforeMaxMs = 60_000
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/rules-0", config: config, options: Self.options())
        func refusal(_ build: (inout RecordBatchBuilder) throws -> Void, compression: Compression = Compression(.lz4), control: Bool = false) throws -> AppendError.Code? {
            var builder = Self.builder(compression: compression, control: control)
            try build(&builder)
            do { try log.appendAsLeader(try builder.buildProduced()); return nil } catch let error as AppendError { return error.code }
        }
        let verdict1 = try refusal { try $0.append(timestamp: Self.now, key: nil, value: buffer("no key")) }
        #expect(verdict1 == .invalidRecord)
        let verdict2 = try refusal { try $0.append(timestamp: Self.now - 120_000, key: buffer("k"), value: buffer("old")) }
        #expect(verdict2 == .invalidTimestamp)
        let verdict3 = try refusal({ try $0.append(timestamp: Self.now, key: buffer("k"), value: buffer(String(repeating: "z", count: 3_000))) }, compression: .none)
        #expect(verdict3 == .recordTooLarge)
        let verdict4 = try refusal { _ in }
        #expect(verdict4 == .invalidRecord)
        let verdict5 = try refusal({ try $0.append(timestamp: Self.now, key: buffer("k"), value: buffer("v")) }, control: true)
        #expect(verdict5 == .invalidRecord)
        // A gap in the offsets (an explicit offset skipping one) is refused, as over the network.
        let verdict6 = try refusal { try $0.append(offset: 0, timestamp: Self.now, key: buffer("a"), value: nil); try $0.append(offset: 2, timestamp: Self.now, key: buffer("b"), value: nil) }
        #expect(verdict6 == .invalidRecord)
        #expect(log.logEndOffset == 0)
        let verdict7 = try refusal { try $0.append(timestamp: Self.now, key: buffer("k"), value: buffer("fine")) }
        #expect(verdict7 == nil)
        #expect(log.logEndOffset == 1)
        try log.close()
    }

    @Test func idempotentRetriesOfAProducedBatchAreNotWrittenTwice() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/retry-0", config: LogTestSupport.smallConfig(), options: Self.options())
        var builder = Self.builder(compression: Compression(.zstd), producerId: 7, sequence: 0)
        try builder.append(timestamp: Self.now, key: buffer("k"), value: buffer("once"))
        let produced = try builder.buildProduced()
        #expect(try !log.appendAsLeader(produced).isDuplicate)
        #expect(try log.appendAsLeader(produced).isDuplicate)
        #expect(log.logEndOffset == 1)
        try log.close()
    }

    /// Random batches and topic settings: both paths accept or refuse the same batches and
    /// leave byte-identical logs.
    @Test func bothPathsAgreeOnEveryBatch() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let codecs: [CompressionCodec] = [.none, .gzip, .snappy, .lz4, .zstd]
        for round in 0..<12 {
            var config = LogTestSupport.smallConfig(segmentBytes: Int.random(in: 4_000...20_000, using: &rng))
            if Bool.random(using: &rng) { config.cleanupPolicy = .compact }
            if Bool.random(using: &rng) { config.compressionType = codecs.randomElement(using: &rng) }
            if Bool.random(using: &rng) { config.messageTimestampType = .logAppendTime }
            config.messageTimestampBeforeMaxMs = 100_000
            config.messageTimestampAfterMaxMs = 100_000
            config.maxMessageBytes = 3_000
            let root = try makeTemporaryDirectory()
            let viaBytes = try PartitionLog.open(directory: root + "/bytes-0", config: config, options: Self.options())
            let viaProduced = try PartitionLog.open(directory: root + "/produced-0", config: config, options: Self.options())
            for _ in 0..<30 {
                var builder = Self.builder(compression: Compression(codecs.randomElement(using: &rng)!))
                for index in 0..<Int.random(in: 0...12, using: &rng) {
                    let key = Int.random(in: 0..<10, using: &rng) == 0 ? nil : buffer("key-\(index)")
                    let timestamp = Self.now + Int64.random(in: -150_000...150_000, using: &rng)
                    try builder.append(timestamp: timestamp, key: key, value: buffer(String(repeating: "v", count: Int.random(in: 0...400, using: &rng))))
                }
                let produced = try builder.buildProduced()
                func outcome(_ append: () throws -> AppendResult) -> String {
                    do { let result = try append(); return "\(result.firstOffset)-\(result.lastOffset)" } catch let error as AppendError { return "\(error.code)" } catch { return "\(error)" }
                }
                let expected = outcome { try viaBytes.appendAsLeader(produced.bytes) }
                let actual = outcome { try viaProduced.appendAsLeader(produced) }
                // A batch that breaks both the key and the timestamp rule may be refused for
                // either: the decoding path names the first record's fault, the other one the
                // key rule first.
                let bothRules: Set = ["invalidRecord", "invalidTimestamp"]
                #expect(actual == expected || bothRules.contains(actual) && bothRules.contains(expected), "seed \(seed) round \(round)")
            }
            try viaBytes.close()
            try viaProduced.close()
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/bytes-0") where name.hasSuffix(".log") {
                let left = try Data(contentsOf: URL(fileURLWithPath: root + "/bytes-0/" + name))
                let right = try Data(contentsOf: URL(fileURLWithPath: root + "/produced-0/" + name))
                #expect(left == right, "seed \(seed) round \(round): \(name) differs")
            }
        }
    }
}
