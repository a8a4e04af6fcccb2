import Foundation
import NIOCore
import Testing
@testable import Strata

@Suite struct CheckpointFileTests {
    let fs = PosixFileSystem()
    let t0 = TopicPartition(topic: "my-topic", partition: 0)
    let t1 = TopicPartition(topic: "my-topic", partition: 1)

    @Test func offsetCheckpointBytesAreExact() throws {
        let dir = try makeTemporaryDirectory()
        let file = OffsetCheckpointFile(logDirectory: dir, kind: .recoveryPoint)
        #expect(file.path == dir + "/recovery-point-offset-checkpoint")
        try file.write(entries: [OffsetCheckpointEntry(t0, offset: 1234), OffsetCheckpointEntry(t1, offset: 99)])
        #expect(try fileText(file.path) == "0\n2\nmy-topic 0 1234\nmy-topic 1 99\n")
        #expect(try fs.contentsOfDirectory(dir) == ["recovery-point-offset-checkpoint"])
        #expect(try file.read() == [t0: 1234, t1: 99])
        #expect(try file.readEntries() == [OffsetCheckpointEntry(t0, offset: 1234), OffsetCheckpointEntry(t1, offset: 99)])
    }

    @Test func writingADictionarySortsByPartition() throws {
        let dir = try makeTemporaryDirectory()
        let file = OffsetCheckpointFile(logDirectory: dir, kind: .logStartOffset)
        let offsets: [TopicPartition: Int64] = [
            t1: 99, t0: 1234, TopicPartition(topic: "__consumer_offsets", partition: 10): 0,
            TopicPartition(topic: "__consumer_offsets", partition: 2): -1,
        ]
        try file.write(offsets)
        #expect(try fileText(file.path) == "0\n4\n__consumer_offsets 2 -1\n__consumer_offsets 10 0\nmy-topic 0 1234\nmy-topic 1 99\n")
        #expect(try file.read() == offsets)
        try file.write([:])
        #expect(try fileText(file.path) == "0\n0\n")
        #expect(try file.read().isEmpty)
    }

    @Test func kindsNameTheFourFiles() {
        #expect(OffsetCheckpointFile.Kind.allCases.map(\.fileName) == [
            "recovery-point-offset-checkpoint", "log-start-offset-checkpoint",
            "cleaner-offset-checkpoint", "replication-offset-checkpoint",
        ])
    }

    @Test func writesGoThroughTemporaryFileFsyncRenameAndDirectoryFsync() throws {
        let dir = try makeTemporaryDirectory()
        let recording = RecordingFileSystem()
        let file = OffsetCheckpointFile(logDirectory: dir, kind: .replicationOffset, fileSystem: recording)
        try file.write([t0: 5])
        #expect(recording.events == atomicWriteEvents("replication-offset-checkpoint"))
    }

    @Test func emptyAndMissingFilesHoldNoEntries() throws {
        let dir = try makeTemporaryDirectory()
        let file = OffsetCheckpointFile(logDirectory: dir, kind: .cleanerOffset)
        #expect(try file.read().isEmpty) // missing
        _ = try fs.open(file.path, mode: .createNew)
        #expect(try file.read().isEmpty) // zero bytes
        #expect(try LeaderEpochCheckpointFile(partitionDirectory: dir).read().isEmpty)
    }

    @Test(arguments: [
        ("0\n1\nt 0 5", [5]),                       // no final newline
        ("0\r\n1\r\nt 0 5\r\n", [5]),               // CRLF
        ("0\n1\nt   0\t5\n", [5]),                  // runs of spaces and tabs
        ("0\n1\nt 0 5   \n", [5]),                  // trailing whitespace is no field
        ("0\n2\nt 0 5\nt 0 7\n", [7]),              // a repeated partition: the later line wins
        ("+0\n+1\nt +0 +5\n", [5]),                 // signs, as Java's parseInt/parseLong allow
        ("0\n0\n", []),
    ] as [(String, [Int64])])
    func toleratesWhatKafkasReaderTolerates(text: String, offsets: [Int64]) throws {
        let map = try CheckpointFile<OffsetCheckpointFormat>.decode(buffer(text))
        #expect(map.last.map(\.offset) == offsets.last)
        #expect(try OffsetCheckpointFile.decodeToMap(text).values.sorted() == offsets)
    }

    @Test(arguments: [
        ("1\n0\n", "unsupportedVersion", 1, "unsupported checkpoint version 1 (expected 0)"),
        ("x\n0\n", "malformedLine", 1, "malformed version line \"x\""),
        ("\n", "malformedLine", 1, "malformed version line \"\""),
        (" 0\n0\n", "malformedLine", 1, "malformed version line"),
        ("0\n", "malformedLine", 2, "ends before line 2"),
        ("0\nx\n", "malformedLine", 2, "malformed entry count line \"x\""),
        ("0\n-1\n", "malformedLine", 2, "malformed entry count line \"-1\""),
        ("0\n2\nt 0 5\n", "entryCountMismatch", 4, "declares 2 entries but holds 1"),
        ("0\n1\nt 0 5\nt 1 6\n", "entryCountMismatch", 4, "declares 1 entries but holds 2"),
        ("0\n0\nt 0 5\n", "entryCountMismatch", 3, "declares 0 entries but holds 1"),
        ("0\n1\nt 0\n", "malformedLine", 3, "malformed checkpoint entry \"t 0\" (expected <topic> <partition> <offset>)"),
        ("0\n1\nt 0 x\n", "malformedLine", 3, "malformed checkpoint entry \"t 0 x\""),
        ("0\n1\nt 0 5 6\n", "malformedLine", 3, "malformed checkpoint entry"),
        ("0\n1\n t 0 5\n", "malformedLine", 3, "malformed checkpoint entry"), // leading blank = empty first field
        ("0\n1\nt 2147483648 5\n", "malformedLine", 3, "malformed checkpoint entry"),
        ("0\n1\nt 0 9223372036854775808\n", "malformedLine", 3, "malformed checkpoint entry"),
        ("0\n2\nt 0 5\n\nt 1 6\n", "malformedLine", 4, "malformed checkpoint entry \"\""),
        ("garbage", "malformedLine", 1, "malformed version line \"garbage\""),
    ] as [(String, String, Int, String)])
    func rejectsMalformedFilesNamingTheLine(text: String, code: String, line: Int, message: String) throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/recovery-point-offset-checkpoint"
        try fs.writeAtomically(buffer(text), to: path)
        let error = try #require(throws: StrataFormatError.self) { try OffsetCheckpointFile(path: path).read() }
        #expect(error.code.name == code)
        #expect(error.line == line)
        #expect(error.file == path)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.description.contains("in \(path) at line \(line) (byte "), "\(error)")
    }

    @Test func errorsGiveTheBytePositionOfTheLine() throws {
        let error = try #require(throws: StrataFormatError.self) {
            try CheckpointFile<OffsetCheckpointFormat>.decode(buffer("0\n2\nab 0 1\nab x 2\n"), path: "cp")
        }
        #expect(error.line == 4)
        #expect(error.position == 11)
        #expect(error.description == "malformed checkpoint entry \"ab x 2\" (expected <topic> <partition> <offset>) in cp at line 4 (byte 11)")
    }

    @Test func rejectsLinesThatAreNotUTF8() throws {
        var bytes = buffer("0\n1\nt")
        bytes.writeBytes([0xFF, 0xFE])
        bytes.writeString(" 0 5\n")
        let error = try #require(throws: StrataFormatError.self) { try CheckpointFile<OffsetCheckpointFormat>.decode(bytes) }
        #expect(error.code == .malformedLine)
        #expect(error.line == 3)
    }

    @Test func leaderEpochCheckpointBytesAreExact() throws {
        let dir = try makeTemporaryDirectory()
        let file = LeaderEpochCheckpointFile(partitionDirectory: dir)
        #expect(file.path == dir + "/leader-epoch-checkpoint")
        let entries = [EpochEntry(epoch: 0, startOffset: 0), EpochEntry(epoch: 1, startOffset: 9), EpochEntry(epoch: 3, startOffset: 10)]
        try file.write(entries)
        #expect(try fileText(file.path) == "0\n3\n0 0\n1 9\n3 10\n")
        #expect(try file.read() == entries)
    }

    @Test(arguments: ["0\n1\n0\n", "0\n1\n0 0 0\n", "0\n1\nx 0\n", "0\n1\n0 x\n", "0\n1\n2147483648 0\n"])
    func rejectsMalformedEpochLines(text: String) throws {
        let error = try #require(throws: StrataFormatError.self) { try CheckpointFile<LeaderEpochCheckpointFormat>.decode(buffer(text), path: "leader-epoch-checkpoint") }
        #expect(error.code == .malformedLine)
        #expect(error.line == 3)
        #expect(error.message.contains("(expected <epoch> <startOffset>)"))
    }

    @Test func randomCheckpointsRoundTrip() throws {
        let seed = propertySeed()
        print("CheckpointFileTests.randomCheckpointsRoundTrip seed \(seed) (STRATA_SEED=\(seed) replays)")
        var random = SeededGenerator(seed: seed)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        for _ in 0..<200 {
            let entries = (0..<Int.random(in: 0...20, using: &random)).map { _ in
                let topic = String((0..<Int.random(in: 1...30, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
                return OffsetCheckpointEntry(TopicPartition(topic: topic, partition: Int32.random(in: .min ... .max, using: &random)),
                                             offset: Int64.random(in: .min ... .max, using: &random))
            }
            let bytes = CheckpointFile<OffsetCheckpointFormat>.encode(entries)
            #expect(try CheckpointFile<OffsetCheckpointFormat>.decode(bytes) == entries, "seed \(seed)")
            let epochs = (0..<Int.random(in: 0...20, using: &random)).map { _ in
                EpochEntry(epoch: Int32.random(in: .min ... .max, using: &random), startOffset: Int64.random(in: .min ... .max, using: &random))
            }
            #expect(try CheckpointFile<LeaderEpochCheckpointFormat>.decode(CheckpointFile<LeaderEpochCheckpointFormat>.encode(epochs)) == epochs, "seed \(seed)")
        }
    }
}

extension OffsetCheckpointFile {
    /// Decodes text the way ``read()`` does, without a file.
    static func decodeToMap(_ text: String) throws -> [TopicPartition: Int64] {
        var map: [TopicPartition: Int64] = [:]
        for entry in try CheckpointFile<OffsetCheckpointFormat>.decode(buffer(text)) { map[entry.topicPartition] = entry.offset }
        return map
    }
}
