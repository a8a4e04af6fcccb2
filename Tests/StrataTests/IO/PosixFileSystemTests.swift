import Foundation
import NIOCore
import Testing
@testable import Strata

/// Makes a fresh directory under the system temporary directory.
func makeTemporaryDirectory(_ name: String = #function) throws -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("strata-tests-\(getpid())")
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = base.appendingPathComponent("\(safe)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

@Suite struct PosixFileSystemTests {
    let fs = PosixFileSystem()

    @Test func writesReadsTruncatesAndSyncs() throws {
        let dir = try makeTemporaryDirectory()
        let file = try fs.open(dir + "/a.log", mode: .createNew)
        try file.write(buffer("hello world"), at: 0)
        try file.write(buffer("W"), at: 6)
        try file.sync()
        #expect(try file.size() == 11)
        #expect(String(buffer: try file.read(at: 0, count: 100)) == "hello World")
        try file.truncate(to: 5)
        #expect(String(buffer: try file.read(at: 0, count: 100)) == "hello")
        file.close()
        #expect(throws: StrataIOError.self) { try fs.open(dir + "/a.log", mode: .createNew) }
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaryFile() throws {
        let dir = try makeTemporaryDirectory()
        try fs.writeAtomically(buffer("0\n0\n"), to: dir + "/checkpoint")
        try fs.writeAtomically(buffer("0\n1\nt 0 5\n"), to: dir + "/checkpoint")
        #expect(String(buffer: try fs.readWholeFile(dir + "/checkpoint")) == "0\n1\nt 0 5\n")
        #expect(try fs.contentsOfDirectory(dir) == ["checkpoint"])
    }

    @Test func errorsNameTheCallAndPath() throws {
        let error = try #require(throws: StrataIOError.self) { try fs.open("/nonexistent-dir/x.log", mode: .readOnly) }
        #expect(error.description == "open /nonexistent-dir/x.log: No such file or directory (errno 2)")
    }

    @Test func anExclusiveLockIsHeldOnce() throws {
        let dir = try makeTemporaryDirectory()
        let lock = try fs.lockExclusively(dir + "/.lock")
        #expect(throws: StrataIOError.self) { try fs.lockExclusively(dir + "/.lock") }
        lock.unlock()
        let again = try fs.lockExclusively(dir + "/.lock")
        again.unlock()
    }
}

/// Files that are not regular files (a FIFO that would block, a device, a directory) are
/// refused at open with a message that says what they are.
@Suite struct NonRegularFileTests {
    let fs = PosixFileSystem()

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000000.log"
        #expect(mkfifo(path, 0o644) == 0)
        let error = try #require(throws: StrataIOError.self) { try fs.open(path, mode: .readOnly) }
        #expect(error.description == "open \(path): a FIFO, not a regular file (errno \(EINVAL))")
    }

    @Test func devicesAndDirectoriesAreRefused() throws {
        #expect((try #require(throws: StrataIOError.self) { try fs.open("/dev/zero", mode: .readOnly) }).reason == "a device, not a regular file")
        let dir = try makeTemporaryDirectory()
        #expect((try #require(throws: StrataIOError.self) { try fs.open(dir, mode: .readOnly) }).reason == "a directory, not a regular file")
    }
}
