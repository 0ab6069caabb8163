// swift-tools-version:6.1
import PackageDescription

/// Benchmarks for Shoal, kept out of the test run: `make bench` builds and runs them in release mode.
let package = Package(
    name: "ShoalBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Shoal", path: ".."),
        // Only for the HTTP layer comparison (HummingbirdBench); the Shoal package itself does not depend on it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "DirectoryBench",
            dependencies: [.product(name: "Directory", package: "Shoal"), .product(name: "ShoalTestFixtures", package: "Shoal")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "DirectorRuntimeBench",
            dependencies: [
                .product(name: "DirectorNode", package: "Shoal"), .product(name: "DirectorAdmin", package: "Shoal"),
                .product(name: "DirectorProxy", package: "Shoal"), .product(name: "Director", package: "Shoal"),
                .product(name: "ShoalCore", package: "Shoal"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "DirectorBench",
            dependencies: [.product(name: "Director", package: "Shoal"), .product(name: "ShoalCore", package: "Shoal")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "ShoalHTTPBench",
            dependencies: [
                .product(name: "ShoalHTTP", package: "Shoal"), .product(name: "ShoalCore", package: "Shoal"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "HummingbirdBench",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
