import Foundation
import NIOConcurrencyHelpers
import StrataSimulation

/// Starts workers, kills each with SIGKILL after a random time, and checks the directory
/// after every kill; prints a summary with the numbers the README quotes.
struct SoakSupervisor {
    let settings: SoakSettings

    init(_ settings: SoakSettings) { self.settings = settings }

    func run() throws -> Bool {
        let directory = settings.directory ?? NSTemporaryDirectory() + "strata-soak-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        print("strata-soak: \(Int(settings.seconds)) s in \(directory), seed \(settings.seed)")
        var random = SeededGenerator(seed: settings.seed)
        var ledger = SoakLedger()
        let deadline = Date().addingTimeInterval(settings.seconds)
        var kills = 0, checks = 0, lastStateRecords = 0
        while Date() < deadline {
            // Each worker its own id range: a killed worker may have written ids it never
            // acknowledged, which the next one must not reuse.
            let lines = try runWorker(directory: directory, firstID: (kills + 1) * 10_000_000, seed: UInt64.random(in: 0...UInt64.max, using: &random),
                                      lifetime: Double.random(in: 0.3...3.0, using: &random))
            kills += 1
            for line in lines where !ledger.take(line) {
                print("strata-soak: unreadable worker line: \(line)")
                return false
            }
            // Every other kill the next worker recovers the directory itself; the check after
            // the kill that follows covers both.
            let last = Date() >= deadline
            guard kills % 2 == 0 || last else { continue }
            let (problems, stateRecords) = try SoakChecker(directory: directory).check(ledger)
            lastStateRecords = stateRecords
            checks += 1
            if !problems.isEmpty {
                print("strata-soak: FAILED after kill \(kills) (seed \(settings.seed), directory kept: \(directory))")
                for problem in problems.prefix(30) { print("  \(problem)") }
                return false
            }
            if kills % 10 == 0 {
                print("strata-soak: \(kills) kills, \(ledger.acknowledged) records acknowledged, every one accounted for")
            }
        }
        print("strata-soak: \(kills) SIGKILLs and restarts, \(checks) checks, \(ledger.acknowledged) acknowledged records "
              + "(\(ledger.events.count) events, \(ledger.stateWrites) writes to \(ledger.state.count) state keys), \(ledger.commits.count) committed partitions: 0 lost")
        print("strata-soak: the compacted state topic holds \(lastStateRecords) records for its \(ledger.state.count) keys after \(ledger.stateWrites) acknowledged writes")
        try? FileManager.default.removeItem(atPath: directory)
        return true
    }

    /// Runs one worker for `lifetime` seconds after it started, kills it, and returns the
    /// whole lines it printed (a line cut by the kill is dropped).
    private func runWorker(directory: String, firstID: Int, seed: UInt64, lifetime: Double) throws -> [Substring] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["worker", directory, String(firstID), String(seed)]
        let output = Pipe()
        process.standardOutput = output
        // Read on a thread of its own with plain reads (Foundation's readabilityHandler crashed
        // the supervisor inside libdispatch after many kills); it ends at end of file.
        let collected = NIOLockedValueBox(Data())
        let reading = DispatchGroup()
        let handle = output.fileHandleForReading
        try process.run()
        try output.fileHandleForWriting.close()
        DispatchQueue.global().async(group: reading) {
            collected.withLockedValue { $0 = PipeReading.readToEnd(handle) }
        }
        Thread.sleep(forTimeInterval: lifetime)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        reading.wait()
        let text = String(decoding: collected.withLockedValue { $0 }, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        if process.terminationReason == .exit {
            throw SoakError("the worker exited by itself with status \(process.terminationStatus) before it was killed")
        }
        return lines
    }
}

struct SoakError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
