// swift-tools-version:6.1
// The `continuum` command line lives in its own package so that users of the ContinuumSQL and
// FluentContinuum libraries never resolve its dependencies (the SQLite driver, the argument
// parser). Run it from the repository root: `swift run --package-path CLI continuum demo`.
import PackageDescription

let package = Package(
    name: "swift-continuum-cli",
    platforms: [
        .macOS(.v13),
    ],
    products: [
        .executable(name: "continuum", targets: ["continuum"]),
    ],
    dependencies: [
        .package(name: "swift-continuum", path: ".."),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "continuum",
            dependencies: [
                .product(name: "FluentContinuum", package: "swift-continuum"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
