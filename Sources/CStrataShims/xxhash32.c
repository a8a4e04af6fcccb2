/*
 * XXH32: the 32-bit xxHash algorithm (as used by the LZ4 frame format).
 *
 * Input is consumed as little-endian 32-bit lanes regardless of host byte
 * order; the loads are written bytewise, which compilers turn into plain
 * loads on little-endian targets.
 */
#include "CStrataShims.h"

#define XXH_P1 0x9E3779B1u
#define XXH_P2 0x85EBCA77u
#define XXH_P3 0xC2B2AE3Du
#define XXH_P4 0x27D4EB2Fu
#define XXH_P5 0x165667B1u

static inline uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32u - r));
}

static inline uint32_t read32_le(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint32_t xxh_round(uint32_t acc, uint32_t lane)
{
    acc += lane * XXH_P2;
    acc = rotl32(acc, 13);
    return acc * XXH_P1;
}

uint32_t strata_xxh32(const void *data, size_t length, uint32_t seed)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t remaining = length;
    uint32_t h;

    if (remaining >= 16) {
        uint32_t v1 = seed + XXH_P1 + XXH_P2;
        uint32_t v2 = seed + XXH_P2;
        uint32_t v3 = seed;
        uint32_t v4 = seed - XXH_P1;
        do {
            v1 = xxh_round(v1, read32_le(p));
            v2 = xxh_round(v2, read32_le(p + 4));
            v3 = xxh_round(v3, read32_le(p + 8));
            v4 = xxh_round(v4, read32_le(p + 12));
            p += 16;
            remaining -= 16;
        } while (remaining >= 16);
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + XXH_P5;
    }

    /* The algorithm mixes in the length modulo 2^32. */
    h += (uint32_t)length;

    while (remaining >= 4) {
        h += read32_le(p) * XXH_P3;
        h = rotl32(h, 17) * XXH_P4;
        p += 4;
        remaining -= 4;
    }
    while (remaining != 0) {
        h += (uint32_t)(*p) * XXH_P5;
        h = rotl32(h, 11) * XXH_P1;
        p++;
        remaining--;
    }

    h ^= h >> 15;
    h *= XXH_P2;
    h ^= h >> 13;
    h *= XXH_P3;
    h ^= h >> 16;
    return h;
}
