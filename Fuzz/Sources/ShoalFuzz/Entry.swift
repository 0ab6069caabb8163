#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry point: hands each input to the target named by `SHOAL_FUZZ_TARGET`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    FuzzTarget.selected.run(bytes)
    return 0
}
