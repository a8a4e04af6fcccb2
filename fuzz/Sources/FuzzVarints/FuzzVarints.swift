import StrataSimulation

/// libFuzzer entry point: see `FuzzHarness.varints`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVarints(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.varints(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
