import NIOCore
import Strata
import StrataSimulation
import Testing

/// The simulated disk loses exactly what a power cut may lose, so crash tests built on it mean something.
@Suite struct SimulatedFileSystemTests {
    @Test func unsyncedWritesAreLostAndSyncedOnesKept() throws {
        let fs = SimulatedFileSystem()
        try fs.createDirectory("/data")
        let file = try fs.open("/data/a.log", mode: .createNew)
        try fs.syncDirectory("/data")
        try file.write(buffer("durable"), at: 0)
        try file.sync()
        try file.write(buffer(" volatile"), at: 7)
        #expect(fs.contents(of: "/data/a.log") == Array("durable volatile".utf8))
        fs.crash()
        #expect(fs.contents(of: "/data/a.log") == Array("durable".utf8))
    }

    @Test func aFileWhoseDirectoryWasNotSyncedDisappears() throws {
        let fs = SimulatedFileSystem()
        try fs.createDirectory("/data")
        let file = try fs.open("/data/new.log", mode: .createNew)
        try file.write(buffer("x"), at: 0)
        try file.sync()
        fs.crash()
        #expect(!fs.exists("/data/new.log"))
    }

    @Test func atomicReplaceLeavesOldOrNewNeverAMix() throws {
        for keep in 0...8 {
            let fs = SimulatedFileSystem()
            try fs.createDirectory("/d")
            try fs.writeAtomically(buffer("old"), to: "/d/checkpoint")
            let file = try fs.open("/d/checkpoint.tmp", mode: .createIfMissing)
            try file.write(buffer("new"), at: 0)
            // Crash before the sync and rename finish: whatever prefix survives, the target is intact.
            fs.crash(.keepPrefix(keep))
            #expect(fs.contents(of: "/d/checkpoint") == Array("old".utf8))
            try fs.writeAtomically(buffer("new"), to: "/d/checkpoint")
            fs.crash(.keepPrefix(keep))
            #expect(fs.contents(of: "/d/checkpoint") == Array("new".utf8))
        }
    }

    @Test func tornWritesKeepAPrefixOfTheLastWrite() throws {
        let fs = SimulatedFileSystem()
        try fs.createDirectory("/d")
        let file = try fs.open("/d/f", mode: .createNew)
        try fs.syncDirectory("/d")
        try file.write(buffer("abcdef"), at: 0)
        fs.crash(.keepPrefixTearingLast(1, tornAt: 2))
        #expect(fs.contents(of: "/d/f") == Array("ab".utf8))
    }

    @Test func injectedFaultsFailTheCall() throws {
        let fs = SimulatedFileSystem()
        try fs.createDirectory("/d")
        let file = try fs.open("/d/f", mode: .createNew)
        fs.setFaults { call, _ in call == .write ? .error(28) : nil }
        let error = try #require(throws: StrataIOError.self) { try file.write(buffer("x"), at: 0) }
        #expect(error.errno == 28)
        fs.setFaults { call, _ in call == .write ? .shortWrite(bytes: 2) : nil }
        #expect(throws: StrataIOError.self) { try file.write(buffer("hello"), at: 0) }
        #expect(fs.contents(of: "/d/f") == Array("he".utf8))
        fs.setFaults(nil)
        let lock = try fs.lockExclusively("/d/.lock")
        #expect(throws: StrataIOError.self) { try fs.lockExclusively("/d/.lock") }
        lock.unlock()
    }
}
