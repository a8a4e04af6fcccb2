import Foundation
import NIOCore
import Testing
@testable import Strata

/// Every checkpoint, `partition.metadata` and producer snapshot a real broker wrote parses, and
/// re-encoding what was parsed gives the file's bytes back.
@Suite(.enabled(if: SharedTestData.isAvailable, Comment(rawValue: SharedTestData.skipReason)))
struct RealBrokerMetadataFileTests {
    /// Paths (relative to kafka-real) of every file whose name satisfies `matches`, sorted.
    static func files(_ matches: (String) -> Bool) -> [String] {
        guard SharedTestData.isAvailable,
              let walker = FileManager.default.enumerator(atPath: SharedTestData.kafkaReal.path) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if matches(String(relative.split(separator: "/").last ?? "")) { found.append(relative) }
        }
        return found.sorted()
    }

    static let offsetCheckpoints = files { name in OffsetCheckpointFile.Kind.allCases.contains { $0.fileName == name } }
    static let epochCheckpoints = files { $0 == LeaderEpochCheckpointFile.fileName }
    static let partitionMetadataFiles = files { $0 == PartitionMetadataFile.fileName }
    static let snapshotFiles = files { $0.hasSuffix(".snapshot") }

    struct Expected: Decodable {
        var kind: String
        var size: Int
        var version: Int?
        var crc_ok: Bool?
        var entries: Int?
    }

    static let expected: [String: Expected] = {
        guard SharedTestData.isAvailable,
              let data = try? Data(contentsOf: SharedTestData.kafkaReal.appendingPathComponent("EXPECTED.json")),
              let all = try? JSONDecoder().decode([String: Expected].self, from: data)
        else { return [:] }
        return all.filter { $0.value.kind == "producer_snapshot" }
    }()

    static func path(_ relative: String) -> String { SharedTestData.kafkaReal.appendingPathComponent(relative).path }
    static func bytes(_ relative: String) throws -> ByteBuffer { try PosixFileSystem().readWholeFile(path(relative)) }

    @Test func theCollectionHoldsWhatTheseTestsExpect() {
        // 11 recovery-point, 10 log-start, 11 cleaner (8 of them 0 bytes), 11 replication.
        #expect(Self.offsetCheckpoints.count == 43)
        #expect(Self.epochCheckpoints.count == 36)
        #expect(Self.partitionMetadataFiles.count == 17)
        #expect(Self.snapshotFiles.count == 95)
        #expect(Set(Self.snapshotFiles) == Set(Self.expected.keys))
        #expect(Self.offsetCheckpoints.filter { (try? Self.bytes($0).readableBytes) == 0 }.count == 8)
    }

    @Test(arguments: offsetCheckpoints)
    func offsetCheckpointParsesAndReencodesToTheSameBytes(file: String) throws {
        let original = try Self.bytes(file)
        let checkpoint = OffsetCheckpointFile(path: Self.path(file))
        let entries = try checkpoint.readEntries()
        let offsets = try checkpoint.read()
        #expect(offsets.count == entries.count, "no partition is listed twice")
        #expect(entries.allSatisfy { $0.topicPartition.partition >= 0 && $0.offset >= 0 })
        if original.readableBytes == 0 {
            #expect(entries.isEmpty)
        } else {
            #expect(CheckpointFile<OffsetCheckpointFormat>.encode(entries) == original)
        }
    }

    @Test(arguments: epochCheckpoints)
    func leaderEpochCheckpointParsesLoadsAndReencodes(file: String) throws {
        let original = try Self.bytes(file)
        let entries = try LeaderEpochCheckpointFile(path: Self.path(file)).read()
        #expect(!entries.isEmpty)
        #expect(CheckpointFile<LeaderEpochCheckpointFormat>.encode(entries) == original)
        let cache = try LeaderEpochCache(checkpoint: LeaderEpochCheckpointFile(path: Self.path(file)))
        #expect(cache.epochEntries == entries, "a broker's file is already ascending")
    }

    @Test(arguments: partitionMetadataFiles)
    func partitionMetadataParsesAndReencodes(file: String) throws {
        let original = try Self.bytes(file)
        let metadata = try PartitionMetadataFile(path: Self.path(file)).read()
        #expect(metadata.version == 0)
        #expect(PartitionMetadataFile.encode(topicID: metadata.topicID) == original)
        #expect(original.readableBytesView.last != UInt8(ascii: "\n"))
        // The directory holding it is an ordinary partition directory.
        let directory = String(file.split(separator: "/").dropLast().last!)
        #expect(TopicPartition(directoryName: directory) != nil, "\(directory)")
    }

    @Test(arguments: snapshotFiles)
    func producerSnapshotMatchesExpected(file: String) throws {
        let expected = try #require(Self.expected[file])
        let original = try Self.bytes(file)
        #expect(original.readableBytes == expected.size)
        #expect(expected.version == 1)
        #expect(expected.crc_ok == true)
        #expect(original.getInteger(at: 0, as: Int16.self) == 1)
        let entries = try ProducerSnapshotFile.read(path: Self.path(file))
        #expect(entries.count == expected.entries)
        #expect(ProducerSnapshotFile.encode(entries) == original)
        let name = String(file.split(separator: "/").last!)
        #expect(ProducerSnapshotFile.offset(ofFileName: name) != nil)
        #expect(ProducerSnapshotFile.fileName(offset: ProducerSnapshotFile.offset(ofFileName: name)!) == name)
    }

    @Test func theKsqlCommandTopicSnapshotHoldsOneTransactionalProducer() throws {
        let file = "patient-admissions-txn/kafka-data/_confluent-ksql-default__command_topic-0/00000000000000000002.snapshot"
        #expect(try ProducerSnapshotFile.read(path: Self.path(file)) == [
            ProducerSnapshotEntry(producerId: 0, producerEpoch: 0, lastSequence: 0, lastOffset: 0, offsetDelta: 0,
                                  timestamp: 1_728_561_475_581, coordinatorEpoch: 0, currentTxnFirstOffset: -1),
        ])
    }

    @Test func snapshotOffsetsOfARealPartitionDirectory() throws {
        #expect(try ProducerSnapshotFile.offsets(in: Self.path("spooldir-lz4/kafka-data/__consumer_offsets-29"))
                == [47, 49, 51, 53, 55, 57, 59, 65, 67, 69])
        #expect(try ProducerSnapshotFile.offsets(in: Self.path("invoice-3replicas/kafka-logs/invoice-0")) == [30626, 60611, 90867])
    }

    @Test func knownCheckpointContents() throws {
        let root = "backendlabs-snappy-raw/kafka-data/"
        #expect(try OffsetCheckpointFile(path: Self.path(root + "cleaner-offset-checkpoint")).read()
                == [TopicPartition(topic: "__consumer_offsets", partition: 19): 258527])
        #expect(try OffsetCheckpointFile(path: Self.path(root + "log-start-offset-checkpoint")).read().isEmpty)
        #expect(try OffsetCheckpointFile(path: Self.path("biggerbrain-gzip/data/replication-offset-checkpoint")).read()
                == [TopicPartition(topic: "lsx1", partition: 0): 14])
        let cache = try LeaderEpochCache(partitionDirectory: Self.path("biggerbrain-gzip/data/lsx1-0"))
        #expect(cache.epochEntries.map { [Int64($0.epoch), $0.startOffset] } == [[0, 0], [1, 9], [3, 10], [5, 12], [6, 13], [7, 14]])
        #expect(cache.endOffset(for: 2, logEndOffset: 20) == (1, 10))
        #expect(cache.endOffset(for: 7, logEndOffset: 20) == (7, 20))
        #expect(try PartitionMetadataFile(partitionDirectory: Self.path(root + "__consumer_offsets-19")).read().topicID.base64URL
                == "LJ-0nObETNu9zQf653GiTA")
    }

    @Test func everyRealPartitionDirectoryNameParses() throws {
        // Directories that hold segment or metadata files are partition directories.
        let parents = Set((Self.epochCheckpoints + Self.partitionMetadataFiles + Self.snapshotFiles).map {
            String($0.split(separator: "/").dropLast().last!)
        })
        #expect(parents.count > 20)
        for name in parents.sorted() {
            let parsed = try #require(TopicPartition(directoryName: name), "\(name)")
            #expect(parsed.directoryName == name)
        }
    }
}
