import NIOCore

/// The file that records, beside a partition's segments, that an fsync of them failed.
///
/// When fsync fails, Linux marks the unwritten pages clean: they stay readable in the page
/// cache but never reach the disk, and a later fsync succeeds without saving them. A log that
/// went on appending would acknowledge new records above a hole that a power cut opens. So the
/// log stops taking writes and leaves this marker; the next open treats the directory as
/// uncleanly shut down and writes every recovered byte again before trusting it.
///
/// The marker is not fsynced, on purpose: it only has to live as long as the page cache it
/// warns about. A power cut removes both, and what is on the disk is then what recovery reads.
enum LostWritebackMarker {
    /// The marker's name in the partition directory (a hidden name Kafka's loader ignores).
    static let fileName = ".strata-fsync-failed"

    static func path(in directory: String) -> String { directory + "/" + fileName }

    /// Leaves the marker; a failure to write it is returned, not thrown (the disk is failing,
    /// and the log is stopped either way).
    static func leave(in directory: String, reason: String, fileSystem: any FileSystem) -> StrataIOError? {
        do throws(StrataIOError) {
            let file = try fileSystem.open(path(in: directory), mode: .createIfMissing)
            defer { file.close() }
            try file.write(ByteBuffer(string: reason + "\n"), at: 0)
            return nil
        } catch {
            return error
        }
    }

    static func isPresent(in directory: String, fileSystem: any FileSystem) -> Bool {
        fileSystem.exists(path(in: directory))
    }

    /// Removes the marker once recovery has made the rewritten bytes durable.
    static func remove(in directory: String, fileSystem: any FileSystem) throws(StrataIOError) {
        try fileSystem.removeFile(path(in: directory))
        try fileSystem.syncDirectory(directory)
    }
}

