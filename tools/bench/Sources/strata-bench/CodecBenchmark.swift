#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Strata

extension BenchmarkRun {
    /// Each codec at Kafka's default level: Strata's encode and decode of a batch against the
    /// raw library compressing and decompressing the same plaintext; the target is
    /// 0.85 of the raw library for gzip, lz4 and zstd.
    func runCodecs() throws {
        print()
        print("# encode = RecordBatchBuilder appending every record + build(context:) (reused CodecContext);")
        print("# decode = RecordBatch(bytes:) + validate() + forEachRecord reading every value;")
        print("# raw lib = the codec library alone on the same plaintext (chunked as Kafka frames it, no framing, state reused);")
        print("# MB/s of uncompressed records; shrink = plaintext / compressed size, Strata's batch (raw library's)")
        let table = Table([
            .text("codec", 6), .text("op", 6), .text("batch", 8), .number("MB/s", 7), .number("raw lib MB/s", 12),
            .number("ratio", 6), .text("target", 13), .text("met", 3), .number("allocs/batch", 12), .text("shrink (raw)", 14),
        ])
        table.printHeader()
        for codec in [CompressionCodec.gzip, .snappy, .lz4, .zstd] {
            let target: Target = codec == .snappy ? .information : .ratio(0.85, of: "raw")
            for size in Self.batchSizes {
                let workload = try workload(batchBytes: size)
                try workload.plaintext.withUnsafeBytes { plaintext throws in
                    let raw = RawCodec.make(codec, maxInput: plaintext.count)
                    let context = CodecContext()
                    let compression = Compression(codec)

                    // Check both paths once before timing them.
                    let batch = try workload.encode(compression, context: context)
                    try workload.verify(batch)
                    let digest = try Workload.decode(batch, context: context)
                    precondition(digest == workload.expectedDigest, "\(codec): decode digest differs")
                    raw.compress(plaintext)
                    precondition(raw.decompress() == plaintext.count && memcmp(raw.decompressed.baseAddress!, plaintext.baseAddress!, plaintext.count) == 0, "\(codec): raw round trip differs")

                    let encode = try Timing.measure(timing) { blackHole(try workload.encode(compression, context: context).readableBytes) }
                    let compress = Timing.measure(timing) {
                        raw.compress(plaintext)
                        blackHole(raw.compressedCount)
                    }
                    let decode = try Timing.measure(timing) { blackHole(try Workload.decode(batch, context: context)) }
                    let decompress = Timing.measure(timing) { blackHole(raw.decompress()) }

                    let stored = RecordBatch.storedPayloadSize(batch)
                    let shrink = "\(Format.fixed(Double(plaintext.count) / Double(stored))) (\(Format.fixed(Double(plaintext.count) / Double(raw.compressedCount))))"
                    for (op, strata, library, extra) in [("encode", encode, compress, shrink), ("decode", decode, decompress, "")] {
                        let rate = strata.bytesPerSecond(plaintext.count)
                        let limit = library.bytesPerSecond(plaintext.count)
                        let met = scoreboard.record(target.isMet(rate: rate, ratio: rate / limit), "\(codec) \(op) \(Format.size(size)): \(Format.fixed(rate / limit)) x raw")
                        table.printRow([
                            codec.name, op, Format.size(size), Format.megabytes(rate), Format.megabytes(limit),
                            Format.fixed(rate / limit), target.description, met, Format.count(strata.allocationsPerIteration), extra,
                        ])
                    }
                }
            }
        }
    }
}

extension RecordBatch {
    /// The size of a batch's stored (compressed) payload.
    static func storedPayloadSize(_ bytes: ByteBuffer) -> Int {
        (try? RecordBatch(bytes: bytes).storedPayload.readableBytes) ?? 0
    }
}
