// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-continuum",
    platforms: [
        .macOS(.v13),
    ],
    products: [
        .library(name: "ContinuumSQL", targets: ["ContinuumSQL"]),
        .library(name: "FluentContinuum", targets: ["FluentContinuum"]),
        .executable(name: "continuum", targets: ["continuum"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        // Drivers: tests and the demo only. The libraries never import them.
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "ContinuumSQL",
            dependencies: [
                .product(name: "SQLKit", package: "sql-kit"),
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
        .executableTarget(
            name: "continuum",
            dependencies: [
                .target(name: "FluentContinuum"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
