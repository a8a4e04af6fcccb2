import StrataSimulation

/// libFuzzer entry point: see `FuzzHarness.indexes`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndexes(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.indexes(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
