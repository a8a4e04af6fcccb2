#pragma once
#include <zlib.h>

/// deflateInit2 is a macro that Swift cannot import; this wraps it.
static inline int strata_deflate_init2(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 is a macro that Swift cannot import; this wraps it.
static inline int strata_inflate_init2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
