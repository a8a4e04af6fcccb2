#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBenchCodecs
import Strata

/// What the figures depend on: the CPU, the CRC path, the codec library versions.
enum Machine {
    /// The CPU as /proc/cpuinfo describes its first processor: model name, family and model
    /// numbers, and the instruction-set extensions the figures depend on.
    static var cpuDescription: String {
        var fields: [String: String] = [:]
        for line in firstProcessorLines() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingWhitespace()
            if fields[key] == nil { fields[key] = String(line[line.index(after: colon)...]).trimmingWhitespace() }
        }
        guard let name = fields["model name"] else { return "unknown" }
        let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        let extensions = ["sse4_2", "pclmulqdq", "avx2", "avx512f"].filter(flags.contains)
        return "\(name) (family \(fields["cpu family"] ?? "?"), model \(fields["model"] ?? "?"); \(extensions.joined(separator: " ")))"
    }

    /// The lines of /proc/cpuinfo up to the first blank line (empty where there is none).
    private static func firstProcessorLines() -> [String] {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var lines: [String] = []
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            if text.trimmingWhitespace().isEmpty { break }
            lines.append(text)
        }
        return lines
    }

    /// The online CPU count.
    static var onlineCPUs: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The versions of the codec libraries the bench and Strata link.
    static var libraryVersions: String {
        "zlib \(String(cString: zlibVersion())), lz4 \(String(cString: LZ4_versionString())), zstd \(String(cString: ZSTD_versionString())), snappy (no version call)"
    }

    /// Prints the lines that head the report.
    static func printSummary(_ settings: TimingSettings) {
        print("Strata benchmark (release build, one thread)")
        print("CPU: \(cpuDescription), \(onlineCPUs) online")
        print("CRC32C.usesHardware: \(CRC32C.usesHardware)")
        print("libraries: \(libraryVersions)")
        print("method: best of \(settings.repetitions) repetitions of ~\(Int(settings.repetitionSeconds * 1000)) ms each; MB/s = 10^6 bytes/s of uncompressed records")
        print("allocation counter: \(AllocationCounter.isWorking() ? "working" : "NOT WORKING (allocs columns are meaningless)")")
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
