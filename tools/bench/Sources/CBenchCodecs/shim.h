#pragma once
#include <zlib.h>
#include <lz4.h>
#include <lz4hc.h>
#include <zstd.h>
#include <snappy-c.h>

/// deflateInit2 is a macro that Swift cannot import; this wraps it.
static inline int bench_deflate_init2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 is a macro that Swift cannot import; this wraps it.
static inline int bench_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
