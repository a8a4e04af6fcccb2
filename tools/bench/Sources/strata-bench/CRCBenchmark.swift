import Strata

extension BenchmarkRun {
    /// The two CRC-32C paths: the one `CRC32C.checksum` dispatches to (hardware where the CPU
    /// has it), which has the issue's 10 GB/s target, and the portable one, for information.
    private enum CRCPath: CaseIterable {
        case dispatched, portable

        var name: String {
            switch self {
            case .dispatched: "crc32c (\(CRC32C.usesHardware ? "hardware" : "no hardware!"))"
            case .portable: "crc32c (portable)"
            }
        }

        var target: Target {
            self == .dispatched ? .rate(10e9, unit: 1e9, unitName: "GB/s") : .information
        }

        @inline(__always)
        func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
            switch self {
            case .dispatched: CRC32C.checksum(bytes)
            case .portable: CRC32C.portableChecksum(bytes)
            }
        }
    }

    /// CRC-32C on 16 KiB, 256 KiB and 1 MiB of random bytes, against memcpy of the same bytes.
    func runCRC() {
        print()
        print("# CRC-32C of random bytes; limit = memcpy of the same bytes (cache-warm)")
        let table = Table([
            .text("CRC-32C", 26), .text("size", 8), .number("GB/s", 7), .number("limit(memcpy GB/s)", 18),
            .number("ratio", 6), .text("target", 11), .text("met", 3),
        ])
        table.printHeader()
        for path in CRCPath.allCases {
            for size in Self.batchSizes {
                let input = memcpy.randomBytes(size)
                precondition(path.checksum(input) == CRC32C.portableChecksum(input), "\(path.name) disagrees with the portable CRC")
                let limit = memcpyRate(bytes: size)
                let rate = Timing.measure(timing) { blackHole(Int(path.checksum(input))) }.bytesPerSecond(size)
                let outcome = path.target.isMet(rate: rate, ratio: rate / limit)
                let met = scoreboard.record(outcome, "\(path.name) \(Format.size(size)): \(Format.gigabytes(rate)) GB/s")
                table.printRow([
                    path.name, Format.size(size), Format.gigabytes(rate), Format.gigabytes(limit),
                    Format.ratio(rate / limit), path.target.description, met,
                ])
            }
        }
    }
}
