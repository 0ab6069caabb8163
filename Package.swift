// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every target: Swift 6 language mode, strict memory safety warnings off, upcoming features on.
let sharedSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Shoal",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ShoalCore", targets: ["ShoalCore"]),
        .library(name: "Director", targets: ["Director"]),
        .executable(name: "shoal", targets: ["shoal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "ShoalCore", swiftSettings: sharedSettings),
        .target(name: "Director", dependencies: ["ShoalCore"], swiftSettings: sharedSettings),
        .executableTarget(
            name: "shoal",
            dependencies: [
                "ShoalCore", "Director",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(name: "ShoalCoreTests", dependencies: ["ShoalCore"], swiftSettings: sharedSettings),
        .testTarget(name: "DirectorTests", dependencies: ["Director", "ShoalCore"], swiftSettings: sharedSettings),
        .testTarget(name: "CLITests", dependencies: ["shoal"], swiftSettings: sharedSettings),
    ]
)
