import Foundation
import Testing
@testable import Strata
@testable import StrataTools

/// strata-verify and strata-dump on garbage in every kind of file a partition and a data
/// directory hold: findings or a clean verdict, never a crash, a hang or an unreadable verdict.
@Suite struct VerifyHostileInputTests {
    static let names = [
        "00000000000000000000.log", "00000000000000000000.index", "00000000000000000000.timeindex", "00000000000000000000.txnindex",
        "00000000000000000007.snapshot", "leader-epoch-checkpoint", "partition.metadata", "00000000000000000005-0000000001.checkpoint",
    ]

    @Test func randomBytesInEveryFileKindAreFindingsNotCrashes() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let pristine = try VerifyTestSupport.writePartition()
        let realBytes = try Data(contentsOf: URL(fileURLWithPath: pristine + "/00000000000000000000.log"))
        for round in 0..<60 {
            let data = try makeTemporaryDirectory("hostile\(round)")
            let partition = data + "/topic-0"
            try FileManager.default.createDirectory(atPath: partition, withIntermediateDirectories: true)
            for name in Self.names where Bool.random(using: &rng) || name.hasSuffix(".log") {
                // Random bytes, or a real log's bytes cut and sprinkled with random bytes.
                var bytes: [UInt8]
                if Bool.random(using: &rng) {
                    bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                } else {
                    bytes = Array(realBytes.prefix(Int.random(in: 0...realBytes.count, using: &rng)))
                    for _ in 0..<Int.random(in: 0...4, using: &rng) where !bytes.isEmpty {
                        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    }
                }
                try Data(bytes).write(to: URL(fileURLWithPath: partition + "/" + name))
            }
            for kind in OffsetCheckpointFile.Kind.allCases where Bool.random(using: &rng) {
                let text = ["0\n1\ntopic 0 \(Int.random(in: -5...500, using: &rng))\n", "garbage", "0\n2\ntopic 0 1\n", ""].randomElement(using: &rng)!
                try Data(text.utf8).write(to: URL(fileURLWithPath: data + "/" + kind.fileName))
            }
            let outcome = VerifyTestSupport.verify([data], deep: true)
            #expect(outcome.exitCode != .operationalError, "seed \(seed) round \(round): \(outcome.text)")
            #expect(outcome.text.contains("Verified "))
            var options = LogDumper.Options()
            options.printDataLog = true
            var dumper = LogDumper(options: options, out: StringOutput(), err: StringOutput())
            for name in try FileManager.default.contentsOfDirectory(atPath: partition) { _ = dumper.dump(path: partition + "/" + name) }
            dumper.finish()
        }
    }
}
