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
        .library(name: "ICP", targets: ["ICP"]),
        .library(name: "MIME", targets: ["MIME"]),
        .library(name: "Directory", targets: ["Directory"]),
        .library(name: "ShoalServer", targets: ["ShoalServer"]),
        .library(name: "ShoalTestFixtures", targets: ["ShoalTestFixtures"]),
        .library(name: "MailStore", targets: ["MailStore"]),
        .library(name: "MailAccess", targets: ["MailAccess"]),
        .library(name: "SMTPServer", targets: ["SMTPServer"]),
        .library(name: "POP3Server", targets: ["POP3Server"]),
        .library(name: "IMAPServer", targets: ["IMAPServer"]),
        .library(name: "MailNode", targets: ["MailNode"]),
        .library(name: "HealthCheck", targets: ["HealthCheck"]),
        .library(name: "DirectorProxy", targets: ["DirectorProxy"]),
        .library(name: "ShoalHTTP", targets: ["ShoalHTTP"]),
        .library(name: "DirectorAdmin", targets: ["DirectorAdmin"]),
        .library(name: "DirectorNode", targets: ["DirectorNode"]),
        .library(name: "DirectorIPVS", targets: ["DirectorIPVS"]),
        .library(name: "DirectorNFT", targets: ["DirectorNFT"]),
        .library(name: "WebServer", targets: ["WebServer"]),
        .library(name: "HTTPCache", targets: ["HTTPCache"]),
        .library(name: "HTMLSanitizer", targets: ["HTMLSanitizer"]),
        .library(name: "Webmail", targets: ["Webmail"]),
        .library(name: "Appliance", targets: ["Appliance"]),
        .library(name: "Failover", targets: ["Failover"]),
        .executable(name: "shoal", targets: ["shoal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "ShoalCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "Yams", package: "Yams")],
            swiftSettings: sharedSettings
        ),
        .target(name: "Director", dependencies: ["ShoalCore"], swiftSettings: sharedSettings),
        .target(
            name: "ShoalServer",
            dependencies: [
                "ShoalCore", "CLinuxFS", "CEpoll",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "ShoalServerTests",
            dependencies: [
                "ShoalServer", "ShoalCore", "ShoalTestFixtures",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(name: "ICP", swiftSettings: sharedSettings),
        .target(name: "MIME", swiftSettings: sharedSettings),
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap2-dev"])]),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CEpoll"),
        .systemLibrary(name: "CLinuxFS"),
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-genl-3.0", providers: [.apt(["libnl-genl-3-dev"])]),
        .target(
            name: "DirectorIPVS",
            dependencies: [
                "ShoalCore", "Director", "CNetlink",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "DirectorIPVSTests",
            dependencies: ["DirectorIPVS", "Director", "ShoalCore", "ShoalTestFixtures"],
            swiftSettings: sharedSettings
        ),
        .systemLibrary(name: "CNFTables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .target(
            name: "DirectorNFT",
            dependencies: [
                "ShoalCore", "Director", "CNFTables",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "DirectorNFTTests",
            dependencies: ["DirectorNFT", "Director", "ShoalCore", "ShoalTestFixtures"],
            exclude: ["Netns"],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "Directory",
            dependencies: [
                "ShoalCore", "CLDAP", "CCrypt",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "ShoalTestFixtures",
            dependencies: ["Directory", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "MailStore",
            dependencies: [
                "ShoalCore", "CLinuxFS",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .executableTarget(
            name: "shoal",
            dependencies: [
                "ShoalCore", "ShoalServer", "Director", "Directory", "SMTPServer", "MailNode", "DirectorNode", "DirectorAdmin", "DirectorIPVS", "WebServer", "HTTPCache",
                "DirectorNFT", "Appliance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(name: "ShoalCoreTests", dependencies: ["ShoalCore"], swiftSettings: sharedSettings),
        .testTarget(name: "DirectorTests", dependencies: ["Director", "ShoalCore", "ShoalTestFixtures"], swiftSettings: sharedSettings),
        .testTarget(name: "ICPTests", dependencies: ["ICP", "ShoalTestFixtures"], swiftSettings: sharedSettings),
        .testTarget(name: "MIMETests", dependencies: ["MIME", "ShoalTestFixtures"], swiftSettings: sharedSettings),
        .testTarget(
            name: "DirectoryTests", dependencies: ["Directory", "ShoalCore", "ShoalTestFixtures"],
            swiftSettings: sharedSettings
        ),
        .testTarget(name: "MailStoreTests", dependencies: ["MailStore", "ShoalTestFixtures"], swiftSettings: sharedSettings),
        .target(
            name: "MailAccess",
            dependencies: [
                "ShoalCore", "Directory", "MailStore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(name: "MailAccessTests", dependencies: ["MailAccess", "Directory"], swiftSettings: sharedSettings),
        .target(
            name: "MailNode",
            dependencies: [
                "ShoalCore", "ShoalServer", "Directory", "MailStore", "MailAccess", "SMTPServer", "POP3Server", "IMAPServer", "DirectorProxy", "ShoalHTTP", "Webmail",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "SMTPServer",
            dependencies: [
                "ShoalCore", "ShoalServer", "Directory", "MailStore", "MailAccess",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "POP3Server",
            dependencies: [
                "ShoalServer", "Directory", "MailStore", "MailAccess",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "IMAPServer",
            dependencies: [
                "MailStore", "MailAccess", "Directory", "ShoalServer", "MIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "IMAPServerTests",
            dependencies: [
                "IMAPServer", "MailStore", "MailAccess", "Directory", "MIME", "ShoalTestFixtures",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "POP3ServerTests",
            dependencies: ["POP3Server", "MailAccess", "Directory", "MailStore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "SMTPServerTests",
            dependencies: [
                "SMTPServer", "MailNode", "MailAccess", "ShoalServer", "ShoalCore", "Directory", "MailStore", "ShoalTestFixtures",
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .testTarget(name: "CLITests", dependencies: ["shoal", "ShoalTestFixtures"], swiftSettings: sharedSettings),
        .target(
            name: "HealthCheck",
            dependencies: [
                "ShoalCore", "Director", "ICP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "HealthCheckTests",
            dependencies: [
                "HealthCheck", "Director", "ShoalCore", "ShoalTestFixtures",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "MailDirector",
            dependencies: [
                "ShoalCore", "ShoalServer", "Director", "DirectorProxy", "MailAccess", "IMAPServer", "POP3Server", "SMTPServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "MailDirectorTests",
            dependencies: [
                "MailDirector", "DirectorProxy", "Director", "ShoalCore", "ShoalServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "DirectorProxy",
            dependencies: [
                "ShoalCore", "ShoalServer", "Director", "CEpoll",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "DirectorProxyTests",
            dependencies: [
                "DirectorProxy", "Director", "ShoalCore", "ShoalServer", "ShoalTestFixtures",
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "ShoalHTTP",
            dependencies: [
                "ShoalCore", "ShoalServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "ShoalHTTPTests",
            dependencies: [
                "ShoalHTTP", "ShoalServer", "ShoalCore", "ShoalTestFixtures",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "DirectorAdmin",
            dependencies: [
                "ShoalCore", "ShoalServer", "Director", "HealthCheck", "ShoalHTTP", "Failover", "HTMLSanitizer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "DirectorAdminTests",
            dependencies: [
                "DirectorAdmin", "Director", "HealthCheck", "ShoalCore", "ShoalServer", "ShoalTestFixtures", "ShoalHTTP",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "DirectorNode",
            dependencies: [
                "ShoalCore", "ShoalServer", "Director", "HealthCheck", "DirectorProxy", "DirectorAdmin", "DirectorIPVS", "MailDirector",
                "DirectorNFT", "Failover",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "DirectorNodeTests",
            dependencies: [
                "DirectorNode", "DirectorProxy", "DirectorAdmin", "HealthCheck", "Director", "ShoalCore", "ShoalTestFixtures", "MailDirector",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "WebServer",
            dependencies: [
                "ShoalCore", "ShoalServer", "ShoalHTTP", "CEpoll",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "WebServerTests",
            dependencies: [
                "WebServer", "ShoalHTTP", "ShoalServer", "ShoalCore", "ShoalTestFixtures", "HealthCheck",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(name: "HTMLSanitizer", swiftSettings: sharedSettings),
        .testTarget(name: "HTMLSanitizerTests", dependencies: ["HTMLSanitizer", "ShoalTestFixtures"], swiftSettings: sharedSettings),
        .target(
            name: "Webmail",
            dependencies: [
                "HTMLSanitizer", "MIME", "MailStore", "MailAccess", "Directory", "SMTPServer", "ShoalHTTP", "ShoalServer", "ShoalCore", "IMAPServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "WebmailTests",
            dependencies: [
                "Webmail", "MailNode", "HTMLSanitizer", "MIME", "MailStore", "Directory", "ShoalCore", "ShoalTestFixtures", "shoal", "ShoalHTTP", "IMAPServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "HTTPCache",
            dependencies: [
                "ICP", "ShoalCore", "ShoalServer", "ShoalHTTP", "WebServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "HTTPCacheTests",
            dependencies: [
                "HTTPCache", "ICP", "ShoalHTTP", "ShoalServer", "ShoalCore", "ShoalTestFixtures", "WebServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "Appliance",
            dependencies: [
                "ShoalCore", "Director", "Directory", "DirectorNode", "MailNode", "WebServer", "HTTPCache", "CLinuxFS",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "ApplianceTests",
            dependencies: ["Appliance", "ShoalCore", "Directory", "DirectorNode", "MailNode", "WebServer", "ShoalTestFixtures", "shoal",
                           .product(name: "Yams", package: "Yams")],
            resources: [.copy("Peers")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "Failover",
            dependencies: [
                "ShoalCore", "DirectorIPVS", "DirectorNFT",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "FailoverTests",
            dependencies: ["Failover", "ShoalCore", "ShoalTestFixtures", .product(name: "Logging", package: "swift-log")],
            swiftSettings: sharedSettings
        ),
    ]
)
