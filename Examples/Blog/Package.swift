// swift-tools-version:6.1
// The example blog: Vapor, Fluent, Leaf and VaporContinuum. Posts with their history, word diffs,
// restore, undelete and an activity feed. Its own package, so that users of the libraries never
// resolve Vapor or Leaf. Run it from the repository root:
//
//     swift run --package-path Examples/Blog
//
// (SQLite file blog.sqlite in the working directory; PostgreSQL with DATABASE_URL.)
import PackageDescription

let package = Package(
    name: "swift-continuum-blog",
    platforms: [
        .macOS(.v13)
    ],
    products: [
        .executable(name: "Blog", targets: ["Blog"])
    ],
    dependencies: [
        .package(name: "swift-continuum", path: "../..", traits: ["Vapor"]),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        // leaf 4.5.2 alone accepts leaf-kit 1.14.2; 1.14.3 fixes two escaping bypasses
        // (CVE-2026-27120, CVE-2026-28499).
        .package(url: "https://github.com/vapor/leaf-kit.git", from: "1.14.3"),
    ],
    targets: [
        .target(
            name: "BlogApp",
            dependencies: [
                .product(name: "VaporContinuum", package: "swift-continuum"),
                .product(name: "FluentContinuum", package: "swift-continuum"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
            ],
            resources: [
                .copy("Views"),
                .copy("Public"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Blog",
            dependencies: [
                .target(name: "BlogApp")
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BlogTests",
            dependencies: [
                .target(name: "BlogApp"),
                .product(name: "VaporTesting", package: "vapor"),
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
