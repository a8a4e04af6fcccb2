import Foundation

/// Runs a built executable to the end for a test: its exit status and everything it printed
/// (read with ``PipeReading``, so a signal cannot trap the reader).
public enum ChildProcess {
    /// What a run gave.
    public struct Outcome: Sendable {
        /// The exit status (or the signal number, when killed).
        public var status: Int32
        /// Standard output as UTF-8.
        public var stdout: String
        /// Standard error as UTF-8.
        public var stderr: String
    }

    /// Runs `executable` with `arguments` and `environment`, writing `stdin` to its standard
    /// input (then closing it), and waits for it.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let input = Pipe(), output = Pipe(), errors = Pipe()
        if stdin != nil { process.standardInput = input }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let stdout = PipeReading.readToEnd(output.fileHandleForReading)
        let stderr = PipeReading.readToEnd(errors.fileHandleForReading)
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
