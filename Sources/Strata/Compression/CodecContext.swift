internal import CStrataZlib
internal import CStrataZstd
import NIOCore

/// Reusable native state for the codecs (zlib streams, zstd contexts, scratch buffers).
///
/// Creating a zlib or zstd context costs more than compressing a small batch, so producers,
/// readers and tools that handle many batches keep one context per thread and pass it to
/// every call. A context is not thread-safe; calls without one create a temporary context.
public final class CodecContext {
    var deflateStream: UnsafeMutablePointer<z_stream>?
    var deflateLevel: Int32 = 0
    var inflateStream: UnsafeMutablePointer<z_stream>?
    var zstdCompressor: OpaquePointer?
    var zstdCompressorLevel: Int32 = .min
    var zstdDecompressor: OpaquePointer?
    /// The last decompressed payload, whose memory the next decompression reuses when
    /// nothing else holds it.
    var plaintext = ByteBufferAllocator().buffer(capacity: 0)

    /// Creates an empty context; native state is created on first use.
    public init() {}

    deinit {
        if let stream = deflateStream {
            deflateEnd(stream)
            stream.deallocate()
        }
        if let stream = inflateStream {
            inflateEnd(stream)
            stream.deallocate()
        }
        if let zstdCompressor { ZSTD_freeCCtx(zstdCompressor) }
        if let zstdDecompressor { ZSTD_freeDCtx(zstdDecompressor) }
    }
}
