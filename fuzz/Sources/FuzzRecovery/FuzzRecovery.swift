import StrataSimulation

/// libFuzzer entry point: see `FuzzHarness.recovery`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecovery(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.recovery(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
