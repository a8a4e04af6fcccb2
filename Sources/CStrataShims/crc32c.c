/*
 * CRC-32C (Castagnoli), reflected polynomial 0x82F63B78.
 *
 * Two implementations share the zlib-style convention (the caller passes and
 * receives *finished* CRC values; inversion happens here):
 *
 *  - portable: slicing-by-8 over eight 256-entry tables;
 *  - hardware: the CRC32 instruction (x86-64 SSE4.2, chosen at run time, or
 *    AArch64 when compiled with the CRC extension). Large inputs are split
 *    into three adjacent blocks that are processed as three independent
 *    instruction streams (the instruction has a latency of ~3 cycles but a
 *    throughput of one per cycle), and the three partial CRCs are merged
 *    with precomputed "advance the CRC register over N zero bytes" operators.
 *
 * All tables live in one static structure that is filled exactly once on
 * first use, guarded by an atomic state word (no pthread dependency).
 */
#include "CStrataShims.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STRATA_CRC_X86 1
#include <nmmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#define STRATA_CRC_ARM 1
#include <arm_acle.h>
#endif

#define CRC32C_POLY 0x82F63B78u

/* Block sizes (bytes per stream) of the two interleaving levels. Powers of
 * two, so their zero-advance operators are built by repeated squaring. */
#define LONG_LOG2 12
#define SHORT_LOG2 8
#define LONG_BLOCK ((size_t)1 << LONG_LOG2)
#define SHORT_BLOCK ((size_t)1 << SHORT_LOG2)

/* ------------------------------------------------------------------------ */
/* Tables and one-time initialization                                        */

struct crc_tables {
    /* slicing-by-8: slice[k][b] is the register after byte b followed by k zero bytes */
    uint32_t slice[8][256];
#if defined(STRATA_CRC_X86) || defined(STRATA_CRC_ARM)
    /* Zero-advance operators, applied bytewise: op(c) = t[0][c&255] ^ ... ^ t[3][c>>24]. */
    uint32_t long1[4][256];  /* advance over LONG_BLOCK zero bytes */
    uint32_t long2[4][256];  /* advance over 2 * LONG_BLOCK zero bytes */
    uint32_t short1[4][256]; /* advance over SHORT_BLOCK zero bytes */
    uint32_t short2[4][256]; /* advance over 2 * SHORT_BLOCK zero bytes */
#endif
};

static struct crc_tables tables;
static int tables_state; /* 0 = empty, 1 = being built, 2 = ready; accessed atomically */

#if defined(STRATA_CRC_X86) || defined(STRATA_CRC_ARM)
/* A 32x32 GF(2) matrix stored as columns: col[i] is the image of bit i. */
struct gf2_op {
    uint32_t col[32];
};

static uint32_t gf2_apply(const struct gf2_op *op, uint32_t v)
{
    uint32_t r = 0;
    int i = 0;
    while (v != 0) {
        if (v & 1u)
            r ^= op->col[i];
        v >>= 1;
        i++;
    }
    return r;
}

/* out = op * op (applying op twice). */
static void gf2_square(struct gf2_op *out, const struct gf2_op *op)
{
    int i;
    for (i = 0; i < 32; i++)
        out->col[i] = gf2_apply(op, op->col[i]);
}

static void op_to_table(uint32_t t[4][256], const struct gf2_op *op)
{
    int k, b;
    for (k = 0; k < 4; k++) {
        t[k][0] = 0;
        for (b = 1; b < 256; b++) {
            /* lowest set bit of b, combined with the entry for the remaining bits */
            int low = __builtin_ctz((unsigned)b);
            t[k][b] = t[k][b & (b - 1)] ^ op->col[8 * k + low];
        }
    }
}
#endif

static void build_tables(struct crc_tables *t)
{
    uint32_t b, c;
    int k;

    for (b = 0; b < 256; b++) {
        c = b;
        for (k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
        t->slice[0][b] = c;
    }
    for (k = 1; k < 8; k++)
        for (b = 0; b < 256; b++) {
            c = t->slice[k - 1][b];
            t->slice[k][b] = (c >> 8) ^ t->slice[0][c & 0xFFu];
        }

#if defined(STRATA_CRC_X86) || defined(STRATA_CRC_ARM)
    {
        /* The register advanced over one zero byte: c -> (c >> 8) ^ slice0[c & 0xFF]. */
        struct gf2_op ops[2];
        int cur = 0, n, i;
        for (i = 0; i < 32; i++) {
            c = (uint32_t)1 << i;
            ops[0].col[i] = (c >> 8) ^ t->slice[0][c & 0xFFu];
        }
        /* ops[cur] advances over 2^n zero bytes. */
        for (n = 0; n <= LONG_LOG2 + 1; n++) {
            if (n == SHORT_LOG2)
                op_to_table(t->short1, &ops[cur]);
            if (n == SHORT_LOG2 + 1)
                op_to_table(t->short2, &ops[cur]);
            if (n == LONG_LOG2)
                op_to_table(t->long1, &ops[cur]);
            if (n == LONG_LOG2 + 1)
                op_to_table(t->long2, &ops[cur]);
            gf2_square(&ops[cur ^ 1], &ops[cur]);
            cur ^= 1;
        }
    }
#endif
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static const struct crc_tables *get_tables(void)
{
    if (__builtin_expect(__atomic_load_n(&tables_state, __ATOMIC_ACQUIRE) != 2, 0)) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&tables_state, &expected, 1, 0,
                                        __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
            build_tables(&tables);
            __atomic_store_n(&tables_state, 2, __ATOMIC_RELEASE);
        } else {
            /* Another thread is building; this takes only microseconds. */
            while (__atomic_load_n(&tables_state, __ATOMIC_ACQUIRE) != 2)
                cpu_relax();
        }
    }
    return &tables;
}

/* ------------------------------------------------------------------------ */
/* Portable slicing-by-8                                                     */

static inline uint32_t load32_le(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

uint32_t strata_crc32c_update_portable(uint32_t crc, const void *data, size_t length)
{
    const struct crc_tables *t;
    const unsigned char *p = (const unsigned char *)data;
    uint32_t c;

    if (length == 0)
        return crc;
    t = get_tables();
    c = ~crc;

    while (length != 0 && ((uintptr_t)p & 7u) != 0) {
        c = (c >> 8) ^ t->slice[0][(c ^ *p++) & 0xFFu];
        length--;
    }
    while (length >= 8) {
        uint32_t lo = c ^ load32_le(p);
        uint32_t hi = load32_le(p + 4);
        c = t->slice[7][lo & 0xFFu] ^ t->slice[6][(lo >> 8) & 0xFFu] ^
            t->slice[5][(lo >> 16) & 0xFFu] ^ t->slice[4][lo >> 24] ^
            t->slice[3][hi & 0xFFu] ^ t->slice[2][(hi >> 8) & 0xFFu] ^
            t->slice[1][(hi >> 16) & 0xFFu] ^ t->slice[0][hi >> 24];
        p += 8;
        length -= 8;
    }
    while (length != 0) {
        c = (c >> 8) ^ t->slice[0][(c ^ *p++) & 0xFFu];
        length--;
    }
    return ~c;
}

/* ------------------------------------------------------------------------ */
/* Hardware path                                                             */

#if defined(STRATA_CRC_X86) || defined(STRATA_CRC_ARM)

#if defined(STRATA_CRC_X86)
#define HW_FUNC __attribute__((target("sse4.2")))
#define HW_CRC64(c, w) ((uint32_t)_mm_crc32_u64((c), (w)))
#define HW_CRC8(c, b) _mm_crc32_u8((c), (b))
#else
#define HW_FUNC
#define HW_CRC64(c, w) __crc32cd((c), (w))
#define HW_CRC8(c, b) __crc32cb((c), (b))
#endif

/* Native-endian 64-bit load of an 8-byte-aligned word. Both supported targets
 * are little-endian, which is what the CRC instructions expect. */
static inline uint64_t load64_aligned(const unsigned char *p)
{
    uint64_t w;
    __builtin_memcpy(&w, __builtin_assume_aligned(p, 8), sizeof w);
    return w;
}

static inline uint32_t apply_shift(const uint32_t op[4][256], uint32_t c)
{
    return op[0][c & 0xFFu] ^ op[1][(c >> 8) & 0xFFu] ^ op[2][(c >> 16) & 0xFFu] ^
           op[3][c >> 24];
}

/* Three streams over `count` consecutive triples of `block`-byte blocks.
 * `p` must be 8-byte aligned; returns the updated (non-inverted) register. */
HW_FUNC static inline uint32_t hw_three_way(uint32_t c0, const unsigned char **pp,
                                            size_t count, size_t block,
                                            const uint32_t op1[4][256],
                                            const uint32_t op2[4][256])
{
    const unsigned char *p = *pp;
    while (count-- != 0) {
        uint32_t c1 = 0, c2 = 0;
        const unsigned char *end = p + block;
        do {
            c0 = HW_CRC64(c0, load64_aligned(p));
            c1 = HW_CRC64(c1, load64_aligned(p + block));
            c2 = HW_CRC64(c2, load64_aligned(p + 2 * block));
            p += 8;
        } while (p != end);
        /* register(A ++ B ++ C) = adv_2n(reg A) ^ adv_n(reg B) ^ reg C */
        c0 = apply_shift(op2, c0) ^ apply_shift(op1, c1) ^ c2;
        p += 2 * block;
    }
    *pp = p;
    return c0;
}

HW_FUNC static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t length)
{
    uint32_t c = ~crc;

    while (length != 0 && ((uintptr_t)p & 7u) != 0) {
        c = HW_CRC8(c, *p++);
        length--;
    }
    if (length >= 3 * SHORT_BLOCK) {
        const struct crc_tables *t = get_tables();
        size_t n = length / (3 * LONG_BLOCK);
        if (n != 0) {
            c = hw_three_way(c, &p, n, LONG_BLOCK, t->long1, t->long2);
            length -= n * 3 * LONG_BLOCK;
        }
        n = length / (3 * SHORT_BLOCK);
        if (n != 0) {
            c = hw_three_way(c, &p, n, SHORT_BLOCK, t->short1, t->short2);
            length -= n * 3 * SHORT_BLOCK;
        }
    }
    while (length >= 8) {
        c = HW_CRC64(c, load64_aligned(p));
        p += 8;
        length -= 8;
    }
    while (length != 0) {
        c = HW_CRC8(c, *p++);
        length--;
    }
    return ~c;
}

#endif /* hardware path */

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                  */

#if defined(STRATA_CRC_X86)
static int hw_choice = -1; /* -1 = not yet probed; accessed atomically */

static int probe_hardware(void)
{
    int v = __atomic_load_n(&hw_choice, __ATOMIC_RELAXED);
    if (__builtin_expect(v < 0, 0)) {
        /* Every racing thread computes the same answer. */
        __builtin_cpu_init();
        v = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&hw_choice, v, __ATOMIC_RELAXED);
    }
    return v;
}
#endif

int strata_crc32c_uses_hardware(void)
{
#if defined(STRATA_CRC_X86)
    return probe_hardware();
#elif defined(STRATA_CRC_ARM)
    return 1;
#else
    return 0;
#endif
}

uint32_t strata_crc32c_update(uint32_t crc, const void *data, size_t length)
{
    if (length == 0)
        return crc;
#if defined(STRATA_CRC_X86)
    if (probe_hardware())
        return crc32c_hw(crc, (const unsigned char *)data, length);
#elif defined(STRATA_CRC_ARM)
    return crc32c_hw(crc, (const unsigned char *)data, length);
#endif
    return strata_crc32c_update_portable(crc, data, length);
}
