// swift-tools-version:6.1
import PackageDescription

/// libFuzzer harnesses for Shoal's parsers of network input, kept out of the test run: `make fuzz` builds and runs them.
let package = Package(
    name: "ShoalFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Shoal", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "ShoalFuzz",
            dependencies: [
                "CLibFuzzer",
                .product(name: "ShoalCore", package: "Shoal"), .product(name: "Director", package: "Shoal"),
                .product(name: "ICP", package: "Shoal"), .product(name: "SMTPServer", package: "Shoal"),
                .product(name: "DirectorProxy", package: "Shoal"), .product(name: "DirectorAdmin", package: "Shoal"),
                .product(name: "DirectorNode", package: "Shoal"), .product(name: "MailNode", package: "Shoal"),
                .product(name: "Directory", package: "Shoal"), .product(name: "POP3Server", package: "Shoal"),
                .product(name: "IMAPServer", package: "Shoal"), .product(name: "MIME", package: "Shoal"),
                .product(name: "WebServer", package: "Shoal"), .product(name: "HTMLSanitizer", package: "Shoal"),
                .product(name: "Webmail", package: "Shoal"), .product(name: "HTTPCache", package: "Shoal"),
                .product(name: "DirectorIPVS", package: "Shoal"),
                .product(name: "ShoalHTTP", package: "Shoal"),
                .product(name: "Failover", package: "Shoal"),
                .product(name: "Appliance", package: "Shoal"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
