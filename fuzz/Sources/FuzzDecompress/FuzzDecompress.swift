import StrataSimulation

/// libFuzzer entry point: see `FuzzHarness.decompress`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecompress(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.decompress(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
