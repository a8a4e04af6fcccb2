import Foundation
import StrataSimulation
import StrataTools
import Testing

/// Every input a fuzzer ever failed on (kept in fuzz/FailCases/<target>/) runs again as an
/// ordinary test, through the same harness the fuzz targets use; so do the seed fixtures.
@Suite struct FuzzReplayTests {
    static let failCases = SharedTestData.packageRoot.appendingPathComponent("fuzz/FailCases")

    /// Every target's harness: the parsers' (StrataSimulation) and the tools'.
    static func harness(_ target: String) -> (UnsafeRawBufferPointer) -> Void {
        target == ToolsFuzzHarness.targetName ? ToolsFuzzHarness.run : FuzzHarness.target(named: target)!
    }

    static let targetNames = FuzzHarness.targetNames + [ToolsFuzzHarness.targetName]

    static func inputs() -> [(String, String)] {
        var cases: [(String, String)] = []
        for target in targetNames {
            let folder = failCases.appendingPathComponent(target)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where !name.hasPrefix(".") {
                cases.append((target, folder.appendingPathComponent(name).path))
            }
        }
        return cases
    }

    @Test func everySavedFailureRunsCleanly() throws {
        for (target, path) in Self.inputs() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { Self.harness(target)($0) }
        }
    }

    @Test func theSeedsRunThroughEveryTarget() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: GoldenFixtures.directory.path).filter { $0.hasSuffix(".bin") }
        #expect(seeds.count > 20)
        for name in seeds {
            let data = try Data(contentsOf: GoldenFixtures.directory.appendingPathComponent(name))
            for target in Self.targetNames {
                data.prefix(65_536).withUnsafeBytes { Self.harness(target)($0) }
            }
        }
    }
}
