/// The exit codes every Strata tool uses.
public enum ToolExitCode: Int32, Sendable {
    /// Success; nothing to report.
    case ok = 0
    /// The tool ran and found problems (corruption, mismatches).
    case findings = 1
    /// The tool could not do its job (unreadable file, I/O error).
    case operationalError = 2
    /// The command line was wrong.
    case usage = 64
}
