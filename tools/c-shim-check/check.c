/*
 * Standalone correctness check and micro-benchmark for CStrataShims.
 * See README.md in this directory for how to build and run it.
 *
 *   ./c-shim-check            run the checks, then the benchmark
 *   ./c-shim-check --no-bench run the checks only (e.g. under sanitizers)
 */
#define _POSIX_C_SOURCE 199309L
#include "CStrataShims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            if (failures <= 20) {                                              \
                printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
                printf(__VA_ARGS__);                                           \
                printf("\n");                                                  \
            }                                                                  \
        }                                                                      \
    } while (0)

/* xorshift64* - deterministic test data */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static void fill_random(unsigned char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(rng() >> 56);
}

/* Bit-at-a-time reference straight from the definition. */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t n)
{
    uint32_t c = ~crc;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_crc_vectors(crc_fn f, const char *name)
{
    unsigned char buf[32];
    int i;
    CHECK(f(0, "123456789", 9) == 0xE3069283u, "%s 123456789", name);
    memset(buf, 0, sizeof buf);
    CHECK(f(0, buf, 32) == 0x8A9136AAu, "%s 32 zeros", name);
    memset(buf, 0xFF, sizeof buf);
    CHECK(f(0, buf, 32) == 0x62A8AB43u, "%s 32 0xFF", name);
    for (i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    CHECK(f(0, buf, 32) == 0x46DD794Eu, "%s 0..31", name);
    CHECK(f(0, NULL, 0) == 0, "%s empty", name);
    CHECK(f(0x12345678u, NULL, 0) == 0x12345678u, "%s empty keeps crc", name);
    /* incremental across the "123456789" vector */
    CHECK(f(f(0, "1234", 4), "56789", 5) == 0xE3069283u, "%s split 4/5", name);
}

static void check_crc_random(void)
{
    enum { MAXLEN = 4096, BIG = (3 << 20) + 1234 };
    static const size_t big_lengths[] = {
        3 * 4096 - 1, 3 * 4096, 3 * 4096 + 1, 3 * 256 * 7 + 5, 2 * 3 * 4096 + 3 * 256 + 77,
        65536 + 13, 1 << 20, (1 << 20) + 8 * 3 * 4096 + 3 * 256 - 1, (3 << 20) + 1234};
    unsigned char *buf = malloc(BIG + 16);
    size_t len, a, i;
    int hw = strata_crc32c_uses_hardware();

    if (!buf) {
        printf("out of memory\n");
        exit(2);
    }
    /* every length 0..4096, random alignment, random starting crc */
    for (len = 0; len <= MAXLEN; len++) {
        size_t off = (size_t)(rng() & 15);
        uint32_t seed = (len % 3 == 0) ? 0 : (uint32_t)rng();
        uint32_t want, got_p, got;
        fill_random(buf + off, len);
        want = crc32c_bitwise(seed, buf + off, len);
        got_p = strata_crc32c_update_portable(seed, buf + off, len);
        got = strata_crc32c_update(seed, buf + off, len);
        CHECK(got_p == want, "portable len %zu off %zu: %08x != %08x", len, off, got_p, want);
        CHECK(got == want, "update len %zu off %zu: %08x != %08x", len, off, got, want);
    }
    /* a few large buffers at every alignment */
    fill_random(buf, BIG + 16);
    for (i = 0; i < sizeof big_lengths / sizeof big_lengths[0]; i++) {
        len = big_lengths[i];
        for (a = 0; a < 16; a++) {
            uint32_t want = crc32c_bitwise(0, buf + a, len);
            uint32_t got_p = strata_crc32c_update_portable(0, buf + a, len);
            uint32_t got = strata_crc32c_update(0, buf + a, len);
            CHECK(got_p == want, "portable big len %zu align %zu", len, a);
            CHECK(got == want, "update big len %zu align %zu (hw=%d)", len, a, hw);
        }
    }
    /* incremental updates split at random points equal the one-shot value */
    for (i = 0; i < 300; i++) {
        size_t total = (i < 200) ? (size_t)(rng() % 70000) : (size_t)(rng() % BIG);
        uint32_t one = strata_crc32c_update(0, buf, total);
        uint32_t inc = 0, inc_p = 0;
        size_t pos = 0;
        while (pos < total) {
            size_t step = (size_t)(rng() % (total - pos + 1));
            if (rng() & 1)
                step %= 40; /* mix in many short pieces */
            inc = strata_crc32c_update(inc, buf + pos, step);
            inc_p = strata_crc32c_update_portable(inc_p, buf + pos, step);
            pos += step;
        }
        CHECK(inc == one, "incremental total %zu", total);
        CHECK(inc_p == one, "incremental portable total %zu", total);
    }
    free(buf);
}

struct xxh_vec {
    size_t len;
    uint32_t seed, want;
};

/* Data for these is byte i = (i*7+3) & 0xFF; expected values were produced
 * by the reference xxHash implementation (Python `xxhash` package). */
static const struct xxh_vec xxh_vectors[] = {
    {1, 0x00000000u, 0x21AE663Au},    {1, 0x9747B28Cu, 0xB32E6D59u},
    {3, 0x00000000u, 0xCD3D2242u},    {3, 0x9747B28Cu, 0x8513982Bu},
    {4, 0x00000000u, 0x725479F2u},    {4, 0x9747B28Cu, 0xFE53286Cu},
    {5, 0x00000000u, 0xA666AB62u},    {5, 0x9747B28Cu, 0x38885EE8u},
    {15, 0x00000000u, 0x82D3C84Du},   {15, 0x9747B28Cu, 0x6A9C0CE1u},
    {16, 0x00000000u, 0x8845547Du},   {16, 0x9747B28Cu, 0xBE544EDEu},
    {17, 0x00000000u, 0x450E5F84u},   {17, 0x9747B28Cu, 0xEB0D3C4Au},
    {31, 0x00000000u, 0x1F73D3C7u},   {31, 0x9747B28Cu, 0xD1FC525Fu},
    {32, 0x00000000u, 0xE988CCB7u},   {32, 0x9747B28Cu, 0xB7A4F0C0u},
    {33, 0x00000000u, 0x94F536D5u},   {33, 0x9747B28Cu, 0x33447231u},
    {100, 0x00000000u, 0x73091A4Du},  {100, 0x9747B28Cu, 0x74A9FDF8u},
    {1000, 0x00000000u, 0xC85A5152u}, {1000, 0x9747B28Cu, 0xD869231Fu},
    {4099, 0x00000000u, 0x5E117E46u}, {4099, 0x9747B28Cu, 0x603EE37Bu},
    {64, 0xFFFFFFFFu, 0xB8C0BA1Eu},   {257, 0xFFFFFFFFu, 0x556C4A3Du},
};

static void check_xxh32(void)
{
    static const unsigned char lz4_flg_bd[2] = {0x60, 0x40};
    static const unsigned char lz4_v0_hdr[6] = {0x04, 0x22, 0x4D, 0x18, 0x60, 0x40};
    unsigned char *buf = malloc(4099 + 16);
    size_t i, a;
    uint32_t h;

    if (!buf) {
        printf("out of memory\n");
        exit(2);
    }
    CHECK(strata_xxh32("", 0, 0) == 0x02CC5D05u, "xxh32 empty");
    CHECK(strata_xxh32(NULL, 0, 0) == 0x02CC5D05u, "xxh32 NULL empty");
    h = strata_xxh32(lz4_flg_bd, 2, 0);
    CHECK(((h >> 8) & 0xFFu) == 0x82u, "LZ4 frame header checksum: %08x", h);
    CHECK(h == 0x301A8268u, "xxh32 {60 40}: %08x", h);
    h = strata_xxh32(lz4_v0_hdr, 6, 0);
    CHECK(((h >> 8) & 0xFFu) == 0x1Au, "Kafka v0 LZ4 header checksum: %08x", h);
    CHECK(h == 0xC8581A3Au, "xxh32 v0 header: %08x", h);
    CHECK(strata_xxh32("123456789", 9, 0) == 0x937BAD67u, "xxh32 123456789");
    for (i = 0; i < sizeof xxh_vectors / sizeof xxh_vectors[0]; i++) {
        const struct xxh_vec *v = &xxh_vectors[i];
        for (a = 0; a < 16; a += 5) { /* a few alignments */
            size_t j;
            for (j = 0; j < v->len; j++)
                buf[a + j] = (unsigned char)((j * 7 + 3) & 0xFF);
            h = strata_xxh32(buf + a, v->len, v->seed);
            CHECK(h == v->want, "xxh32 len %zu seed %08x align %zu: %08x != %08x", v->len,
                  v->seed, a, h, v->want);
        }
    }
    free(buf);
}

/* ------------------------------------------------------------------------ */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint32_t sink;

/* Best-of-5 throughput in GB/s (1e9 bytes/s) over ~`bytes_per_run` bytes. */
static double bench(crc_fn f, const unsigned char *buf, size_t len, size_t bytes_per_run)
{
    size_t reps = bytes_per_run / len, r;
    double best = 0;
    int run;
    if (reps == 0)
        reps = 1;
    for (run = 0; run < 5; run++) {
        uint32_t acc = 0;
        double t0 = now_sec(), dt;
        for (r = 0; r < reps; r++)
            acc += f(acc, buf, len);
        dt = now_sec() - t0;
        sink = acc;
        if (dt > 0 && (double)(reps * len) / dt / 1e9 > best)
            best = (double)(reps * len) / dt / 1e9;
    }
    return best;
}

static uint32_t xxh32_as_crc_fn(uint32_t seed, const void *p, size_t n)
{
    return strata_xxh32(p, n, seed);
}

static void run_bench(void)
{
    static const size_t sizes[] = {4096, 16384, 65536, 1 << 20};
    static const char *names[] = {"4 KiB", "16 KiB", "64 KiB", "1 MiB"};
    unsigned char *buf = malloc((1 << 20) + 64);
    unsigned char *aligned;
    size_t i;
    if (!buf) {
        printf("out of memory\n");
        exit(2);
    }
    aligned = buf + (64 - ((uintptr_t)buf & 63)) % 64;
    fill_random(aligned, 1 << 20);
    printf("benchmark (GB/s = 1e9 bytes/s, best of 5, buffer in cache where it fits)\n");
    printf("%-8s %10s %10s %10s\n", "size", "crc32c", "portable", "xxh32");
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        double hw = bench(strata_crc32c_update, aligned, sizes[i], (size_t)1 << 30);
        double pt = bench(strata_crc32c_update_portable, aligned, sizes[i], (size_t)1 << 28);
        double xx = bench(xxh32_as_crc_fn, aligned, sizes[i], (size_t)1 << 29);
        printf("%-8s %10.2f %10.2f %10.2f\n", names[i], hw, pt, xx);
    }
    free(buf);
}

int main(int argc, char **argv)
{
    int do_bench = !(argc > 1 && strcmp(argv[1], "--no-bench") == 0);
    int hw = strata_crc32c_uses_hardware();

    printf("crc32c hardware path: %s\n", hw ? "yes" : "no");
    check_crc_vectors(strata_crc32c_update, "update");
    check_crc_vectors(strata_crc32c_update_portable, "portable");
    check_crc_random();
    check_xxh32();
    if (failures) {
        printf("%d check(s) FAILED\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    if (do_bench)
        run_bench();
    return 0;
}
