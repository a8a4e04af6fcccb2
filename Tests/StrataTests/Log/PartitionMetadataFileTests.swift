import Foundation
import NIOCore
import Testing
@testable import Strata

@Suite struct PartitionMetadataFileTests {
    let fs = PosixFileSystem()
    /// `LJ-0nObETNu9zQf653GiTA`, from a real broker's partition.metadata.
    let knownID = TopicID(bytes: hexBytes("2c9fb49ce6c44cdbbdcd07fae771a24c"))!

    @Test func topicIDTextIsURLSafeBase64WithoutPadding() throws {
        #expect(knownID.base64URL == "LJ-0nObETNu9zQf653GiTA")
        #expect(knownID.description == "LJ-0nObETNu9zQf653GiTA")
        #expect(TopicID(base64URL: "LJ-0nObETNu9zQf653GiTA") == knownID)
        #expect(TopicID(base64URL: "LJ-0nObETNu9zQf653GiTA==") == knownID)
        #expect(knownID.mostSignificantBits == 0x2c9f_b49c_e6c4_4cdb)
        #expect(knownID.leastSignificantBits == 0xbdcd_07fa_e771_a24c)
        #expect(knownID.bytes == hexBytes("2c9fb49ce6c44cdbbdcd07fae771a24c"))
        #expect(TopicID.zero.base64URL == "AAAAAAAAAAAAAAAAAAAAAA")
        #expect(TopicID.metadataTopic.base64URL == "AAAAAAAAAAAAAAAAAAAAAQ")
        #expect(TopicID(bytes: [UInt8](repeating: 0xFF, count: 16))?.base64URL == "_____________________w")
    }

    @Test(arguments: ["", "LJ-0nObETNu9zQf653GiT", "LJ-0nObETNu9zQf653GiTAA", "LJ+0nObETNu9zQf653GiTA", "LJ/0nObETNu9zQf653GiTA",
                      "LJ-0nObETNu9zQf653GiTA=", "LJ-0nObETNu9zQf653GiTA=x", "LJ-0nObETNu9zQf653Gi==", "LJ-0nObETNu9zQf653GiT A"])
    func rejectsTopicIDTextOfTheWrongShape(text: String) {
        #expect(TopicID(base64URL: text) == nil)
    }

    @Test func randomTopicIDsRoundTripAndAreVersion4() throws {
        let seed = propertySeed()
        print("PartitionMetadataFileTests.randomTopicIDs seed \(seed)")
        var random = SeededGenerator(seed: seed)
        var seen = Set<TopicID>()
        for _ in 0..<2000 {
            let id = TopicID.random(using: &random)
            #expect(TopicID(base64URL: id.base64URL) == id, "seed \(seed)")
            #expect(id.base64URL.utf8.count == 22)
            #expect(!id.base64URL.hasPrefix("-"))
            #expect(id.mostSignificantBits >> 12 & 0xF == 4)
            #expect(id.leastSignificantBits >> 62 == 0b10)
            #expect(TopicID(bytes: id.bytes) == id)
            seen.insert(id)
        }
        #expect(seen.count == 2000)
        #expect(TopicID.random() != TopicID.random())
    }

    @Test func writesExactBytesWithoutTrailingNewline() throws {
        let dir = try makeTemporaryDirectory()
        let file = PartitionMetadataFile(partitionDirectory: dir)
        #expect(!file.exists())
        try file.write(topicID: knownID)
        let bytes = try fs.readWholeFile(file.path)
        #expect(String(buffer: bytes) == "version: 0\ntopic_id: LJ-0nObETNu9zQf653GiTA")
        #expect(bytes.readableBytes == 43)
        #expect(bytes.readableBytesView.last == UInt8(ascii: "A"))
        #expect(file.exists())
        #expect(try file.read() == PartitionMetadata(version: 0, topicID: knownID))
        #expect(try fs.contentsOfDirectory(dir) == ["partition.metadata"])
    }

    @Test func writeIsAtomicAndDurable() throws {
        let dir = try makeTemporaryDirectory()
        let recording = RecordingFileSystem()
        try PartitionMetadataFile(partitionDirectory: dir, fileSystem: recording).write(topicID: knownID)
        #expect(recording.events == atomicWriteEvents("partition.metadata"))
    }

    @Test(arguments: [
        ("version: 0\ntopic_id: LJ-0nObETNu9zQf653GiTA\n", 0),   // a trailing newline is fine
        ("version: 0\r\ntopic_id: LJ-0nObETNu9zQf653GiTA", 0),
        ("version:\t 3\ntopic_id:  LJ-0nObETNu9zQf653GiTA", 3), // later versions are accepted
        ("v: 0\nid: LJ-0nObETNu9zQf653GiTA\nanything else", 0),  // key names and further lines are not checked
        ("version: 0\ntopic_id: LJ-0nObETNu9zQf653GiTA==", 0),
    ] as [(String, Int32)])
    func acceptsWhatKafkasReaderAccepts(text: String, version: Int32) throws {
        #expect(try PartitionMetadataFile.decode(buffer(text)) == PartitionMetadata(version: version, topicID: knownID))
    }

    @Test(arguments: [
        ("", "malformedLine", 1, "ends before its version line"),
        ("version: 0", "malformedLine", 2, "ends before its topic_id line"),
        ("version:0\ntopic_id: LJ-0nObETNu9zQf653GiTA", "malformedLine", 1, "malformed version line \"version:0\""),
        ("version: 0: 1\ntopic_id: LJ-0nObETNu9zQf653GiTA", "malformedLine", 1, "malformed version line"),
        ("version: x\ntopic_id: LJ-0nObETNu9zQf653GiTA", "malformedLine", 1, "malformed version \"x\""),
        ("version: 0 \ntopic_id: LJ-0nObETNu9zQf653GiTA", "malformedLine", 1, "malformed version \"0 \""),
        ("version: -1\ntopic_id: LJ-0nObETNu9zQf653GiTA", "unsupportedVersion", 1, "unsupported partition metadata version -1"),
        ("version: 0\ntopic_id:LJ-0nObETNu9zQf653GiTA", "malformedLine", 2, "malformed topic_id line"),
        ("version: 0\ntopic_id: LJ-0nObETNu9zQf653Gi", "malformedLine", 2, "malformed topic id \"LJ-0nObETNu9zQf653Gi\""),
        ("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA", "invalidValue", 2, "invalid topic id AAAAAAAAAAAAAAAAAAAAAA (all zeros)"),
    ] as [(String, String, Int, String)])
    func rejectsMalformedFiles(text: String, code: String, line: Int, message: String) throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/partition.metadata"
        try fs.writeAtomically(buffer(text), to: path)
        let error = try #require(throws: StrataFormatError.self) { try PartitionMetadataFile(path: path).read() }
        #expect(error.code.name == code)
        #expect(error.line == line)
        #expect(error.file == path)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.description.contains("at line \(line)"))
    }

    @Test func aMissingFileIsAnIOError() throws {
        let dir = try makeTemporaryDirectory()
        let error = try #require(throws: StrataIOError.self) { try PartitionMetadataFile(partitionDirectory: dir).read() }
        #expect(error.errno == ENOENT)
    }
}

@Suite struct CleanShutdownMarkerTests {
    @Test func writesJSONReadsItAndRemovesIt() throws {
        let dir = try makeTemporaryDirectory()
        let marker = CleanShutdownMarker(logDirectory: dir)
        #expect(marker.path == dir + "/.kafka_cleanshutdown")
        #expect(!marker.exists())
        #expect(try marker.read() == nil)
        try marker.write(brokerEpoch: 42)
        #expect(try fileText(marker.path) == #"{"version":0,"brokerEpoch":42}"#)
        #expect(marker.exists())
        #expect(try marker.read() == CleanShutdownMarker.Contents(version: 0, brokerEpoch: 42))
        try marker.remove()
        #expect(!marker.exists())
        try marker.remove() // already gone is fine
    }

    @Test func writeAndRemoveAreDurable() throws {
        let dir = try makeTemporaryDirectory()
        let recording = RecordingFileSystem()
        let marker = CleanShutdownMarker(logDirectory: dir, fileSystem: recording)
        try marker.write(brokerEpoch: -1)
        #expect(recording.events == atomicWriteEvents(".kafka_cleanshutdown"))
        recording.clearEvents()
        try marker.remove()
        #expect(recording.events == ["unlink .kafka_cleanshutdown", "fsyncdir"])
    }

    @Test func anEmptyFileFromAnOlderBrokerStillCounts() throws {
        let dir = try makeTemporaryDirectory()
        _ = try PosixFileSystem().open(dir + "/.kafka_cleanshutdown", mode: .createNew)
        let marker = CleanShutdownMarker(logDirectory: dir)
        #expect(marker.exists())
        #expect(try marker.read() == CleanShutdownMarker.Contents())
    }

    @Test(arguments: [
        (#"{"version":0,"brokerEpoch":7}"#, 0, 7),
        (" {\n \"brokerEpoch\" : 9223372036854775807 , \"version\" : 0 }\n", 0, Int64.max),
        (#"{"version":0,"brokerEpoch":-1}"#, 0, -1),
        (#"{"extra":{"a":[1,2.5e3,"x\"}",true,null,{}]},"version":1,"brokerEpoch":5,"more":"s"}"#, 1, 5),
        (#"{"brokerEpoch":3}"#, nil, 3),
        (#"{"version":0,"brokerEpoch":"5"}"#, 0, nil),
        (#"{"version":0,"brokerEpoch":1.5}"#, 0, nil),
        (#"{"version":0,"brokerEpoch":99999999999999999999}"#, 0, nil),
        (#"{}"#, nil, nil),
        ("", nil, nil),
        ("not json", nil, nil),
        (#"{"version":0,"brokerEpoch":5"#, nil, nil),
        (#"{"version":0,"brokerEpoch":5} trailing"#, nil, nil),
        (String(repeating: "[", count: 10000), nil, nil),
        (#"{"a":"# + String(repeating: "[", count: 10000), nil, nil),
    ] as [(String, Int32?, Int64?)])
    func readingToleratesUnknownFieldsAndGarbage(text: String, version: Int32?, brokerEpoch: Int64?) {
        #expect(CleanShutdownMarker.decode(buffer(text)) == CleanShutdownMarker.Contents(version: version, brokerEpoch: brokerEpoch))
    }
}
