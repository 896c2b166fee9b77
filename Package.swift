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
        .testTarget(
            name: "ContinuumSQLTests",
            dependencies: [
                .target(name: "ContinuumSQL"),
                .target(name: "FluentContinuum"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
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
