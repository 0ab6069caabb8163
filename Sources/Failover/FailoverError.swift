#if canImport(Glibc)
import Glibc
#endif

/// A failure of the failover I/O, naming the instance or interface and the call that failed.
public struct FailoverError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }

    /// `what` failed with the current errno.
    static func system(_ what: String) -> FailoverError {
        FailoverError("\(what): \(String(cString: strerror(errno)))")
    }
}
