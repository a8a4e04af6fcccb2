// swift-tools-version: 6.2
import PackageDescription

// Strata's benchmark: a nested package so that swift-nio is built in release mode here and
// the root package stays free of benchmark-only code. Run it with `make bench` at the root.
let package = Package(
    name: "strata-bench",
    dependencies: [
        // `name:` keeps the path dependency working in a clone whose folder has another name.
        .package(name: "Strata", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The raw codec libraries, called directly for the baseline figures.
        .systemLibrary(name: "CBenchCodecs"),
        // Counts malloc-family calls process-wide (the executable interposes glibc's malloc).
        .target(name: "CBenchMallocCounter"),
        .executableTarget(
            name: "strata-bench",
            dependencies: [
                "CBenchCodecs", "CBenchMallocCounter",
                .product(name: "Strata", package: "Strata"),
                .product(name: "StrataSimulation", package: "Strata"),
                .product(name: "StrataTools", package: "Strata"),
                .product(name: "StrataTopics", package: "Strata"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
    ]
)
