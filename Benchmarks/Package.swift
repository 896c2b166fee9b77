// swift-tools-version:6.1
// The benchmark program lives in its own package so that users of swift-continuum never resolve
// its dependencies. Run it through `scripts/bench.sh` (release mode, PostgreSQL, SQLAlchemy-Continuum).
import PackageDescription

let package = Package(
    name: "swift-continuum-benchmarks",
    platforms: [
        .macOS(.v13)
    ],
    dependencies: [
        .package(name: "swift-continuum", path: ".."),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "continuum-bench",
            dependencies: [
                .product(name: "FluentContinuum", package: "swift-continuum"),
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
