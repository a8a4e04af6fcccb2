import CBenchCodecs
import Strata

/// A compression library called directly: the limit Strata's codec path is measured against.
///
/// Each codec splits its input as Kafka's framing does (snappy 32 KiB chunks, lz4 64 KiB
/// blocks, one gzip member, one zstd frame) but writes no framing of its own, reuses its
/// native state, and works in buffers allocated once, so what is timed is the library alone.
class RawCodec {
    /// The codec's name, as Strata prints it.
    let name: String
    /// Output of the last ``compress(_:)``.
    let compressed: UnsafeMutableRawBufferPointer
    /// Size of the last ``compress(_:)`` output.
    private(set) var compressedCount = 0
    /// Destination of ``decompress()``.
    let decompressed: UnsafeMutableRawBufferPointer
    /// Each chunk of the last ``compress(_:)``: its plaintext and compressed sizes.
    private var chunks: [(plain: Int, packed: Int)] = []
    /// The most plaintext bytes in one chunk.
    private let chunkSize: Int

    /// A codec whose chunks hold at most `chunkSize` plaintext bytes (`Int.max`: one chunk),
    /// whose inputs are at most `maxInput` bytes and compress to at most `bound(chunk)`.
    init(name: String, maxInput: Int, chunkSize: Int, bound: (Int) -> Int) {
        self.name = name
        self.chunkSize = chunkSize
        let chunkCount = (maxInput + min(chunkSize, maxInput) - 1) / min(chunkSize, maxInput)
        compressed = .allocate(byteCount: chunkCount * bound(min(chunkSize, maxInput)), alignment: 64)
        decompressed = .allocate(byteCount: maxInput, alignment: 64)
        chunks.reserveCapacity(chunkCount)
    }

    deinit {
        compressed.deallocate()
        decompressed.deallocate()
    }

    /// Compresses `input` chunk by chunk into ``compressed``.
    final func compress(_ input: UnsafeRawBufferPointer) {
        chunks.removeAll(keepingCapacity: true)
        var offset = 0, written = 0
        while offset < input.count {
            let length = min(chunkSize, input.count - offset)
            let packed = compressChunk(
                UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)]),
                into: UnsafeMutableRawBufferPointer(rebasing: compressed[written...]))
            chunks.append((length, packed))
            offset += length
            written += packed
        }
        compressedCount = written
    }

    /// Decompresses the last ``compress(_:)`` output into ``decompressed``; returns its size.
    final func decompress() -> Int {
        var read = 0, produced = 0
        for chunk in chunks {
            let length = decompressChunk(
                UnsafeRawBufferPointer(rebasing: compressed[read..<(read + chunk.packed)]),
                into: UnsafeMutableRawBufferPointer(rebasing: decompressed[produced..<(produced + chunk.plain)]))
            precondition(length == chunk.plain, "\(name): chunk decompressed to \(length) bytes, expected \(chunk.plain)")
            read += chunk.packed
            produced += length
        }
        return produced
    }

    /// Compresses `plaintext` and checks that decompressing gives it back (run once, before
    /// timing).
    final func checkRoundTrip(_ plaintext: UnsafeRawBufferPointer) {
        compress(plaintext)
        let produced = decompress()
        precondition(
            produced == plaintext.count && UnsafeRawBufferPointer(rebasing: decompressed[..<produced]).elementsEqual(plaintext),
            "\(name): the raw round trip differs")
    }

    /// Compresses one chunk; returns the compressed size. Overridden by each codec.
    func compressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        fatalError("abstract")
    }

    /// Decompresses one chunk; returns the plaintext size. Overridden by each codec.
    func decompressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        fatalError("abstract")
    }

    /// The raw library for `codec`, at Strata's default level.
    static func make(_ codec: CompressionCodec, maxInput: Int) -> RawCodec {
        switch codec {
        case .gzip: RawGzip(maxInput: maxInput, level: 6)
        case .snappy: RawSnappy(maxInput: maxInput)
        case .lz4: RawLZ4(maxInput: maxInput)
        case .zstd: RawZstd(maxInput: maxInput, level: 3)
        case .none: preconditionFailure("no raw library for uncompressed data")
        }
    }
}

/// zlib at level 6 with its own gzip wrapper (which also computes the CRC-32, as Strata's
/// gzip does); one deflate and one inflate stream, reset for every call.
final class RawGzip: RawCodec {
    private let deflater = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let inflater = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init(maxInput: Int, level: Int32) {
        deflater.initialize(to: z_stream())
        inflater.initialize(to: z_stream())
        // windowBits 15 + 16: a gzip member, header and CRC-32 trailer written by zlib.
        precondition(bench_deflate_init2(deflater, level, 15 + 16) == Z_OK)
        precondition(bench_inflate_init2(inflater, 15 + 16) == Z_OK)
        let deflater = deflater
        super.init(name: "gzip", maxInput: maxInput, chunkSize: .max) { Int(deflateBound(deflater, uLong($0))) + 64 }
    }

    deinit {
        deflateEnd(deflater)
        inflateEnd(inflater)
        deflater.deallocate()
        inflater.deallocate()
    }

    override func compressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        deflateReset(deflater)
        deflater.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        deflater.pointee.avail_in = uInt(input.count)
        deflater.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        deflater.pointee.avail_out = uInt(output.count)
        precondition(deflate(deflater, Z_FINISH) == Z_STREAM_END, "gzip: deflate did not finish")
        return Int(deflater.pointee.total_out)
    }

    override func decompressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        inflateReset(inflater)
        inflater.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        inflater.pointee.avail_in = uInt(input.count)
        inflater.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        inflater.pointee.avail_out = uInt(output.count)
        precondition(inflate(inflater, Z_FINISH) == Z_STREAM_END, "gzip: inflate did not finish")
        return Int(inflater.pointee.total_out)
    }
}

/// snappy-c, one raw block per 32 KiB of plaintext (snappy-java's chunk size).
final class RawSnappy: RawCodec {
    init(maxInput: Int) {
        super.init(name: "snappy", maxInput: maxInput, chunkSize: 32 * 1024) { snappy_max_compressed_length($0) }
    }

    override func compressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var length = output.count
        let status = snappy_compress(
            input.baseAddress!.assumingMemoryBound(to: CChar.self), input.count,
            output.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
        precondition(status == SNAPPY_OK, "snappy: compression failed")
        return length
    }

    override func decompressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var length = output.count
        let status = snappy_uncompress(
            input.baseAddress!.assumingMemoryBound(to: CChar.self), input.count,
            output.baseAddress!.assumingMemoryBound(to: CChar.self), &length)
        precondition(status == SNAPPY_OK, "snappy: decompression failed")
        return length
    }
}

/// liblz4's fast compressor (`LZ4_compress_default`, what Kafka's level 9 means), one
/// independent block per 64 KiB of plaintext.
final class RawLZ4: RawCodec {
    init(maxInput: Int) {
        super.init(name: "lz4", maxInput: maxInput, chunkSize: 64 * 1024) { Int(LZ4_compressBound(Int32($0))) }
    }

    override func compressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let length = LZ4_compress_default(
            input.baseAddress!.assumingMemoryBound(to: CChar.self), output.baseAddress!.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(min(output.count, Int(Int32.max))))
        precondition(length > 0, "lz4: compression failed")
        return Int(length)
    }

    override func decompressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let length = LZ4_decompress_safe(
            input.baseAddress!.assumingMemoryBound(to: CChar.self), output.baseAddress!.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(output.count))
        precondition(length >= 0, "lz4: decompression failed")
        return Int(length)
    }
}

/// libzstd at level 3, one frame, with a compression and a decompression context reused
/// across calls (`ZSTD_compress` minus the context it would create every time).
final class RawZstd: RawCodec {
    private let cctx: OpaquePointer
    private let dctx: OpaquePointer
    private let level: Int32

    init(maxInput: Int, level: Int32) {
        cctx = ZSTD_createCCtx()
        dctx = ZSTD_createDCtx()
        self.level = level
        super.init(name: "zstd", maxInput: maxInput, chunkSize: .max) { ZSTD_compressBound($0) }
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        ZSTD_freeDCtx(dctx)
    }

    override func compressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let length = ZSTD_compressCCtx(cctx, output.baseAddress, output.count, input.baseAddress, input.count, level)
        precondition(ZSTD_isError(length) == 0, "zstd: compression failed")
        return length
    }

    override func decompressChunk(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let length = ZSTD_decompressDCtx(dctx, output.baseAddress, output.count, input.baseAddress, input.count)
        precondition(ZSTD_isError(length) == 0, "zstd: decompression failed")
        return length
    }
}
