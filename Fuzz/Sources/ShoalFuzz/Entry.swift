import CLibFuzzer

/// libFuzzer's entry point: hands each input to the target named by `SHOAL_FUZZ_TARGET`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeBufferPointer(start: start, count: count))
    FuzzTarget.selected.run(bytes)
    return 0
}

/// The program's entry point: SwiftPM links an executable's `main` to `<module>_main`, which here runs
/// libFuzzer's driver (its own `main` is then not linked).
@_cdecl("ShoalFuzz_main")
public func shoalFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
