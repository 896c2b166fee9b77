// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-continuum",
    platforms: [
        .macOS(.v13)
    ],
    products: [
        .library(name: "ContinuumSQL", targets: ["ContinuumSQL"]),
        .library(name: "FluentContinuum", targets: ["FluentContinuum"]),
        // Vapor integration; its Vapor and Fluent dependencies exist only with the trait `Vapor`.
        .library(name: "VaporContinuum", targets: ["VaporContinuum"]),
    ],
    traits: [
        .trait(
            name: "Vapor",
            description: "Builds VaporContinuum against Vapor and Fluent. Off by default, so that users "
                + "of ContinuumSQL and FluentContinuum never resolve Vapor."
        )
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        // Test-only: SwiftPM does not resolve a dependency's test-target dependencies, so users of the
        // libraries never fetch the drivers (scripts/check-dependencies.sh checks it). Anything an
        // executable or another product needs goes in its own package (CLI/, Benchmarks/, Examples/)
        // or behind a trait that is off by default; see "Packages and products" in README.md.
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        // Used only by targets that name it under the trait `Vapor` (off by default): neither resolved
        // nor fetched without it (scripts/check-dependencies.sh checks it).
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
    ],
    targets: [
        .target(
            name: "ContinuumSQL",
            dependencies: [
                .product(name: "SQLKit", package: "sql-kit")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FluentContinuum",
            dependencies: [
                .target(name: "ContinuumSQL"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQL", package: "fluent-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VaporContinuum",
            dependencies: [
                .target(name: "FluentContinuum"),
                .product(name: "Vapor", package: "vapor", condition: .when(traits: ["Vapor"])),
                .product(name: "Fluent", package: "fluent", condition: .when(traits: ["Vapor"])),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ContinuumSQLTests",
            dependencies: [
                .target(name: "ContinuumSQL"),
                .target(name: "FluentContinuum"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                // Vapor/: the VaporContinuum tests, built with `--traits Vapor` (scripts/test.sh).
                .target(name: "VaporContinuum"),
                .product(name: "VaporTesting", package: "vapor", condition: .when(traits: ["Vapor"])),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

var swiftSettings: [SwiftSetting] {
    [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
