import NIOCore
import Strata

extension BenchmarkRun {
    /// The four timings of one codec on one workload, and the compression both sides reached.
    private struct CodecFigures {
        var encode, compress, decode, decodeViews, decompress: Measurement
        /// Plaintext size over compressed size: Strata's batch payload, the raw library's output.
        var strataShrink, rawShrink: Double
    }

    /// Each codec at Kafka's default level: Strata's encode and decode of a batch against the
    /// raw library compressing and decompressing the same plaintext; the target is
    /// 0.85 of the raw library for gzip, lz4 and zstd.
    func runCodecs(_ codecs: [CompressionCodec]) throws {
        print()
        print("# encode = RecordBatchBuilder appending every record + build(context:) (reused CodecContext);")
        print("# decode = RecordBatch(bytes:) + validate() + forEachRecord reading every value (ByteBuffer slices, for information);")
        print("# decode views = the same with forEachRecordView (borrowed bytes, no per-record retain): the target row;")
        print("# raw lib = the codec library alone on the same plaintext (chunked as Kafka frames it, no framing, state reused);")
        print("# MB/s of uncompressed records; shrink = plaintext / compressed size, Strata's batch (raw library's)")
        let table = Table([
            .text("codec", 6), .text("op", 6), .text("batch", 8), .number("MB/s", 7), .number("raw lib MB/s", 12),
            .number("ratio", 6), .text("target", 13), .text("met", 3), .number("allocs/batch", 12), .text("shrink (raw)", 14),
        ])
        table.printHeader()
        for codec in codecs {
            let target: Target = codec == .snappy ? .information : .ratio(0.85, of: "raw")
            for size in Self.batchSizes {
                let workload = try workload(batchBytes: size)
                let figures = try measure(codec, on: workload)
                let shrink = "\(Format.fixed(figures.strataShrink)) (\(Format.fixed(figures.rawShrink)))"
                let rows = [("encode", figures.encode, figures.compress, shrink, target), ("decode", figures.decode, figures.decompress, "", Target.information),
                            ("views", figures.decodeViews, figures.decompress, "", target)]
                for (op, strata, library, shrinkCell, target) in rows {
                    let rate = strata.bytesPerSecond(workload.plaintext.count)
                    let limit = library.bytesPerSecond(workload.plaintext.count)
                    let met = scoreboard.record(target.isMet(rate: rate, ratio: rate / limit), "\(codec) \(op) \(Format.size(size)): \(Format.ratio(rate / limit)) x raw")
                    table.printRow([
                        codec.name, op, Format.size(size), Format.megabytes(rate), Format.megabytes(limit),
                        Format.ratio(rate / limit), target.description, met, Format.count(strata.allocationsPerIteration), shrinkCell,
                    ])
                }
            }
        }
    }

    /// Times Strata's encode and decode of `workload` with `codec`, and the raw library on the
    /// same plaintext, after checking both paths once.
    private func measure(_ codec: CompressionCodec, on workload: Workload) throws -> CodecFigures {
        try workload.plaintext.withUnsafeBytes { plaintext throws in
            let compression = Compression(codec)
            let context = CodecContext()
            let batch = try workload.verifiedBatch(compression, context: context)
            let raw = RawCodec.make(codec, maxInput: plaintext.count)
            raw.checkRoundTrip(plaintext)
            return CodecFigures(
                encode: try Timing.measure(timing) { blackHole(try workload.encode(compression, context: context).readableBytes) },
                compress: Timing.measure(timing) {
                    raw.compress(plaintext)
                    blackHole(raw.compressedCount)
                },
                decode: try Timing.measure(timing) { blackHole(try Workload.decode(batch, context: context)) },
                decodeViews: try Timing.measure(timing) { blackHole(try Workload.decode(batch, context: context, views: true)) },
                decompress: Timing.measure(timing) { blackHole(raw.decompress()) },
                strataShrink: Double(plaintext.count) / Double(try RecordBatch(bytes: batch).storedPayload.readableBytes),
                rawShrink: Double(plaintext.count) / Double(raw.compressedCount))
        }
    }
}
