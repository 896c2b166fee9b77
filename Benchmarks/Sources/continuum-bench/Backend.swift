import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOPosix
import SQLKit

/// The two databases the benchmark runs on.
enum Backend: String, CaseIterable, Codable, Sendable {
    case sqlite
    case postgres

    var title: String { self == .sqlite ? "SQLite (WAL)" : "PostgreSQL 15" }
}

/// Where one run's database lives: a SQLite file path, or a PostgreSQL URL
/// (`postgresql://user@host:port/database`).
struct Target: Sendable {
    var backend: Backend
    var location: String
    /// SQLite: prepared statements each connection keeps (`SQLiteConfiguration.statementCacheCapacity`
    /// of `patches/sqlite-statement-cache`); 0, the stock driver's behaviour, keeps none.
    var statementCacheCapacity = 0

    /// Opens the database with one connection on one event loop: the workload is sequential,
    /// and a single SQLite connection keeps per-connection pragmas in force.
    func open() async throws -> OpenDatabase {
        var logger = Logger(label: "continuum-bench")
        logger.logLevel = .error
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: group)
        switch self.backend {
        case .sqlite:
            #if CONTINUUM_BENCH_PATCHED_SQLITE
                var configuration = SQLiteConfiguration.file(self.location)
                configuration.statementCacheCapacity = self.statementCacheCapacity
            #else
                guard self.statementCacheCapacity == 0 else {
                    throw BenchError("this build has the stock SQLite driver, without a statement cache: scripts/bench.sh --patched-sqlite builds one with it")
                }
                let configuration = SQLiteConfiguration.file(self.location)
            #endif
            databases.use(.sqlite(configuration, maxConnectionsPerEventLoop: 1), as: .sqlite)
        case .postgres:
            guard let url = URLComponents(string: self.location), let host = url.host, let user = url.user else {
                throw BenchError("not a PostgreSQL URL: \(self.location) (expected postgresql://user@host:port/database)")
            }
            let configuration = SQLPostgresConfiguration(
                hostname: host, port: url.port ?? 5432, username: user, password: url.password,
                database: String(url.path.dropFirst()), tls: .disable
            )
            databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: 1), as: .psql)
        }
        let database = databases.database(logger: logger, on: group.any())!
        let open = OpenDatabase(fluent: database, databases: databases, group: group)
        if self.backend == .sqlite {
            try await open.sql.raw("PRAGMA journal_mode=WAL").run()
            try await open.sql.raw("PRAGMA synchronous=NORMAL").run()
        }
        return open
    }
}

extension Target {
    /// Opens the database, runs `body`, and closes it on every path.
    func withDatabase<R>(_ body: (OpenDatabase) async throws -> R) async throws -> R {
        let database = try await self.open()
        do {
            let result = try await body(database)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    }
}

/// An open database; call `close()` when done.
struct OpenDatabase: Sendable {
    var fluent: any Database
    var databases: Databases
    var group: MultiThreadedEventLoopGroup
    var sql: any SQLDatabase { self.fluent as! any SQLDatabase }

    func close() async throws {
        await self.databases.shutdownAsync()
        try await self.group.shutdownGracefully()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
