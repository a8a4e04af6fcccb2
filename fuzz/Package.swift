// swift-tools-version: 6.2
// libFuzzer targets for every parser of Strata. Build and run with `make fuzz` (see README).
import PackageDescription

let targets = ["FuzzLogEntries", "FuzzDecompress", "FuzzIndexes", "FuzzMetadataFiles", "FuzzRecovery", "FuzzVarints"]

let package = Package(
    name: "StrataFuzz",
    dependencies: [
        .package(name: "Strata", path: ".."),
    ],
    targets: targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "StrataSimulation", package: "Strata")])
    } + [
        // strata-dump and strata-verify on arbitrary files.
        .executableTarget(
            name: "FuzzTools",
            dependencies: [.product(name: "StrataTools", package: "Strata")]),
    ]
)
