import ContinuumSQL
import FluentContinuum
import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Testing

/// The databases every behaviour test runs on.
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { self == .sqlite ? "SQLite" : "PostgreSQL" }

    /// PostgreSQL settings from the environment, with local defaults. `scripts/test.sh`
    /// starts a throwaway server and exports them.
    static var postgresConfiguration: SQLPostgresConfiguration {
        let environment = ProcessInfo.processInfo.environment
        return SQLPostgresConfiguration(
            hostname: environment["POSTGRES_HOST"] ?? "127.0.0.1",
            port: environment["POSTGRES_PORT"].flatMap(Int.init) ?? 5432,
            username: environment["POSTGRES_USER"] ?? "postgres",
            password: environment["POSTGRES_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 },
            database: environment["POSTGRES_DB"] ?? "postgres",
            tls: .disable
        )
    }

    /// Runs `body` against a fresh, empty database: a new SQLite file, or a new PostgreSQL
    /// schema (first on the search path). Both are removed afterwards, on every path.
    /// - Parameter versioning: The Fluent database's versioning configuration
    ///   (`Databases.configureVersioning`); the context's `engine` is the database's own.
    func run<R: Sendable>(connectionsPerEventLoop: Int = 2, versioning: VersioningConfiguration? = nil, _ body: @Sendable (TestContext) async throws -> R) async throws -> R {
        var logger = Logger(label: "continuum-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["CONTINUUM_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .error
        let databases = Databases(threadPool: NIOThreadPool.singleton, on: MultiThreadedEventLoopGroup.singleton)
        let id = DatabaseID(string: "test")
        let unique = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        var file: String?
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("continuum-tests")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            file = directory.appendingPathComponent("\(unique).sqlite").path
            databases.use(.sqlite(.file(file!), sqlLogLevel: .debug), as: id)
        case .postgres:
            var configuration = Self.postgresConfiguration
            configuration.searchPath = [unique]
            databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: connectionsPerEventLoop, sqlLogLevel: .debug), as: id)
        }
        if let versioning { databases.configureVersioning(versioning, on: id) }
        let fluent = databases.database(id, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())!
        let sql = fluent as! any SQLDatabase
        var context = TestContext(kind: self, fluent: fluent, sql: sql, schema: self == .postgres ? unique : nil)
        if versioning != nil { context.engine = Continuum.engine(for: fluent) }
        context.file = file
        context.handle = { logger in databases.database(id, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())! }
        let loopLogger = logger
        context.handleOnLoop = { loop in databases.database(id, logger: loopLogger, on: loop)! }
        do {
            if self == .postgres {
                try await sql.raw("CREATE SCHEMA \(ident: unique)").run()
            }
            let result = try await body(context)
            try await self.tearDown(context, file: file, databases: databases)
            return result
        } catch {
            try? await self.tearDown(context, file: file, databases: databases)
            // PostgresNIO hides the server's message from `description`; show it.
            throw error is ContinuumError ? error : DetailedError(detail: String(reflecting: error))
        }
    }

    private func tearDown(_ context: TestContext, file: String?, databases: Databases) async throws {
        if let schema = context.schema {
            try await context.sql.raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
        }
        await databases.shutdownAsync()
        if let file {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
        }
    }
}

/// One test's database.
struct TestContext: Sendable {
    var kind: TestDatabase
    var fluent: any Database
    var sql: any SQLDatabase
    /// PostgreSQL: the schema the test owns.
    var schema: String?
    /// SQLite: the database file.
    var file: String?
    var engine = VersioningEngine()
    /// Another handle on the test database, logging through `logger`.
    var handle: @Sendable (Logger) -> any Database = { _ in fatalError("no database") }
    /// A handle on the test database that uses the connections of `loop`: handles on two
    /// event loops use two connections (each loop has a pool of its own).
    var handleOnLoop: @Sendable (any EventLoop) -> any Database = { _ in fatalError("no database") }

    /// A handle on the test database that counts the SQL statements run through it.
    func counting() -> (database: any Database, log: StatementLog) {
        let log = StatementLog()
        var logger = Logger(label: "continuum-tests.count") { _ in log }
        logger.logLevel = .debug
        return (self.handle(logger), log)
    }

    init(kind: TestDatabase, fluent: any Database, sql: any SQLDatabase, schema: String?) {
        self.kind = kind
        self.fluent = fluent
        self.sql = sql
        self.schema = schema
    }

    /// An auto-incrementing integer primary key in this dialect.
    var autoKey: String { self.kind == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "SERIAL PRIMARY KEY" }

    /// Runs raw SQL (no binds) on the test database.
    func exec(_ statements: String...) async throws {
        for statement in statements { try await self.sql.raw(SQLQueryString(statement)).run() }
    }

    /// PostgreSQL: the `citext` extension in `public`. Tests running in parallel on a fresh
    /// server may both create it: `IF NOT EXISTS` still races (a unique violation), so the loser
    /// finds it there on a second try.
    func createCitext() async throws {
        do {
            try await self.exec("CREATE EXTENSION IF NOT EXISTS citext SCHEMA public")
        } catch {
            try await Task.sleep(for: .milliseconds(200))
            try await self.exec("CREATE EXTENSION IF NOT EXISTS citext SCHEMA public")
        }
    }

    /// Rows of `query` with every column read as text (NULL as nil), in column order.
    /// Select text columns (`CAST(c AS TEXT)`): PostgresNIO reads binary values of other types
    /// as garbled strings.
    func rows(_ query: String, on database: (any SQLDatabase)? = nil) async throws -> [[String?]] {
        let rows = try await (database ?? self.sql).raw(SQLQueryString(query)).all()
        return try rows.map { row in
            try row.allColumns.map { column in
                if try row.decodeNil(column: column) { return nil }
                // PostgreSQL casts booleans to "true"/"false"; SQLite stores 1/0. Test data never holds those words.
                if let text = try? row.decode(column: column, as: String.self) { return ["true": "1", "false": "0"][text] ?? text }
                if let number = try? row.decode(column: column, as: Int.self) { return String(number) }
                if let flag = try? row.decode(column: column, as: Bool.self) { return flag ? "1" : "0" }
                return "?"
            }
        }
    }

    /// The version rows of `versionTable`: the given columns then transaction_id,
    /// end_transaction_id and operation_type, ordered by key columns and transaction.
    func versions(_ versionTable: String, _ columns: [String], orderBy: [String] = ["id"]) async throws -> [[String?]] {
        let select = (columns + ["transaction_id", "end_transaction_id", "operation_type"])
            .map { "CAST(\(SQLText.quoted($0)) AS TEXT)" }.joined(separator: ", ")
        // Qualified: PostgreSQL would otherwise sort by the text output columns ("10" < "7").
        let order = (orderBy + ["transaction_id"]).map { "v." + SQLText.quoted($0) }.joined(separator: ", ")
        return try await self.rows("SELECT \(select.replacingOccurrences(of: "CAST(", with: "CAST(v.")) FROM \(SQLText.quoted(versionTable)) AS v ORDER BY \(order)")
    }

    /// PostgreSQL: whether `table`'s `continuum_update` trigger fires per "row" or per
    /// "statement" (`tgtype` bit 0); `nil` without one.
    func updateTriggerLevel(_ table: String) async throws -> String? {
        let row = try await self.sql.raw(
            """
            SELECT CASE WHEN t.tgtype & 1 = 1 THEN 'row' ELSE 'statement' END AS "level" FROM pg_trigger t
            WHERE t.tgname = 'continuum_update' AND t.tgrelid = to_regclass(\(bind: SQLText.quoted(table)))
            """
        ).first()
        return try row?.decode(column: "level", as: String.self)
    }

    /// How many rows `table` has.
    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        let query = "SELECT COUNT(*) AS n FROM \(SQLText.quoted(table)) WHERE \(condition)"
        let row = try await self.sql.raw(SQLQueryString(query)).first()
        return try row!.decode(column: "n", as: Int.self)
    }

    /// Checks every invariant of `table`'s history with the engine's own checker.
    func expectConsistent(_ tables: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for table in tables {
            let report = try await self.engine.verify(table, on: self.sql)
            #expect(report.isValid, "\(report) \(report.problems)", sourceLocation: sourceLocation)
        }
    }

    /// Whether a table exists.
    func tableExists(_ table: String) async throws -> Bool {
        let query =
            self.kind == .sqlite
            ? "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '\(table)'"
            : "SELECT COUNT(*) AS n FROM pg_class WHERE oid = to_regclass('\(SQLText.quoted(table))')"
        return try await self.sql.raw(SQLQueryString(query)).first()!.decode(column: "n", as: Int.self) > 0
    }

    /// The seed models of Semantics.md, "The seed scenario": article and tag.
    func createSeedTables() async throws {
        try await self.exec(
            "CREATE TABLE article (id \(self.autoKey), name VARCHAR(255), content TEXT)",
            "CREATE TABLE tag (id \(self.autoKey), name VARCHAR(255), article_id INTEGER REFERENCES article (id) ON DELETE CASCADE)"
        )
    }
}

enum SQLText {
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// An error whose message is the full reflection of a driver error.
struct DetailedError: Error, CustomStringConvertible {
    var detail: String
    var description: String { self.detail }
}

/// Counts the statements a handle logs at `debug`, the level the tests' drivers log SQL at.
final class StatementLog: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var statements: [String] = []
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level == .debug else { return }
        self.lock.withLock { self.statements.append(event.message.description) }
    }

    var count: Int { self.lock.withLock { self.statements.count } }
    func reset() { self.lock.withLock { self.statements.removeAll() } }
}
