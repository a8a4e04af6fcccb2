#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Strata

/// Command-line options: which sections to run and how long to measure.
struct Options {
    /// The report's sections.
    enum Section: String, CaseIterable {
        case crc, decode, codecs, storage, tools, topics, compaction
    }

    var timing = TimingSettings()
    var storage = StorageSettings()
    var sections = Set(Section.allCases)
    var codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

    static let usage = """
        usage: strata-bench [--quick] [--repetitions N] [--seconds S] [--only crc,decode,codecs,storage,tools,topics,compaction] [--codecs LIST]
                            [--dir PATH] [--log-mib N]
          --quick          3 repetitions of ~50 ms, and a 256 MiB log for storage (a rough run)
          --repetitions N  repetitions per figure, the best is reported (default 8)
          --seconds S      length of one repetition in seconds (default 0.125)
          --only LIST      run only these sections
          --codecs LIST    measure only these codecs (default gzip,snappy,lz4,zstd)
          --dir PATH       where the storage section writes its files (default $STRATA_BENCH_DIR,
                           else $TMPDIR, else /tmp); a strata-bench-<pid> folder there is removed at the end
          --log-mib N      record payload per storage measurement in MiB (default 1000, 256 with --quick)
        """

    /// Parses `arguments` (without the program name); prints the usage and exits on error.
    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var remaining = arguments[...]
        func value(_ name: String) -> String {
            guard let value = remaining.popFirst() else { fail("\(name) needs a value") }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick":
                options.timing.repetitions = 3
                options.timing.repetitionSeconds = 0.05
                options.storage.makeQuick()
            case "--repetitions":
                guard let count = Int(value(argument)), count > 0 else { fail("--repetitions needs a positive integer") }
                options.timing.repetitions = count
            case "--seconds":
                guard let seconds = Double(value(argument)), seconds > 0 else { fail("--seconds needs a positive number") }
                options.timing.repetitionSeconds = seconds
            case "--only":
                let names = value(argument).split(separator: ",").map(String.init)
                let sections = names.compactMap(Section.init(rawValue:))
                guard sections.count == names.count, !sections.isEmpty else { fail("--only takes crc, decode, codecs, storage, tools, topics, compaction") }
                options.sections = Set(sections)
            case "--codecs":
                let names = value(argument).split(separator: ",").map(String.init)
                let codecs = names.compactMap(CompressionCodec.init(name:)).filter { $0 != .none }
                guard codecs.count == names.count, !codecs.isEmpty else { fail("--codecs takes gzip, snappy, lz4, zstd") }
                options.codecs = codecs
            case "--dir":
                options.storage.baseDirectory = value(argument)
            case "--log-mib":
                guard let mebibytes = Int(value(argument)), mebibytes >= 16 else { fail("--log-mib needs an integer of at least 16") }
                options.storage.logBytes = mebibytes << 20
                options.storage.logSizeIsExplicit = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                fail("unknown argument \(argument)")
            }
        }
        return options
    }

    private static func fail(_ message: String) -> Never {
        printError("strata-bench: \(message)\n\(usage)")
        exit(64)
    }
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}
