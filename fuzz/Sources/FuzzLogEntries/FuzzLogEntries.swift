import StrataSimulation

/// libFuzzer entry point: see `FuzzHarness.logEntries`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogEntries(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.logEntries(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
