// swift-tools-version:6.1
// The `continuum` command line lives in its own package so that users of the ContinuumSQL and
// FluentContinuum libraries never resolve its dependencies (the SQLite driver, the argument
// parser). Run it from the repository root: `swift run --package-path CLI continuum demo`.
import PackageDescription

let package = Package(
    name: "swift-continuum-cli",
    platforms: [
        .macOS(.v13)
    ],
    products: [
        .executable(name: "continuum", targets: ["continuum"])
    ],
    dependencies: [
        .package(name: "swift-continuum", path: ".."),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
    ],
    targets: [
        .executableTarget(
            name: "continuum",
            dependencies: [
                .product(name: "FluentContinuum", package: "swift-continuum"),
                .product(name: "ContinuumSQL", package: "swift-continuum"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        )
    ]
)

var swiftSettings: [SwiftSetting] {
    [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
