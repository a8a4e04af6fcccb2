import CBenchCodecs
import CBenchMallocCounter
import NIOCore
import Strata
print(bench_malloc_count())
