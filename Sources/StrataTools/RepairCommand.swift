import Strata

/// `strata-verify --repair`: the plan (printed; all that `--dry-run` does), the data
/// directories' locks (refused when a running process holds one), the actions, and a second
/// verification whose verdict is the exit code.
public struct RepairCommand {
    let verifier: Verifier
    let paths: [String]
    let dryRun: Bool
    let out: ToolOutput
    let err: ToolOutput
    let config: LogConfig

    /// A repair of what `verifier` found in `paths`; indexes are rebuilt with `config`'s
    /// `index.interval.bytes` (Kafka's default 4096 unless told otherwise).
    public init(verifier: Verifier, paths: [String], dryRun: Bool, out: ToolOutput, err: ToolOutput, config: LogConfig = LogConfig()) {
        self.config = config
        self.verifier = verifier
        self.paths = paths
        self.dryRun = dryRun
        self.out = out
        self.err = err
    }

    /// Plans, repairs and verifies again with a verifier from `makeVerifier`; returns the exit code.
    public func run(makeVerifier: () -> Verifier) -> ToolExitCode {
        let fileSystem = verifier.fileSystem
        let plan: RepairPlan
        do {
            plan = try RepairPlan(verdicts: verifier.segmentVerdicts, findings: verifier.findings, fileSystem: fileSystem)
        } catch {
            err.line("strata-verify: cannot plan the repair: \(error)")
            return .operationalError
        }
        let json = verifier.options.json
        if !json { out.line(dryRun ? "Repair plan (dry run, nothing changed):" : "Repair plan:") }
        for action in plan.actions { out.line(json ? action.jsonLine : "  " + action.description) }
        let changes = plan.actions.filter { if case .manual = $0 { false } else { true } }
        if dryRun || changes.isEmpty { return .findings }
        var locks: [any FileLock] = []
        defer { locks.forEach { $0.unlock() } }
        for dataDirectory in Set(plan.directories.map(parentDirectory(of:))).sorted() where fileSystem.exists(dataDirectory + "/.lock") {
            do {
                locks.append(try LogManager.lockDirectory(dataDirectory, fileSystem: fileSystem))
            } catch {
                err.line("strata-verify: refusing to repair: \(error)")
                return .operationalError
            }
        }
        let execution = RepairExecution(fileSystem: fileSystem, limits: verifier.options.limits, config: config)
        for action in changes {
            do {
                try execution.run(action)
            } catch {
                err.line("strata-verify: repair stopped at \"\(action.description)\": \(error)")
                return .operationalError
            }
        }
        if !json { out.line("Verifying again after the repair:") }
        let again = makeVerifier()
        for path in paths { again.verify(path: path) }
        again.finish()
        return again.exitCode
    }
}
