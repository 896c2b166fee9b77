import FluentContinuum
import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit

/// What the documentation examples call `app`: the parts of Vapor's `Application` they use
/// (`app.databases`, `app.migrations`, `app.db`, `app.autoMigrate()`), on a fresh test
/// database registered as the default database. Vapor is not a dependency of the package.
final class ExampleApp: Sendable {
    let databases: Databases
    let migrations = Migrations()
    let logger: Logger
    let kind: TestDatabase

    init(databases: Databases, logger: Logger, kind: TestDatabase) {
        self.databases = databases
        self.logger = logger
        self.kind = kind
    }

    /// A new handle on the default database, as Vapor's `app.db` makes one per access.
    var db: any Database {
        self.databases.database(logger: self.logger, on: MultiThreadedEventLoopGroup.singleton.any())!
    }

    private var migrator: Migrator {
        Migrator(databases: self.databases, migrations: self.migrations, logger: self.logger, on: MultiThreadedEventLoopGroup.singleton.any())
    }

    /// Runs the migrations not run yet, as one batch.
    func autoMigrate() async throws {
        try await self.migrator.setupIfNeeded().get()
        try await self.migrator.prepareBatch().get()
    }

    /// Reverts every batch, newest first.
    func autoRevert() async throws {
        try await self.migrator.setupIfNeeded().get()
        try await self.migrator.revertAllBatches().get()
    }
}

extension TestDatabase {
    /// Runs `body` with an ``ExampleApp`` on a fresh, empty database (a new SQLite file, or a
    /// new PostgreSQL schema), removed afterwards on every path. Nothing is configured and no
    /// handle is made before `body` runs, so `body` can configure versioning first.
    func runApp<R: Sendable>(_ body: @Sendable (ExampleApp) async throws -> R) async throws -> R {
        var logger = Logger(label: "continuum-docs")
        logger.logLevel = ProcessInfo.processInfo.environment["CONTINUUM_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .error
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        let unique = "d_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        var file: String?
        var schemaDatabases: Databases?
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("continuum-tests")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            file = directory.appendingPathComponent("\(unique).sqlite").path
            databases.use(.sqlite(.file(file!)), as: .sqlite, isDefault: true)
        case .postgres:
            // The schema is made and dropped through a database of its own, so that `body`
            // finds the app's database untouched.
            let admin = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
            admin.use(.postgres(configuration: Self.postgresConfiguration, maxConnectionsPerEventLoop: 1), as: .psql)
            let sql = admin.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()) as! any SQLDatabase
            do {
                try await sql.raw("CREATE SCHEMA \(ident: unique)").run()
            } catch {
                await admin.shutdownAsync()
                throw DetailedError(detail: String(reflecting: error))
            }
            schemaDatabases = admin
            var configuration = Self.postgresConfiguration
            configuration.searchPath = [unique]
            databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: 2), as: .psql, isDefault: true)
        }
        let app = ExampleApp(databases: databases, logger: logger, kind: self)
        func tearDown() async throws {
            await databases.shutdownAsync()
            if let admin = schemaDatabases {
                let sql = admin.database(logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()) as! any SQLDatabase
                do {
                    try await sql.raw("DROP SCHEMA IF EXISTS \(ident: unique) CASCADE").run()
                } catch {
                    await admin.shutdownAsync()
                    throw error
                }
                await admin.shutdownAsync()
            }
            if let file {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
            }
        }
        do {
            let result = try await body(app)
            try await tearDown()
            return result
        } catch {
            try? await tearDown()
            throw error is ContinuumError ? error : DetailedError(detail: String(reflecting: error))
        }
    }
}
