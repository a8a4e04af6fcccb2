import CBenchCodecs
import NIOCore
import Strata
print(AllocationCounter.isWorking())
