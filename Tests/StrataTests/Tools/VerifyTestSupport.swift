import Foundation
import NIOCore
@testable import Strata
@testable import StrataTools

/// Runs strata-verify in-process and writes partitions to damage.
enum VerifyTestSupport {
    /// A verification of `paths`: its findings, exit code and output.
    struct Outcome {
        var findings: [VerifyFinding]
        var exitCode: ToolExitCode
        var text: String
        var stats: VerifyStats

        /// The findings about the file whose path ends with `suffix`.
        func about(_ suffix: String) -> [VerifyFinding] { findings.filter { $0.file.hasSuffix(suffix) } }
        var kinds: [VerifyFinding.Kind] { findings.map(\.kind) }
    }

    static func verify(_ paths: [String], deep: Bool = false, json: Bool = false, configure: (inout VerifyOptions) -> Void = { _ in }) -> Outcome {
        var options = VerifyOptions()
        options.deep = deep
        options.json = json
        configure(&options)
        let out = StringOutput()
        let verifier = Verifier(options: options, out: out)
        for path in paths { verifier.verify(path: path) }
        verifier.finish()
        return Outcome(findings: verifier.findings, exitCode: verifier.exitCode, text: out.text, stats: verifier.stats)
    }

    /// Verifies `paths`, then repairs in-process; returns the repair's exit code and output.
    static func repair(_ paths: [String], dryRun: Bool = false, indexInterval: Int = 200) -> (exitCode: ToolExitCode, text: String, errors: String) {
        let out = StringOutput(), err = StringOutput()
        let make = { Verifier(options: VerifyOptions(), out: out) }
        let verifier = make()
        for path in paths { verifier.verify(path: path) }
        verifier.finish()
        guard verifier.exitCode == .findings else { return (verifier.exitCode, out.text, err.text) }
        var config = LogConfig()
        config.indexIntervalBytes = indexInterval
        let code = RepairCommand(verifier: verifier, paths: paths, dryRun: dryRun, out: out, err: err, config: config).run(makeVerifier: make)
        return (code, out.text, err.text)
    }

    /// A partition directory `<tmp>/<name>-0` written through `PartitionLog`: `batches` batches
    /// of `perBatch` records (values "v<offset>") in small segments, closed cleanly.
    static func writePartition(_ name: String = #function, compression: Compression = .none, batches: Int = 24, perBatch: Int = 5,
                               segmentBytes: Int = 4_000, indexInterval: Int = 200) throws -> String {
        let directory = try makeTemporaryDirectory(name) + "/topic-0"
        let config = LogTestSupport.smallConfig(segmentBytes: segmentBytes, indexInterval: indexInterval)
        let log = try PartitionLog.open(directory: directory, config: config)
        var next = 0
        for _ in 0..<batches {
            let values = (0..<perBatch).map { i in "v\(next + i)-" + String(repeating: "x", count: 20 + (next + i) % 17) }
            _ = try log.appendAsLeader(try LogTestSupport.batch(values, compression: compression))
            next += perBatch
        }
        try log.close()
        return directory
    }

    /// Every (offset, value) in the `.log` files of a partition directory, read without checks.
    static func records(in directory: String) throws -> [Int64: String] {
        var result: [Int64: String] = [:]
        for log in try segmentLogs(directory) {
            var reader = try LogFileReader(path: log)
            while let entry = try? reader.next() {
                for record in (try? entry.records()) ?? [] { result[record.offset] = record.value.map { String(buffer: $0) } }
            }
        }
        return result
    }

    /// The `.log` files of a partition directory, by base offset.
    static func segmentLogs(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted().map { directory + "/" + $0 }
    }

    /// The entries of a `.log`: position, size and records' offsets.
    static func entries(of log: String) throws -> [(position: Int, size: Int, offsets: [Int64])] {
        var reader = try LogFileReader(path: log)
        var result: [(Int, Int, [Int64])] = []
        while let entry = try reader.next() { result.append((entry.position, entry.sizeInBytes, try entry.records().map(\.offset))) }
        return result
    }

    /// Overwrites bytes of a file in place.
    static func patch(_ path: String, at position: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(position))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    /// Flips one bit of a file.
    static func flipBit(_ path: String, at position: Int, bit: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[position] ^= UInt8(1 << bit)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Cuts a file to `size` bytes.
    static func truncate(_ path: String, to size: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
    }

    /// Name, size, modification time and content of every file under `directory`.
    static func snapshot(_ directory: String) throws -> [String: (size: Int, modified: Date, content: Data)] {
        var result: [String: (Int, Date, Data)] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)!
        while let name = enumerator.nextObject() as? String {
            let path = directory + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            result[name] = (attributes[.size] as! Int, attributes[.modificationDate] as! Date, try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return result
    }
}
