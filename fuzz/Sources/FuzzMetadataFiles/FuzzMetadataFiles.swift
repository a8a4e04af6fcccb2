import StrataSimulation

/// libFuzzer entry point: see `FuzzHarness.metadataFiles`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMetadataFiles(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.metadataFiles(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
