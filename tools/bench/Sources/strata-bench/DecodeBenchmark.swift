import Strata

extension BenchmarkRun {
    /// Decoding uncompressed batches of ~1 KiB JSON records: RecordBatch(bytes:), validate()
    /// and forEachRecord touching every value, against memcpy of the batch's bytes; the
    /// issue's target is 1500 MB/s of record payload.
    func runDecode() throws {
        print()
        print("# uncompressed decode = RecordBatch(bytes:) + validate() + forEachRecord reading every value;")
        print("# MB/s of record payload; limit = memcpy of the whole batch")
        let table = Table([
            .text("uncompressed decode", 20), .text("batch", 8), .number("records", 7), .number("MB/s", 7),
            .number("limit(memcpy MB/s)", 18), .number("ratio", 6), .text("target", 12), .text("met", 3),
            .number("allocs/batch", 12),
        ])
        table.printHeader()
        let target = Target.rate(1500e6, unit: 1e6, unitName: "MB/s")
        for size in Self.batchSizes {
            let workload = try workload(batchBytes: size)
            let context = CodecContext()
            let batch = try workload.verifiedBatch(.none, context: context)
            let measurement = try Timing.measure(timing) { blackHole(try Workload.decode(batch, context: context)) }
            let rate = measurement.bytesPerSecond(workload.plaintext.count)
            let limit = memcpyRate(bytes: batch.readableBytes)
            let met = scoreboard.record(target.isMet(rate: rate, ratio: rate / limit), "uncompressed decode \(Format.size(size)): \(Format.megabytes(rate)) MB/s")
            table.printRow([
                "decode", Format.size(size), String(workload.recordCount), Format.megabytes(rate), Format.megabytes(limit),
                Format.ratio(rate / limit), target.description, met, Format.count(measurement.allocationsPerIteration),
            ])
        }
    }
}
