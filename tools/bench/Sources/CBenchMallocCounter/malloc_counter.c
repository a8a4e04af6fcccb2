/*
 * Counts the process's heap allocations for the benchmark's "allocs/batch" column.
 *
 * Defining malloc and its family in the executable interposes them process-wide on Linux:
 * the dynamic linker resolves every library's calls (libswiftCore's swift_slowAlloc,
 * libstdc++'s operator new, zlib, zstd) to these definitions first. Each one bumps a relaxed
 * atomic counter and forwards to glibc's own allocator through its exported __libc_* entry
 * points, so memory behaves exactly as without the counter (malloc_usable_size included).
 */
#include "CBenchMallocCounter.h"

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);

static uint64_t allocations;
static uint64_t frees;

static inline void count_allocation(void)
{
    __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
}

uint64_t bench_malloc_count(void)
{
    return __atomic_load_n(&allocations, __ATOMIC_RELAXED);
}

uint64_t bench_free_count(void)
{
    return __atomic_load_n(&frees, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
    count_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    count_allocation();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
    count_allocation();
    return __libc_realloc(pointer, size);
}

void free(void *pointer)
{
    if (pointer != NULL)
        __atomic_fetch_add(&frees, 1, __ATOMIC_RELAXED);
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size)
{
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size)
{
    count_allocation();
    return __libc_valloc(size);
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
    /* The alignment must be a power of two and a multiple of sizeof(void *). */
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    count_allocation();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0)
        return ENOMEM;
    *result = pointer;
    return 0;
}
