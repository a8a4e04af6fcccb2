// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Strata",
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        .library(name: "StrataSimulation", targets: ["StrataSimulation"]),
        .library(name: "StrataTopics", targets: ["StrataTopics"]),
        .library(name: "StrataTools", targets: ["StrataTools"]),
        .executable(name: "strata-dump", targets: ["strata-dump"]),
        .executable(name: "strata", targets: ["strata"]),
        .executable(name: "strata-verify", targets: ["strata-verify"]),
        .executable(name: "strata-compact", targets: ["strata-compact"]),
    ],
    dependencies: [
        // ByteBuffer (NIOCore) is the byte container a broker embedding Strata already speaks.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // A lock-free version counter read on every send (swift-nio already depends on it).
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        .target(name: "CStrataShims"),
        .systemLibrary(
            name: "CStrataZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CStrataLZ4", pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(
            name: "CStrataZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CStrataSnappy", pkgConfig: "snappy",
            providers: [.apt(["libsnappy-dev"])]),
        .target(
            name: "Strata",
            dependencies: [
                "CStrataShims", "CStrataZlib", "CStrataLZ4", "CStrataZstd", "CStrataSnappy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "StrataSimulation",
            dependencies: ["Strata", .product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "StrataTopics",
            dependencies: [
                "Strata",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]),
        .target(
            name: "StrataTools",
            dependencies: [
                "Strata",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "strata-dump",
            dependencies: [
                "Strata", "StrataTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "strata-verify",
            dependencies: [
                "Strata", "StrataTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "strata-compact",
            dependencies: [
                "Strata", "StrataTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "strata-demo",
            dependencies: ["Strata", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "strata-crosscheck-writer",
            dependencies: ["Strata", "StrataSimulation", .product(name: "NIOCore", package: "swift-nio")],
            path: "tools/crosscheck-writer"),
        .executableTarget(
            name: "strata-crash-writer",
            dependencies: ["Strata", .product(name: "NIOCore", package: "swift-nio")],
            path: "tools/crash-writer"),
        .executableTarget(
            name: "strata",
            dependencies: [
                "Strata", "StrataTopics", "StrataTools",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "strata-topics-crash-writer",
            dependencies: ["Strata", "StrataTopics"],
            path: "tools/topics-crash-writer"),
        .executableTarget(
            name: "strata-soak",
            dependencies: ["Strata", "StrataTopics", "StrataSimulation", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "tools/soak"),
        .testTarget(
            name: "StrataTopicsTests",
            dependencies: [
                "StrataTopics", "Strata", "StrataSimulation",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(
            name: "StrataTests",
            dependencies: ["Strata", "StrataTools", "StrataSimulation", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Resources")]),
    ]
)
