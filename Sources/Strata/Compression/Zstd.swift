internal import CStrataZstd
import NIOCore

/// zstd: one standard frame, no dictionary, no checksum (zstd-jni's defaults), level 3 by
/// default. Reading accepts any valid frames, concatenated ones included, streaming the output
/// so that frames without a content size (as Java writes them) decode within the limit.
enum Zstd {
    static func compress(_ input: UnsafeRawBufferPointer, level: Int32, into output: inout ByteBuffer, context: CodecContext) throws(StrataFormatError) {
        let cctx = try compressor(level: level, context: context)
        let bound = ZSTD_compressBound(input.count)
        var result = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
            result = ZSTD_compress2(cctx, out.baseAddress, out.count, input.baseAddress, input.count)
            return ZSTD_isError(result) != 0 ? 0 : result
        }
        guard ZSTD_isError(result) == 0 else {
            throw StrataFormatError(.compressionFailed, "zstd: \(String(cString: ZSTD_getErrorName(result)))")
        }
    }

    private static func compressor(level: Int32, context: CodecContext) throws(StrataFormatError) -> OpaquePointer {
        if context.zstdCompressor == nil {
            context.zstdCompressor = ZSTD_createCCtx()
            context.zstdCompressorLevel = .min
        }
        guard let cctx = context.zstdCompressor else {
            throw StrataFormatError(.compressionFailed, "zstd: could not create a compression context")
        }
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)
        if context.zstdCompressorLevel != level {
            let status = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
            guard ZSTD_isError(status) == 0 else {
                throw StrataFormatError(.compressionFailed, "zstd: level \(level): \(String(cString: ZSTD_getErrorName(status)))")
            }
            context.zstdCompressorLevel = level
        }
        return cctx
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int, into output: inout ByteBuffer, context: CodecContext) throws(StrataFormatError) {
        if context.zstdDecompressor == nil { context.zstdDecompressor = ZSTD_createDCtx() }
        guard let dctx = context.zstdDecompressor else {
            throw StrataFormatError(.decompressionFailed, "zstd: could not create a decompression context")
        }
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only)
        guard input.count > 0 else { throw StrataFormatError(.decompressionFailed, "zstd: empty payload") }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let declared = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        var chunk = 64 * 1024
        if declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR {
            guard declared <= UInt64(limit) else {
                throw StrataFormatError(.decompressedSizeLimitExceeded, "zstd: frame declares \(declared) bytes, over the limit of \(limit)")
            }
            chunk = max(Int(declared), 1024)
        }
        let start = output.writerIndex
        var pending = 1
        while source.pos < source.size || pending != 0 {
            let produced = output.writerIndex - start
            let room = min(max(chunk, produced / 2), limit - produced + 1)
            var status = 0
            var progress = false
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
                var target = ZSTD_outBuffer(dst: out.baseAddress, size: min(out.count, room), pos: 0)
                let before = source.pos
                status = ZSTD_decompressStream(dctx, &target, &source)
                progress = target.pos > 0 || source.pos > before
                return ZSTD_isError(status) != 0 ? 0 : target.pos
            }
            guard ZSTD_isError(status) == 0 else {
                throw StrataFormatError(.decompressionFailed, "zstd: \(String(cString: ZSTD_getErrorName(status)))")
            }
            if output.writerIndex - start > limit {
                throw StrataFormatError(.decompressedSizeLimitExceeded, "zstd: decompressed data exceeds the limit of \(limit) bytes")
            }
            pending = status
            if !progress {
                throw StrataFormatError(.decompressionFailed, "zstd: compressed data ends inside a frame")
            }
        }
    }
}
