#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's resident memory: the peak that getrusage reports, the peak of the address
/// space (VmHWM), and the current size.
///
/// `ru_maxrss` is a high-water mark over the life of the process, and never goes down: it is
/// the larger of the address space's peak and the peak recorded when any thread exited. On
/// Linux, writing `5` to `/proc/self/clear_refs` resets the address space's peak (VmHWM in
/// `/proc/self/status`) to the current size, so that the peak of one phase can be read on its
/// own, whatever the earlier sections allocated.
enum Memory {
    /// The peak resident set size in bytes (`getrusage(RUSAGE_SELF).ru_maxrss`).
    static func peakBytes() -> Int {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if canImport(Darwin)
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #else
        return Int(usage.ru_maxrss) * 1024  // KiB on Linux
        #endif
    }

    /// The current resident set size in bytes (`/proc/self/statm`), 0 where it cannot be read.
    static func currentBytes() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        // "size resident shared text lib data dt", in pages.
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The peak resident set size of the address space since the last ``resetPeak()`` (VmHWM
    /// in `/proc/self/status`), in bytes; nil where it cannot be read.
    static func addressSpacePeakBytes() -> Int? {
        guard let text = StorageFiles.readSmallFile("/proc/self/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kibibytes = Int(fields[1]) else { return nil }
            return kibibytes * 1024
        }
        return nil
    }

    /// Resets the peak to the current size (`echo 5 > /proc/self/clear_refs`); false where
    /// the kernel does not allow it.
    @discardableResult
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// Whether ``resetPeak()`` works here: after allocating and touching 64 MiB and freeing
    /// it, a reset brings VmHWM back below it.
    static func peakCanBeReset() -> Bool {
        let bytes = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        memset(block, 1, bytes)
        blackHole(Int(block.load(fromByteOffset: bytes - 1, as: UInt8.self)))
        block.deallocate()  // mmapped above the threshold: returned to the kernel
        guard let before = addressSpacePeakBytes(), resetPeak(), let after = addressSpacePeakBytes() else { return false }
        return after < before - bytes / 2
    }
}
