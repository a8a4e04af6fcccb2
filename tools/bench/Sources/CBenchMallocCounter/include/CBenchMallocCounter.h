#pragma once
#include <stdint.h>

/// The number of allocating calls (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign, valloc) made by the whole process so far.
uint64_t bench_malloc_count(void);

/// The number of free calls with a non-null pointer made by the whole process so far.
uint64_t bench_free_count(void);
