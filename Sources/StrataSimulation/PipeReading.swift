import Foundation

/// Reading a child process's output in tests and tools without Foundation's traps:
/// `FileHandle.readDataToEndOfFile()` and `availableData` crash the process when a read is
/// interrupted by a signal (EINTR, e.g. SIGCHLD from another child exiting). These retry.
public enum PipeReading {
    /// Everything until end of file.
    public static func readToEnd(_ handle: FileHandle) -> Data {
        var data = Data()
        while true {
            let chunk = available(handle)
            if chunk.isEmpty { return data }
            data.append(chunk)
        }
    }

    /// What one read returns: up to 64 KiB once some is there, empty at end of file (or on an
    /// error other than EINTR).
    public static func available(_ handle: FileHandle) -> Data {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return Data(buffer[..<count]) }
            if errno != EINTR { return Data() }
        }
    }
}
