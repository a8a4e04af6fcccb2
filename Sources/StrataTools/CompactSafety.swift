import Foundation
import Strata

/// The checks `strata-compact` makes before writing anything.
public enum CompactSafety {
    /// Symbolic links the compaction would write through: the partition directory itself, any
    /// entry in it, or a checkpoint file (or its `.tmp`) of the data directory. Empty when none.
    public static func symlinks(dataDirectory: String, partition: TopicPartition) -> [String] {
        let fm = FileManager.default
        func isLink(_ path: String) -> Bool {
            (try? fm.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
        }
        var found: [String] = []
        let directory = dataDirectory + "/" + partition.directoryName
        if isLink(directory) { return [directory] }
        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where isLink(directory + "/" + name) {
            found.append(directory + "/" + name)
        }
        for kind in OffsetCheckpointFile.Kind.allCases {
            for path in [dataDirectory + "/" + kind.fileName, dataDirectory + "/" + kind.fileName + ".tmp"] where isLink(path) {
                found.append(path)
            }
        }
        return found
    }

    /// True when another process holds the data directory's `.lock` (checked without creating
    /// anything: a missing `.lock` is not held).
    public static func isLocked(_ dataDirectory: String) -> Bool {
        let path = dataDirectory + "/.lock"
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }
}

#if canImport(Glibc)
import Glibc
#endif
