import StrataTools

/// libFuzzer entry point: see `ToolsFuzzHarness.run`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTools(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    ToolsFuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
