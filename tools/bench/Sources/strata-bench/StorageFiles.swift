#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Strata

/// File helpers of the storage section: where its files go, what file system that is, and
/// the raw I/O that gives its limits (sequential read, page cache residency and eviction).
enum StorageFiles {
    /// The folder the storage section works in: `--dir`, else `$STRATA_BENCH_DIR`, else
    /// `$TMPDIR`, else `/tmp`.
    static func baseDirectory(_ explicit: String?) -> String {
        if let explicit { return explicit }
        for name in ["STRATA_BENCH_DIR", "TMPDIR"] {
            if let value = getenv(name), value.pointee != 0 { return String(cString: value) }
        }
        return "/tmp"
    }

    /// The file system holding `path`: its type and the device it is mounted from, from
    /// `/proc/self/mounts` (for instance "ext4 (/dev/vda on /)").
    static func fileSystemDescription(_ path: String) -> String {
        guard let mount = mountPoint(of: path) else { return "unknown file system" }
        return "\(mount.type) (\(mount.device) on \(mount.point))"
    }

    /// The longest mount point of `/proc/self/mounts` that holds `path` (a real path).
    private static func mountPoint(of path: String) -> (device: String, point: String, type: String)? {
        guard let resolved = realpath(path, nil) else { return nil }
        let real = String(cString: resolved)
        free(resolved)
        guard let text = readSmallFile("/proc/self/mounts") else { return nil }
        var best: (device: String, point: String, type: String)? = nil
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 3 else { continue }
            let point = fields[1]
            let holds = point == "/" || real == point || real.hasPrefix(point + "/")
            if holds && point.count >= (best?.point.count ?? -1) { best = (fields[0], point, fields[2]) }
        }
        return best
    }

    /// A small text file's contents (at most 1 MiB), nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes available to an unprivileged writer on the file system holding `path`.
    static func availableBytes(_ path: String) -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Size of a file in bytes (0 when missing).
    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Names in a folder (without "." and ".."), sorted; none when it cannot be read.
    static func names(in directory: String) -> [String] {
        ((try? PosixFileSystem().contentsOfDirectory(directory)) ?? []).sorted()
    }

    /// Paths of the files in `directory` whose names end with `suffix`, sorted.
    static func files(in directory: String, suffix: String) -> [String] {
        names(in: directory).filter { $0.hasSuffix(suffix) }.map { directory + "/" + $0 }
    }

    /// Removes `path` and everything below it (it is the bench's own folder).
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in names(in: path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Reads the files from start to end with read(2) into one 1 MiB buffer, as `cat` does,
    /// and returns the bytes read.
    static func readSequentially(_ paths: [String], buffer: UnsafeMutableRawBufferPointer) -> Int {
        var total = 0
        for path in paths {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            precondition(fd >= 0, "cannot open \(path)")
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                precondition(count >= 0, "read failed on \(path)")
                if count == 0 { break }
                total += count
            }
            close(fd)
        }
        return total
    }

    /// Drops the files' clean pages from the page cache (fsync first so that all are clean).
    static func evictFromPageCache(_ paths: [String]) {
        for path in paths {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            fsync(fd)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
            close(fd)
        }
    }

    /// The fraction of the files' pages that are in the page cache (mincore).
    static func residentFraction(_ paths: [String]) -> Double {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = 0, pages = 0
        for path in paths {
            let size = size(path)
            guard size > 0 else { continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { continue }
            defer { munmap(map, size) }
            let count = (size + page - 1) / page
            var vector = [UInt8](repeating: 0, count: count)
            guard vector.withUnsafeMutableBufferPointer({ mincore(map, size, $0.baseAddress) }) == 0 else { continue }
            pages += count
            resident += vector.reduce(0) { $0 + Int($1 & 1) }
        }
        return pages == 0 ? 0 : Double(resident) / Double(pages)
    }
}

/// The process's I/O counters from `/proc/self/io`: bytes and calls of read-family system
/// calls (page cache hits included), and bytes fetched from the storage device.
struct IOCounters {
    /// Bytes returned by read, pread, readv and the like (`rchar`).
    var bytesRead = 0
    /// Read-family system calls (`syscr`).
    var readCalls = 0
    /// Bytes the storage layer fetched from the device for this process (`read_bytes`).
    var deviceBytesRead = 0

    /// The counters now (all zero where `/proc/self/io` cannot be read).
    static func now() -> IOCounters {
        var counters = IOCounters()
        guard let text = StorageFiles.readSmallFile("/proc/self/io") else { return counters }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":")
            guard parts.count == 2, let value = Int(parts[1].trimmingPrefix(" ")) else { continue }
            switch parts[0] {
            case "rchar": counters.bytesRead = value
            case "syscr": counters.readCalls = value
            case "read_bytes": counters.deviceBytesRead = value
            default: break
            }
        }
        return counters
    }

    static func - (after: IOCounters, before: IOCounters) -> IOCounters {
        IOCounters(bytesRead: after.bytesRead - before.bytesRead, readCalls: after.readCalls - before.readCalls,
                   deviceBytesRead: after.deviceBytesRead - before.deviceBytesRead)
    }
}
