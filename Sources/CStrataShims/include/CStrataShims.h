/*
 * CStrataShims: small, dependency-free C helpers for Strata.
 *
 * All functions are thread-safe and may be called concurrently from any
 * thread without prior initialization; any lookup tables they need are built
 * lazily, exactly once, on first use.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Updates a CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with
/// `length` bytes at `data`.
///
/// `crc` is a previously *finished* CRC-32C value (pass 0 to start), i.e. the
/// same convention as zlib's `crc32()`: the pre- and post-inversion happen
/// inside, so `update(update(0, a), b) == update(0, a ++ b)`.
/// `data` may be NULL when `length` is 0.
///
/// Uses the CPU's CRC32 instruction when available (x86-64 SSE4.2, selected at
/// run time; or AArch64 when built with the CRC extension), otherwise the
/// portable slicing-by-8 implementation.
///
/// Example: `strata_crc32c_update(0, "123456789", 9) == 0xE3069283`.
uint32_t strata_crc32c_update(uint32_t crc, const void *data, size_t length);

/// The portable table-driven (slicing-by-8) CRC-32C, with the same convention
/// as `strata_crc32c_update`. It is the fallback on CPUs without a CRC
/// instruction and serves as a test oracle for the hardware path.
uint32_t strata_crc32c_update_portable(uint32_t crc, const void *data, size_t length);

/// Returns 1 if `strata_crc32c_update` uses a hardware CRC32 instruction on
/// this CPU (the SSE4.2 `crc32` instruction on x86-64, or the ARMv8 CRC
/// extension on AArch64 builds that enable it), else 0.
int strata_crc32c_uses_hardware(void);

/// Returns the XXH32 hash (the standard 32-bit xxHash algorithm) of `length`
/// bytes at `data` with the given `seed`. `data` may be NULL when `length`
/// is 0. Used for the LZ4 frame header checksum and block checksums.
///
/// Example: `strata_xxh32("", 0, 0) == 0x02CC5D05`.
uint32_t strata_xxh32(const void *data, size_t length, uint32_t seed);

#ifdef __cplusplus
}
#endif
