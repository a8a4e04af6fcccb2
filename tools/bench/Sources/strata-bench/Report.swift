/// Text output: number formats, targets and tables printed row by row (so that progress
/// shows while the figures are being measured).

/// Number and size formats shared by every table.
enum Format {
    /// `value` with exactly `digits` decimals ("12.30").
    static func fixed(_ value: Double, _ digits: Int = 2) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }

    /// A ratio with two decimals, rounded down, so that a ratio shown as 0.85 meets a 0.85
    /// target and one that misses it shows as 0.84.
    static func ratio(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        return fixed((value * 100).rounded(.down) / 100, 2)
    }

    /// A rate in GB/s (10^9 bytes per second).
    static func gigabytes(_ bytesPerSecond: Double) -> String { fixed(bytesPerSecond / 1e9, 2) }

    /// A rate in MB/s (10^6 bytes per second), no decimals above 100.
    static func megabytes(_ bytesPerSecond: Double) -> String {
        let value = bytesPerSecond / 1e6
        return fixed(value, value >= 100 ? 0 : 1)
    }

    /// Bytes in MiB (2^20), one decimal below 100.
    static func mebibytes(_ bytes: Int) -> String {
        let value = Double(bytes) / Double(1 << 20)
        return fixed(value, abs(value) >= 100 ? 0 : 1)
    }

    /// A duration in milliseconds, two decimals below 10, one below 100, none above.
    static func milliseconds(_ seconds: Double) -> String {
        let value = seconds * 1000
        return fixed(value, value >= 100 ? 0 : value >= 10 ? 1 : 2)
    }

    /// A duration in microseconds, one decimal below 100.
    static func microseconds(_ seconds: Double) -> String {
        let value = seconds * 1e6
        return fixed(value, value >= 100 ? 0 : 1)
    }

    /// A size as "16 KiB" or "1 MiB".
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    /// Allocations per operation: whole numbers as such, otherwise one decimal.
    static func count(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : fixed(value, 1)
    }
}

/// A target from the issue, checked against a figure and its limit.
enum Target {
    /// At least this many bytes per second, shown in `unit` (1e9 for GB/s, 1e6 for MB/s).
    case rate(Double, unit: Double, unitName: String)
    /// At least this fraction of the limit, named (e.g. "raw").
    case ratio(Double, of: String)
    /// At most this many seconds, shown in milliseconds (a time such as opening a log).
    case maximumSeconds(Double)
    /// At most this many bytes, shown in MiB (growth of the resident set).
    case maximumBytes(Int)
    /// No target: the figure is for information.
    case information

    var description: String {
        switch self {
        case let .rate(minimum, unit, unitName): ">= \(Format.fixed(minimum / unit, 0)) \(unitName)"
        case let .ratio(minimum, limit): ">= \(Format.fixed(minimum)) x \(limit)"
        case let .maximumSeconds(maximum): "< \(Format.fixed(maximum * 1000, 0)) ms"
        case let .maximumBytes(maximum): "<= \(Format.mebibytes(maximum)) MiB"
        case .information: "(info)"
        }
    }

    /// Whether a figure of `rate` bytes/s, `ratio` times its limit, meets the target (nil: no
    /// target, or one that is not a rate).
    func isMet(rate: Double, ratio: Double) -> Bool? {
        switch self {
        case let .rate(minimum, _, _): rate >= minimum
        case let .ratio(minimum, _): ratio >= minimum
        case .maximumSeconds, .maximumBytes, .information: nil
        }
    }

    /// Whether a time or size `value` (seconds or bytes) meets an upper-bound target (nil: no
    /// such target).
    func isMet(atMost value: Double) -> Bool? {
        switch self {
        case let .maximumSeconds(maximum): value < maximum
        case let .maximumBytes(maximum): value <= Double(maximum)
        case .rate, .ratio, .information: nil
        }
    }
}

/// A fixed-width text table.
struct Table {
    /// One column: its title, width, and whether its cells are left-aligned (text) or
    /// right-aligned (numbers).
    struct Column {
        var title: String
        var width: Int
        var leftAligned: Bool

        static func text(_ title: String, _ width: Int) -> Column { Column(title: title, width: width, leftAligned: true) }
        static func number(_ title: String, _ width: Int) -> Column { Column(title: title, width: width, leftAligned: false) }
    }

    let columns: [Column]

    init(_ columns: [Column]) { self.columns = columns }

    /// Prints a blank line, then the column titles.
    func printHeader() {
        print()
        printLine(columns.map(\.title))
    }

    /// Prints one row; `cells` are matched to the columns in order.
    func printRow(_ cells: [String]) {
        precondition(cells.count == columns.count, "a row of \(cells.count) cells for \(columns.count) columns")
        printLine(cells)
    }

    private func printLine(_ cells: [String]) {
        var line = ""
        for (column, cell) in zip(columns, cells) {
            let padding = String(repeating: " ", count: max(0, column.width - cell.count))
            line += (column.leftAligned ? cell + padding : padding + cell) + "  "
        }
        while line.last == " " { line.removeLast() }
        print(line)
    }
}

/// Tallies the targets met and missed over the whole run, for the closing summary.
struct Scoreboard {
    private(set) var met = 0
    private(set) var missed: [String] = []

    /// Records one figure's outcome and returns the text of its "met" cell.
    mutating func record(_ outcome: Bool?, _ what: @autoclosure () -> String) -> String {
        switch outcome {
        case true?: met += 1; return "yes"
        case false?: missed.append(what()); return "NO"
        case nil: return ""
        }
    }

    /// Prints the number of targets met and the ones missed.
    func printSummary() {
        print()
        print("targets met: \(met) of \(met + missed.count)")
        for item in missed { print("  missed: \(item)") }
    }
}
