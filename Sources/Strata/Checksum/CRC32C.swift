internal import CStrataShims

/// CRC-32C (Castagnoli), the checksum of v2 record batches and producer snapshots.
///
/// Uses the CPU's crc32 instruction (SSE4.2, three interleaved streams) when present, with
/// a portable table-driven fallback.
public enum CRC32C {
    /// The CRC-32C of `bytes`, continuing from `crc` (a finished CRC of preceding bytes, 0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        update(crc, bytes)
    }

    @usableFromInline
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        strata_crc32c_update(crc, bytes.baseAddress, bytes.count)
    }

    /// True when the hardware instruction is used on this machine.
    public static var usesHardware: Bool { strata_crc32c_uses_hardware() != 0 }

    /// The portable implementation alone (for tests and benchmarks).
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        strata_crc32c_update_portable(crc, bytes.baseAddress, bytes.count)
    }
}
