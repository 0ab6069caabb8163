// swift-tools-version:6.1
import PackageDescription

/// Benchmarks for Shoal, kept out of the test run: `make bench` builds and runs them in release mode.
let package = Package(
    name: "ShoalBenchmarks",
    dependencies: [.package(name: "Shoal", path: ".."), .package(url: "https://github.com/apple/swift-log", from: "1.16.2")],
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
    ]
)
