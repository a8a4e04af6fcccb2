import Foundation
import NIOCore
import Testing
@testable import Strata

/// Symbolic links swapped into a data directory by another user never redirect Strata's writes
/// outside it: files are not opened for writing through a link, partition directories that are
/// links are refused, and checkpoints replace a link rather than write through it.
@Suite struct SymbolicLinkTests {
    let fs = PosixFileSystem()

    /// A file outside the data directory, and its content.
    private func victim(_ root: String) throws -> (path: String, content: Data) {
        let path = root + "/outside-victim"
        let content = Data("precious data that is not Strata's\n".utf8)
        try content.write(to: URL(fileURLWithPath: path))
        return (path, content)
    }

    @Test func filesAreNotOpenedForWritingThroughALink() throws {
        let root = try makeTemporaryDirectory()
        let (target, content) = try victim(root)
        try FileManager.default.createSymbolicLink(atPath: root + "/link.log", withDestinationPath: target)
        for mode in [FileOpenMode.readWrite, .createIfMissing, .createNew] {
            let error = try #require(throws: StrataIOError.self) { try fs.open(root + "/link.log", mode: mode) }
            #expect(error.errno == (mode == .createNew ? EEXIST : ELOOP))
        }
        // Reading through a link is harmless and allowed (a tool pointed at a linked file).
        #expect(try fs.readWholeFile(root + "/link.log").readableBytes == content.count)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == content)
    }

    @Test func aPartitionDirectoryThatIsALinkIsRefused() throws {
        let root = try makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: root + "/elsewhere", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: root + "/data/orders-0", withDestinationPath: root + "/elsewhere")
        let error = try #require(throws: StrataIOError.self) { try PartitionLog.open(directory: root + "/data/orders-0") }
        #expect(error.errno == ENOTDIR && error.description.contains("symbolic link"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/elsewhere").isEmpty)
        // A read-only open (a tool) reads through it and writes nothing there either.
        #expect(throws: StrataFormatError.self) { try PartitionLog.open(directory: root + "/data/orders-0", options: { var o = PartitionOpenOptions(); o.readOnly = true; return o }()) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/elsewhere").isEmpty)
    }

    @Test func aSegmentSwappedForALinkIsNotWrittenThrough() throws {
        let root = try makeTemporaryDirectory()
        let (target, content) = try victim(root)
        let directory = root + "/t-0"
        let log = try PartitionLog.open(directory: directory, config: LogTestSupport.smallConfig())
        try log.appendAsLeader(try LogTestSupport.batch(["a"]))
        try log.close()
        let segment = directory + "/00000000000000000000.log"
        try FileManager.default.removeItem(atPath: segment)
        try FileManager.default.createSymbolicLink(atPath: segment, withDestinationPath: target)
        let error = try #require(throws: StrataIOError.self) { try PartitionLog.open(directory: directory, config: LogTestSupport.smallConfig()) }
        #expect(error.errno == ELOOP && error.path == segment)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == content)
    }

    @Test func aCheckpointSwappedForALinkIsReplacedNotWrittenThrough() throws {
        let root = try makeTemporaryDirectory()
        let (target, content) = try victim(root)
        let data = root + "/data"
        let manager = try LogManager.open(directory: data)
        try manager.createPartition(TopicPartition(topic: "t", partition: 0)).appendAsLeader(try LogTestSupport.batch(["a"]))
        let checkpoint = data + "/recovery-point-offset-checkpoint"
        try? FileManager.default.removeItem(atPath: checkpoint)
        try FileManager.default.createSymbolicLink(atPath: checkpoint, withDestinationPath: target)
        try manager.writeCheckpoints()
        try manager.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == content)
        let attributes = try FileManager.default.attributesOfItem(atPath: checkpoint)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
    }
}
